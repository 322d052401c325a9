/**
 * `npm run build` in web/ (turbo runs it with the services' builds, and caches it by its inputs,
 * web/turbo.json): the client with Vite into dist/, then the web server, for npm start, bundled with
 * esbuild into server-dist/main.js as scripts/build.mjs bundles a service (the workspace's packages
 * inside, node_modules left as imports). server-dist/ sits one level under web/, as server/ does,
 * so the client's folder the server resolves from import.meta.url (../dist) is the same from the
 * bundle. (The web image bundles the server again, with its dependencies inside:
 * docker/bundle-web-server.mjs.)
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

const root = process.cwd();
const started = performance.now();

// Vite's own CLI, as this workspace resolves it. A build to serve is a production build, whatever
// NODE_ENV the caller runs with (under NODE_ENV=development Vite would bundle React's development build).
const vitePackage = createRequire(join(root, 'package.json')).resolve('vite/package.json');
const vite = join(dirname(vitePackage), JSON.parse(readFileSync(vitePackage, 'utf8')).bin.vite);
const code = await new Promise((resolve, reject) => {
  const child = spawn(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: root, env: { ...process.env, NODE_ENV: 'production' }, stdio: 'inherit' });
  child.once('error', reject);
  child.once('exit', resolve);
});
if (code !== 0) process.exit(code ?? 1);

await build({
  absWorkingDir: root,
  entryPoints: { main: 'server/main.ts' },
  outdir: 'server-dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  plugins: [
    {
      name: 'node-modules-external',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@shutter/') ? undefined : { path: args.path, external: true }));
      },
    },
  ],
});
console.log(`build: the client → dist/, the server → server-dist/main.js, in ${Math.round(performance.now() - started)} ms`);
