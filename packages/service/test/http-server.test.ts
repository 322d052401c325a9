import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requestUrl } from '../src/http-server.ts';

const seed = Number(process.env.FUZZ_SEED ?? 20261201);
const numRuns = Number(process.env.FUZZ_RUNS ?? 2000);

describe('requestUrl', () => {
  it('reads every request target as a path on this server, never another host', () => {
    expect(requestUrl('//').pathname).toBe('//');
    expect(requestUrl('//evil.example/graphql').host).toBe('localhost');
    expect(requestUrl('//evil.example/graphql').pathname).toBe('//evil.example/graphql');
    expect(requestUrl('/graphql?query=%7B%7D').searchParams.get('query')).toBe('{}');
    expect(requestUrl('*').pathname).toBe('/*');
    expect(requestUrl(undefined).pathname).toBe('/');
  });

  it('never throws, whatever the target', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (target) => {
        expect(requestUrl(target).host).toBe('localhost');
      }),
      { seed, numRuns },
    );
  });
});
