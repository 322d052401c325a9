import type { DocumentNode } from 'graphql';
import { Kind, OperationTypeNode } from 'graphql';
import type { Client } from 'graphql-ws';
import { describe, expect, it } from 'vitest';
import * as generated from '../gql/graphql.ts';
import manifestJson from '../gql/persisted-documents.json';
import { createApolloClient } from './apollo.ts';

const manifest: Record<string, string> = manifestJson;

/** Every operation codegen generated (fragments are not sent on their own). */
const operations = Object.entries(generated as Record<string, unknown>)
  .filter(([name, value]) => name.endsWith('Document') && !name.endsWith('FragmentDoc') && (value as DocumentNode | null)?.kind === Kind.DOCUMENT)
  .map(([name, value]) => {
    const document = value as DocumentNode & { __meta__?: { hash: string } };
    const definition = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
    return { name, document, operation: definition?.kind === Kind.OPERATION_DEFINITION ? definition.operation : null };
  })
  .filter((entry) => entry.operation !== null);

interface Sent {
  query: string;
  extensions?: { persistedQuery?: { version: number; sha256Hash: string } };
}

/** The real client, with what it sends over HTTP and over the socket captured. */
function capturingClient() {
  const sent: Sent[] = [];
  const fetch = async (_input: RequestInfo | URL, init?: RequestInit) => {
    sent.push(JSON.parse(String(init?.body)) as Sent);
    return Response.json({ errors: [{ message: 'not really sent' }] });
  };
  const ws = {
    subscribe(payload: Sent, sink: { complete(): void }) {
      sent.push(payload);
      sink.complete();
      return () => {};
    },
  } as unknown as Client;
  const session = { getAccessToken: async () => 'token', handleUnauthenticated: async () => null };
  return { client: createApolloClient({ session, ws, fetch }), sent };
}

describe('persisted documents', () => {
  it('covers every operation of the client and its server', () => {
    expect(operations.length).toBeGreaterThan(25);
    expect(Object.keys(manifest).sort()).toEqual(operations.map((o) => o.document.__meta__!.hash).sort());
  });

  it('keys each document by the SHA-256 of its text', async () => {
    for (const [hash, text] of Object.entries(manifest)) {
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
      expect([...digest].map((b) => b.toString(16).padStart(2, '0')).join('')).toBe(hash);
    }
  });

  it('sends, for every operation, the manifest’s exact text and its key, after Apollo’s own transforms', async () => {
    for (const { name, document, operation } of operations) {
      const { client, sent } = capturingClient();
      // Variables do not matter: the request is what is checked, not its answer.
      if (operation === OperationTypeNode.QUERY) await client.query({ query: document, fetchPolicy: 'network-only' }).catch(() => {});
      else if (operation === OperationTypeNode.MUTATION) await client.mutate({ mutation: document }).catch(() => {});
      else await new Promise<void>((resolve) => client.subscribe({ query: document }).subscribe({ complete: resolve, error: () => resolve() }));
      expect(sent, name).toHaveLength(1);
      const [request] = sent;
      const hash = document.__meta__!.hash;
      expect(request!.extensions?.persistedQuery, name).toEqual({ version: 1, sha256Hash: hash });
      expect(request!.query, name).toBe(manifest[hash]);
    }
  });
});
