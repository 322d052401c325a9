/**
 * The README's first command, as a person runs it: `npm start` with the embedded Postgres, then a
 * signUp, `me` and `feed` through the printed gateway URL, then Ctrl-C. Twice: a cold start and a warm
 * one (reusing .data/). Prints how long each took to be ready.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './services.ts';

// A data directory of its own: the first start is a true first start (initdb, roles, migrations).
const dataDir = mkdtempSync(join(tmpdir(), 'shutter-smoke-'));
// mkdtemp makes it 0700; as root, Postgres runs as the postgres user, who could not enter it, and its
// cluster would then be kept under /var/lib/shutter, outliving this folder.
chmodSync(dataDir, 0o755);

async function startOnce(label: string): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, SHUTTER_DATA_DIR: dataDir, SHUTTER_PG_PORT: '54339' };
  delete env.POSTGRES_URL; // the fresh-machine path: the embedded Postgres
  const started = performance.now();
  // Its own process group, so that "Ctrl-C" below reaches the whole group, as a terminal's does.
  const child = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // npm itself dies of the SIGINT, as in a terminal; the end of the output is when the last of the
  // processes it started has let go of it.
  const outputEnded = Promise.all([
    new Promise<void>((resolve) => child.stdout.once('end', () => resolve())),
    new Promise<void>((resolve) => child.stderr.once('end', () => resolve())),
  ]);

  const gatewayUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start was not ready in 120 s:\n${output}`)), 120_000);
    const check = () => {
      const match = output.match(/^\s+gateway\s+(http:\/\/\S+\/graphql)\b/m);
      if (match?.[1] && output.includes('shutter is running')) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => reject(new Error(`npm start exited (${code}) before it was ready:\n${output}`)));
  });
  const readySeconds = (performance.now() - started) / 1000;
  // What a person opens: the web origin, printed first, serving the app.
  const webUrl = output.slice(output.indexOf('shutter is running')).split('\n')[1]?.match(/^\s+web\s+(http:\/\/\S+)/)?.[1];
  if (!webUrl) throw new Error(`npm start did not print the web URL first:\n${output}`);
  const page = await fetch(webUrl).then((r) => r.text());
  if (!page.includes('<div id="root">')) throw new Error(`${webUrl} did not serve the app:\n${page.slice(0, 500)}`);

  const post = async (query: string, variables: Record<string, unknown>, token?: string) => {
    const response = await fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
  };
  const username = `smoke_${Date.now().toString(36)}`;
  const signUp = await post(
    'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { id username } } }',
    { input: { username, email: `${username}@example.com`, password: 'smoke test password' } },
  );
  if (!signUp.data?.signUp?.accessToken) throw new Error(`signUp failed: ${JSON.stringify(signUp)}`);
  const me = await post('{ me { id username } }', {}, signUp.data.signUp.accessToken);
  if (me.data?.me?.username !== username) throw new Error(`me failed: ${JSON.stringify(me)}`);
  // The feed subgraph, its Redis timelines and social-graph behind it.
  const home = await post('{ feed(first: 5) { edges { node { id } } } unreadNotificationCount }', {}, signUp.data.signUp.accessToken);
  if (!Array.isArray(home.data?.feed?.edges) || home.data?.unreadNotificationCount !== 0) throw new Error(`feed failed: ${JSON.stringify(home)}`);

  process.kill(-(child.pid as number), 'SIGINT');
  const ended = await Promise.race([outputEnded.then(() => 'ended'), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000))]);
  if (ended === 'timeout' || !output.trimEnd().endsWith('stopped') || output.includes('did not stop within')) {
    throw new Error(`npm start did not stop cleanly on Ctrl-C:\n${output}`);
  }
  const stillUp = await fetch(gatewayUrl).then(() => true, () => false);
  if (stillUp) throw new Error('the gateway still answers after Ctrl-C');
  console.log(`smoke: ${label} start ready in ${readySeconds.toFixed(1)} s; the app at ${webUrl}; signUp, me and feed through ${gatewayUrl} ok; stopped cleanly`);
}

try {
  await startOnce('first');
  await startOnce('second');
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
