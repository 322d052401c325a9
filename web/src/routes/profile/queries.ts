// The route's queries, apart from its components: the router preloads them in a route's loader
// while the route's code is still loading (importing the component here would undo the split).
import { graphql } from '../../gql/index.ts';

export const ProfileDocument = graphql(`
  query Profile($username: String!, $after: String) {
    user(username: $username) {
      id
      ...ProfileHeader_user
      posts(first: 12, after: $after) {
        edges {
          cursor
          node {
            id
            ...GridTile_post
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

export const FollowersDocument = graphql(`
  query Followers($username: String!, $after: String) {
    user(username: $username) {
      id
      followers(first: 20, after: $after) {
        edges {
          cursor
          node {
            id
            ...UserRow_user
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

export const FollowingDocument = graphql(`
  query Following($username: String!, $after: String) {
    user(username: $username) {
      id
      following(first: 20, after: $after) {
        edges {
          cursor
          node {
            id
            ...UserRow_user
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

export const EditProfileDocument = graphql(`
  query EditProfile {
    me {
      id
      username
      displayName
      bio
      ...Avatar_user
    }
  }
`);
