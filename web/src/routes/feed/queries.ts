// The route's queries, apart from its components: the router preloads them in a route's loader
// while the route's code is still loading (importing the component here would undo the split).
import { graphql } from '../../gql/index.ts';

/** Posts per page of the home feed (the first screen and each scroll). */
export const FEED_PAGE = 20;

export const FeedDocument = graphql(`
  query Feed($first: Int!, $after: String) {
    feed(first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          ...PostCard_post
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);
