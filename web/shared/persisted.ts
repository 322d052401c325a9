/**
 * Persisted documents: every operation the web client (and its server) sends is one of the
 * documents codegen wrote to web/src/gql/persisted-documents.json, as { sha256 hash: text }.
 * A request carries both the exact text of the manifest and its hash in
 * extensions.persistedQuery, so a gateway can check it against the manifest (a safelist), and an
 * APQ-speaking one (Apollo Server) already checks that the text hashes to the key.
 */
import { printExecutableGraphQLDocument } from '@graphql-tools/documents';
import { getOperationAST, type DocumentNode } from 'graphql';

/** What codegen's client preset adds to each generated document (persistedDocuments mode). */
interface PersistedDocumentNode extends DocumentNode {
  __meta__?: { hash?: string };
}

export interface PersistedQueryExtension {
  persistedQuery: { version: 1; sha256Hash: string };
}

const texts = new WeakMap<DocumentNode, string>();

/**
 * The manifest's text of a document: codegen prints it the same way (sorted, whitespace
 * normalised), so the text sent is byte for byte the manifest's.
 */
export function persistedText(document: DocumentNode): string {
  let text = texts.get(document);
  if (text === undefined) {
    text = printExecutableGraphQLDocument(document);
    texts.set(document, text);
  }
  return text;
}

/** The manifest key of a generated document; throws for a document codegen did not make. */
export function persistedHash(document: DocumentNode): string {
  const hash = (document as PersistedDocumentNode).__meta__?.hash;
  if (!hash) {
    const name = getOperationAST(document)?.name?.value ?? '(anonymous)';
    throw new Error(`Operation ${name} is not a generated document (no persisted hash): write it with graphql() and run npm run codegen.`);
  }
  return hash;
}

export function persistedExtension(document: DocumentNode): PersistedQueryExtension {
  return { persistedQuery: { version: 1, sha256Hash: persistedHash(document) } };
}
