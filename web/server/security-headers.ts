import type { Page } from './static-files.ts';

export interface SecurityOptions {
  /** Origins besides this one that images and uploads come from (S3, a CDN). */
  mediaOrigins: string[];
  /** The page is served over https (HSTS makes sense only then). */
  https: boolean;
}

/**
 * The Content-Security-Policy of each page: only what the app does. Scripts, styles, fonts and
 * workers come from this origin; GraphQL, the socket and uploads go to it (or to the media
 * origins); images are this origin's, the media origins', blob: (the composer's previews) and
 * data: (blurhash placeholders). Inline scripts only by their hash. The explorer also needs inline styles: its editor (Monaco) writes
 * <style> elements at run time; it is its own page, so the app's policy stays strict.
 */
export function contentSecurityPolicy(page: Page, options: SecurityOptions, inlineScriptHashes: string[] = []): string {
  const media = options.mediaOrigins.join(' ');
  const directives: Record<string, string> = {
    'default-src': "'self'",
    'script-src': `'self' ${inlineScriptHashes.join(' ')}`,
    'style-src': page === 'explorer' ? "'self' 'unsafe-inline'" : "'self'",
    'img-src': `'self' blob: data: ${media}`,
    'connect-src': `'self' ${media}`,
    'font-src': "'self' data:",
    'worker-src': "'self'",
    'manifest-src': "'self'",
    'object-src': "'none'",
    'base-uri': "'none'",
    'form-action': "'self'",
    'frame-ancestors': "'none'",
  };
  return Object.entries(directives)
    .map(([name, value]) => `${name} ${value.trim()}`)
    .join('; ');
}

/** Headers for every response of this origin. */
export function baseHeaders(options: SecurityOptions): Record<string, string> {
  return {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
    'x-frame-options': 'DENY',
    ...(options.https ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
}

/** Headers of an HTML page: the base ones and its CSP. */
export function pageHeaders(page: Page | null, options: SecurityOptions, inlineScriptHashes: string[] = []): Record<string, string> {
  return page ? { ...baseHeaders(options), 'content-security-policy': contentSecurityPolicy(page, options, inlineScriptHashes) } : baseHeaders(options);
}

/**
 * Media files are shown by the app, never run: a policy that forbids everything, should a stored
 * file ever be opened as a document.
 */
export const FILE_HEADERS = { 'content-security-policy': "default-src 'none'; sandbox", 'x-content-type-options': 'nosniff' };
