import sharp from 'sharp';

/** Real images, made here, for the cases that matter. */
const scene = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 80, b: 40 } } }).composite([
    { input: Buffer.from(`<svg width="${width}" height="${height}"><rect x="0" y="0" width="${width / 4}" height="${height / 4}" fill="blue"/></svg>`) },
  ]);

/** A 1600x1200 JPEG with GPS position and camera make in EXIF, stored sideways (orientation 6). */
export const jpegWithGps = () =>
  scene(1600, 1200)
    // sharp sets Orientation itself (withMetadata); withExifMerge adds the camera and GPS tags.
    .withMetadata({ orientation: 6 })
    .withExifMerge({
      IFD0: { Make: 'ShutterCam' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2964/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 17/1 4020/100' },
    })
    .jpeg({ quality: 90 })
    .toBuffer();

/** A 500x300 PNG, transparent but for a red square in the middle. */
export const pngWithAlpha = () =>
  sharp({ create: { width: 500, height: 300, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
    .composite([{ input: { create: { width: 100, height: 100, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 1 } } }, left: 200, top: 100 }])
    .png()
    .toBuffer();

/** A JPEG cut off after 60% of its bytes. */
export const truncatedJpeg = async () => {
  const whole = await scene(800, 600).jpeg({ quality: 95 }).toBuffer();
  return whole.subarray(0, Math.floor(whole.length * 0.6));
};

/** Text that claims (by name and declared type) to be a JPEG. */
export const notAnImage = () => Buffer.from('<?php echo "this is not a photo"; ?>\n'.repeat(300));

/** A small file that decodes to many pixels (the test lowers the pixel limit below it). */
export const manyPixels = () => sharp({ create: { width: 2500, height: 2000, channels: 3, background: '#888' } }).png().toBuffer();
