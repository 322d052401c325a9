/**
 * Photos made by the test: a landscape drawn as SVG (a sky, a sun, hills), as a JPEG carrying the
 * EXIF a phone writes, GPS position included, which the media worker must strip.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

export interface Photo {
  name: string;
  path: string;
  bytes: Buffer;
}

function landscape(width: number, height: number, hue: number): Buffer {
  const sky = `hsl(${hue} 70% 62%)`;
  const dusk = `hsl(${(hue + 50) % 360} 65% 38%)`;
  const sun = `hsl(${(hue + 190) % 360} 95% 86%)`;
  const hills = [`hsl(${(hue + 130) % 360} 35% 30%)`, `hsl(${(hue + 150) % 360} 40% 20%)`];
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
      <defs><linearGradient id="s" x1="0" y1="0" x2="0.4" y2="1"><stop offset="0" stop-color="${sky}"/><stop offset="1" stop-color="${dusk}"/></linearGradient></defs>
      <rect width="100%" height="100%" fill="url(#s)"/>
      <circle cx="${width * 0.68}" cy="${height * 0.32}" r="${Math.min(width, height) * 0.11}" fill="${sun}"/>
      <path d="M0 ${height * 0.72} Q ${width * 0.25} ${height * 0.55} ${width * 0.5} ${height * 0.7} T ${width} ${height * 0.62} V ${height} H 0 Z" fill="${hills[0]}"/>
      <path d="M0 ${height * 0.86} Q ${width * 0.35} ${height * 0.74} ${width * 0.62} ${height * 0.85} T ${width} ${height * 0.82} V ${height} H 0 Z" fill="${hills[1]}"/>
    </svg>`,
  );
}

/** A JPEG with camera EXIF and a GPS position (Amsterdam, 52°22'N 4°53'E). */
export async function photo(dir: string, name: string, options: { width?: number; height?: number; hue?: number } = {}): Promise<Photo> {
  const { width = 1600, height = 1200, hue = 200 } = options;
  const bytes = await sharp(landscape(width, height, hue))
    .withExif({
      IFD0: { Make: 'Shutter', Model: 'E2E Camera', Software: 'web/e2e/photos.ts' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '52/1 22/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '4/1 53/1 0/1' },
    })
    .jpeg({ quality: 88 })
    .toBuffer();
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return { name, path, bytes };
}

/** Whether an image file carries EXIF (and so, possibly, where it was taken). */
export async function hasExif(bytes: Buffer): Promise<boolean> {
  const metadata = await sharp(bytes).metadata();
  return !!metadata.exif && metadata.exif.length > 0;
}
