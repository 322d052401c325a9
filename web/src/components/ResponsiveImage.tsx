import { decode } from 'blurhash';
import { useState } from 'react';
import { graphql } from '../gql/index.ts';
import type { ResponsiveImage_ImageFragment } from '../gql/graphql.ts';
import { mediaUrl } from '../lib/urls.ts';
import styles from './ResponsiveImage.module.css';

export const ResponsiveImage_image = graphql(`
  fragment ResponsiveImage_image on Image {
    id
    url
    width
    height
    blurhash
    altText
    variants {
      url
      width
      height
      contentType
    }
  }
`);

const placeholders = new Map<string, string>();

/** The blurhash as a tiny image (a data: URL, decoded once per hash). */
export function blurhashDataUrl(hash: string): string | null {
  const known = placeholders.get(hash);
  if (known) return known;
  try {
    const canvas = document.createElement('canvas');
    canvas.width = 32;
    canvas.height = 32;
    const context = canvas.getContext('2d');
    if (!context) return null;
    const pixels = decode(hash, 32, 32);
    const image = context.createImageData(32, 32);
    image.data.set(pixels);
    context.putImageData(image, 0, 0);
    const url = canvas.toDataURL('image/png');
    placeholders.set(hash, url);
    return url;
  } catch {
    // A malformed hash: no placeholder, the neutral background shows instead.
    return null;
  }
}

/**
 * A photo: its blurhash at once, then the variant the layout needs (srcset/sizes; WebP, which
 * every browser this app supports decodes; the JPEGs stay for other clients), faded in.
 */
export function ResponsiveImage({
  image,
  sizes,
  alt,
  eager = false,
  fit = 'cover',
  className,
}: {
  image: ResponsiveImage_ImageFragment;
  sizes: string;
  alt: string;
  eager?: boolean;
  fit?: 'cover' | 'contain';
  className?: string;
}) {
  const [loaded, setLoaded] = useState(false);
  const webp = image.variants.filter((v) => v.contentType === 'image/webp');
  const candidates = webp.length > 0 ? webp : image.variants;
  const placeholder = image.blurhash ? blurhashDataUrl(image.blurhash) : null;
  return (
    <div className={`${styles.frame} ${className ?? ''}`} style={placeholder ? { backgroundImage: `url(${placeholder})` } : undefined}>
      <img
        className={`${styles.image} ${loaded ? styles.loaded : ''}`}
        style={{ objectFit: fit }}
        srcSet={candidates.map((v) => `${mediaUrl(v.url)} ${v.width}w`).join(', ')}
        sizes={sizes}
        src={mediaUrl(image.url)}
        width={image.width}
        height={image.height}
        alt={alt}
        loading={eager ? 'eager' : 'lazy'}
        fetchPriority={eager ? 'high' : 'auto'}
        decoding="async"
        draggable={false}
        onLoad={() => setLoaded(true)}
        // A cached image may have loaded before React attached onLoad.
        ref={(node) => {
          if (node?.complete && node.naturalWidth > 0) setLoaded(true);
        }}
      />
    </div>
  );
}
