import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage, S3Storage, type ObjectStorage } from '../src/storage/index.ts';

/** The same contract, against the filesystem and a real S3-compatible server on loopback. */
const folders: string[] = [];
let s3rver: S3rver;
let s3: S3Storage;
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), 'shutter-storage-'));
  folders.push(dir);
  return dir;
};

beforeAll(async () => {
  s3rver = new S3rver({ port: 0, address: '127.0.0.1', directory: folder(), silent: true });
  const address = (await s3rver.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${address.port}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  await new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials }).send(new CreateBucketCommand({ Bucket: 'shutter-test' }));
  s3 = new S3Storage({ bucket: 'shutter-test', region: 'us-east-1', endpoint, forcePathStyle: true, ...credentials });
});

afterAll(async () => {
  await s3rver?.close();
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

const contract = (name: string, make: () => ObjectStorage) =>
  describe(name, () => {
    it('puts, gets (stream and buffer), and deletes', async () => {
      const storage = make();
      const key = 'images/01930000-0000-7000-8000-000000000009/640.webp';
      const body = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
      await storage.put(key, body, 'image/webp');
      expect(await storage.getBuffer(key)).toEqual(body);
      const object = await storage.get(key);
      expect(object?.contentType).toBe('image/webp');
      expect(object?.size).toBe(body.length);
      const chunks: Buffer[] = [];
      for await (const chunk of object!.body) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks)).toEqual(body);
      await storage.delete([key]);
      expect(await storage.get(key)).toBeNull();
      expect(await storage.getBuffer(key)).toBeNull();
      await storage.delete([key]);
    });

    it('answers null for a key it never had', async () => {
      expect(await make().get('images/01930000-0000-7000-8000-00000000000a/320.jpg')).toBeNull();
    });
  });

contract('LocalStorage', () => new LocalStorage(folder()));
contract('S3Storage (s3rver)', () => s3);
