import postgres from 'postgres';
import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';

export type Sql = postgres.Sql;

export interface DatabaseOptions {
  /** Pool size. Postgres connections are expensive; a subgraph process rarely needs more than 10. */
  max?: number;
  /** Called for every statement sent: tests use it to count queries per request. */
  onQuery?: (query: string) => void;
}

export interface Database<TSchema extends Record<string, unknown>> {
  sql: Sql;
  db: PostgresJsDatabase<TSchema>;
  close: () => Promise<void>;
}

export function createDatabase<TSchema extends Record<string, unknown>>(
  url: string,
  schema: TSchema,
  options: DatabaseOptions = {},
): Database<TSchema> {
  const sql = postgres(url, {
    max: options.max ?? 10,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    ...(options.onQuery ? { debug: (_connection: number, query: string) => options.onQuery?.(query) } : {}),
  });
  const db = drizzle(sql, { schema });
  return { sql, db, close: () => sql.end({ timeout: 5 }) };
}

/**
 * Applies the committed drizzle-kit migrations in `migrationsFolder`, over one connection so that
 * the migrator's advisory lock and its transaction see the same session.
 */
export async function runMigrations(url: string, migrationsFolder: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await migrate(drizzle(sql), { migrationsFolder });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** True when `e` is a Postgres unique violation (optionally on the named constraint). */
export function isUniqueViolation(e: unknown, constraint?: string): boolean {
  const error = findPostgresError(e);
  return error?.code === '23505' && (constraint === undefined || error.constraint_name === constraint);
}

function findPostgresError(e: unknown): postgres.PostgresError | undefined {
  // drizzle wraps driver errors in a DrizzleQueryError whose `cause` is the driver's error.
  for (let current = e, depth = 0; current && depth < 4; depth++) {
    if (current instanceof postgres.PostgresError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Escapes LIKE wildcards so user text matches literally. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
export * from './ids.ts';
export * from './errors.ts';
export { insertMany } from './bulk-insert.ts';

/** A service's database as its code knows it: its drizzle schema and its committed migrations. */
export interface ServiceDatabase<TSchema extends Record<string, unknown>> {
  migrationsFolder: string;
  connect(url: string, options?: DatabaseOptions): Database<TSchema>;
  /** The separate migration step (npm start, the migrate job and each test file run it). */
  migrate(url: string): Promise<void>;
}

export function serviceDatabase<TSchema extends Record<string, unknown>>(schema: TSchema, migrationsFolder: string): ServiceDatabase<TSchema> {
  return {
    migrationsFolder,
    connect: (url, options) => createDatabase(url, schema, options),
    migrate: (url) => runMigrations(url, migrationsFolder),
  };
}

/**
 * The keyset condition of a page: rows strictly past a (time, id) position, in the list's order
 * (`older` for newest-first lists, `newer` for oldest-first). The position comes from a checked
 * cursor (service's `timeIdCursor`), so its time is a valid timestamp.
 */
export function pastPosition(time: SQLWrapper, id: SQLWrapper, position: readonly [ms: number, id: string], direction: 'older' | 'newer'): SQL {
  const at = sql`${new Date(position[0]).toISOString()}::timestamptz`;
  return direction === 'older' ? sql`(${time}, ${id}) < (${at}, ${position[1]}::uuid)` : sql`(${time}, ${id}) > (${at}, ${position[1]}::uuid)`;
}
