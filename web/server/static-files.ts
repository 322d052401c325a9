import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** Vite names every file under assets/ by its content hash: it never changes under that name. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Everything else (index.html, sw.js, the manifest) is checked with the server each time. */
const REVALIDATE = 'no-cache';

/** Which page a client route is served by: the explorer has its own entry (and its own CSP). */
export type Page = 'app' | 'explorer';

export interface StaticFiles {
  /** Serves a GET or HEAD from the build; false when this is not a path of the build or the SPA. */
  serve(
    req: IncomingMessage,
    res: ServerResponse,
    pathname: string,
    headersFor: (page: Page | null, inlineScriptHashes: string[]) => Record<string, string>,
  ): Promise<boolean>;
}

export class MissingBuildError extends Error {
  constructor(distDir: string) {
    super(`web: no built client in ${distDir}. Run \`npm run build -w web\` (npm start builds it when it is missing or stale).`);
    this.name = 'MissingBuildError';
  }
}

/**
 * The CSP hashes ('sha256-…') of a page's inline scripts (index.html sets the theme before the
 * first paint): the policy allows exactly these, not inline script in general.
 */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const match of html.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script>/gi)) {
    if (/\ssrc\s*=/i.test(match[1] ?? '') || !match[2]) continue;
    hashes.push(`'sha256-${createHash('sha256').update(match[2], 'utf8').digest('base64')}'`);
  }
  return hashes;
}

/** The page a client-side route belongs to, or null for a path that must be a real file. */
export function pageOf(pathname: string): Page | null {
  if (pathname.startsWith('/assets/')) return null;
  // A last segment with a dot asks for a file (favicon.png, sw.js): a miss is a 404, not the app.
  if (/\.[a-z0-9]+$/i.test(pathname.slice(pathname.lastIndexOf('/') + 1))) return null;
  if (pathname === '/explorer' || pathname.startsWith('/explorer/')) return 'explorer';
  return 'app';
}

/**
 * The built client from `dist/`: hashed assets cached for a year, everything else revalidated, the
 * .br/.gz twins the build wrote served to browsers that accept them, and client routes answered
 * with their page's index.html.
 */
export function createStaticFiles(distDir: string): StaticFiles {
  if (!existsSync(join(distDir, 'index.html'))) throw new MissingBuildError(distDir);
  const root = normalize(distDir + sep);
  const scriptHashes = new Map<string, { mtimeMs: number; hashes: string[] }>();
  const hashesOf = async (file: { path: string; info: { mtimeMs: number } }) => {
    const known = scriptHashes.get(file.path);
    if (known?.mtimeMs === file.info.mtimeMs) return known.hashes;
    const hashes = inlineScriptHashes(await readFile(file.path, 'utf8'));
    scriptHashes.set(file.path, { mtimeMs: file.info.mtimeMs, hashes });
    return hashes;
  };

  const fileOf = async (relative: string) => {
    const path = normalize(join(root, relative));
    if (!path.startsWith(root)) return null;
    try {
      const info = await stat(path);
      return info.isFile() ? { path, info } : null;
    } catch {
      return null;
    }
  };

  return {
    async serve(req, res, pathname, headersFor) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      let decoded: string;
      try {
        decoded = decodeURIComponent(pathname);
      } catch {
        return false;
      }
      if (decoded.includes('\0')) return false;
      let file = decoded.endsWith('/') ? null : await fileOf(decoded);
      let page: Page | null = null;
      if (!file) {
        page = pageOf(decoded);
        if (!page) return false;
        file = await fileOf(page === 'explorer' ? 'explorer/index.html' : 'index.html');
        if (!file) return false;
      } else if (file.path.endsWith('.html')) {
        page = file.path.endsWith(join('explorer', 'index.html')) ? 'explorer' : 'app';
      }

      const type = TYPES[extname(file.path)] ?? 'application/octet-stream';
      const immutable = decoded.startsWith('/assets/');
      const etag = `W/"${file.info.size.toString(16)}-${Math.floor(file.info.mtimeMs).toString(16)}"`;
      const headers: Record<string, string> = {
        ...headersFor(page, page ? await hashesOf(file) : []),
        'content-type': type,
        'cache-control': immutable ? IMMUTABLE : REVALIDATE,
        etag,
        vary: 'accept-encoding',
      };
      if (!immutable && req.headers['if-none-match'] === etag) {
        res.writeHead(304, headers);
        res.end();
        return true;
      }

      // Pre-compressed at build time (brotli at its best level costs too much per request).
      const accepted = String(req.headers['accept-encoding'] ?? '');
      let body = file;
      for (const [encoding, suffix] of [['br', '.br'], ['gzip', '.gz']] as const) {
        if (!new RegExp(`\\b${encoding}\\b`).test(accepted)) continue;
        const twin = await fileOf(`${file.path.slice(root.length)}${suffix}`);
        if (twin) {
          body = twin;
          headers['content-encoding'] = encoding;
          break;
        }
      }
      headers['content-length'] = String(body.info.size);
      res.writeHead(200, headers);
      if (req.method === 'HEAD') {
        res.end();
        return true;
      }
      const stream = createReadStream(body.path);
      stream.on('error', () => res.destroy());
      stream.pipe(res);
      return true;
    },
  };
}
