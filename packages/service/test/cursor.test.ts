import { GraphQLError } from 'graphql';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cursorId, cursorTime, keysetCursor, timeIdCursor } from '../src/cursor.ts';

const seed = Number(process.env.FUZZ_SEED ?? 20261201);
const numRuns = Number(process.env.FUZZ_RUNS ?? 2000);

/** Decoding either gives a position or throws BAD_USER_INPUT: nothing else, for any input. */
function decodeOutcome(decode: (cursor: string) => unknown, cursor: string): 'ok' | 'refused' {
  try {
    decode(cursor);
    return 'ok';
  } catch (e) {
    if (e instanceof GraphQLError && e.extensions.code === 'BAD_USER_INPUT') return 'refused';
    throw e;
  }
}

const encodeRaw = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('the keyset cursor codec', () => {
  it('gives back what it encoded, for every time and id a list can hold', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253_402_300_799_999 }), fc.uuid(), (ms, id) => {
        expect(timeIdCursor.decode(timeIdCursor.encode([ms, id]))).toEqual([ms, id]);
      }),
      { seed, numRuns },
    );
  });

  it('answers any string with a position or BAD_USER_INPUT, never another error', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 600 }), (cursor) => {
        decodeOutcome((c) => timeIdCursor.decode(c), cursor);
      }),
      { seed, numRuns },
    );
  });

  it('refuses well-formed cursors whose fields are out of range or of the wrong kind', () => {
    const field = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.bigInt().map(String),
      fc.string(),
      fc.uuid(),
      fc.constant(null),
      fc.boolean(),
      fc.array(fc.integer(), { maxLength: 3 }),
      fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 }),
      fc.constantFrom(8.64e15, 8.64e15 + 1, -1, 9e15, Number.MAX_SAFE_INTEGER, 253_402_300_800_000, 1.5),
    );
    fc.assert(
      fc.property(fc.array(field, { maxLength: 4 }), (position) => {
        const cursor = encodeRaw(position);
        const valid =
          position.length === 2 &&
          cursorTime.safeParse(position[0]).success &&
          cursorId.safeParse(position[1]).success;
        expect(decodeOutcome((c) => timeIdCursor.decode(c), cursor)).toBe(valid ? 'ok' : 'refused');
      }),
      { seed, numRuns },
    );
  });

  it('checks every field of any shape of cursor, and refuses over-long ones unread', () => {
    const idOnly = keysetCursor(cursorId);
    expect(idOnly.decode(idOnly.encode(['0193a000-0000-7000-8000-000000000000']))).toEqual(['0193a000-0000-7000-8000-000000000000']);
    expect(decodeOutcome((c) => idOnly.decode(c), encodeRaw(['not an id']))).toBe('refused');
    expect(decodeOutcome((c) => idOnly.decode(c), 'A'.repeat(10_000))).toBe('refused');
    expect(idOnly.decode(null)).toBeNull();
    expect(idOnly.decode(undefined)).toBeNull();
  });
});
