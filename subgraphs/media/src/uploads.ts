import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { and, eq, sql } from 'drizzle-orm';
import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import { isId, newId } from '@shutter/db';
import { emitEvent } from '@shutter/events';
import { badUserInput, notFound, type Logger } from '@shutter/service';
import type { MediaConfig } from './config.ts';
import type { MediaDb, MediaTx } from './db/index.ts';
import { uploads, type UploadRow } from './db/schema.ts';
import type { ObjectStorage } from './storage/index.ts';

/** What createUpload accepts (the contract), and what the bytes may turn out to be. */
export const DECLARABLE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/avif'] as const;
const DECODABLE = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/avif']);
/** Enough of the head of a file for file-type to recognise every format above. */
const SNIFF_BYTES = 4100;

export interface UploadSettings {
  publicUrl: string;
  signingKey: Buffer;
  maxBytes: number;
  ttlSeconds: number;
  maxInputPixels: number;
}

export function uploadSettings(config: MediaConfig, listeningUrl?: string): UploadSettings {
  const publicUrl = config.MEDIA_PUBLIC_URL ?? listeningUrl;
  if (!publicUrl) throw new Error('media: MEDIA_PUBLIC_URL is not set and the listening address is not known yet');
  return {
    publicUrl: publicUrl.replace(/\/$/, ''),
    // A key of its own for upload URLs, derived so that one secret still configures the service.
    signingKey: createHmac('sha256', config.GATEWAY_SIGNING_SECRET).update('shutter upload urls v1').digest(),
    maxBytes: config.UPLOAD_MAX_BYTES,
    ttlSeconds: config.UPLOAD_URL_TTL_SECONDS,
    maxInputPixels: config.MAX_INPUT_PIXELS,
  };
}

const signature = (settings: UploadSettings, id: string, expiresMs: number) =>
  createHmac('sha256', settings.signingKey).update(`${id}.${expiresMs}`).digest('base64url');

/** The signed, expiring URL of one upload. */
export const uploadUrlFor = (settings: UploadSettings, id: string, expiresMs: number): string =>
  `${settings.publicUrl}/uploads/${id}?expires=${expiresMs}&signature=${signature(settings, id, expiresMs)}`;

export async function createUpload(
  db: MediaDb,
  settings: UploadSettings,
  ownerId: string,
  input: { contentType: string; byteSize: number },
): Promise<{ id: string; uploadUrl: string; expiresAt: Date }> {
  const contentType = input.contentType.trim().toLowerCase();
  if (!(DECLARABLE_TYPES as readonly string[]).includes(contentType)) {
    throw badUserInput(`contentType must be one of ${DECLARABLE_TYPES.join(', ')}.`, 'contentType');
  }
  if (!Number.isInteger(input.byteSize) || input.byteSize < 1 || input.byteSize > settings.maxBytes) {
    throw badUserInput(`byteSize must be 1 to ${settings.maxBytes} bytes (20 MiB).`, 'byteSize');
  }
  const id = newId();
  const expiresAt = new Date(Date.now() + settings.ttlSeconds * 1000);
  await db.insert(uploads).values({ id, ownerId, declaredContentType: contentType, declaredByteSize: input.byteSize, expiresAt });
  const expires = expiresAt.getTime();
  return { id, expiresAt, uploadUrl: uploadUrlFor(settings, id, expires) };
}

class UploadRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function reply(res: ServerResponse, status: number, body: object, close = false) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...(close ? { connection: 'close' } : {}) });
  res.end(JSON.stringify(body));
}

/**
 * PUT /uploads/<id>?expires=&signature=: the bytes of one upload, once. The cap (the declared size,
 * itself at most 20 MiB) is enforced as bytes arrive; the type is what the bytes are, whatever the
 * declared type or the name; a refused upload keeps nothing.
 */
export async function receiveUpload(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  deps: { db: MediaDb; storage: ObjectStorage; settings: UploadSettings; log: Logger },
): Promise<void> {
  const { db, storage, settings, log } = deps;
  const id = url.pathname.split('/')[2] ?? '';
  const expires = Number(url.searchParams.get('expires'));
  const given = Buffer.from(url.searchParams.get('signature') ?? '');
  const expected = Buffer.from(signature(settings, id, expires));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    req.resume();
    return reply(res, 403, { error: 'This upload URL is not valid.' });
  }
  if (!Number.isFinite(expires) || expires < Date.now()) {
    req.resume();
    return reply(res, 410, { error: 'This upload URL has expired; ask for a new one with createUpload.' });
  }
  // Single use: only the request that moves it out of `pending` may send bytes.
  const [upload] = await db
    .update(uploads)
    .set({ status: 'receiving' })
    .where(and(eq(uploads.id, id), eq(uploads.status, 'pending'), sql`${uploads.expiresAt} > now()`))
    .returning();
  if (!upload) {
    req.resume();
    return reply(res, 409, { error: 'This upload URL was already used.' });
  }

  try {
    const { body, mime } = await readImage(req, Math.min(upload.declaredByteSize, settings.maxBytes));
    const metadata = await sharp(body, { limitInputPixels: settings.maxInputPixels }).metadata().catch((e: Error) => {
      throw new UploadRefused(422, `The image cannot be read: ${e.message}`);
    });
    const pixels = (metadata.width ?? 0) * (metadata.height ?? 0);
    if (pixels > settings.maxInputPixels) throw new UploadRefused(422, `The image has more than ${settings.maxInputPixels} pixels.`);
    const originalKey = `originals/${id}`;
    await storage.put(originalKey, body, mime);
    await db.transaction(async (tx) => {
      await tx.update(uploads).set({ status: 'received', format: mime, byteSize: body.length, originalKey }).where(eq(uploads.id, id));
      await emitEvent(tx, 'upload.received', { uploadId: id });
    });
    reply(res, 200, { id, status: 'received', contentType: mime, byteSize: body.length });
  } catch (e) {
    if (!(e instanceof UploadRefused)) {
      await db.update(uploads).set({ status: 'failed', error: 'The upload could not be stored; start a new one.' }).where(eq(uploads.id, id));
      throw e;
    }
    await db.update(uploads).set({ status: 'failed', error: e.message }).where(eq(uploads.id, id));
    log.info({ uploadId: id, reason: e.message }, 'upload refused');
    // A client still sending gets its answer now and the connection closed, not an endless read.
    reply(res, e.status, { error: e.message }, true);
    req.destroy();
  }
}

/** Reads the body up to `limit` bytes, checking what the bytes are as soon as the head has come. */
async function readImage(req: IncomingMessage, limit: number): Promise<{ body: Buffer; mime: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let mime: string | null = null;
  const sniff = async (head: Buffer) => {
    const type = await fileTypeFromBuffer(head);
    if (type?.mime === 'image/heic' || type?.mime === 'image/heif') {
      throw new UploadRefused(415, 'HEIC images cannot be processed here yet (no HEVC decoder); send JPEG, PNG, WebP or AVIF.');
    }
    if (!type || !DECODABLE.has(type.mime)) {
      throw new UploadRefused(415, `Not a supported image${type ? ` (the bytes are ${type.mime})` : ''}: send JPEG, PNG, WebP or AVIF.`);
    }
    return type.mime;
  };
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new UploadRefused(413, `More bytes than the ${limit} declared (byteSize, at most 20 MiB).`);
    chunks.push(chunk);
    if (!mime && size >= SNIFF_BYTES) mime = await sniff(Buffer.concat(chunks));
  }
  if (size === 0) throw new UploadRefused(400, 'The upload is empty.');
  const body = Buffer.concat(chunks);
  return { body, mime: mime ?? (await sniff(body)) };
}

/**
 * Checks and claims uploads for a post or an avatar: the viewer's own, with bytes received, not
 * refused, and not used before. Rows are locked so two posts cannot claim one upload.
 */
export async function claimUploads(tx: MediaTx, ownerId: string, ids: string[]): Promise<UploadRow[]> {
  const rows = ids.every(isId)
    ? await tx.select().from(uploads).where(sql`${uploads.id} = ANY(${sql.param(ids)}::uuid[])`).for('update')
    : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const id of ids) {
    const upload = byId.get(id);
    if (!upload || upload.ownerId !== ownerId) throw notFound(`No upload ${id} of yours.`);
    if (upload.usedAt) throw badUserInput(`Upload ${id} is already used.`, 'uploadIds');
    if (upload.status === 'pending' || upload.status === 'receiving') throw badUserInput(`Upload ${id} has no bytes yet: PUT them to its uploadUrl first.`, 'uploadIds');
    if (upload.status === 'failed') throw badUserInput(`Upload ${id} was refused: ${upload.error ?? 'not a usable image'}.`, 'uploadIds');
  }
  await tx.update(uploads).set({ usedAt: sql`now()` }).where(sql`${uploads.id} = ANY(${sql.param(ids)}::uuid[])`);
  return ids.map((id) => byId.get(id)!);
}

export type { UploadRow };
