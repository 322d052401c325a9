import fc from 'fast-check';
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';

/**
 * Operations built from the schema by choices fast-check makes (so that it can shrink a failing one
 * to a small one): real fields, arguments and selections, with argument values from hostile pools,
 * sometimes as literals, sometimes as variables, sometimes of the wrong type.
 */
export interface Pools {
  strings: string[];
  ids: string[];
  ints: unknown[];
  cursors: string[];
  json: unknown[];
}

export interface BuiltOperation {
  query: string;
  variables: Record<string, unknown>;
}

/** Reads choices off a tape of numbers, round and round. */
class Tape {
  private at = 0;
  constructor(private readonly numbers: number[]) {}
  next(n: number): number {
    if (n <= 1) return 0;
    const value = this.numbers[this.at++ % this.numbers.length] ?? 0;
    return value % n;
  }
  chance(percent: number): boolean {
    return this.next(100) < percent;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.next(items.length)]!;
  }
}

/** A GraphQL literal for a JSON-ish value (objects as input objects, strings JSON-escaped, which GraphQL reads alike). */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '0';
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value).filter(([k]) => /^[_A-Za-z][_0-9A-Za-z]*$/.test(k));
    return `{ ${entries.map(([k, v]) => `${k}: ${literal(v)}`).join(', ')} }`;
  }
  return '0';
}

const printType = (type: GraphQLInputType): string => type.toString();

class Builder {
  private readonly variableDefinitions: string[] = [];
  private readonly variables: Record<string, unknown> = {};

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly tape: Tape,
    private readonly pools: Pools,
  ) {}

  /** A value for an input type: mostly of that type, sometimes not (coercion must refuse it cleanly). */
  private value(type: GraphQLInputType, name: string, depth = 0): unknown {
    const { tape, pools } = this;
    if (tape.chance(6)) return tape.pick(pools.json);
    if (!isNonNullType(type) && tape.chance(10)) return null;
    const inner = getNullableType(type) as GraphQLInputType;
    if (isListType(inner)) {
      const length = tape.next(depth > 2 ? 2 : 5);
      return Array.from({ length }, () => this.value(inner.ofType as GraphQLInputType, name, depth + 1));
    }
    if (isInputObjectType(inner)) {
      const object: Record<string, unknown> = {};
      for (const field of Object.values(inner.getFields())) {
        if (isNonNullType(field.type) || tape.chance(50)) object[field.name] = this.value(field.type, field.name, depth + 1);
      }
      if (tape.chance(5)) object[tape.pick(['extra', 'id', '__proto__', 'constructor'])] = tape.pick(pools.strings);
      return object;
    }
    if (isEnumType(inner)) return tape.chance(90) ? tape.pick(inner.getValues()).value : tape.pick(pools.strings);
    if (isScalarType(inner)) {
      if (inner.name === 'Int') return tape.pick(pools.ints);
      if (inner.name === 'Boolean') return tape.chance(50);
      if (inner.name === 'ID' || name.toLowerCase().endsWith('id') || name.toLowerCase().endsWith('ids')) return tape.pick(pools.ids);
      if (name === 'after') return tape.pick(pools.cursors);
      return tape.pick(pools.strings);
    }
    return null;
  }

  private argument(arg: GraphQLArgument): string {
    const value = this.value(arg.type, arg.name);
    if (this.tape.chance(35)) {
      const variable = `v${this.variableDefinitions.length}`;
      // Sometimes declared as another type than the argument's: validation's to refuse.
      const declared = this.tape.chance(8) ? this.tape.pick(['String', 'Int!', '[ID]', 'Boolean', 'DateTime']) : printType(arg.type);
      this.variableDefinitions.push(`$${variable}: ${declared}`);
      if (!this.tape.chance(5)) this.variables[variable] = value;
      return `${arg.name}: $${variable}`;
    }
    return `${arg.name}: ${literal(value)}`;
  }

  private field(field: GraphQLField<unknown, unknown>, depth: number): string {
    const args = field.args.filter((a) => isNonNullType(a.type) || this.tape.chance(50)).map((a) => this.argument(a));
    const alias = this.tape.chance(10) ? `a${this.tape.next(50)}: ` : '';
    const head = `${alias}${field.name}${args.length ? `(${args.join(', ')})` : ''}`;
    const named = getNamedType(field.type);
    if (isLeafType(named)) return head;
    if (!isObjectType(named) || depth > 4) return `${head} { __typename }`;
    return `${head} ${this.selection(named, depth + 1)}`;
  }

  selection(type: GraphQLObjectType, depth: number): string {
    const fields = Object.values(type.getFields());
    const count = 1 + this.tape.next(depth > 2 ? 2 : 4);
    const chosen = Array.from({ length: count }, () => this.tape.pick(fields));
    const parts = [...new Set(chosen)].map((f) => this.field(f, depth));
    if (this.tape.chance(5)) parts.push('__typename');
    return `{ ${parts.join(' ')} }`;
  }

  operation(): BuiltOperation {
    const root = this.tape.chance(60) ? this.schema.getQueryType()! : (this.schema.getMutationType() ?? this.schema.getQueryType()!);
    const body = this.selection(root, 1);
    const kind = root === this.schema.getQueryType() ? 'query' : 'mutation';
    const name = this.tape.chance(30) ? ' Fuzz' : '';
    const definitions = this.variableDefinitions.length ? `(${this.variableDefinitions.join(', ')})` : '';
    return { query: `${kind}${name}${definitions} ${body}`, variables: this.variables };
  }
}

/** Operations of `schema` with hostile values from `pools`. */
export function operationArbitrary(schema: GraphQLSchema, pools: Pools): fc.Arbitrary<BuiltOperation> {
  return fc.array(fc.nat({ max: 1_000_000 }), { minLength: 16, maxLength: 96 }).map((numbers) => new Builder(schema, new Tape(numbers), pools).operation());
}

/** A document text broken in one of the ways text breaks: cut short, a character in, out or doubled, braces unbalanced. */
export function corrupted(text: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(text, fc.nat(), fc.constantFrom('cut', 'insert', 'delete', 'double', 'brace', 'quote', 'nul'), fc.string({ minLength: 1, maxLength: 3 })).map(([source, at, how, extra]) => {
    const i = source.length ? at % source.length : 0;
    switch (how) {
      case 'cut':
        return source.slice(0, i);
      case 'insert':
        return source.slice(0, i) + extra + source.slice(i);
      case 'delete':
        return source.slice(0, i) + source.slice(i + 1);
      case 'double':
        return source.slice(0, i) + source.slice(i, i + 5).repeat(2) + source.slice(i + 5);
      case 'brace':
        return `${source}${'}'.repeat(1 + (at % 3))}`;
      case 'quote':
        return source.slice(0, i) + '"' + source.slice(i);
      default:
        return source.slice(0, i) + '\u0000' + source.slice(i);
    }
  });
}
