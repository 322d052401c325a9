// The route's queries, apart from its components: the router preloads them in a route's loader
// while the route's code is still loading (importing the component here would undo the split).
import { graphql } from '../../gql/index.ts';

export const HashtagDocument = graphql(`
  query Hashtag($tag: String!, $after: String) {
    postsByHashtag(tag: $tag, first: 21, after: $after) {
      edges {
        cursor
        node {
          id
          author {
            id
            username
          }
          ...GridTile_post
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);
