import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { SAFE_KEY, type ObjectStorage } from './storage/index.ts';

/**
 * GET/HEAD /files/images/<id>/<width>.<webp|jpg>: a variant, with long-lived immutable caching (a
 * key never changes content: a new image gets a new id). Originals are never served.
 */
export async function serveFile(req: IncomingMessage, res: ServerResponse, url: URL, storage: ObjectStorage): Promise<void> {
  let key: string;
  try {
    key = decodeURIComponent(url.pathname.slice('/files/'.length));
  } catch {
    // A malformed escape (`%E0%A4%A`) names no file; decodeURIComponent's URIError was a 500.
    key = '';
  }
  if (!key.startsWith('images/') || !SAFE_KEY.test(key)) {
    res.writeHead(404).end();
    return;
  }
  const object = await storage.get(key);
  if (!object) {
    res.writeHead(404, { 'cache-control': 'no-store' }).end();
    return;
  }
  res.writeHead(200, {
    'content-type': object.contentType,
    ...(object.size ? { 'content-length': String(object.size) } : {}),
    'cache-control': 'public, max-age=31536000, immutable',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') {
    object.body.destroy();
    res.end();
    return;
  }
  await pipeline(object.body, res);
}
