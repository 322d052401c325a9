import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * Where `npm run dev` sends /graphql, /auth, /uploads and /files: a running `npm start`'s web
 * origin (the one that prints first). Its media URLs point there too; the client rewrites them to
 * this dev origin (see src/lib/urls.ts), so uploads and images go through this proxy.
 */
const backend = process.env.SHUTTER_WEB_URL ?? `http://127.0.0.1:${process.env.WEB_PORT ?? 3000}`;

/**
 * Writes a .br and a .gz beside every compressible file of the build, at the best levels: the web
 * server sends them as they are (compressing per request at brotli 11 would cost a second a file).
 */
function precompress(): Plugin {
  let outDir = 'dist';
  return {
    name: 'shutter:precompress',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((name) => {
          const path = join(dir, name);
          return statSync(path).isDirectory() ? walk(path) : [path];
        });
      for (const file of walk(outDir)) {
        // Source maps are fetched by developer tools only, and are most of the bytes: left as they are.
        if (!/\.(js|mjs|css|html|svg|json|webmanifest|txt|ttf)$/.test(file)) continue;
        const bytes = readFileSync(file);
        if (bytes.length < 1024) continue;
        writeFileSync(`${file}.br`, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }));
        writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
      }
    },
  };
}

/** In development, /explorer is its page, as the web server has it (not the app's fallback). */
function explorerPage(): Plugin {
  return {
    name: 'shutter:explorer-page',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use((req, _res, next) => {
        if (req.url === '/explorer' || req.url?.startsWith('/explorer?')) req.url = req.url.replace('/explorer', '/explorer/index.html');
        next();
      });
    },
  };
}

export default defineConfig(({ command }) => ({
  plugins: [react(), precompress(), explorerPage()],
  define: {
    // The origin of `npm start` whose media URLs the dev server proxies; empty in a build.
    __SHUTTER_DEV_BACKEND__: JSON.stringify(command === 'serve' ? backend : ''),
  },
  build: {
    target: 'es2022',
    sourcemap: true,
    // The app and the explorer are two pages: GraphiQL (Monaco) never reaches the app's bundle.
    rollupOptions: {
      input: { app: 'index.html', explorer: 'explorer/index.html' },
      onwarn(warning, warn) {
        // GraphiQL's React Compiler output marks modules "use no memo", which a bundle cannot keep
        // (and need not: it is a hint to the compiler, not to the runtime).
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE' && warning.message.includes('use no memo')) return;
        warn(warning);
      },
    },
    chunkSizeWarningLimit: 4096,
  },
  server: {
    port: Number(process.env.WEB_DEV_PORT ?? 5173),
    strictPort: true,
    // The browser's Host goes through unchanged (Vite's shorthand would rewrite it): the web
    // server's /auth endpoints accept only requests whose Origin is the Host they were sent to.
    proxy: {
      '/graphql': { target: backend, ws: true, changeOrigin: false },
      '/auth': { target: backend, changeOrigin: false },
      '/uploads': { target: backend, changeOrigin: false },
      '/files': { target: backend, changeOrigin: false },
    },
  },
}));
