import { crc32, deflateSync } from 'node:zlib';
import fc from 'fast-check';
import sharp from 'sharp';

/**
 * Image files as a hostile uploader sends them: real ones, cut short, with bits flipped, polyglots
 * (an image that is also a script, an archive, a page), decompression bombs (a few kilobytes that
 * decode to billions of pixels), other formats under an image's name, and noise.
 */
export interface ImageCase {
  kind: string;
  bytes: Buffer;
  /** What createUpload is told (the contract's types, or others). */
  declaredType: string;
  /** What createUpload is told of the size: the real one, or more, or less. */
  declaredSize: number;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'ascii'), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A 1-bit grey PNG of width × height, all zeros: its IDAT deflates to almost nothing. */
function pngBomb(width: number, height: number, complete: boolean): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const rowBytes = 1 + Math.ceil(width / 8);
  // A complete bomb holds every row; an incomplete one only its first rows (a decoder still sees the dimensions).
  const rows = complete ? height : Math.min(height, 64);
  const idat = deflateSync(Buffer.alloc(rowBytes * rows), { level: 9 });
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A baseline JPEG header that declares width × height, then almost no data. */
function jpegDeclaring(width: number, height: number): Buffer {
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]);
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0\x01\x01\0\0\x01\0\x01\0\0', 'binary'), sof, Buffer.alloc(64), Buffer.from([0xff, 0xd9])]);
}

export interface ImageCorpus {
  valid: Record<'jpeg' | 'png' | 'webp' | 'avif', Buffer>;
  fixed: { kind: string; bytes: Buffer }[];
}

/**
 * The files every run uses. `maxInputPixels` is the media service's limit: the bombs are far above
 * it, just above it, and (one) just under it, which is processed like any image.
 */
export async function imageCorpus(maxInputPixels: number): Promise<ImageCorpus> {
  const picture = () => sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 200, g: 100, b: 30 } } });
  const valid = {
    jpeg: await picture().jpeg().withMetadata({ exif: { IFD0: { Copyright: 'fuzz' } } }).toBuffer(),
    png: await picture().png().toBuffer(),
    webp: await picture().webp().toBuffer(),
    avif: await picture().avif({ effort: 0 }).toBuffer(),
  };
  const side = Math.floor(Math.sqrt(maxInputPixels));
  const fixed = [
    { kind: 'png bomb, 30000 x 30000 (complete)', bytes: pngBomb(30_000, 30_000, true) },
    { kind: 'png bomb, 100000 x 100000 (rows cut)', bytes: pngBomb(100_000, 100_000, false) },
    { kind: 'png bomb, just over the pixel limit', bytes: pngBomb(side + 2, side + 2, true) },
    { kind: 'png bomb, just under the pixel limit', bytes: pngBomb(side - 2, side - 2, true) },
    { kind: 'jpeg declaring 65500 x 65500', bytes: jpegDeclaring(65_500, 65_500) },
    { kind: 'jpeg declaring 0 x 0', bytes: jpegDeclaring(0, 0) },
    { kind: 'jpeg + html (polyglot)', bytes: Buffer.concat([valid.jpeg, Buffer.from('<html><script>alert(document.cookie)</script></html>')]) },
    { kind: 'jpeg + php (polyglot)', bytes: Buffer.concat([valid.jpeg, Buffer.from('<?php system($_GET["c"]); ?>')]) },
    { kind: 'png + zip (polyglot)', bytes: Buffer.concat([valid.png, Buffer.from('PK\x03\x04\x14\x00\x00\x00\x08\x00', 'binary'), Buffer.alloc(200, 1)]) },
    { kind: 'gif + js (GIFAR-like)', bytes: Buffer.from('GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=1;alert(1);', 'binary') },
    { kind: 'svg with script', bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>') },
    { kind: 'html with png magic', bytes: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.from('<html><body>not a picture</body></html>'.repeat(120))]) },
    { kind: 'elf executable', bytes: Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(5000)]) },
    { kind: 'pdf', bytes: Buffer.from(`%PDF-1.7\n${'x'.repeat(5000)}\n%%EOF`) },
    { kind: 'empty', bytes: Buffer.alloc(0) },
  ];
  return { valid, fixed };
}

/** Upload cases from the corpus: as they are, cut short, bit-flipped, or noise; declared as this type and size or another. */
export function imageCaseArbitrary(corpus: ImageCorpus): fc.Arbitrary<ImageCase> {
  const validEntries = Object.entries(corpus.valid) as [string, Buffer][];
  const source = fc.oneof(
    fc.constantFrom(...validEntries).map(([kind, bytes]) => ({ kind, bytes })),
    fc.constantFrom(...corpus.fixed),
    fc.tuple(fc.constantFrom(...validEntries), fc.double({ min: 0, max: 1, noNaN: true })).map(([[kind, bytes], f]) => ({ kind: `${kind} cut short`, bytes: bytes.subarray(0, Math.floor(bytes.length * f)) })),
    fc.tuple(fc.constantFrom(...validEntries), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 20 })).map(([[kind, bytes], flips]) => {
      const copy = Buffer.from(bytes);
      for (const [at, mask] of flips) copy[at % copy.length]! ^= mask;
      return { kind: `${kind} with bits flipped`, bytes: copy };
    }),
    fc.uint8Array({ minLength: 1, maxLength: 6000 }).map((bytes) => ({ kind: 'noise', bytes: Buffer.from(bytes) })),
  );
  return fc
    .tuple(source, fc.constantFrom('image/jpeg', 'image/png', 'image/webp', 'image/avif', 'image/heic', 'image/gif', 'text/html', 'IMAGE/JPEG ', ''), fc.constantFrom('exact', 'exact', 'less', 'more', 'zero', 'huge'))
    .map(([{ kind, bytes }, declaredType, size]) => ({
      kind,
      bytes,
      declaredType,
      declaredSize: { exact: bytes.length, less: Math.max(1, Math.floor(bytes.length / 2)), more: bytes.length + 1000, zero: 0, huge: 21 * 1024 * 1024 }[size]!,
    }));
}
