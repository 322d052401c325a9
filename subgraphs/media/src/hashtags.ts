/** `#word` in a caption: letters, digits and "_", starting with a letter or digit; lower-cased, unique. */
const HASHTAG = /(?:^|[^\p{L}\p{N}_&#])#([\p{L}\p{N}][\p{L}\p{N}_]*)/gu;
export const MAX_HASHTAGS = 30;
export const MAX_HASHTAG_LENGTH = 100;

export function parseHashtags(caption: string | null): string[] {
  if (!caption) return [];
  const tags = new Set<string>();
  for (const match of caption.matchAll(HASHTAG)) {
    const tag = match[1]!.toLowerCase();
    if ([...tag].length <= MAX_HASHTAG_LENGTH) tags.add(tag);
    if (tags.size === MAX_HASHTAGS) break;
  }
  return [...tags];
}

/** A tag as a client asks for it: with or without "#", any case. */
export const normaliseTag = (tag: string): string => tag.trim().replace(/^#/, '').toLowerCase();
