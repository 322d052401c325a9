// The route's queries, apart from its components: the router preloads them in a route's loader
// while the route's code is still loading (importing the component here would undo the split).
import { graphql } from '../../gql/index.ts';

export const PostPageDocument = graphql(`
  query PostPage($id: ID!, $commentsAfter: String) {
    post(id: $id) {
      id
      ...PostCard_post
      comments(first: 20, after: $commentsAfter) {
        edges {
          cursor
          node {
            id
            ...CommentRow_comment
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);
