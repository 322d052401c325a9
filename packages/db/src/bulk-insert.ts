import type postgres from 'postgres';

/**
 * Rows into `table`, 5,000 per statement, typed by the table itself (`json_populate_recordset` of
 * its row type; the columns not named keep their defaults): for bulk seeding (bench/seed.ts through
 * each service's seed module), where an INSERT per row would take minutes. Not COPY: postgres.js's
 * COPY stream never reports a row the server rejects, it hangs. `columns` name the table's columns
 * in the order of each row's values. The rows go as one JSON text, so this works on any postgres.js
 * client, whatever types it was set up with. Returns the rows written.
 */
export async function insertMany(sql: postgres.Sql, table: string, columns: readonly string[], rows: Iterable<readonly unknown[]>, perStatement = 5000): Promise<number> {
  const list = columns.join(', ');
  let count = 0;
  let batch: Record<string, unknown>[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await sql.unsafe(`insert into ${table} (${list}) select ${list} from json_populate_recordset(null::${table}, $1::text::json)`, [JSON.stringify(batch)]);
    count += batch.length;
    batch = [];
  };
  for (const row of rows) {
    batch.push(Object.fromEntries(columns.map((c, i) => [c, row[i] ?? null])));
    if (batch.length >= perStatement) await flush();
  }
  await flush();
  return count;
}
