import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { Kind, valueFromASTUntyped, type DocumentNode, type FieldNode } from 'graphql';
import { appError } from './errors.ts';

/**
 * The entity types of a subgraph's SDL that the gateway may ask for by reference (`@key(fields:
 * "id")`, not `resolvable: false`), each with its key field sets.
 */
export function entityKeys(typeDefs: DocumentNode): Map<string, string[][]> {
  const keys = new Map<string, string[][]>();
  for (const definition of typeDefs.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    for (const directive of definition.directives ?? []) {
      if (directive.name.value !== 'key') continue;
      const fields = directive.arguments?.find((a) => a.name.value === 'fields')?.value;
      const resolvable = directive.arguments?.find((a) => a.name.value === 'resolvable')?.value;
      if (fields?.kind !== Kind.STRING || (resolvable?.kind === Kind.BOOLEAN && !resolvable.value)) continue;
      const sets = keys.get(definition.name.value) ?? [];
      sets.push(fields.value.split(/\s+/).filter(Boolean));
      keys.set(definition.name.value, sets);
    }
  }
  return keys;
}

/** Why a representation is not a reference to one of `keys`' entities, or null when it is one. */
function problemOf(representation: unknown, keys: Map<string, string[][]>): string | null {
  if (representation === null || typeof representation !== 'object' || Array.isArray(representation)) return 'is not an object';
  const { __typename, ...fields } = representation as Record<string, unknown>;
  const sets = typeof __typename === 'string' ? keys.get(__typename) : undefined;
  if (!sets) return 'names no entity type of this service';
  // Every key of ours is a field set of ids, which the gateway sends as strings.
  if (!sets.some((set) => set.every((field) => typeof fields[field] === 'string'))) return `lacks its key (${sets.map((s) => s.join(' ')).join(' or ')})`;
  return null;
}

/**
 * Refuses an `_entities` call whose representations are not references to this subgraph's entities
 * (no key, a key that is not a string, a type it does not resolve), as BAD_USER_INPUT before any
 * resolver runs. The gateway never sends such a call; this keeps a subgraph from answering one with
 * a database or DataLoader error (an INTERNAL_SERVER_ERROR) all the same.
 */
export function representationsPlugin<TContext extends BaseContext>(keys: Map<string, string[][]>): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request }) {
          const entities = operation?.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD && s.name.value === '_entities') ?? [];
          for (const field of entities) {
            const argument = field.arguments?.find((a) => a.name.value === 'representations');
            if (!argument) continue;
            const value = argument.value.kind === Kind.VARIABLE ? request.variables?.[argument.value.name.value] : valueFromASTUntyped(argument.value, request.variables);
            // Not a list: variable coercion refuses it, with the usual BAD_USER_INPUT.
            if (!Array.isArray(value)) continue;
            value.forEach((representation, i) => {
              const problem = problemOf(representation, keys);
              if (problem) throw appError('BAD_USER_INPUT', `Representation ${i} ${problem}.`, { field: `representations.${i}`, http: { status: 400 } });
            });
          }
        },
      };
    },
  };
}
