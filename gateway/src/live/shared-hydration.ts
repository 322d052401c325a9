import {
  Kind,
  parse,
  print,
  visit,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { EVENT_ID_VARIABLE } from './hydration.ts';

/**
 * Fields whose value depends on who asks, by the contract's naming (`viewerHasLiked`,
 * `viewerIsFollowing`, `followsViewer`): without a viewer they answer a default, not an error, so
 * an anonymous execution cannot tell them apart. Every other field either answers the same for
 * everyone who may see its object, or needs a viewer and fails without one (the contract:
 * UNAUTHENTICATED), which the shared execution notices (see EventHydrator).
 */
export const isViewerField = (name: string): boolean => /^viewer[A-Z]|[a-z]Viewer$/.test(name);

/**
 * One hydration query split for sharing: `shared` without the viewer's fields (run once per event,
 * anonymously), `viewer` with only them and the fields that lead to them (run per viewer, then
 * merged in); the full query for events only one socket gets, and as the fallback.
 */
export interface HydrationPlan {
  query: string;
  /** Null when the split cannot be checked valid: then every viewer runs the full query. */
  shared: string | null;
  /** Null when the selection has no viewer field: everyone gets the shared result as it is. */
  viewer: string | null;
  /** The full query's root selection, fragments inlined: the order the merged answer follows. */
  selection: SelectionSetNode;
}

/** The operation's selections with every fragment spread replaced by an inline fragment on its type. */
function inlineFragments(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>): SelectionSetNode {
  return {
    ...set,
    selections: set.selections.map((selection): SelectionNode => {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value)!;
        return { kind: Kind.INLINE_FRAGMENT, typeCondition: fragment.typeCondition, directives: selection.directives, selectionSet: inlineFragments(fragment.selectionSet, fragments) };
      }
      return selection.selectionSet ? { ...selection, selectionSet: inlineFragments(selection.selectionSet, fragments) } : selection;
    }),
  };
}

const TYPENAME: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };

/** The selection without viewer fields; an object left with nothing selects __typename (dropped again by the merge). */
function withoutViewerFields(set: SelectionSetNode): SelectionSetNode {
  const selections: SelectionNode[] = [];
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD && isViewerField(selection.name.value)) continue;
    // (Spreads are inlined by now.)
    if (selection.kind === Kind.FRAGMENT_SPREAD || !selection.selectionSet) selections.push(selection);
    else selections.push({ ...selection, selectionSet: withoutViewerFields(selection.selectionSet) } as SelectionNode);
  }
  return { ...set, selections: selections.length > 0 ? selections : [TYPENAME] };
}

/** Only the viewer fields and the fields and fragments that lead to them; null when there are none. */
function onlyViewerFields(set: SelectionSetNode): SelectionSetNode | null {
  const selections: SelectionNode[] = [];
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD && isViewerField(selection.name.value)) selections.push(selection);
    else if (selection.kind !== Kind.FRAGMENT_SPREAD && selection.selectionSet) {
      const inner = onlyViewerFields(selection.selectionSet);
      if (inner) selections.push({ ...selection, selectionSet: inner } as SelectionNode);
    }
  }
  return selections.length > 0 ? { ...set, selections } : null;
}

/** The operation with this selection, declaring only the variables it still uses (NoUnusedVariables). */
function operationWith(operation: OperationDefinitionNode, selectionSet: SelectionSetNode): string {
  const used = new Set<string>();
  visit(selectionSet, { Variable: (v) => void used.add(v.name.value) });
  const variableDefinitions = (operation.variableDefinitions ?? []).filter((d) => used.has(d.variable.name.value) || d.variable.name.value === EVENT_ID_VARIABLE);
  return print({ kind: Kind.DOCUMENT, definitions: [{ ...operation, variableDefinitions, selectionSet }] });
}

/**
 * Splits a hydration query (hydrationQuery's output: one operation and the fragments it reaches).
 * Its parts must pass `valid` (the schema and the gateway's rules), or the plan shares nothing.
 */
export function hydrationPlan(query: string, valid: (query: string) => boolean): HydrationPlan {
  const document: DocumentNode = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  const selection = inlineFragments(operation.selectionSet, fragments);
  const viewerSelection = onlyViewerFields(selection);
  const shared = operationWith(operation, withoutViewerFields(selection));
  const viewer = viewerSelection ? operationWith(operation, viewerSelection) : null;
  if (!valid(shared) || (viewer !== null && !valid(viewer))) return { query, shared: null, viewer: null, selection };
  return { query, shared, viewer, selection };
}

/**
 * hydrationPlan once per distinct hydration query (clients send the same few), so a thousand
 * sockets with one subscription hold one plan, not a thousand copies of its text.
 */
export function hydrationPlanner(valid: (query: string) => boolean, maxCached = 1000) {
  const plans = new Map<string, HydrationPlan>();
  return (query: string): HydrationPlan => {
    let plan = plans.get(query);
    if (!plan) {
      plan = hydrationPlan(query, valid);
      if (plans.size >= maxCached) plans.clear();
      plans.set(query, plan);
    }
    return plan;
  };
}

export class ShapeMismatch extends Error {}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Each response key of these selection sets, in order, with the sub-selections it has (CollectFields, type conditions aside). */
function responseKeys(sets: readonly SelectionSetNode[], into = new Map<string, SelectionSetNode[]>()): Map<string, SelectionSetNode[]> {
  for (const set of sets) {
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) responseKeys([selection.selectionSet], into);
      else if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const subs = into.get(key) ?? [];
        if (selection.selectionSet) subs.push(selection.selectionSet);
        into.set(key, subs);
      }
    }
  }
  return into;
}

/**
 * The shared answer with one viewer's answer merged in, keys in the order of the client's
 * selection (so the message reads as the full query's would). The two must have one shape: an
 * object one of them sees and the other does not, or lists of different lengths, throw
 * ShapeMismatch (the caller then runs the viewer's full query).
 */
export function merge(sets: readonly SelectionSetNode[], shared: Json | undefined, viewer: Json | undefined): Json {
  if (viewer === undefined) return shared ?? null;
  if (shared === undefined) return viewer;
  if (shared === null || viewer === null) {
    if (shared !== viewer) throw new ShapeMismatch();
    return null;
  }
  if (Array.isArray(shared) || Array.isArray(viewer)) {
    if (!Array.isArray(shared) || !Array.isArray(viewer) || shared.length !== viewer.length) throw new ShapeMismatch();
    return shared.map((item, i) => merge(sets, item, viewer[i]));
  }
  if (typeof shared !== 'object' || typeof viewer !== 'object') return shared;
  const out: Record<string, Json> = {};
  for (const [key, subs] of responseKeys(sets)) {
    if (key in shared || key in viewer) out[key] = merge(subs, shared[key], viewer[key]);
  }
  return out;
}

/** Counts of executions, for tests and benchmarks: how many per event is the point of this module. */
export interface HydrationCounts {
  /** Anonymous executions of a shared query, one per event and distinct (query, variables). */
  shared: number;
  /** Executions of the viewer fields alone, one per viewer. */
  viewerParts: number;
  /** Full executions for one viewer (an event only one socket gets, or a fallback). */
  full: number;
}

type Execute = (query: string, variables: Record<string, unknown>, viewerId: string | null) => Promise<ExecutionResult>;

interface Waiter {
  viewerId: string;
  resolve(result: ExecutionResult): void;
  reject(err: unknown): void;
}

interface Group {
  plan: HydrationPlan;
  variables: Record<string, unknown>;
  waiters: Waiter[];
  /** Set once the group has started: deliveries of the same event that come while it runs join it. */
  shared: Promise<ExecutionResult | null> | null;
}

/** A stable text of variables: the same values in any key order group together. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/**
 * Hydrates live events, sharing what does not depend on the viewer. The deliveries of one event
 * for one (query, variables) that arrive together (one Redis read: a fan-out publishes on every
 * follower's channel at once, a celebrity's post reaches all its listeners at once) form a group:
 * alone, it runs the full query as the viewer; together, the query without viewer fields runs once,
 * anonymously, and only the viewer fields run per viewer, merged in.
 *
 * Anonymous is the safe side: what it sees, every viewer may see. The shared answer is used only if
 * it is complete (the event's object is there, no errors: a field that needs a viewer fails without
 * one); otherwise each viewer runs the full query as before. A viewer's own part that does not fit
 * the shared shape (the viewer cannot see an object the shared answer has) also falls back to the
 * viewer's full query, so nobody ever gets more than their own query would give them.
 */
export class EventHydrator {
  readonly counts: HydrationCounts = { shared: 0, viewerParts: 0, full: 0 };
  private readonly groups = new Map<string, Group>();

  constructor(private readonly execute: Execute) {}

  hydrate(plan: HydrationPlan, eventId: string, variables: Record<string, unknown>, viewerId: string): Promise<ExecutionResult> {
    const key = `${eventId}\n${plan.query}\n${stableJson(variables)}`;
    return new Promise<ExecutionResult>((resolve, reject) => {
      const waiter: Waiter = { viewerId, resolve, reject };
      const group = this.groups.get(key);
      if (group?.shared) return this.deliver(group, group.shared, waiter, eventId);
      if (group) return void group.waiters.push(waiter);
      const fresh: Group = { plan, variables, waiters: [waiter], shared: null };
      this.groups.set(key, fresh);
      // After this I/O callback's other messages: they are the same Redis read's.
      setImmediate(() => this.start(key, fresh, eventId));
    });
  }

  private full(plan: HydrationPlan, variables: Record<string, unknown>, eventId: string, viewerId: string) {
    this.counts.full++;
    return this.execute(plan.query, { ...variables, [EVENT_ID_VARIABLE]: eventId }, viewerId);
  }

  private start(key: string, group: Group, eventId: string) {
    const { plan, variables, waiters } = group;
    if (waiters.length === 1 || plan.shared === null) {
      this.groups.delete(key);
      for (const waiter of waiters) this.full(plan, variables, eventId, waiter.viewerId).then(waiter.resolve, waiter.reject);
      return;
    }
    this.counts.shared++;
    const shared = this.execute(plan.shared, { ...variables, [EVENT_ID_VARIABLE]: eventId }, null).then(
      (result) => {
        const data = result.data as Record<string, unknown> | null | undefined;
        return data && !result.errors?.length && Object.values(data).every((v) => v !== null) ? result : null;
      },
      () => null,
    );
    group.shared = shared;
    void shared.finally(() => {
      if (this.groups.get(key) === group) this.groups.delete(key);
    });
    for (const waiter of waiters.splice(0)) this.deliver(group, shared, waiter, eventId);
  }

  private deliver(group: Group, sharedResult: Promise<ExecutionResult | null>, waiter: Waiter, eventId: string) {
    const { plan, variables } = group;
    const run = async (): Promise<ExecutionResult> => {
      const shared = await sharedResult;
      if (!shared) return this.full(plan, variables, eventId, waiter.viewerId);
      if (!plan.viewer) return shared;
      this.counts.viewerParts++;
      const own = await this.execute(plan.viewer, { ...variables, [EVENT_ID_VARIABLE]: eventId }, waiter.viewerId);
      if (own.errors?.length || !own.data) return this.full(plan, variables, eventId, waiter.viewerId);
      try {
        return { data: merge([plan.selection], shared.data as Json, own.data as Json) as Record<string, unknown> };
      } catch (err) {
        if (err instanceof ShapeMismatch) return this.full(plan, variables, eventId, waiter.viewerId);
        throw err;
      }
    };
    run().then(waiter.resolve, waiter.reject);
  }
}
