/**
 * Web Push in this browser: the service worker (public/sw.js) shows what the users worker sends;
 * the PushSubscription, made with the installation's VAPID key, is registered with
 * registerPushDevice. The device id is kept per user, to unregister it when push is turned off.
 */

export type PushSupport = 'supported' | 'unsupported' | 'insecure';

export function pushSupport(): PushSupport {
  if (typeof window === 'undefined' || !('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) return 'unsupported';
  return window.isSecureContext ? 'supported' : 'insecure';
}

/** A VAPID key (base64url) as PushManager.subscribe takes it. */
export function applicationServerKey(base64url: string): Uint8Array<ArrayBuffer> {
  const padded = base64url.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(base64url.length / 4) * 4, '=');
  const binary = atob(padded);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const deviceKey = (userId: string) => `shutter:push-device:${userId}`;

export const storedDeviceId = (userId: string): string | null => {
  try {
    return localStorage.getItem(deviceKey(userId));
  } catch {
    return null;
  }
};

async function registration(): Promise<ServiceWorkerRegistration> {
  await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  return navigator.serviceWorker.ready;
}

/** Whether this browser has a subscription and this user a registered device for it. */
export async function pushEnabled(userId: string): Promise<boolean> {
  if (pushSupport() !== 'supported' || Notification.permission !== 'granted' || !storedDeviceId(userId)) return false;
  const existing = await navigator.serviceWorker.getRegistration('/');
  return !!(await existing?.pushManager.getSubscription());
}

export class PushPermissionError extends Error {}

/** Asks for permission, subscribes, and registers the subscription (returns the device id). */
export async function enablePush(userId: string, publicKey: string, register: (subscriptionJson: string) => Promise<string>): Promise<void> {
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') {
    throw new PushPermissionError(
      permission === 'denied' ? 'Notifications are blocked for this site: allow them in your browser’s site settings, then try again.' : 'Notifications were not allowed.',
    );
  }
  const worker = await registration();
  const subscription =
    (await worker.pushManager.getSubscription()) ??
    (await worker.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: applicationServerKey(publicKey) }));
  const id = await register(JSON.stringify(subscription.toJSON()));
  localStorage.setItem(deviceKey(userId), id);
}

/** Unregisters the device and drops the subscription. */
export async function disablePush(userId: string, unregister: (deviceId: string) => Promise<void>): Promise<void> {
  const id = storedDeviceId(userId);
  if (id) await unregister(id);
  localStorage.removeItem(deviceKey(userId));
  const existing = await navigator.serviceWorker.getRegistration('/');
  await (await existing?.pushManager.getSubscription())?.unsubscribe();
}
