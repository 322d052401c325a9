import { describe, expect, it } from 'vitest';
import { ConfigError, env, loadConfig, parseRedisUrl, z } from '../src/index.ts';

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

describe('REDIS_URL', () => {
  const redis = z.object({ REDIS_URL: env.redisUrl() });
  it('names one server, or a Redis Cluster by some of its nodes', () => {
    expect(parseRedisUrl('rediss://:secret@redis:6380')).toEqual({ kind: 'server', url: 'rediss://:secret@redis:6380' });
    expect(parseRedisUrl('redis-cluster://127.0.0.1:7101,127.0.0.1:7102')).toEqual({ kind: 'cluster', nodes: [{ host: '127.0.0.1', port: 7101 }, { host: '127.0.0.1', port: 7102 }], username: undefined, password: undefined, tls: false });
    expect(parseRedisUrl('rediss-cluster://app:p%40ss@a.example:6379,[::1]:6380')).toEqual({ kind: 'cluster', nodes: [{ host: 'a.example', port: 6379 }, { host: '::1', port: 6380 }], username: 'app', password: 'p@ss', tls: true });
    expect(loadConfig('svc', redis, {}).REDIS_URL).toBe('redis://127.0.0.1:6379');
  });

  it('refuses what is neither, saying which forms it takes', () => {
    for (const url of ['http://redis:6379', 'redis-cluster://redis', 'redis-cluster://a:1,b', 'redis-cluster://a:70000']) {
      expect(parseRedisUrl(url), url).toBeNull();
      expect(() => loadConfig('svc', redis, { REDIS_URL: url })).toThrow(/REDIS_URL: must be a redis:\/\/ URL, or redis-cluster:\/\/host:port,host:port/);
    }
  });
});
