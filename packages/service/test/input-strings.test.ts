import fc from 'fast-check';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { findBadInputString } from '../src/input-strings.ts';

const seed = Number(process.env.FUZZ_SEED ?? 20261201);
const numRuns = Number(process.env.FUZZ_RUNS ?? 2000);

const QUERY = parse('query($u: String, $input: UpdateProfileInput) { user(username: $u) { id } }');

describe('strings that may not enter', () => {
  it('finds a NUL or a lone surrogate in a literal, naming the argument or input field it is given to', () => {
    expect(findBadInputString(parse('{ user(username: "a\\u0000b") { id } }'), undefined)).toEqual({
      where: 'username',
      problem: 'contains a NUL character (U+0000)',
    });
    expect(findBadInputString(parse('mutation { updateProfile(input: { bio: "x\\u0000" }) { id } }'), undefined)?.where).toBe('bio');
    expect(findBadInputString(parse('{ a: searchUsers(query: "ok") { id } b: searchUsers(query: "no\\u0000") { id } }'), undefined)?.where).toBe('query');
    // In a list, in a directive, in a variable's default: every literal counts.
    expect(findBadInputString(parse('mutation { createPost(input: { uploadIds: ["x"], altTexts: ["ok", "bad\\u0000"] }) { id } }'), undefined)?.where).toBe('altTexts');
    expect(findBadInputString(parse('query($q: String = "\\u0000") { searchUsers(query: $q) { id } }'), undefined)?.where).toBe('the document');
  });

  it('finds them anywhere in the variables, with the path to them', () => {
    expect(findBadInputString(QUERY, { u: 'a\u0000' })).toEqual({ where: '$u', problem: 'contains a NUL character (U+0000)' });
    expect(findBadInputString(QUERY, { input: { bio: 'x\ud800y' } })).toEqual({ where: '$input.bio', problem: 'contains a lone UTF-16 surrogate (not valid Unicode)' });
    expect(findBadInputString(QUERY, { input: { list: ['ok', 'ok', '\udc00'] } })?.where).toBe('$input.list.2');
    expect(findBadInputString(QUERY, { input: { ['k\u0000']: 'v' } })?.where).toBe('$input (a key)');
  });

  it('bounds the length only when asked to (the gateway does; each field bounds its own)', () => {
    expect(findBadInputString(QUERY, { u: 'x'.repeat(101) })).toBeNull();
    expect(findBadInputString(QUERY, { u: 'x'.repeat(101) }, { maxLength: 100 })).toEqual({ where: '$u', problem: 'is longer than 100 characters' });
    expect(findBadInputString(QUERY, { u: 'x'.repeat(100) }, { maxLength: 100 })).toBeNull();
  });

  it('lets every well-formed string through: surrogate pairs (emoji), other control characters, any script', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 50 }), (text) => {
        fc.pre(!text.includes('\u0000'));
        expect(findBadInputString(QUERY, { u: text, input: { bio: text } })).toBeNull();
      }),
      { seed, numRuns },
    );
    expect(findBadInputString(QUERY, { u: '📷 \u0001\t\u200b 東京' })).toBeNull();
  });

  it('finds a NUL or a lone surrogate wherever it is put in any string', () => {
    const bad = fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), bad, fc.string({ unit: 'grapheme', maxLength: 20 }), (before, char, after) => {
        // A lone high half right before a low half would make a pair: not lone, so not this case.
        fc.pre(!(/[\ud800-\udbff]$/.test(char) && /^[\udc00-\udfff]/.test(after)) && !(/^[\udc00-\udfff]/.test(char) && /[\ud800-\udbff]$/.test(before)));
        expect(findBadInputString(QUERY, { input: { nested: [{ text: before + char + after }] } })?.where).toBe('$input.nested.0.text');
      }),
      { seed, numRuns },
    );
  });
});
