// The route's queries, apart from its components: the router preloads them in a route's loader
// while the route's code is still loading (importing the component here would undo the split).
import { graphql } from '../../gql/index.ts';

export const NotificationsDocument = graphql(`
  query Notifications($after: String) {
    notifications(first: 20, after: $after) {
      edges {
        cursor
        node {
          id
          read
          ...NotificationRow_notification
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
    unreadNotificationCount
  }
`);
