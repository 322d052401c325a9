/**
 * The web image's server: bundles web/server/main.ts (the web workspace's entry, which `npm start`
 * runs) with esbuild into one ES module that holds every dependency, so that the web image needs
 * no node_modules at all, only Node, this file and the built client (web/dist).
 *   node docker/bundle-web-server.mjs [outfile]        (default web/server-dist/main.js)
 *
 * Why not leave node_modules imports external, as scripts/build.mjs does for the services: the web
 * workspace's dependencies are mostly the browser client's (React, GraphiQL, Apollo Client), which
 * Vite has already bundled into web/dist; installing them again for the server would put tens of
 * megabytes into the image that nothing runs. The server itself needs a few small packages
 * (http-proxy-3, pino, zod) that bundle cleanly.
 *
 * The server finds the client at WEB_DIST_DIR, by default ../dist beside its own folder: the image
 * places this bundle at web/server/main.js and the client at web/dist, and sets WEB_DIST_DIR anyway.
 */
import { build } from 'esbuild';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const entry = 'web/server/main.ts';
const outfile = resolve(root, process.argv[2] ?? 'web/server-dist/main.js');
if (!existsSync(resolve(root, entry))) {
  console.error(`bundle-web-server: ${entry} not found: the web workspace is not in this tree`);
  process.exit(1);
}

const started = performance.now();
await build({
  absWorkingDir: root,
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  // Bundled CommonJS packages (pino, http-proxy-3's deps) call require() for Node's own modules: an
  // ES module has no require, so give the bundle one.
  banner: { js: "import { createRequire as __shutterCreateRequire } from 'node:module'; const require = __shutterCreateRequire(import.meta.url);" },
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  legalComments: 'none',
});
console.log(`bundle-web-server: ${entry} → ${outfile} (${Math.round(statSync(outfile).size / 1024)} KiB) in ${Math.round(performance.now() - started)} ms`);
