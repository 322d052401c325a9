import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadSettings, uploadUrlFor } from '../src/uploads.ts';
import { jpegWithGps, manyPixels, notAnImage, pngWithAlpha, truncatedJpeg } from './fixtures.ts';
import { startMediaHarness, viewer, type MediaHarness } from './helpers.ts';

let h: MediaHarness;
let sql: postgres.Sql;
const alice = viewer(1);

beforeAll(async () => {
  // No worker here: these tests are about what the PUT accepts and keeps.
  h = await startMediaHarness({ worker: false, env: { MAX_INPUT_PIXELS: '4000000' } });
  sql = postgres(h.database.url, { max: 1 });
});

afterAll(async () => {
  await sql?.end();
  await h?.close();
});

const statusOf = async (id: string) => (await sql`select status, error, original_key from uploads where id = ${id}`)[0]!;
const originals = () => (existsSync(join(h.storageDir, 'originals')) ? readdirSync(join(h.storageDir, 'originals')) : []);

describe('createUpload', () => {
  it('refuses unknown types, empty or over-20-MiB sizes, and anonymous callers', async () => {
    const create = (input: object, who: string | null = alice) => h.call('mutation($i: CreateUploadInput!) { createUpload(input: $i) { id } }', { i: input }, who);
    expect((await create({ contentType: 'image/gif', byteSize: 10 })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await create({ contentType: 'image/jpeg', byteSize: 0 })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await create({ contentType: 'image/jpeg', byteSize: 20 * 1024 * 1024 + 1 })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await create({ contentType: 'image/jpeg', byteSize: 10 }, null)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const ok = await create({ contentType: 'IMAGE/JPEG', byteSize: 20 * 1024 * 1024 });
    expect(ok.data?.createUpload.id).toBeTruthy();
  });
});

describe('PUT to the upload URL', () => {
  it('takes a JPEG once: a second PUT to the same URL is refused', async () => {
    const bytes = await jpegWithGps();
    const first = await h.upload(alice, bytes);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'received', contentType: 'image/jpeg', byteSize: bytes.length });
    expect(await statusOf(first.id)).toMatchObject({ status: 'received' });
    const again = await fetch(first.uploadUrl, { method: 'PUT', body: bytes });
    expect(again.status).toBe(409);
  });

  it('decides the type from the bytes: a PNG declared as JPEG is a PNG', async () => {
    const result = await h.upload(alice, await pngWithAlpha(), { contentType: 'image/jpeg' });
    expect(result.status).toBe(200);
    expect(result.body.contentType).toBe('image/png');
  });

  it('refuses a file that claims to be an image and is not, and keeps nothing of it', async () => {
    const before = originals().length;
    const result = await h.upload(alice, notAnImage(), { contentType: 'image/jpeg' });
    expect(result.status).toBe(415);
    expect(result.body.error).toMatch(/not a supported image/i);
    expect(await statusOf(result.id)).toMatchObject({ status: 'failed', original_key: null });
    expect(originals().length).toBe(before);
  });

  it('cuts off a client that sends more than it declared', async () => {
    const bytes = await jpegWithGps();
    const before = originals().length;
    const result = await h.upload(alice, bytes, { byteSize: 5000 });
    // Either the 413 or a reset connection, depending on how far the client got: never a 200.
    expect([413, 0]).toContain(result.status);
    expect(await statusOf(result.id)).toMatchObject({ status: 'failed' });
    expect(originals().length).toBe(before);
  });

  it('cuts off a body over the 20 MiB cap even when 20 MiB was declared', async () => {
    const head = await jpegWithGps();
    const huge = Buffer.concat([head, Buffer.alloc(20 * 1024 * 1024 + 1 - head.length)]);
    const result = await h.upload(alice, huge, { byteSize: 20 * 1024 * 1024 });
    expect([413, 0]).toContain(result.status);
    expect(await statusOf(result.id)).toMatchObject({ status: 'failed' });
  });

  it('refuses a decompression bomb (more pixels than the limit) before storing it', async () => {
    const result = await h.upload(alice, await manyPixels(), { contentType: 'image/png' });
    expect(result.status).toBe(422);
    expect(result.body.error).toMatch(/pixel/);
  });

  it('accepts a truncated JPEG at the door; the worker refuses it (see processing tests)', async () => {
    const result = await h.upload(alice, await truncatedJpeg());
    expect(result.status).toBe(200);
  });

  it('refuses a forged or expired URL', async () => {
    const created = await h.call('mutation { createUpload(input: { contentType: "image/png", byteSize: 100 }) { id uploadUrl } }', {}, alice);
    const { id, uploadUrl } = created.data!.createUpload;
    const forged = uploadUrl.replace(/signature=[^&]+/, 'signature=AAAA');
    expect((await fetch(forged, { method: 'PUT', body: 'x' })).status).toBe(403);
    const expired = uploadUrlFor(uploadSettings(h.config, h.media.url), id, Date.now() - 1000);
    expect((await fetch(expired, { method: 'PUT', body: 'x' })).status).toBe(410);
    expect(await statusOf(id)).toMatchObject({ status: 'pending' });
  });

  it('serves no originals and nothing outside images/', async () => {
    for (const path of ['/files/originals/x', '/files/../secrets.json', '/files/images/zzz.webp']) {
      expect((await fetch(`${h.media.url}${path}`)).status, path).toBe(404);
    }
  });
});
