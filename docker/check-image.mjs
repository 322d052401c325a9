/**
 * What can be checked of the images without a Docker engine: each stage of the Dockerfile is
 * reproduced on disk, instruction by instruction (WORKDIR, ENV, COPY from the build context as
 * .dockerignore filters it, COPY --from another stage, RUN), in a folder per stage; then the two
 * runtime stages' folders are run as the containers would run them, with every entry of the product
 * started from there against this machine's Postgres and Redis, and a sign-up, a photo (sharp in the
 * worker), a post and a feed read sent through the web origin.
 *   node docker/check-image.mjs [--keep] [--no-run]
 *
 * What it measures: the build context (files, bytes) and the bytes each instruction adds to the
 * runtime stages (du of what it wrote), i.e. the image size less the base image. What it cannot
 * reproduce: the base image itself (node:24-bookworm-slim is not fetched here; this machine's Node
 * runs the files), BuildKit's cache, file ownership (`chown node`, `USER node`: run as this user).
 *
 * Paths: the RUN commands name image paths (/app, /src, /manifests, /data); they are rewritten to
 * the stage's folder. Everything else in a command runs as written, so a change to the Dockerfile
 * is checked as it is, not as this script imagines it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import dockerignore from '@balena/dockerignore';

const root = resolve(import.meta.dirname, '..');
const keep = process.argv.includes('--keep');
const runEntries = !process.argv.includes('--no-run');
const work = mkdtempSync(join(tmpdir(), 'shutter-image-'));
const started = performance.now();
const log = (line) => console.log(`check-image: ${line}`);
const seconds = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

/** Bytes on disk of a tree, hard links counted once (as du does), in a folder of its own. */
const du = (path) => (existsSync(path) ? Number(execFileSync('du', ['-sb', path], { encoding: 'utf8' }).split('\t')[0]) : 0);
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

// ---- The Dockerfile, as stages of instructions --------------------------------------------------
function parseDockerfile(text) {
  const lines = [];
  let current = '';
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw) && current === '') continue;
    if (/^\s*#/.test(raw)) continue; // a comment inside a continued instruction
    const line = raw.replace(/\s+$/, '');
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' ';
      continue;
    }
    current += line;
    if (current.trim()) lines.push(current.trim());
    current = '';
  }
  const args = {};
  const stages = [];
  for (const line of lines) {
    const [, keyword, rest] = line.match(/^(\w+)\s+([\s\S]*)$/) ?? [];
    const instruction = keyword.toUpperCase();
    if (instruction === 'ARG' && stages.length === 0) {
      const [name, value] = rest.split('=');
      args[name] = value;
      continue;
    }
    if (instruction === 'FROM') {
      const [, image, name] = rest.match(/^(\S+)(?:\s+AS\s+(\S+))?$/i);
      const from = image.replace(/\$\{(\w+)\}/g, (_, n) => args[n]);
      stages.push({ name: name ?? `stage${stages.length}`, from, instructions: [] });
      continue;
    }
    stages.at(-1).instructions.push({ instruction, rest, text: line });
  }
  return stages;
}

/** `KEY=value KEY2="v 2"` (ENV), values without quotes. */
function parseEnv(rest) {
  const env = {};
  for (const [, key, quoted, plain] of rest.matchAll(/(\w+)=(?:"([^"]*)"|(\S*))/g)) env[key] = quoted ?? plain;
  return env;
}

// ---- The build context, as docker sends it --------------------------------------------------------
const ignore = dockerignore({ ignorecase: false }).add(readFileSync(join(root, '.dockerignore'), 'utf8'));
function contextFiles() {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        // A folder ignored whole is not entered (node_modules); one whose files a pattern ignores
        // (docker/*, with an exception) is, and each file is judged.
        if (ignore.ignores(path)) continue;
        walk(path);
      } else if (!ignore.ignores(path)) files.push(path);
    }
  };
  walk('');
  return files;
}

// ---- Reproducing the stages ------------------------------------------------------------------------
const stageDirs = new Map();
const IMAGE_PATHS = /(^|[\s=:'"])\/(app|src|manifests|data)(?=[/\s'"]|$)/g;

/** Docker's COPY: a folder's contents into dest, a file into dest/ (dest ends with /) or as dest. */
function copyInto(source, dest, destIsDir) {
  const info = lstatSync(source);
  if (info.isDirectory()) {
    mkdirSync(dest, { recursive: true });
    // cp -a: symlinks (node_modules/.bin, workspace links) and modes as they are.
    execFileSync('cp', ['-a', `${source}/.`, dest]);
  } else {
    const target = destIsDir ? join(dest, basename(source)) : dest;
    mkdirSync(dirname(target), { recursive: true });
    cpSync(source, target, { verbatimSymlinks: true });
  }
}

function buildStage(stage, stages, context, layers) {
  const dir = join(work, 'stages', stage.name);
  const parent = stages.find((s) => s.name === stage.from);
  if (parent) {
    if (!stageDirs.has(parent.name)) buildStage(parent, stages, context, layers);
    // Hard links: a stage on top of another shares its files, as a layer does.
    mkdirSync(dirname(dir), { recursive: true });
    execFileSync('cp', ['-al', stageDirs.get(parent.name).dir, dir]);
  } else mkdirSync(dir, { recursive: true });
  // A stage FROM another inherits its workdir, environment, user and command, as Docker's do.
  const inherited = parent ? stageDirs.get(parent.name) : null;
  const state = { dir, workdir: inherited?.workdir ?? '/', env: { ...inherited?.env }, cmd: inherited?.cmd ?? null, user: inherited?.user ?? null };
  stageDirs.set(stage.name, state);
  const inImage = (path) => join(dir, path.startsWith('/') ? path : join(state.workdir, path));
  for (const { instruction, rest, text } of stage.instructions) {
    const before = layers ? du(dir) : 0;
    const t0 = performance.now();
    switch (instruction) {
      case 'WORKDIR':
        state.workdir = rest.startsWith('/') ? rest : join(state.workdir, rest);
        mkdirSync(inImage('.'), { recursive: true });
        break;
      case 'ENV':
        Object.assign(state.env, parseEnv(rest));
        break;
      case 'COPY': {
        const words = rest.split(/\s+/);
        const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
        const paths = words.filter((w) => !w.startsWith('--'));
        const dest = paths.pop();
        const destIsDir = dest.endsWith('/') || dest === '.' || paths.length > 1;
        for (const source of paths) {
          if (from) {
            if (!stageDirs.has(from)) buildStage(stages.find((s) => s.name === from), stages, context, false);
            const sourcePath = join(stageDirs.get(from).dir, source);
            if (!existsSync(sourcePath)) throw new Error(`${text}: ${source} is not in stage ${from}`);
            copyInto(sourcePath, inImage(dest), destIsDir);
          } else if (source === '.') {
            for (const file of context) copyInto(join(root, file), join(inImage(dest), file), false);
          } else {
            const matching = context.filter((f) => f === source || f.startsWith(`${source.replace(/\/$/, '')}/`));
            if (matching.length === 0) throw new Error(`${text}: ${source} is not in the build context`);
            for (const file of matching) copyInto(join(root, file), join(inImage(dest), relative(source, file) || basename(file)), false);
          }
        }
        break;
      }
      case 'RUN': {
        const command = rest.replace(/--mount=\S+\s+/g, '').replace(IMAGE_PATHS, (_, lead, top) => `${lead}${dir}/${top}`);
        // `chown node`: the files stay this user's; the image's USER node is not reproduced here.
        const runnable = command.replace(/&&\s*chown\s+\S+\s+\S+/g, '');
        execFileSync('sh', ['-c', runnable], {
          cwd: inImage('.'),
          // npm's warnings (this machine's Node is not the image's 24) would bury the output: errors only.
          env: { ...process.env, ...state.env, npm_config_update_notifier: 'false', npm_config_loglevel: 'error' },
          stdio: ['ignore', 'inherit', 'inherit'],
        });
        break;
      }
      case 'USER':
        state.user = rest;
        break;
      case 'CMD':
        state.cmd = JSON.parse(rest);
        break;
      case 'EXPOSE':
      case 'LABEL':
        break;
      default:
        throw new Error(`check-image: ${instruction} is not reproduced by this script; teach it (${text})`);
    }
    if (layers && (instruction === 'COPY' || instruction === 'RUN')) {
      layers.push({ stage: stage.name, text: text.length > 110 ? `${text.slice(0, 107)}...` : text, bytes: du(dir) - before, ms: performance.now() - t0 });
    }
  }
  return state;
}

// ---- Running the runtime stages as their containers ---------------------------------------------
async function runProduct(backend, web) {
  const stopProblems = [];
  await runAndStop(backend, web, stopProblems);
  if (stopProblems.length) throw new Error(stopProblems.join('\n'));
  log(`every process stopped on SIGTERM with exit code 0 (${seconds()})`);
}

async function runAndStop(backend, web, stopProblems) {
  const postgresUrl = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const id = randomBytes(4).toString('hex');
  const prefix = `image-check-${id}`;
  const psql = (sql) => execFileSync('psql', [postgresUrl, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { encoding: 'utf8' });
  const services = ['users', 'media', 'social-graph', 'feed'];
  const dbName = (s) => `shutter_image_${id}_${s.replace('-', '_')}`;
  const dbUrl = (s) => {
    const url = new URL(postgresUrl);
    url.pathname = `/${dbName(s)}`;
    return url.toString();
  };
  const base = 40_000 + Math.floor(Math.random() * 20_000);
  const port = { gateway: base, users: base + 1, media: base + 2, 'social-graph': base + 3, feed: base + 4, web: base + 5 };
  const healthPort = { users: base + 11, media: base + 12, 'social-graph': base + 13, feed: base + 14 };
  const webUrl = `http://127.0.0.1:${port.web}`;
  const secretsDir = join(work, 'secrets');
  const mediaDir = join(work, 'media');
  const children = [];
  const outputs = new Map();

  const start = (name, cwd, args, env) => {
    const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH, HOME: work, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    outputs.set(name, () => output);
    child.exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
    children.push({ name, child });
    return child;
  };
  const runToEnd = async (name, cwd, args, env) => {
    const child = start(name, cwd, args, env);
    const { code } = await child.exited;
    if (code !== 0) throw new Error(`${name} (node ${args.join(' ')}) exited with ${code}:\n${outputs.get(name)()}`);
  };
  const waitReady = async (name, url) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const exited = await Promise.race([children.find((c) => c.name === name).child.exited, new Promise((r) => setTimeout(() => r(null), 100))]);
      if (exited) throw new Error(`${name} exited (${JSON.stringify(exited)}) before it was ready:\n${outputs.get(name)()}`);
      const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`${name} was not ready at ${url} in 60 s:\n${outputs.get(name)()}`);
    }
  };

  for (const s of services) psql(`create database ${dbName(s)}`);
  try {
    // The one-shot jobs of compose and Kubernetes: the secrets, then every migration.
    await runToEnd('secrets', backend.dir + '/app', ['packages/local-infra/dist/make-secrets.js', secretsDir], {});
    for (const s of services) {
      const variable = `${s.toUpperCase().replace('-', '_')}_DATABASE_URL`;
      await runToEnd(`${s} migrate`, backend.dir + '/app', [`subgraphs/${s}/dist/migrate.js`], { ...backend.env, [variable]: dbUrl(s) });
    }
    log(`secrets and the 4 migrations ran from the runtime stage (${seconds()})`);

    const common = {
      ...backend.env,
      // This machine, not a container network: loopback only.
      GATEWAY_HOST: '127.0.0.1', USERS_HOST: '127.0.0.1', MEDIA_HOST: '127.0.0.1', SOCIAL_GRAPH_HOST: '127.0.0.1', FEED_HOST: '127.0.0.1', WORKER_HEALTH_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      GATEWAY_SIGNING_SECRET_FILE: join(secretsDir, 'gateway_signing_secret'),
    };
    const own = {
      users: { USERS_DATABASE_URL: dbUrl('users'), USERS_PORT: String(port.users), ACCESS_TOKEN_PRIVATE_KEY_FILE: join(secretsDir, 'access_token_private_key.pem') },
      media: { MEDIA_DATABASE_URL: dbUrl('media'), MEDIA_PORT: String(port.media), MEDIA_STORAGE: 'local', MEDIA_STORAGE_DIR: mediaDir, MEDIA_PUBLIC_URL: webUrl },
      'social-graph': { SOCIAL_GRAPH_DATABASE_URL: dbUrl('social-graph'), SOCIAL_GRAPH_PORT: String(port['social-graph']), USERS_URL: `http://127.0.0.1:${port.users}/graphql` },
      feed: { FEED_DATABASE_URL: dbUrl('feed'), FEED_PORT: String(port.feed), SOCIAL_GRAPH_URL: `http://127.0.0.1:${port['social-graph']}/graphql` },
    };
    const workerOwn = {
      users: { VAPID_PUBLIC_KEY_FILE: join(secretsDir, 'vapid_public_key'), VAPID_PRIVATE_KEY_FILE: join(secretsDir, 'vapid_private_key') },
    };
    for (const s of services) start(s, backend.dir + '/app', [`subgraphs/${s}/dist/server.js`], { ...common, ...own[s] });
    for (const s of services) await waitReady(s, `http://127.0.0.1:${port[s]}/readyz`);
    for (const s of services) {
      start(`${s}-worker`, backend.dir + '/app', [`subgraphs/${s}/dist/worker.js`], { ...common, ...own[s], ...workerOwn[s], WORKER_HEALTH_PORT: String(healthPort[s]) });
    }
    for (const s of services) await waitReady(`${s}-worker`, `http://127.0.0.1:${healthPort[s]}/readyz`);
    // The image's default command is the gateway.
    start('gateway', backend.dir + '/app', backend.cmd.slice(1), {
      ...common,
      GATEWAY_PORT: String(port.gateway),
      ACCESS_TOKEN_PUBLIC_KEY_FILE: join(secretsDir, 'access_token_public_key.pem'),
      ...Object.fromEntries(services.map((s) => [`${s.toUpperCase().replace('-', '_')}_URL`, `http://127.0.0.1:${port[s]}/graphql`])),
    });
    await waitReady('gateway', `http://127.0.0.1:${port.gateway}/readyz`);
    log(`4 subgraphs, 4 workers and the gateway are ready, from the runtime stage (${seconds()})`);

    // The web origin, from its own stage, or (before the web workspace exists) the gateway directly.
    let origin = `http://127.0.0.1:${port.gateway}`;
    if (web) {
      start('web', web.dir + '/app', web.cmd.slice(1), {
        ...web.env,
        WEB_HOST: '127.0.0.1',
        WEB_PORT: String(port.web),
        WEB_DIST_DIR: join(web.dir, web.env.WEB_DIST_DIR),
        GATEWAY_URL: `http://127.0.0.1:${port.gateway}/graphql`,
        MEDIA_URL: `http://127.0.0.1:${port.media}/graphql`,
        LOG_LEVEL: 'warn',
      });
      await waitReady('web', `${webUrl}/healthz`);
      origin = webUrl;
      const page = await fetch(`${webUrl}/`);
      const html = await page.text();
      if (!page.ok || !html.includes('<script')) throw new Error(`the web origin did not serve the client: ${page.status} ${html.slice(0, 200)}`);
      log(`web: the client and /healthz from the web stage (${seconds()})`);
    } else log('web: no web workspace in this tree, so no web stage; requests go to the gateway');

    const graphql = async (query, variables, token) => {
      const response = await fetch(`${origin}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const body = await response.json();
      if (body.errors) throw new Error(`${query.slice(0, 60)}: ${JSON.stringify(body.errors)}`);
      return body.data;
    };
    const username = `img_${id}`;
    const { signUp } = await graphql('mutation($i: SignUpInput!) { signUp(input: $i) { accessToken user { id } } }', {
      i: { username, email: `${username}@example.com`, password: 'image check password' },
    });
    const token = signUp.accessToken;
    // A real JPEG made with the runtime stage's own sharp, uploaded through the origin, processed by
    // the media worker from the runtime stage (sharp's native binary must be in the production install).
    const jpeg = execFileSync(process.execPath, ['--input-type=module', '-e', `
      import sharp from 'sharp';
      const img = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 200, g: 80, b: 40 } } }).jpeg().toBuffer();
      process.stdout.write(img);`], { cwd: join(backend.dir, 'app', 'subgraphs', 'media') });
    const { createUpload } = await graphql('mutation($i: CreateUploadInput!) { createUpload(input: $i) { id uploadUrl } }', {
      i: { contentType: 'image/jpeg', byteSize: jpeg.length },
    }, token);
    const uploadUrl = new URL(createUpload.uploadUrl);
    if (uploadUrl.origin !== new URL(webUrl).origin) throw new Error(`the upload URL ${uploadUrl} is not on the web origin ${webUrl}`);
    const put = await fetch(web ? uploadUrl : `http://127.0.0.1:${port.media}${uploadUrl.pathname}${uploadUrl.search}`, { method: 'PUT', body: jpeg, headers: { 'content-type': 'image/jpeg' } });
    if (!put.ok) throw new Error(`PUT ${uploadUrl}: ${put.status} ${await put.text()}`);
    const { createPost } = await graphql('mutation($i: CreatePostInput!) { createPost(input: $i) { id } }', { i: { uploadIds: [createUpload.id], caption: 'from the image layout' } }, token);
    let variants = [];
    for (let i = 0; i < 100 && variants.length === 0; i++) {
      const { post } = await graphql('query($id: ID!) { post(id: $id) { media { url variants { url width contentType } } } }', { id: createPost.id }, token);
      variants = post?.media?.[0]?.variants ?? [];
      if (variants.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    if (variants.length === 0) throw new Error(`the media worker made no variants:\n${outputs.get('media-worker')()}`);
    const file = new URL(variants[0].url);
    const got = await fetch(web ? file : `http://127.0.0.1:${port.media}${file.pathname}`);
    if (!got.ok || (await got.arrayBuffer()).byteLength === 0) throw new Error(`GET ${file}: ${got.status}`);
    const { feed } = await graphql('{ feed(first: 5) { edges { node { id } } } }', {}, token);
    if (!Array.isArray(feed.edges)) throw new Error('feed failed');
    log(`signUp (argon2), createUpload, PUT /uploads, the worker's ${variants.length} variants (sharp), GET /files, createPost and feed through ${origin} (${seconds()})`);
  } finally {
    // SIGTERM, as a container is stopped; each must exit by itself.
    const stopped = await Promise.all(
      children.map(async ({ name, child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return null;
        child.kill('SIGTERM');
        const result = await Promise.race([child.exited, new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
        if (result === 'timeout') {
          child.kill('SIGKILL');
          return `${name} did not exit within 15 s of SIGTERM`;
        }
        return result.code === 0 ? null : `${name} exited with ${result.code} on SIGTERM:\n${outputs.get(name)()}`;
      }),
    );
    for (const s of services) {
      try {
        psql(`drop database if exists ${dbName(s)} with (force)`);
      } catch (e) {
        console.error(`check-image: could not drop ${dbName(s)}: ${e.message}`);
      }
    }
    const { Redis } = await import('ioredis');
    const redis = new Redis(redisUrl);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
    stopProblems.push(...stopped.filter(Boolean));
  }
}

// ---- Main ----------------------------------------------------------------------------------------
try {
  const stages = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'));
  const context = contextFiles();
  const contextBytes = context.reduce((n, f) => n + statSync(join(root, f)).size, 0);
  log(`build context: ${context.length} files, ${mib(contextBytes)} (.dockerignore applied)`);
  const hasWeb = context.includes('web/package.json');
  const layers = [];
  const backend = buildStage(stages.find((s) => s.name === 'runtime'), stages, context, layers);
  log(`runtime stage reproduced (${seconds()})`);
  let web = null;
  if (hasWeb) {
    web = buildStage(stages.find((s) => s.name === 'web'), stages, context, layers);
    log(`web stage reproduced (${seconds()})`);
  }
  for (const [name, state] of [['runtime', backend], ['web', web]]) {
    if (!state) continue;
    if (state.user !== 'node') throw new Error(`${name}: the image must run as USER node, not ${state.user}`);
    console.log(`\n${name} stage: the layers this Dockerfile adds to ${stages.find((s) => s.name === name).from}`);
    let total = 0;
    for (const layer of layers.filter((l) => l.stage === name)) {
      total += layer.bytes;
      console.log(`  ${mib(layer.bytes).padStart(10)}  ${layer.text}`);
    }
    console.log(`  ${mib(total).padStart(10)}  in all (du -sb of the stage's folder: ${mib(du(state.dir))})`);
  }
  console.log('');
  if (runEntries) await runProduct(backend, web);
  log(`done in ${seconds()}`);
} finally {
  if (keep) log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
