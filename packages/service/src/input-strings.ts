import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { BREAK, Kind, visit, type ASTNode, type DocumentNode } from 'graphql';
import { appError } from './errors.ts';

/**
 * A NUL (U+0000) or a lone UTF-16 surrogate. Postgres text cannot hold a NUL (the query fails, which
 * surfaced as INTERNAL_SERVER_ERROR), and a lone surrogate is not Unicode at all: a UTF-8 encoder
 * replaces it with U+FFFD without a word, so what would be stored is not what was sent. With the
 * `u` flag a well-formed pair is one code point, so `\p{Cs}` matches only lone halves.
 */
const FORBIDDEN = /[\0\p{Cs}]/u;

export interface InputStringLimits {
  /** The longest string any argument may be, in UTF-16 units; unset: no bound here (each field bounds its own). */
  maxLength?: number;
}

export interface BadInputString {
  /** Where the string is: `$input.caption`, `$ids.3`, or `bio` for a literal in the document (the argument or input field it is given to). */
  where: string;
  problem: string;
}

function problemOf(value: string, limits: InputStringLimits): string | null {
  if (limits.maxLength !== undefined && value.length > limits.maxLength) return `is longer than ${limits.maxLength} characters`;
  const found = FORBIDDEN.exec(value);
  if (!found) return null;
  return found[0] === '\0' ? 'contains a NUL character (U+0000)' : 'contains a lone UTF-16 surrogate (not valid Unicode)';
}

/** The first string of `value` (a variable's value: a string, or lists and objects of them) that may not enter. */
function inValue(value: unknown, where: string, limits: InputStringLimits, depth = 0): BadInputString | null {
  if (typeof value === 'string') {
    const problem = problemOf(value, limits);
    return problem ? { where, problem } : null;
  }
  // Variables come from JSON.parse of a bounded body, so they are finite trees; the depth bound
  // only keeps a hostile nesting from costing a deep recursion.
  if (value === null || typeof value !== 'object' || depth > 64) return null;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  for (const [key, inner] of entries) {
    const keyProblem = problemOf(key, limits);
    if (keyProblem) return { where: `${where} (a key)`, problem: keyProblem };
    const found = inValue(inner, `${where}.${key}`, limits, depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * The first string of a request that may not enter: a string literal anywhere in the document
 * (arguments, input objects, lists, variable defaults, directives) or any string in its variables.
 */
export function findBadInputString(document: DocumentNode, variables: unknown, limits: InputStringLimits = {}): BadInputString | null {
  let found: BadInputString | null = null;
  visit(document, {
    StringValue(node, _key, parent, _path, ancestors) {
      const problem = problemOf(node.value, limits);
      if (!problem) return undefined;
      // The nearest argument or input field it is the value of, to say where it is.
      const named = [...ancestors, parent].reverse().find((a): a is ASTNode => a != null && !Array.isArray(a) && ((a as ASTNode).kind === Kind.ARGUMENT || (a as ASTNode).kind === Kind.OBJECT_FIELD));
      const name = named?.kind === Kind.ARGUMENT || named?.kind === Kind.OBJECT_FIELD ? named.name.value : 'the document';
      found = { where: name, problem };
      return BREAK;
    },
  });
  if (found) return found;
  if (variables && typeof variables === 'object') {
    for (const [name, value] of Object.entries(variables)) {
      const bad = inValue(value, `$${name}`, limits);
      if (bad) return bad;
    }
  }
  return null;
}

/** BAD_USER_INPUT (HTTP 400) for a bad string, with where it is. */
export const badInputStringError = (bad: BadInputString) =>
  appError('BAD_USER_INPUT', `The string at ${bad.where} ${bad.problem}.`, { field: bad.where, http: { status: 400 } });

/**
 * Refuses, before execution, any request with a string that may not enter (see FORBIDDEN), and
 * with `maxLength` any string longer than that: one check at the door for every string argument,
 * so that no resolver, SQL query or log line has to survive them. Each field's own limit (a bio
 * of 300 characters) is still its domain code's to check.
 */
export function inputStringsPlugin<TContext extends BaseContext>(limits: InputStringLimits = {}): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          const bad = findBadInputString(document, request.variables, limits);
          if (bad) throw badInputStringError(bad);
        },
      };
    },
  };
}
