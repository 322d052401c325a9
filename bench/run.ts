/**
 * `npm run bench`: every workload script, each its own child process, one after another, with a
 * progress line per script (which, elapsed, overall ETA from the budgets below); then the table in
 * README.md is regenerated from every `results/*.json`'s `figures`.
 *   npm run bench                     (all of SCRIPTS)
 *   npm run bench -- feed gateways    (a subset, by name)
 *   npm run bench -- --table          (only regenerate the table from the results there are)
 * Each script still runs alone: `npx tsx bench/<name>.ts`.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { progress, round, type BenchFigure } from './lib.ts';

interface Script {
  name: string;
  /** What the whole run budgets for it on the 2-core machine, in seconds (for the ETA). */
  budgetSeconds: number;
  /** The knobs that shrink it to its budget; a value already in the environment wins. */
  env?: Record<string, string>;
}

/**
 * The whole run, in order: under 15 minutes on the 2-core machine when it is quiet (the budgets;
 * 16.5 minutes without notifications and live at a load average of ~15, the seed cold).
 */
export const SCRIPTS: Script[] = [
  // The seeded data: ~3 minutes cold (the first run, or after a migration), ~20 s from its cache.
  { name: 'seed', budgetSeconds: 60 },
  // Fan-out 1k/10k/100k (3 runs each), inserts/s against redis-benchmark, feed through the gateway vs direct.
  { name: 'feed', budgetSeconds: 240, env: { FEED_BENCH_RUNS: '3', FEED_BENCH_LOAD_MS: '4000' } },
  // Our gateway, Hive Gateway, Hive Gateway + the Rust planner; and the profile page.
  { name: 'gateways', budgetSeconds: 200, env: { GATEWAYS_BENCH_ROUNDS: '3', GATEWAYS_BENCH_LOAD_MS: '3000' } },
  { name: 'notifications', budgetSeconds: 90 },
  { name: 'live', budgetSeconds: 90 },
  { name: 'subscriptions', budgetSeconds: 60 },
  { name: 'followers', budgetSeconds: 40 },
  { name: 'media', budgetSeconds: 40 },
  { name: 'login-timing', budgetSeconds: 10 },
  { name: 'web', budgetSeconds: 60, env: { WEB_BENCH_RUNS: '3' } },
];

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const README = new URL('./README.md', import.meta.url);
const START = '<!-- bench-table:start -->';
const END = '<!-- bench-table:end -->';

const clock = (seconds: number) => `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;

interface ResultsFile {
  name: string;
  date?: string;
  revision?: string;
  loadAverage?: number[] | { before: number[] };
  figures?: BenchFigure[];
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

const RESULTS = new URL('./results/', import.meta.url);

/** The README table: one row per figure of every results file in `resultsDir` that has figures, in SCRIPTS' order. */
export function renderTable(resultsDir: URL = RESULTS): { table: string; without: string[] } {
  const rows: string[] = ['| workload | metric | value | target | met | taken at |', '|---|---|---|---|---|---|'];
  const without: string[] = [];
  const order = new Map(SCRIPTS.map((s, i) => [s.name, i]));
  const files = readdirSync(resultsDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ file: f, record: JSON.parse(readFileSync(new URL(f, resultsDir), 'utf8')) as ResultsFile }))
    .sort((a, b) => (order.get(a.file.replace(/\.json$/, '')) ?? 99) - (order.get(b.file.replace(/\.json$/, '')) ?? 99));
  for (const { file, record } of files) {
    if (!Array.isArray(record.figures)) {
      without.push(file);
      continue;
    }
    const load = Array.isArray(record.loadAverage) ? record.loadAverage[0] : record.loadAverage?.before?.[0];
    const taken = `${record.revision ?? '?'}, ${record.date?.slice(0, 16).replace('T', ' ') ?? '?'}, load ${load ?? '?'}`;
    for (const f of record.figures) {
      const value = Number.isInteger(f.value) ? f.value.toLocaleString('en-US') : String(round(f.value));
      const met = f.met === undefined ? '' : f.met ? 'yes' : '**no**';
      rows.push(`| ${cell(f.workload)} | ${cell(f.metric)} | ${value} ${cell(f.unit)} | ${cell(f.target ?? '')} | ${met} | ${cell(taken)} |`);
    }
  }
  return { table: rows.join('\n'), without };
}

/** `readme` with what is between the markers replaced by the table of `resultsDir`. */
export function withTable(readme: string, resultsDir: URL = RESULTS): string {
  const [from, to] = [readme.indexOf(START), readme.indexOf(END)];
  if (from < 0 || to < from) throw new Error(`bench/README.md has no ${START} … ${END} markers`);
  const { table, without } = renderTable(resultsDir);
  const note = without.length ? `\n\nNo figures yet (written before \`writeResults\`; rerun them): ${without.map((f) => `\`results/${f}\``).join(', ')}.` : '';
  return `${readme.slice(0, from + START.length)}\n${table}${note}\n${readme.slice(to)}`;
}

function regenerateReadmeTable(): void {
  writeFileSync(README, withTable(readFileSync(README, 'utf8')));
}

function runScript(script: Script): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `${BENCH}${script.name}.ts`], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...script.env, ...process.env },
    });
    // Ctrl-C reaches the child too (same process group): it cleans up, then this one reports.
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args.includes('--table')) {
    regenerateReadmeTable();
    progress('bench/README.md: table regenerated');
    process.exit(0);
  }
  const unknown = args.filter((a) => !SCRIPTS.some((s) => s.name === a));
  if (unknown.length) {
    progress(`unknown bench script(s): ${unknown.join(', ')}; the scripts are: ${SCRIPTS.map((s) => s.name).join(', ')}`);
    process.exit(2);
  }
  const chosen = args.length ? SCRIPTS.filter((s) => args.includes(s.name)) : SCRIPTS;
  const missing = chosen.filter((s) => !existsSync(`${BENCH}${s.name}.ts`));
  if (missing.length) {
    progress(`bench: listed but missing: ${missing.map((s) => `bench/${s.name}.ts`).join(', ')}. Nothing was run.`);
    process.exit(2);
  }
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const outcome: { name: string; seconds: number; code: number }[] = [];
  for (const [i, script] of chosen.entries()) {
    const remaining = chosen.slice(i).reduce((n, s) => n + s.budgetSeconds, 0);
    progress(`\n=== bench [${i + 1}/${chosen.length}] ${script.name} (elapsed ${clock(elapsed())}, ETA ${clock(remaining)} more, load ${loadavg()[0]!.toFixed(1)}) ===`);
    const t = performance.now();
    const code = await runScript(script);
    const seconds = (performance.now() - t) / 1000;
    outcome.push({ name: script.name, seconds, code });
    progress(`=== ${script.name}: ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${clock(seconds)} (budget ${clock(script.budgetSeconds)}) ===`);
  }
  regenerateReadmeTable();
  progress(`\nbench: ${outcome.map((o) => `${o.name} ${clock(o.seconds)}${o.code ? ' FAILED' : ''}`).join(', ')}`);
  progress(`bench: total ${clock(elapsed())}; bench/README.md's table regenerated from bench/results/`);
  process.exit(outcome.some((o) => o.code !== 0) ? 1 : 0);
}
