import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, z } from '@shutter/config';
import { GraphQLError } from 'graphql';
import type { PersistedQueryOptions } from '@apollo/server';

/**
 * The persisted-documents manifest that GraphQL Codegen's client preset writes for the web client
 * (`persistedDocuments` mode): a JSON object from the sha256 hash (hex) of each document's text to
 * the text itself.
 */
const manifestSchema = z.record(z.string().regex(/^[0-9a-f]{64}$/), z.string().min(1), { error: (issue) => (issue.code === 'invalid_key' ? 'is not a sha256 hash in hex' : undefined) });

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** What a request names: its document text, and/or the hash in extensions.persistedQuery. */
export interface NamedDocument {
  query: unknown;
  extensions: unknown;
}

const refuse = (code: 'PERSISTED_QUERY_NOT_IN_LIST' | 'PERSISTED_QUERY_NOT_FOUND', message: string) => new GraphQLError(message, { extensions: { code } });

/**
 * Trusted documents (GATEWAY_SAFELIST=1): the gateway runs only the operations of the manifest, over
 * HTTP and graphql-ws, and refuses any other before it is parsed, so that a client outside the
 * manifest learns nothing, not even whether its document would validate. A client sends the
 * manifest's text (which must hash to one of its keys) or only its hash (the text is then the
 * manifest's: Apollo's persisted-query cache is the manifest, and nothing new can be registered in it).
 * The gateway's own hydration queries for subscription events run inside, not through this door.
 */
export class Safelist {
  private constructor(private readonly documents: ReadonlyMap<string, string>) {}

  /** Reads and checks the manifest: every key must be the hash of its text. Problems are a ConfigError (exit 78). */
  static load(path: string): Safelist {
    let raw: string;
    try {
      raw = readFileSync(path, 'utf8');
    } catch {
      throw new ConfigError('gateway', [
        `GATEWAY_SAFELIST_MANIFEST: GATEWAY_SAFELIST is on, but there is no manifest at ${path} (the web client's codegen writes it: npm run codegen)`,
      ]);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new ConfigError('gateway', [`GATEWAY_SAFELIST_MANIFEST: ${path} is not JSON`]);
    }
    const manifest = manifestSchema.safeParse(parsed);
    if (!manifest.success) {
      throw new ConfigError('gateway', manifest.error.issues.map((i) => `GATEWAY_SAFELIST_MANIFEST: ${path}: ${i.path.join('.') || '(the file)'}: ${i.message}`));
    }
    const problems = Object.entries(manifest.data)
      .filter(([hash, text]) => sha256(text) !== hash)
      .map(([hash]) => `GATEWAY_SAFELIST_MANIFEST: ${path}: the document under ${hash} does not hash to it (a manifest edited by hand, or not codegen's)`);
    if (Object.keys(manifest.data).length === 0) problems.push(`GATEWAY_SAFELIST_MANIFEST: ${path} lists no documents`);
    if (problems.length > 0) throw new ConfigError('gateway', problems);
    return new Safelist(new Map(Object.entries(manifest.data)));
  }

  get size(): number {
    return this.documents.size;
  }

  /**
   * Apollo's persisted-query cache, read from the manifest: a request with only a hash gets the
   * manifest's text; what a client sends is never stored (there is nothing to register).
   */
  persistedQueries(): PersistedQueryOptions {
    const documents = this.documents;
    return {
      cache: {
        // Apollo prefixes its keys (apq:<hash>); the hash is what follows the last colon.
        get: async (key: string) => documents.get(key.slice(key.lastIndexOf(':') + 1)),
        set: async () => {},
        delete: async () => false,
      },
    };
  }

  /**
   * The document a request may run, or why not: the text it sends must be one of the manifest's;
   * without text, its hash must be one of the manifest's keys. Null `document` with no error: the
   * request names nothing (Apollo answers that with BAD_REQUEST).
   */
  check(request: NamedDocument): { document: string | null; error?: GraphQLError } {
    const text = typeof request.query === 'string' && request.query.length > 0 ? request.query : null;
    const persisted = (request.extensions as { persistedQuery?: { sha256Hash?: unknown } } | null | undefined)?.persistedQuery;
    const hash = typeof persisted?.sha256Hash === 'string' ? persisted.sha256Hash : null;
    if (text !== null) {
      if (this.documents.has(sha256(text))) return { document: text };
      return { document: null, error: refuse('PERSISTED_QUERY_NOT_IN_LIST', 'This gateway runs only the operations of its persisted-documents manifest, and this is not one of them.') };
    }
    if (hash !== null) {
      const document = this.documents.get(hash);
      if (document !== undefined) return { document };
      return { document: null, error: refuse('PERSISTED_QUERY_NOT_FOUND', 'No operation of the persisted-documents manifest has that hash.') };
    }
    return { document: null };
  }
}
