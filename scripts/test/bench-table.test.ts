import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { withTable } from '../../bench/run.ts';

describe("bench/README.md's table, regenerated from bench/results/*.json", () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const results = (files: Record<string, unknown>) => {
    dir = mkdtempSync(join(tmpdir(), 'bench-table-'));
    for (const [name, record] of Object.entries(files)) writeFileSync(join(dir, name), JSON.stringify(record));
    return pathToFileURL(`${dir}/`);
  };

  it('puts every figure between the markers, in the runner order, and leaves the rest of the README alone', () => {
    const url = results({
      'gateways.json': {
        name: 'gateways',
        date: '2026-12-01T12:30:00.000Z',
        revision: 'abc1234',
        loadAverage: [1.5, 1, 1],
        figures: [{ workload: 'home feed, 16 clients', metric: 'ours / Hive Gateway throughput', value: 1.62, unit: 'x', target: '>= 1.5x', met: true }],
      },
      'feed.json': {
        name: 'feed',
        date: '2026-12-01T12:00:00.000Z',
        revision: 'abc1234+changes',
        loadAverage: [3, 2, 1],
        figures: [{ workload: 'fan-out, 100,000 followers', metric: 'p50', value: 1234, unit: 'ms', target: '< 1000 ms', met: false }],
      },
      'old.json': { date: '2025-01-01', someFigure: 3 },
    });
    const readme = 'before\n<!-- bench-table:start -->\nstale table\n<!-- bench-table:end -->\nafter\n';
    const out = withTable(readme, url);
    expect(out.startsWith('before\n<!-- bench-table:start -->\n| workload | metric | value | target | met | taken at |')).toBe(true);
    expect(out.endsWith('<!-- bench-table:end -->\nafter\n')).toBe(true);
    expect(out).not.toContain('stale table');
    const rows = out.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| workload'));
    expect(rows).toEqual([
      '| fan-out, 100,000 followers | p50 | 1,234 ms | < 1000 ms | **no** | abc1234+changes, 2026-12-01 12:00, load 3 |',
      '| home feed, 16 clients | ours / Hive Gateway throughput | 1.62 x | >= 1.5x | yes | abc1234, 2026-12-01 12:30, load 1.5 |',
    ]);
    expect(out).toContain('`results/old.json`');
  });

  it('refuses a README without the markers', () => {
    const url = results({});
    expect(() => withTable('no markers here', url)).toThrow(/markers/);
  });
});
