import { describe, expect, it } from 'vitest';
import { ConfigError, env, loadConfig, z } from '../src/index.ts';

const schema = z.object({
  PORT: env.port(4000),
  DATABASE_URL: env.postgresUrl(),
  SECRET: env.secret(32),
});

describe('loadConfig', () => {
  it('parses and applies defaults', () => {
    const config = loadConfig('svc', schema, { DATABASE_URL: 'postgres://x@localhost/db', SECRET: 'a'.repeat(32) });
    expect(config.PORT).toBe(4000);
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      loadConfig('svc', schema, { PORT: 'abc', SECRET: 'short' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/PORT/);
    expect(problems.join('\n')).toMatch(/DATABASE_URL: .*\(not set\)/);
    expect(problems.join('\n')).toMatch(/SECRET: must be at least 32/);
  });
});

describe('NAME_FILE', () => {
  it('reads a value from a file when NAME is not set', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'config-')), 'secret');
    writeFileSync(file, `${'f'.repeat(40)}\n`);
    const config = loadConfig('svc', schema, { DATABASE_URL: 'postgres://x@h/db', SECRET_FILE: file });
    expect(config.SECRET).toBe('f'.repeat(40));
    expect(() => loadConfig('svc', schema, { DATABASE_URL: 'postgres://x@h/db', SECRET_FILE: '/no/such/file' })).toThrow(/SECRET/);
  });
});
