import { encode as encodeBlurhash } from 'blurhash';
import { eq, inArray, sql } from 'drizzle-orm';
import sharp from 'sharp';
import type { Logger } from '@shutter/service';
import type { MediaDb } from './db/index.ts';
import { images, postImages, posts, uploads, type StoredVariant } from './db/schema.ts';
import { publishPosts } from './posts.ts';
import type { ObjectStorage } from './storage/index.ts';

/** Variant widths; an original narrower than one is never scaled up to it. */
export const VARIANT_WIDTHS = [1080, 640, 320] as const;

export interface ProcessedImage {
  width: number;
  height: number;
  blurhash: string;
  variants: (StoredVariant & { body: Buffer })[];
}

/** The image is broken or too big: no retry will help. */
export class UnprocessableImage extends Error {}

/**
 * Decodes the original once, oriented by EXIF and already shrunk to the largest variant (libjpeg
 * and libwebp can decode at 1/2, 1/4, 1/8 scale, which is most of the cost of a 12 MP photo), then
 * makes every variant from that pixel buffer: WebP, and a JPEG fallback. sharp writes no metadata
 * unless asked (`withMetadata`), so EXIF, GPS and XMP are in no output.
 */
export async function renderVariants(original: Buffer, id: string, maxInputPixels: number): Promise<ProcessedImage> {
  try {
    // failOn 'truncated': a cut-off file is an error, not a half-grey picture.
    const metadata = await sharp(original, { limitInputPixels: maxInputPixels }).metadata();
    const oriented = metadata.autoOrient ?? { width: metadata.width, height: metadata.height };
    const largest = Math.min(VARIANT_WIDTHS[0], oriented.width);
    const pixels = await sharp(original, { limitInputPixels: maxInputPixels, failOn: 'truncated' })
      .rotate()
      .resize({ width: largest, withoutEnlargement: true })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: pixels.info.width, height: pixels.info.height, channels: 4 as const } };
    const widths = [...new Set(VARIANT_WIDTHS.map((w) => Math.min(w, oriented.width)))];
    const variants: ProcessedImage['variants'] = [];
    for (const target of widths) {
      const resized = () => sharp(pixels.data, raw).resize({ width: target, withoutEnlargement: true });
      const webp = await resized().webp({ quality: 80, effort: 2 }).toBuffer({ resolveWithObject: true });
      // JPEG has no alpha: transparent areas become white, not black.
      const jpeg = await resized().flatten({ background: '#ffffff' }).jpeg({ quality: 82, mozjpeg: true }).toBuffer({ resolveWithObject: true });
      variants.push({ key: `images/${id}/${target}.webp`, width: webp.info.width, height: webp.info.height, contentType: 'image/webp', body: webp.data });
      variants.push({ key: `images/${id}/${target}.jpg`, width: jpeg.info.width, height: jpeg.info.height, contentType: 'image/jpeg', body: jpeg.data });
    }
    const small = await sharp(pixels.data, raw).resize(32, 32, { fit: 'inside' }).raw().toBuffer({ resolveWithObject: true });
    const blurhash = encodeBlurhash(new Uint8ClampedArray(small.data), small.info.width, small.info.height, 4, 3);
    // WebP first (largest first), then the JPEG fallbacks.
    variants.sort((a, b) => (a.contentType === b.contentType ? b.width - a.width : a.contentType === 'image/webp' ? -1 : 1));
    return { width: oriented.width, height: oriented.height, blurhash, variants };
  } catch (e) {
    throw new UnprocessableImage((e as Error).message);
  }
}

/**
 * The job for upload.received. Idempotent: a ready or failed upload is left as it is, variants are
 * written under fixed keys, and the image row is inserted once. When the last image of a waiting
 * post is ready, the post is published (and post.created emitted) in the same transaction.
 */
export async function processUpload(
  deps: { db: MediaDb; storage: ObjectStorage; maxInputPixels: number; log: Logger },
  uploadId: string,
): Promise<'ready' | 'failed' | 'skipped'> {
  const { db, storage, log } = deps;
  const [upload] = await db.select().from(uploads).where(eq(uploads.id, uploadId));
  if (!upload || upload.status !== 'received' || !upload.originalKey) return 'skipped';
  const original = await storage.getBuffer(upload.originalKey);
  if (!original) throw new Error(`the original of upload ${uploadId} is missing from storage`);

  let processed: ProcessedImage;
  try {
    processed = await renderVariants(original, uploadId, deps.maxInputPixels);
  } catch (e) {
    if (!(e instanceof UnprocessableImage)) throw e;
    log.info({ uploadId, reason: e.message }, 'upload is not a usable image');
    await db.transaction(async (tx) => {
      await tx.update(uploads).set({ status: 'failed', error: `The image cannot be processed: ${e.message}` }).where(eq(uploads.id, uploadId));
      // A post waiting on it can never be complete.
      const waiting = tx.select({ id: postImages.postId }).from(postImages).where(eq(postImages.imageId, uploadId));
      await tx.update(posts).set({ status: 'failed' }).where(sql`${posts.status} = 'processing' and ${posts.id} in (${waiting})`);
    });
    await storage.delete([upload.originalKey]);
    return 'failed';
  }

  await Promise.all(processed.variants.map((v) => storage.put(v.key, v.body, v.contentType)));
  await db.transaction(async (tx) => {
    await tx
      .insert(images)
      .values({
        id: uploadId,
        width: processed.width,
        height: processed.height,
        blurhash: processed.blurhash,
        variants: processed.variants.map(({ body: _body, ...variant }) => variant),
      })
      .onConflictDoNothing();
    await tx.update(uploads).set({ status: 'ready' }).where(eq(uploads.id, uploadId));
    const waiting = await tx
      .selectDistinct({ id: postImages.postId })
      .from(postImages)
      .innerJoin(posts, eq(posts.id, postImages.postId))
      .where(sql`${postImages.imageId} = ${uploadId} and ${posts.status} = 'processing'`);
    if (waiting.length > 0) await publishPosts(tx, waiting.map((w) => w.id));
  });
  // The original carried the EXIF (GPS included): once the clean variants exist, it goes.
  await storage.delete([upload.originalKey]);
  await db.update(uploads).set({ originalKey: null }).where(inArray(uploads.id, [uploadId]));
  return 'ready';
}
