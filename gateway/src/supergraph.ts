import { Kind, parse, type ConstArgumentNode, type ConstDirectiveNode } from 'graphql';

/** The subgraphs of a supergraph, with the URLs it was composed with: join__Graph's values. */
export function supergraphSubgraphs(supergraphSdl: string): { name: string; url: string }[] {
  const found: { name: string; url: string }[] = [];
  for (const definition of parse(supergraphSdl).definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== 'join__Graph') continue;
    for (const value of definition.values ?? []) {
      const join = value.directives?.find((d) => d.name.value === 'join__graph');
      const name = join && stringArgument(join, 'name');
      if (name) found.push({ name, url: (join && stringArgument(join, 'url')) ?? '' });
    }
  }
  return found;
}

const stringArgument = (directive: ConstDirectiveNode, name: string) => {
  const arg = directive.arguments?.find((a: ConstArgumentNode) => a.name.value === name);
  return arg?.value.kind === Kind.STRING || arg?.value.kind === Kind.ENUM ? arg.value.value : undefined;
};

/**
 * Which subgraph owns each Subscription field, read from the supergraph's join directives: the
 * gateway asks that subgraph (its live-channels endpoint) what a subscription listens on. Nothing
 * here names a field: a subgraph that adds a Subscription field and serves the endpoint is served.
 */
export function subscriptionOwners(supergraphSdl: string): Map<string, string> {
  const document = parse(supergraphSdl);
  // join__Graph's values name the subgraphs: NAME @join__graph(name: "name", url: ...).
  const graphNames = new Map<string, string>();
  const owners = new Map<string, string>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== 'join__Graph') continue;
    for (const value of definition.values ?? []) {
      const join = value.directives?.find((d) => d.name.value === 'join__graph');
      const name = join && stringArgument(join, 'name');
      if (name) graphNames.set(value.name.value, name);
    }
  }
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION || definition.name.value !== 'Subscription') continue;
    const typeGraphs = (definition.directives ?? []).filter((d) => d.name.value === 'join__type').map((d) => stringArgument(d, 'graph'));
    for (const field of definition.fields ?? []) {
      const fieldGraph = field.directives?.find((d) => d.name.value === 'join__field');
      const graph = (fieldGraph && stringArgument(fieldGraph, 'graph')) ?? (typeGraphs.length === 1 ? typeGraphs[0] : undefined);
      const owner = graph ? graphNames.get(graph) : undefined;
      if (owner) owners.set(field.name.value, owner);
    }
  }
  return owners;
}
