import { badUserInput } from './errors.ts';

/** Relay connections: `first` is 1..100 (the contract: out of range is an error, not a clamp). */
export const MAX_PAGE_SIZE = 100;

export function parseFirst(first: number | null | undefined, fallback: number): number {
  const value = first ?? fallback;
  if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE_SIZE) {
    throw badUserInput(`first must be between 1 and ${MAX_PAGE_SIZE}.`, 'first');
  }
  return value;
}

export interface Connection<TNode> {
  edges: { cursor: string; node: TNode }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export const emptyConnection = <TNode>(): Connection<TNode> => ({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });

/** Builds a connection from `first + 1` rows: the extra row only says there is a next page. */
export function toConnection<TRow, TNode>(
  rows: TRow[],
  first: number,
  toNode: (row: TRow) => TNode,
  toCursor: (row: TRow) => string,
): Connection<TNode> {
  const page = rows.slice(0, first);
  const edges = page.map((row) => ({ cursor: toCursor(row), node: toNode(row) }));
  return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
}
