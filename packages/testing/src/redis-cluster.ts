import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pingRedis } from '@shutter/local-infra';

/** A Redis Cluster of a test's own: three masters, no replicas, on 127.0.0.1. */
export interface TestRedisCluster {
  /** REDIS_URL for it: `redis-cluster://127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103`. */
  url: string;
  ports: number[];
  /** Ends the nodes and removes their directory; safe to call twice. */
  destroy(): Promise<void>;
}

/** Whether Debian's redis-server and redis-cli are on PATH (a cluster test skips, and says so, without them). */
export function redisClusterToolsInstalled(): boolean {
  return ['redis-server', 'redis-cli'].every((tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0);
}

/**
 * Starts one redis-server per port with cluster mode on (no persistence), joins them with
 * `redis-cli --cluster create` (the slots split evenly over the masters), and resolves once every
 * node says cluster_state:ok. The nodes also end when the test process does.
 */
export async function startRedisCluster(ports: readonly number[] = [7101, 7102, 7103]): Promise<TestRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'shutter-redis-cluster-'));
  const nodes: ChildProcess[] = [];
  const killAll = () => nodes.forEach((node) => node.exitCode === null && node.signalCode === null && node.kill('SIGKILL'));
  process.once('exit', killAll);
  let destroyed = false;
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    process.off('exit', killAll);
    await Promise.all(
      nodes.map((node) =>
        node.exitCode !== null || node.signalCode !== null
          ? undefined
          : new Promise<void>((resolve) => {
              node.once('exit', () => resolve());
              node.kill('SIGTERM');
              setTimeout(() => node.kill('SIGKILL'), 3000).unref();
            }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      if (await pingRedis('127.0.0.1', port)) throw new Error(`something already answers on port ${port} (a cluster node left over from another run?)`);
      const args = ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
      nodes.push(spawn('redis-server', args, { stdio: 'ignore' }));
    }
    for (const port of ports) await waitUntil(`redis-server on ${port}`, () => pingRedis('127.0.0.1', port));
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed (${created.status}): ${created.stdout}${created.stderr}`);
    for (const port of ports) {
      await waitUntil(`cluster_state:ok on ${port}`, () => spawnSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' }).stdout.includes('cluster_state:ok'));
    }
  } catch (e) {
    await destroy();
    throw e;
  }
  return { url: `redis-cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`, ports: [...ports], destroy };
}

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    if (await check()) return;
  }
  throw new Error(`timed out waiting for ${what}`);
}
