import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The web workspace. */
export const WEB_DIR = fileURLToPath(new URL('..', import.meta.url));
const STAMP = '.build-stamp';

/** What the bundle is made from: a change to any of these makes the build stale. */
const INPUTS = ['index.html', 'explorer', 'src', 'public', 'shared', 'vite.config.ts', 'tsconfig.json', 'package.json', '../package-lock.json'];

function* filesUnder(path: string): Generator<string> {
  if (!existsSync(path)) return;
  const info = statSync(path);
  if (info.isFile()) {
    yield path;
    return;
  }
  for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name === 'node_modules' || entry.name.endsWith('.test.ts') || entry.name.endsWith('.test.tsx')) continue;
    yield* filesUnder(join(path, entry.name));
  }
}

/**
 * A hash of the sources' names and contents. Contents, not mtimes: a checkout or a copy touches
 * every mtime, and a stale bundle must never pass for a fresh one. About 20 ms for the whole client.
 */
export function sourceHash(webDir: string = WEB_DIR): string {
  const hash = createHash('sha256');
  for (const input of INPUTS) {
    for (const file of filesUnder(join(webDir, input))) {
      hash.update(relative(webDir, file)).update('\0').update(readFileSync(file)).update('\0');
    }
  }
  return hash.digest('hex');
}

export interface BuildState {
  fresh: boolean;
  hash: string;
  reason: string;
}

export function buildState(webDir: string = WEB_DIR, distDir: string = join(webDir, 'dist')): BuildState {
  const hash = sourceHash(webDir);
  if (!existsSync(join(distDir, 'index.html'))) return { fresh: false, hash, reason: 'no build yet' };
  const stamp = existsSync(join(distDir, STAMP)) ? readFileSync(join(distDir, STAMP), 'utf8').trim() : '';
  return stamp === hash ? { fresh: true, hash, reason: 'up to date' } : { fresh: false, hash, reason: 'sources changed since the last build' };
}

/**
 * Builds the client (vite build, in a child process) when dist/ is missing or older than its
 * sources, and stamps it with their hash. `npm start` calls this before it starts the web server.
 * Returns what it did, for the start-up line.
 */
export async function ensureWebBuild(options: { webDir?: string; log?: (line: string) => void } = {}): Promise<string> {
  const webDir = options.webDir ?? WEB_DIR;
  const state = buildState(webDir);
  if (state.fresh) return 'up to date';
  // Vite's own CLI, as this workspace resolves it (its package exports no bin path).
  const vitePackage = createRequire(join(webDir, 'package.json')).resolve('vite/package.json');
  const vite = join(dirname(vitePackage), (JSON.parse(readFileSync(vitePackage, 'utf8')) as { bin: { vite: string } }).bin.vite);
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    // A build to serve is a production build, whatever NODE_ENV the caller runs with (Vite would
    // take NODE_ENV=development from npm start's environment and bundle React's development build).
    const child = spawn(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
      cwd: webDir,
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        output.push(line);
        options.log?.(line);
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`the web client did not build (vite build exited with ${code}):\n${output.slice(-30).join('\n')}`);
  writeFileSync(join(webDir, 'dist', STAMP), state.hash + '\n');
  return `built (${state.reason})`;
}
