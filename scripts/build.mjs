/**
 * `npm run build` in a service package (turbo runs it in each): bundles the package's entries
 * (src/server.ts, src/worker.ts, src/migrate.ts, whichever exist) with esbuild into dist/, one file
 * each, with the workspace's own packages inside and everything from node_modules left as imports.
 * The SDL the service reads at run time is copied beside the bundles.
 *
 * Paths: a bundle lives in dist/, one level under the package root as src/ is, so a file directly
 * under src/ that resolves a path from import.meta.url (each service's src/paths.ts) finds the same
 * thing from the bundle. Keep such code directly under src/.
 */
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ENTRIES = ['server', 'worker', 'migrate', 'main', 'make-secrets'];
const root = process.cwd();
const entryPoints = ENTRIES.map((name) => join('src', `${name}.ts`)).filter((file) => existsSync(join(root, file)));
if (entryPoints.length === 0) {
  console.error(`build: no entry (src/${ENTRIES.join('.ts, src/')}.ts) in ${root}`);
  process.exit(1);
}

/** Bundles the workspace's @shutter/* sources; leaves every other package to node_modules. */
const nodeModulesExternal = {
  name: 'node-modules-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@shutter/') ? undefined : { path: args.path, external: true }));
  },
};

rmSync(join(root, 'dist'), { recursive: true, force: true });
const started = performance.now();
const result = await build({
  absWorkingDir: root,
  entryPoints,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  sourcemap: 'linked',
  // Stack traces in production logs point at the TypeScript line.
  sourcesContent: false,
  plugins: [nodeModulesExternal],
  logLevel: 'warning',
  metafile: true,
});

/** The version of a package Node finds from a folder: the first node_modules/<name> on the way up. */
function packageVersionFrom(start, name) {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8')).version;
    if (dirname(dir) === dir) return null;
  }
}

// A bundle moves every import of the workspace code inside it to dist/: a package that a shared
// package gets from its own node_modules (another version than the root's) would be found at the
// root from there. Each such package must be a dependency of this service too, so npm puts the same
// version within its reach.
const moved = [];
for (const [input, { imports }] of Object.entries(result.metafile.inputs)) {
  for (const { path, external } of imports) {
    if (!external || path.startsWith('node:') || path.startsWith('.')) continue;
    const name = path.startsWith('@') ? path.split('/').slice(0, 2).join('/') : path.split('/')[0];
    const wanted = packageVersionFrom(dirname(resolve(root, input)), name);
    const found = packageVersionFrom(join(root, 'dist'), name);
    if (wanted && wanted !== found) moved.push(`${name}@${wanted} (imported by ${input}; from dist/ Node would load ${found ? `${name}@${found}` : 'nothing'})`);
  }
}
if (moved.length > 0) {
  console.error(`build: add these to ${join(root, 'package.json')} dependencies (same range as the importing package), then npm install:\n  - ${[...new Set(moved)].join('\n  - ')}`);
  process.exit(1);
}
mkdirSync(join(root, 'dist'), { recursive: true });
for (const file of readdirSync(join(root, 'src')).filter((f) => f.endsWith('.graphql'))) copyFileSync(join(root, 'src', file), join(root, 'dist', file));
const bytes = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js')).reduce((n, [, o]) => n + o.bytes, 0);
console.log(`build: ${entryPoints.map((e) => e.replace(/^src\/|\.ts$/g, '')).join(', ')} → dist/ (${Math.round(bytes / 1024)} KiB) in ${Math.round(performance.now() - started)} ms`);
