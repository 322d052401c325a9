import postgres from 'postgres';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { renderVariants, processUpload } from '../src/processing.ts';
import { mediaDatabase, type MediaDatabase } from '../src/db/index.ts';
import { LocalStorage } from '../src/storage/index.ts';
import { jpegWithGps, pngWithAlpha, truncatedJpeg } from './fixtures.ts';
import { startMediaHarness, viewer, type MediaHarness } from './helpers.ts';

describe('renderVariants', () => {
  it('orients by EXIF, strips all metadata (GPS included), never upscales, and adds a blurhash', async () => {
    const original = await jpegWithGps();
    const exif = (await sharp(original).metadata()).exif!;
    // The fixture really carries a GPS IFD (tag 0x8825, in either byte order) and the camera make.
    expect(exif.includes(Buffer.from([0x88, 0x25])) || exif.includes(Buffer.from([0x25, 0x88]))).toBe(true);
    expect(exif.includes(Buffer.from('ShutterCam'))).toBe(true);
    const result = await renderVariants(original, '01930000-0000-7000-8000-000000000001', 100_000_000);
    // Stored 1600x1200 with orientation 6: the picture is 1200 wide and 1600 high.
    expect({ width: result.width, height: result.height }).toEqual({ width: 1200, height: 1600 });
    expect(result.variants.map((v) => [v.contentType, v.width, v.height])).toEqual([
      ['image/webp', 1080, 1440],
      ['image/webp', 640, 853],
      ['image/webp', 320, 427],
      ['image/jpeg', 1080, 1440],
      ['image/jpeg', 640, 853],
      ['image/jpeg', 320, 427],
    ]);
    for (const variant of result.variants) {
      const meta = await sharp(variant.body).metadata();
      expect(meta.format).toBe(variant.contentType === 'image/webp' ? 'webp' : 'jpeg');
      expect(meta.exif).toBeUndefined();
      expect(meta.xmp).toBeUndefined();
      expect(meta.orientation).toBeUndefined();
      expect(variant.body.includes(Buffer.from('ShutterCam'))).toBe(false);
    }
    expect(result.blurhash).toMatch(/^[0-9A-Za-z#$%*+,\-.:;=?@[\]^_{|}~]{28}$/);
  });

  it('keeps a small PNG at its width, keeps alpha in WebP and turns it white in the JPEG', async () => {
    const result = await renderVariants(await pngWithAlpha(), '01930000-0000-7000-8000-000000000002', 100_000_000);
    expect(result.variants.map((v) => [v.contentType, v.width])).toEqual([
      ['image/webp', 500],
      ['image/webp', 320],
      ['image/jpeg', 500],
      ['image/jpeg', 320],
    ]);
    const webp = result.variants[0]!;
    expect((await sharp(webp.body).metadata()).hasAlpha).toBe(true);
    const jpeg = result.variants[2]!;
    const corner = await sharp(jpeg.body).extract({ left: 0, top: 0, width: 1, height: 1 }).raw().toBuffer();
    expect([...corner].every((channel) => channel > 245)).toBe(true);
  });

  it('refuses a truncated file and one over the pixel limit', async () => {
    await expect(renderVariants(await truncatedJpeg(), '01930000-0000-7000-8000-000000000003', 100_000_000)).rejects.toThrow();
    await expect(renderVariants(await jpegWithGps(), '01930000-0000-7000-8000-000000000004', 1_000_000)).rejects.toThrow(/pixel/i);
  });
});

describe('processUpload (the worker job)', () => {
  let h: MediaHarness;
  let database: MediaDatabase;
  let sql: postgres.Sql;
  const alice = viewer(11);
  const log = pino({ level: 'silent' });

  beforeAll(async () => {
    h = await startMediaHarness({ worker: false });
    database = mediaDatabase.connect(h.database.url);
    sql = postgres(h.database.url, { max: 1 });
  });

  afterAll(async () => {
    await sql?.end();
    await database?.close();
    await h?.close();
  });

  const deps = () => ({ db: database.db, storage: new LocalStorage(h.storageDir), maxInputPixels: h.config.MAX_INPUT_PIXELS, log });

  it('is idempotent: a second delivery of the same job changes nothing', async () => {
    const upload = await h.upload(alice, await jpegWithGps());
    expect(await processUpload(deps(), upload.id)).toBe('ready');
    const [first] = await sql`select * from images where id = ${upload.id}`;
    expect(await processUpload(deps(), upload.id)).toBe('skipped');
    const [second] = await sql`select * from images where id = ${upload.id}`;
    expect(second).toEqual(first);
    const [row] = await sql`select status, original_key from uploads where id = ${upload.id}`;
    expect(row).toEqual({ status: 'ready', original_key: null });
  });

  it('marks a truncated upload failed, and a post that waited on it can never be created with it', async () => {
    const upload = await h.upload(alice, await truncatedJpeg());
    expect(await processUpload(deps(), upload.id)).toBe('failed');
    const [row] = await sql`select status, error from uploads where id = ${upload.id}`;
    expect(row!.status).toBe('failed');
    expect(row!.error).toMatch(/cannot be processed/);
    const post = await h.call('mutation($ids: [ID!]!) { createPost(input: { uploadIds: $ids }) { id } }', { ids: [upload.id] }, alice);
    expect(post.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(post.errors?.[0]?.message).toMatch(/refused/);
  });
});
