// @ts-check
/**
 * Shutter's service worker: Web Push only (no offline cache; the app always asks the server).
 * The users worker sends { title, body, data: { notificationId, kind, actorId, postId, commentId } }
 * (subgraphs/users/src/push/message.ts); a click opens the post, or the notifications.
 */
/// <reference lib="webworker" />

const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));

/**
 * What a push shows, from its JSON payload; a payload that cannot be read still says something.
 * @param {unknown} payload
 */
function notificationOf(payload) {
  const message = /** @type {{ title?: unknown, body?: unknown, data?: Record<string, unknown> }} */ (payload && typeof payload === 'object' ? payload : {});
  const data = message.data && typeof message.data === 'object' ? message.data : {};
  const postId = typeof data.postId === 'string' ? data.postId : null;
  const notificationId = typeof data.notificationId === 'string' ? data.notificationId : undefined;
  return {
    title: typeof message.title === 'string' ? message.title : 'Shutter',
    options: {
      body: typeof message.body === 'string' ? message.body : 'You have a new notification.',
      icon: '/favicon.svg',
      badge: '/favicon.svg',
      // One notification per Shutter notification: a retried push replaces, not doubles.
      tag: notificationId,
      data: { url: postId ? `/p/${encodeURIComponent(postId)}` : '/notifications' },
    },
  };
}

sw.addEventListener('install', () => {
  void sw.skipWaiting();
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(sw.clients.claim());
});

sw.addEventListener('push', (event) => {
  let payload = null;
  try {
    payload = event.data ? event.data.json() : null;
  } catch {
    payload = null;
  }
  const { title, options } = notificationOf(payload);
  event.waitUntil(sw.registration.showNotification(title, options));
});

sw.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url ?? '/notifications', sw.location.origin).href;
  event.waitUntil(
    (async () => {
      // A Shutter tab that is open already goes to the post; else a new one opens there.
      const windows = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true });
      for (const client of windows) {
        if (new URL(client.url).origin === sw.location.origin && 'navigate' in client) {
          await client.focus();
          await client.navigate(url);
          return;
        }
      }
      await sw.clients.openWindow(url);
    })(),
  );
});
