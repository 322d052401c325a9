import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  parse,
  print,
  specifiedRules,
  validate,
  visit,
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ParseOptions,
  type ValidationRule,
} from 'graphql';

/** The variable that carries an event's id into its hydration query; clients may not use it. */
export const EVENT_ID_VARIABLE = '__eventId';

/**
 * Turns `subscription { alias: someField { ...selection } }` into the query that resolves one
 * event for it: `query($__eventId: ID!, ...its variables) { alias: <hydrateWith>(id: $__eventId) { ...selection } }`,
 * with the fragments the field reaches, so the client gets exactly its selection, from every
 * subgraph. `hydrateWith` is the owner's answer (the live-channels endpoint), not the gateway's.
 */
export function hydrationQuery(document: DocumentNode, operation: OperationDefinitionNode, field: FieldNode, hydrateWith: string): string {
  const query: OperationDefinitionNode = {
    ...operation,
    operation: OperationTypeNode.QUERY,
    name: { kind: Kind.NAME, value: 'SubscriptionEvent' },
    variableDefinitions: [
      {
        kind: Kind.VARIABLE_DEFINITION,
        variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: EVENT_ID_VARIABLE } },
        type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } } },
      },
      ...(operation.variableDefinitions ?? []),
    ],
    selectionSet: {
      kind: Kind.SELECTION_SET,
      selections: [
        {
          ...field,
          alias: { kind: Kind.NAME, value: field.alias?.value ?? field.name.value },
          name: { kind: Kind.NAME, value: hydrateWith },
          arguments: [
            {
              kind: Kind.ARGUMENT,
              name: { kind: Kind.NAME, value: 'id' },
              value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: EVENT_ID_VARIABLE } },
            },
          ],
        },
      ],
    },
  };
  // Only the fragments the field reaches: others (used by another operation of the document)
  // would fail NoUnusedFragments on every event.
  const byName = new Map(document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  const reached = new Set<string>();
  visit(field, {
    FragmentSpread(spread) {
      const pending = [spread.name.value];
      while (pending.length > 0) {
        const name = pending.pop()!;
        const fragment = byName.get(name);
        if (reached.has(name) || !fragment) continue;
        reached.add(name);
        visit(fragment, { FragmentSpread: (inner) => void pending.push(inner.name.value) });
      }
    },
  });
  return print({ kind: Kind.DOCUMENT, definitions: [query, ...[...reached].map((name) => byName.get(name)!)] });
}

/** graphql-js's validation errors with the code Apollo gives them over HTTP, so both transports say the same. */
export const validationFailed = (errors: readonly GraphQLError[]): GraphQLError[] =>
  errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { ...e.extensions, code: 'GRAPHQL_VALIDATION_FAILED' } }));

/**
 * Checks hydration queries against the schema, once per distinct query (clients send the same
 * few): a query that would fail is refused when the client subscribes, not on every event.
 */
export function hydrationValidator(validationRules: readonly ValidationRule[], parseOptions: ParseOptions = {}, maxCached = 1000) {
  const checked = new Map<string, readonly GraphQLError[]>();
  return (schema: GraphQLSchema, query: string): readonly GraphQLError[] => {
    let errors = checked.get(query);
    if (!errors) {
      // Parsed as each event's run will parse it (the token limit): the rewrite adds a few tokens,
      // so a subscription just under the limit is refused now rather than failing on every event.
      try {
        errors = validationFailed(validate(schema, parse(query, parseOptions), [...specifiedRules, ...validationRules]));
      } catch (e) {
        errors = [new GraphQLError(e instanceof GraphQLError ? e.message : 'The subscription does not parse.', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
      }
      if (checked.size >= maxCached) checked.clear();
      checked.set(query, errors);
    }
    return errors;
  };
}

/** A subscription document as the gateway checked it: parsed once, validated against one schema. */
export type CheckedDocument = { document: DocumentNode; errors: readonly GraphQLError[] } | { document: null; errors: readonly GraphQLError[] };

/**
 * Parses and validates subscription documents once per distinct text and schema (clients send the
 * same few): a thousand sockets with one subscription share one AST, where each held its own, and
 * skip a validation each. Bounded: past `maxCached` texts it starts again.
 */
export function subscriptionDocuments(validationRules: readonly ValidationRule[], parseOptions: ParseOptions = {}, maxCached = 1000) {
  const checked = new Map<string, { schema: GraphQLSchema; result: CheckedDocument }>();
  return (schema: GraphQLSchema, query: string): CheckedDocument => {
    const hit = checked.get(query);
    if (hit?.schema === schema) return hit.result;
    let result: CheckedDocument;
    try {
      const document = parse(query, parseOptions);
      // The same limits as HTTP operations (depth, cost, aliases, tokens), then the spec's rules.
      result = { document, errors: validationFailed(validate(schema, document, [...specifiedRules, ...validationRules])) };
    } catch (e) {
      result = { document: null, errors: [new GraphQLError(e instanceof GraphQLError ? e.message : 'The operation does not parse.', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })] };
    }
    if (checked.size >= maxCached) checked.clear();
    checked.set(query, { schema, result });
    return result;
  };
}
