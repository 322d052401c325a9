import type { ApolloCache, Reference } from '@apollo/client';

/** A connection as the cache keeps it (relayStylePagination): edges whose nodes are references. */
export interface StoredConnection {
  edges: { __typename?: string; cursor?: string; node: Reference }[];
  pageInfo?: unknown;
}

const isStoredConnection = (value: unknown): value is StoredConnection =>
  typeof value === 'object' && value !== null && Array.isArray((value as { edges?: unknown }).edges);

/**
 * Edits a connection field in the cache (on the root query, or on the entity `id`): `edit` gets its
 * edges and returns the new ones. Nothing happens where the field has not been loaded yet.
 */
export function editConnection(
  cache: ApolloCache,
  field: string,
  edit: (edges: StoredConnection['edges']) => StoredConnection['edges'],
  id?: string,
): void {
  cache.modify<Record<string, StoredConnection>>({
    ...(id ? { id } : {}),
    fields: {
      [field]: (existing) => {
        if (!isStoredConnection(existing)) return existing;
        return { ...existing, edges: edit(existing.edges) };
      },
    },
  });
}

/** Puts `node` on top of a connection (unless it is there already). */
export function prependToConnection(cache: ApolloCache, field: string, node: Reference, edgeTypename: string, id?: string): void {
  editConnection(cache, field, (edges) => (edges.some((edge) => edge.node.__ref === node.__ref) ? edges : [{ __typename: edgeTypename, cursor: '', node }, ...edges]), id);
}
