import { z } from 'zod';
import { badUserInput } from './errors.ts';

/**
 * Opaque keyset cursors: base64url JSON of a position, checked field by field against a zod tuple.
 * One codec for every list, so that every list bounds every field the same way: a cursor that is not
 * one we gave out is BAD_USER_INPUT, and no value in it can reach SQL out of range.
 */
export interface CursorCodec<T extends readonly unknown[]> {
  encode(position: T): string;
  /** The position in `cursor`; null when there is none; BAD_USER_INPUT when it is not ours. */
  decode(cursor: string | null | undefined): T | null;
}

/** Cursors we give out are short; anything much longer is not one of them (and is not parsed). */
const MAX_CURSOR_LENGTH = 512;

/**
 * A time in ms since 1970, within what we ever store: 1970 to the end of year 9999, so that it is a
 * valid Date whose ISO form (four-digit year) Postgres reads as a timestamptz.
 */
export const cursorTime = z.number().int().min(0).max(253_402_300_799_999);
/** A row id (UUID). */
export const cursorId = z.uuid();

export function keysetCursor<const S extends readonly [z.ZodType, ...z.ZodType[]]>(...fields: S): CursorCodec<{ [K in keyof S]: z.output<S[K]> }> {
  type Position = { [K in keyof S]: z.output<S[K]> };
  const schema = z.tuple(fields as unknown as [z.ZodType, ...z.ZodType[]]);
  const refuse = () => badUserInput('That cursor is not one this list gave out.', 'after');
  return {
    encode: (position) => Buffer.from(JSON.stringify(position)).toString('base64url'),
    decode(cursor) {
      if (cursor == null) return null;
      if (typeof cursor !== 'string' || cursor.length > MAX_CURSOR_LENGTH) throw refuse();
      let value: unknown;
      try {
        value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      } catch {
        throw refuse();
      }
      const parsed = schema.safeParse(value);
      if (!parsed.success) throw refuse();
      return parsed.data as Position;
    },
  };
}

/** The common position: (created at, id), newest or oldest first. */
export const timeIdCursor = keysetCursor(cursorTime, cursorId);
