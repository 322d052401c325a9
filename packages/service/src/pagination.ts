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

/** Opaque cursors: base64url JSON of the keyset position. Clients must not look inside. */
export function encodeCursor(position: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** Decodes a cursor and checks its shape; anything else is BAD_USER_INPUT. */
export function decodeCursor<T extends readonly (string | number)[]>(
  cursor: string | null | undefined,
  isValid: (value: unknown[]) => value is unknown[] & T,
): T | null {
  if (cursor == null) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value) || !isValid(value)) throw badUserInput('That cursor is not one this list gave out.', 'after');
  return value;
}

export interface Connection<TNode> {
  edges: { cursor: string; node: TNode }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

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
