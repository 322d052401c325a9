import type { FieldPolicy, Reference, TypePolicies } from '@apollo/client';
import { relayStylePagination } from '@apollo/client/utilities';
import { pinnedPostIds } from './pending-posts.ts';

type Edge = { cursor?: string; node?: Reference | { __ref?: string } };
type Connection = { edges?: Edge[]; pageInfo?: unknown };

/**
 * A Relay connection kept as one growing list (Apollo's relayStylePagination: a page `after` the
 * end is appended, a first page replaces the head), with each node at most once. A post can come
 * twice: written into the feed at once by its author's composer or by a live `feedPostAdded`,
 * and then again in a page fetched later.
 */
export function connection(keyArgs: string[] | false = false, pinned?: { typename: string; ids: () => string[] }): FieldPolicy {
  const base = relayStylePagination(keyArgs) as FieldPolicy<Connection>;
  return {
    ...base,
    merge(existing, incoming, options) {
      let merged = (typeof base.merge === 'function' ? base.merge(existing, incoming, options) : incoming) as Connection;
      if (!merged?.edges) return merged;
      // A first page replaces the list: nodes pinned to its head (just shared here) stay there.
      if (pinned && !options.args?.after) {
        const head = pinned
          .ids()
          .map((id) => options.toReference({ __typename: pinned.typename, id }))
          .filter((ref): ref is Reference => !!ref && options.canRead(ref))
          .map((node) => ({ __typename: `${pinned.typename}Edge`, cursor: '', node }));
        merged = { ...merged, edges: [...head, ...merged.edges] };
      }
      const seen = new Set<string>();
      const edges = (merged.edges ?? []).filter((edge) => {
        const ref = edge.node && '__ref' in edge.node ? edge.node.__ref : undefined;
        if (!ref) return true;
        if (seen.has(ref)) return false;
        seen.add(ref);
        return true;
      });
      return { ...merged, edges };
    },
  } as FieldPolicy;
}

export const typePolicies: TypePolicies = {
  Query: {
    fields: {
      feed: connection(false, { typename: 'Post', ids: pinnedPostIds }),
      notifications: connection(),
      postsByHashtag: connection(['tag']),
      // One user whether asked for by id or by username: the reference is the normalised User.
      user: {
        keyArgs: ['id', 'username'],
        read(existing, { args, toReference }) {
          if (existing !== undefined) return existing;
          return typeof args?.id === 'string' ? toReference({ __typename: 'User', id: args.id }) : undefined;
        },
      },
      post: {
        read(existing, { args, toReference }) {
          if (existing !== undefined) return existing;
          return typeof args?.id === 'string' ? toReference({ __typename: 'Post', id: args.id }) : undefined;
        },
      },
    },
  },
  User: {
    fields: {
      posts: connection(),
      followers: connection(),
      following: connection(),
    },
  },
  Post: {
    fields: {
      comments: connection(),
      // The images of a post are its own list, replaced when it changes (a post in processing
      // gains its images one by one).
      media: { merge: false },
    },
  },
  // Variants have no id of their own: part of their image.
  ImageVariant: { keyFields: false },
};
