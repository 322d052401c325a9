/**
 * Media URLs come from the API as absolute URLs of the web origin (MEDIA_PUBLIC_URL). Under
 * `npm run dev` the page is Vite's origin instead: URLs of the backend's origin are made relative,
 * so that they go through Vite's proxy (an upload PUT to another origin would need CORS).
 */
declare const __SHUTTER_DEV_BACKEND__: string;

const devBackend = typeof __SHUTTER_DEV_BACKEND__ === 'string' && __SHUTTER_DEV_BACKEND__ ? new URL(__SHUTTER_DEV_BACKEND__).origin : null;

export function mediaUrl(url: string): string {
  if (!devBackend) return url;
  try {
    const parsed = new URL(url);
    return parsed.origin === devBackend ? parsed.pathname + parsed.search : url;
  } catch {
    return url;
  }
}

/** The socket's URL: this origin's /graphql, over wss when the page is https. */
export function graphqlSocketUrl(location: Pick<Location, 'protocol' | 'host'> = window.location): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
}
