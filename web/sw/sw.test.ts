import { describe, expect, it, vi } from 'vitest';
import source from '../public/sw.js?raw';

/** The service worker script in a scope of its own, with the browser's parts it uses faked. */
function worker(windows: { url: string; focus: ReturnType<typeof vi.fn>; navigate: ReturnType<typeof vi.fn> }[] = []) {
  const listeners = new Map<string, (event: unknown) => void>();
  const showNotification = vi.fn(async () => {});
  const openWindow = vi.fn(async () => null);
  const self = {
    addEventListener: (type: string, listener: (event: unknown) => void) => listeners.set(type, listener),
    registration: { showNotification },
    clients: { matchAll: vi.fn(async () => windows), openWindow, claim: vi.fn(async () => {}) },
    location: { origin: 'https://shutter.example' },
    skipWaiting: vi.fn(async () => {}),
  };
  // A classic script: its `self` is the one given here, not the page's.
  new Function('self', source)(self);
  const dispatch = async (type: string, event: Record<string, unknown>) => {
    let work: Promise<unknown> = Promise.resolve();
    listeners.get(type)!({ ...event, waitUntil: (p: Promise<unknown>) => (work = p) });
    await work;
  };
  return { dispatch, showNotification, openWindow };
}

// What the users worker sends (subgraphs/users/src/push/message.ts).
const like = {
  title: '@grace liked your post',
  body: 'Your post has a new like.',
  data: { notificationId: 'n1', kind: 'LIKE', actorId: 'u2', postId: 'p1', commentId: null },
};

describe('the service worker', () => {
  it('shows the push as a notification that remembers the post', async () => {
    const sw = worker();
    await sw.dispatch('push', { data: { json: () => like } });
    expect(sw.showNotification).toHaveBeenCalledWith('@grace liked your post', expect.objectContaining({ body: 'Your post has a new like.', tag: 'n1', data: { url: '/p/p1' } }));
  });

  it('still says something for a push it cannot read, and points a follow at the notifications', async () => {
    const sw = worker();
    await sw.dispatch('push', {
      data: {
        json: () => {
          throw new SyntaxError('not JSON');
        },
      },
    });
    expect(sw.showNotification).toHaveBeenCalledWith('Shutter', expect.objectContaining({ data: { url: '/notifications' } }));
    await sw.dispatch('push', { data: { json: () => ({ ...like, data: { ...like.data, kind: 'FOLLOW', postId: null } }) } });
    expect(sw.showNotification).toHaveBeenLastCalledWith(like.title, expect.objectContaining({ data: { url: '/notifications' } }));
  });

  it('opens the post on a click: in the Shutter tab that is open, else in a new one', async () => {
    const tab = { url: 'https://shutter.example/', focus: vi.fn(async () => {}), navigate: vi.fn(async () => {}) };
    const withTab = worker([tab]);
    const notification = { close: vi.fn(), data: { url: '/p/p1' } };
    await withTab.dispatch('notificationclick', { notification });
    expect(notification.close).toHaveBeenCalled();
    expect(tab.focus).toHaveBeenCalled();
    expect(tab.navigate).toHaveBeenCalledWith('https://shutter.example/p/p1');
    expect(withTab.openWindow).not.toHaveBeenCalled();

    const without = worker([]);
    await without.dispatch('notificationclick', { notification });
    expect(without.openWindow).toHaveBeenCalledWith('https://shutter.example/p/p1');
  });
});
