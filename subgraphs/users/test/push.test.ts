import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { importJWK, importSPKI, jwtVerify } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import type { Queue } from 'bullmq';
import { ConfigError } from '@shutter/config';
import { newId } from '@shutter/db';
import { createQueue, createRedisConnection, type EventJob } from '@shutter/events';
import { createTestDatabase, createTestSecrets, decryptWebPush as decrypt, newTestBrowser as newBrowser, subscriptionOf, testRedisPrefix, testRedisUrl, type TestDatabase } from '@shutter/testing';
import type { UsersConfig } from '../src/config.ts';
import { usersDatabase, type UsersDatabase } from '../src/db/index.ts';
import { pushDevices, users } from '../src/db/schema.ts';
import { PUSH_DELIVER_QUEUE, PUSH_NOTIFICATION_QUEUE, pushRequestId, startUsersWorker } from '../src/jobs/index.ts';
import { deliverPush, type PushSenders } from '../src/push/delivery.ts';
import { renderPushMessage, type NotificationCreated } from '../src/push/message.ts';
import { classifyFcm, classifyWebPush, parseRetryAfter, PushRetryError, retryDelay } from '../src/push/outcome.ts';
import { createWebPushSender } from '../src/push/web-push.ts';
import { registerPushDevice } from '../src/push-devices.ts';
import { bulkInsertUsers, seedPushDevices } from '../src/seed.ts';
import { usersTestConfig } from './config.ts';

const log = pino({ level: 'silent' });
const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

// ---------------------------------------------------------------------------------------------
// Local stand-ins for the push services, on 127.0.0.1.

interface Recorded {
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  at: number;
}
interface Scripted {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** A server on a free port; a failed expectation inside it is kept in `problems` (the tests assert none). */
async function startHttp(handle: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void | Promise<void>) {
  const problems: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      Promise.resolve(handle(req, Buffer.concat(chunks), res)).catch((e: Error) => {
        problems.push(`${req.url}: ${e.message}`);
        res.writeHead(400).end(e.message);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, problems, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const answer = (res: ServerResponse, scripted: Scripted) => {
  res.writeHead(scripted.status, { 'content-type': 'application/json', ...scripted.headers });
  res.end(scripted.body === undefined ? '' : JSON.stringify(scripted.body));
};

/** A browser vendor's push service: records each push by path, answers 201 unless told otherwise. */
async function startWebPushService() {
  const requests: Recorded[] = [];
  const scripts = new Map<string, Scripted[]>();
  const http = await startHttp((req, body, res) => {
    const path = req.url ?? '/';
    requests.push({ path, headers: req.headers, body, at: performance.now() });
    answer(res, scripts.get(path)?.shift() ?? { status: 201 });
  });
  return {
    ...http,
    requests: (path: string) => requests.filter((r) => r.path === path),
    script: (path: string, answers: Scripted[]) => scripts.set(path, answers),
  };
}

/** Google's token endpoint and FCM's messages:send, checking what the real ones check. */
async function startFcmService(publicKeyPem: string, account: { client_email: string; project_id: string }) {
  const messages: { authorization: string | undefined; body: any }[] = [];
  const issued: string[] = [];
  const scripts = new Map<string, Scripted[]>();
  const publicKey = await importSPKI(publicKeyPem, 'RS256');
  const http = await startHttp(async (req, body, res) => {
    if (req.url === '/token') {
      const form = new URLSearchParams(body.toString());
      expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
      const { payload, protectedHeader } = await jwtVerify(form.get('assertion') ?? '', publicKey, {
        issuer: account.client_email,
        audience: `${http.url}/token`,
        algorithms: ['RS256'],
      });
      expect(protectedHeader).toMatchObject({ alg: 'RS256', kid: 'key-1' });
      expect(payload.scope).toBe(FCM_SCOPE);
      expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBeLessThanOrEqual(3600);
      const token = `ya29.fake-${issued.length + 1}`;
      issued.push(token);
      return answer(res, { status: 200, body: { access_token: token, expires_in: 3599, token_type: 'Bearer' } });
    }
    expect(req.url).toBe(`/v1/projects/${account.project_id}/messages:send`);
    const message = JSON.parse(body.toString());
    messages.push({ authorization: req.headers.authorization, body: message });
    if (!issued.some((t) => req.headers.authorization === `Bearer ${t}`)) return answer(res, { status: 401, body: { error: { code: 401, status: 'UNAUTHENTICATED' } } });
    answer(res, scripts.get(message.message.token)?.shift() ?? { status: 200, body: { name: `projects/${account.project_id}/messages/${messages.length}` } });
  });
  return {
    ...http,
    messages,
    issued,
    script: (deviceToken: string, answers: Scripted[]) => scripts.set(deviceToken, answers),
  };
}

// ---------------------------------------------------------------------------------------------

let database: TestDatabase;
let usersDb: UsersDatabase;
let config: UsersConfig;
let worker: Awaited<ReturnType<typeof startUsersWorker>>;
let push: Awaited<ReturnType<typeof startWebPushService>>;
let fcm: Awaited<ReturnType<typeof startFcmService>>;
let connection: ReturnType<typeof createRedisConnection>;
let notificationQueue: Queue;
let deliverQueue: Queue;
let vapid: { publicKey: string; privateKey: string };
let secrets: Awaited<ReturnType<typeof createTestSecrets>>;
const fcmAccount = { project_id: 'shutter-test', client_email: 'push@shutter-test.iam.gserviceaccount.com' };

beforeAll(async () => {
  database = await createTestDatabase(usersDatabase);
  usersDb = usersDatabase.connect(database.url);
  secrets = await createTestSecrets();
  vapid = webpush.generateVAPIDKeys();
  const rsa = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  push = await startWebPushService();
  fcm = await startFcmService(rsa.publicKey, fcmAccount);
  const prefix = testRedisPrefix();
  config = usersTestConfig(database.url, secrets, {
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: prefix,
    VAPID_PUBLIC_KEY: vapid.publicKey,
    VAPID_PRIVATE_KEY: vapid.privateKey,
    VAPID_SUBJECT: 'mailto:ops@shutter.test',
    FCM_SERVICE_ACCOUNT: JSON.stringify({ type: 'service_account', ...fcmAccount, private_key_id: 'key-1', private_key: rsa.privateKey, token_uri: `${fcm.url}/token` }),
    FCM_ENDPOINT: fcm.url,
    // Retries in tens of milliseconds, not seconds.
    PUSH_RETRY_DELAY_MS: '20',
  });
  worker = await startUsersWorker(config, { logger: log });
  connection = createRedisConnection(config.REDIS_URL);
  notificationQueue = createQueue(PUSH_NOTIFICATION_QUEUE, { connection, prefix });
  deliverQueue = createQueue(PUSH_DELIVER_QUEUE, { connection, prefix });
});

afterAll(async () => {
  await worker?.close();
  await notificationQueue?.obliterate({ force: true });
  await deliverQueue?.obliterate({ force: true });
  await notificationQueue?.close();
  await deliverQueue?.close();
  await connection?.quit();
  await push?.close();
  await fcm?.close();
  await usersDb?.close();
  await database?.drop();
});

async function createUser(username: string): Promise<string> {
  const id = newId();
  await usersDb.db.insert(users).values({ id, username, email: `${username}@example.com`, passwordHash: 'not used here' });
  return id;
}

function notification(recipientId: string, actorId: string, kind: NotificationCreated['kind'], extra: Partial<NotificationCreated> = {}): NotificationCreated {
  return { notificationId: newId(), recipientId, actorId, kind, postId: null, commentId: null, createdAt: new Date().toISOString(), ...extra };
}

/** What the feed's outbox relay does: the event (one notification, or a batch) as job data, with jobId = the outbox row's id. */
async function publish(batch: NotificationCreated | NotificationCreated[], eventId: string = newId()) {
  const notifications = Array.isArray(batch) ? batch : [batch];
  const data: EventJob<'notification.created'> = { event: 'notification.created', eventId, payload: { notifications } };
  await notificationQueue.add('notification.created', data, { jobId: eventId });
}

async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Both queues idle: nothing waiting, running or due for a retry. */
async function settled() {
  const busy = async () => {
    const counts = await Promise.all([notificationQueue, deliverQueue].map((q) => q.getJobCounts('waiting', 'active', 'delayed', 'prioritized')));
    return counts.reduce((sum, c) => sum + Object.values(c).reduce((a, b) => a + b, 0), 0);
  };
  await waitFor(async () => (await busy()) === 0, 'the queues to drain');
}

const deviceExists = async (id: string) => (await usersDb.db.select().from(pushDevices).where(eq(pushDevices.id, id))).length === 1;

describe('Web Push', () => {
  it('sends a push the browser can decrypt, signed with our VAPID key', async () => {
    const [rita, alice] = [await createUser('rita'), await createUser('alice')];
    const browser = newBrowser();
    await registerPushDevice(usersDb.db, rita, 'WEB_PUSH', subscriptionOf(browser, `${push.url}/sub/rita`));
    const postId = newId();
    const liked = notification(rita, alice, 'LIKE', { postId });
    await publish(liked);

    await waitFor(() => push.requests('/sub/rita').length === 1, 'the push');
    const [request] = push.requests('/sub/rita');
    expect(request!.headers['content-encoding']).toBe('aes128gcm');
    expect(request!.headers.ttl).toBe('86400');
    expect(request!.headers.topic).toBe(liked.notificationId.replaceAll('-', ''));
    const message = JSON.parse(decrypt(request!.body, browser));
    expect(message).toEqual({
      title: '@alice liked your post',
      body: 'Your post has a new like.',
      data: { notificationId: liked.notificationId, kind: 'LIKE', actorId: alice, postId, commentId: null },
    });

    // VAPID (RFC 8292): a JWT for this push service's origin, signed by the key named beside it.
    const auth = /^vapid t=([^,]+), k=(.+)$/.exec(request!.headers.authorization ?? '');
    expect(auth, request!.headers.authorization).not.toBeNull();
    expect(auth![2]).toBe(vapid.publicKey);
    const point = Buffer.from(vapid.publicKey, 'base64url');
    const key = await importJWK(
      { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') },
      'ES256',
    );
    const { payload } = await jwtVerify(auth![1]!, key, { audience: push.url, subject: 'mailto:ops@shutter.test', algorithms: ['ES256'] });
    expect(payload.exp! * 1000).toBeGreaterThan(Date.now());
  });

  it('removes the device when the push service answers 410 Gone', async () => {
    const [rosa, bob] = [await createUser('rosa'), await createUser('bob')];
    const device = await registerPushDevice(usersDb.db, rosa, 'WEB_PUSH', subscriptionOf(newBrowser(), `${push.url}/sub/rosa`));
    push.script('/sub/rosa', [{ status: 410 }]);
    await publish(notification(rosa, bob, 'FOLLOW'));
    await waitFor(async () => !(await deviceExists(device.id)), 'the device to be removed');
    await settled();
    expect(push.requests('/sub/rosa')).toHaveLength(1);
  });

  it('retries a 503 with backoff, waiting as long as Retry-After asks, and then delivers', async () => {
    const [remy, cleo] = [await createUser('remy'), await createUser('cleo')];
    const device = await registerPushDevice(usersDb.db, remy, 'WEB_PUSH', subscriptionOf(newBrowser(), `${push.url}/sub/remy`));
    push.script('/sub/remy', [{ status: 503, headers: { 'retry-after': '1' } }, { status: 503 }, { status: 201 }]);
    const followed = notification(remy, cleo, 'FOLLOW');
    await publish(followed);
    await waitFor(() => push.requests('/sub/remy').length === 3, 'three tries', 15_000);
    await settled();
    const tries = push.requests('/sub/remy').map((r) => r.at);
    // The first retry waited for Retry-After (1 s); the second only the configured backoff (20-40 ms).
    expect(tries[1]! - tries[0]!).toBeGreaterThanOrEqual(950);
    expect(tries[2]! - tries[1]!).toBeLessThan(900);
    const job = await deliverQueue.getJob(pushRequestId(followed.notificationId, device.id));
    expect(await job!.getState()).toBe('completed');
    expect(job!.returnvalue).toBe('delivered');
    expect(job!.attemptsMade).toBe(3);
    expect(await deviceExists(device.id)).toBe(true);
  });

  it('gives up at once on another 4xx, and keeps the device', async () => {
    const [ruth, dan] = [await createUser('ruth'), await createUser('dan')];
    const device = await registerPushDevice(usersDb.db, ruth, 'WEB_PUSH', subscriptionOf(newBrowser(), `${push.url}/sub/ruth`));
    push.script('/sub/ruth', [{ status: 400 }]);
    const followed = notification(ruth, dan, 'FOLLOW');
    await publish(followed);
    await waitFor(() => push.requests('/sub/ruth').length === 1, 'the push');
    await settled();
    expect(push.requests('/sub/ruth')).toHaveLength(1);
    expect((await deliverQueue.getJob(pushRequestId(followed.notificationId, device.id)))!.returnvalue).toBe('rejected');
    expect(await deviceExists(device.id)).toBe(true);
  });

  it('pushes a notification delivered three times (same job id, and another id) once to each device', async () => {
    // (The second id stands for an event the feed could only send twice through a bug: the push's
    // own event id, derived from notification and device, still makes it one push.)
    const [rick, eve] = [await createUser('rick'), await createUser('eve')];
    await registerPushDevice(usersDb.db, rick, 'WEB_PUSH', subscriptionOf(newBrowser(), `${push.url}/sub/rick-phone`));
    await registerPushDevice(usersDb.db, rick, 'WEB_PUSH', subscriptionOf(newBrowser(), `${push.url}/sub/rick-laptop`));
    const posted = notification(rick, eve, 'NEW_POST', { postId: newId() });
    const eventId = newId();
    await publish(posted, eventId);
    await publish(posted, eventId);
    await waitFor(() => push.requests('/sub/rick-phone').length + push.requests('/sub/rick-laptop').length === 2, 'both pushes');
    // The relay again, after a crash: a new outbox row for the same notification.
    await publish(posted, newId());
    await settled();
    expect(push.requests('/sub/rick-phone')).toHaveLength(1);
    expect(push.requests('/sub/rick-laptop')).toHaveLength(1);
  });

  it('pushes a batch (a page of a fan-out) to each device of its recipients once', async () => {
    const [ann, ben, cat, poster] = [await createUser('ann'), await createUser('ben'), await createUser('cat'), await createUser('poster')];
    await registerPushDevice(usersDb.db, ann, 'WEB_PUSH', subscriptionOf(newBrowser(), `${push.url}/sub/ann`));
    await registerPushDevice(usersDb.db, ben, 'WEB_PUSH', subscriptionOf(newBrowser(), `${push.url}/sub/ben-1`));
    await registerPushDevice(usersDb.db, ben, 'WEB_PUSH', subscriptionOf(newBrowser(), `${push.url}/sub/ben-2`));
    const postId = newId();
    const eventId = newId();
    // cat has no device: the batch still delivers to the others.
    await publish([ann, ben, cat].map((r) => notification(r, poster, 'NEW_POST', { postId })), eventId);
    await waitFor(() => ['/sub/ann', '/sub/ben-1', '/sub/ben-2'].every((p) => push.requests(p).length === 1), 'three pushes');
    await settled();
    expect((await notificationQueue.getJob(eventId))!.returnvalue).toEqual({ devices: 3 });
    expect(['/sub/ann', '/sub/ben-1', '/sub/ben-2'].map((p) => push.requests(p).length)).toEqual([1, 1, 1]);
  });

  it('pushes nothing to a recipient without devices, or for an actor who is gone', async () => {
    const [rob, fay, nobody] = [await createUser('rob'), await createUser('fay'), newId()];
    await registerPushDevice(usersDb.db, rob, 'WEB_PUSH', subscriptionOf(newBrowser(), `${push.url}/sub/rob`));
    const eventIds = [newId(), newId()];
    await publish(notification(fay, rob, 'FOLLOW'), eventIds[0]);
    await publish(notification(rob, nobody, 'FOLLOW'), eventIds[1]);
    await settled();
    for (const id of eventIds) expect((await notificationQueue.getJob(id!))!.returnvalue).toEqual({ devices: 0 });
    expect(push.requests('/sub/rob')).toHaveLength(0);
  });
});

describe('FCM', () => {
  it('sends the message with a bearer token from the service account, exchanged once for several sends', async () => {
    const [rhea, gus] = [await createUser('rhea'), await createUser('gus')];
    await registerPushDevice(usersDb.db, rhea, 'FCM', 'fcm-token-rhea');
    const exchangesBefore = fcm.issued.length;
    const postId = newId();
    const commentId = newId();
    const commented = notification(rhea, gus, 'COMMENT', { postId, commentId });
    const sentTo = () => fcm.messages.filter((m) => m.body.message.token === 'fcm-token-rhea');
    await publish(commented);
    await waitFor(() => sentTo().length === 1, 'the first message');
    // One after the other, so that the second send finds the cached token (not the shared exchange).
    await publish(notification(rhea, gus, 'FOLLOW'));
    await waitFor(() => sentTo().length === 2, 'the second message');
    const [first, second] = sentTo();
    expect(first!.authorization).toBe(`Bearer ${fcm.issued.at(-1)}`);
    expect(first!.body).toEqual({
      message: {
        token: 'fcm-token-rhea',
        notification: { title: '@gus commented on your post', body: 'Your post has a new comment.' },
        // Strings only; the absent ids are left out.
        data: { notificationId: commented.notificationId, kind: 'COMMENT', actorId: gus, postId, commentId },
      },
    });
    expect(second!.authorization).toBe(first!.authorization);
    expect(fcm.issued.length - exchangesBefore).toBe(1);
    expect(fcm.problems).toEqual([]);
  });

  it('exchanges the service account again when FCM refuses the access token, and retries', async () => {
    const [rae, ida] = [await createUser('rae'), await createUser('ida')];
    await registerPushDevice(usersDb.db, rae, 'FCM', 'fcm-token-rae');
    fcm.script('fcm-token-rae', [{ status: 401, body: { error: { code: 401, status: 'UNAUTHENTICATED' } } }]);
    const exchangesBefore = fcm.issued.length;
    await publish(notification(rae, ida, 'FOLLOW'));
    await waitFor(() => fcm.messages.filter((m) => m.body.message.token === 'fcm-token-rae').length === 2, 'the retry');
    const [refused, retried] = fcm.messages.filter((m) => m.body.message.token === 'fcm-token-rae');
    expect(fcm.issued.length - exchangesBefore).toBe(1);
    expect(retried!.authorization).toBe(`Bearer ${fcm.issued.at(-1)}`);
    expect(retried!.authorization).not.toBe(refused!.authorization);
    expect(fcm.problems).toEqual([]);
  });

  it('removes the device on UNREGISTERED', async () => {
    const [reed, hal] = [await createUser('reed'), await createUser('hal')];
    const device = await registerPushDevice(usersDb.db, reed, 'FCM', 'fcm-token-reed');
    fcm.script('fcm-token-reed', [
      {
        status: 404,
        body: {
          error: {
            code: 404,
            message: 'Requested entity was not found.',
            status: 'NOT_FOUND',
            details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'UNREGISTERED' }],
          },
        },
      },
    ]);
    await publish(notification(reed, hal, 'LIKE', { postId: newId() }));
    await waitFor(async () => !(await deviceExists(device.id)), 'the device to be removed');
  });
});

describe('deliverPush', () => {
  const message = renderPushMessage(notification(newId(), newId(), 'FOLLOW'), 'ivy');

  it('skips a device that was removed, or that another user has registered since', async () => {
    const [ria, other] = [await createUser('ria'), await createUser('otto')];
    const senders: PushSenders = { WEB_PUSH: { send: () => Promise.reject(new Error('must not send')) }, FCM: null };
    const deps = { db: usersDb.db, senders, log };
    expect(await deliverPush(deps, { deviceId: newId(), recipientId: ria, message })).toBe('skipped');
    const device = await registerPushDevice(usersDb.db, other, 'WEB_PUSH', subscriptionOf(newBrowser(), `${push.url}/sub/shared`));
    expect(await deliverPush(deps, { deviceId: device.id, recipientId: ria, message })).toBe('skipped');
  });

  it('skips, and keeps, a device of a platform that is not configured', async () => {
    const ron = await createUser('ron');
    const device = await registerPushDevice(usersDb.db, ron, 'FCM', 'fcm-token-ron');
    const deps = { db: usersDb.db, senders: { WEB_PUSH: null, FCM: null }, log };
    expect(await deliverPush(deps, { deviceId: device.id, recipientId: ron, message })).toBe('skipped');
    expect(await deviceExists(device.id)).toBe(true);
  });

  it('removes a Web Push device whose stored keys cannot be encrypted to', async () => {
    const rue = await createUser('rue');
    // Base64url, but no P-256 point: registration refuses it now; a row stored before it checked
    // the keys can still hold such a token.
    const token = JSON.stringify({ endpoint: `${push.url}/sub/rue`, keys: { p256dh: 'AAAA', auth: 'AAAA' } });
    await expect(registerPushDevice(usersDb.db, rue, 'WEB_PUSH', token)).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'token' } });
    const [device] = await usersDb.db.insert(pushDevices).values({ id: newId(), userId: rue, platform: 'WEB_PUSH', token, endpoint: `${push.url}/sub/rue` }).returning();
    if (!device) throw new Error('no device row');
    const deps = { db: usersDb.db, senders: { WEB_PUSH: webSender(), FCM: null }, log };
    expect(await deliverPush(deps, { deviceId: device.id, recipientId: rue, message })).toBe('removed');
    expect(push.requests('/sub/rue')).toHaveLength(0);
  });

  it('throws a retryable error for a busy push service, with its Retry-After', async () => {
    const rex = await createUser('rex');
    const device = await registerPushDevice(usersDb.db, rex, 'WEB_PUSH', subscriptionOf(newBrowser(), `${push.url}/sub/rex`));
    push.script('/sub/rex', [{ status: 429, headers: { 'retry-after': '7' } }]);
    const deps = { db: usersDb.db, senders: { WEB_PUSH: webSender(), FCM: null }, log };
    const error = await deliverPush(deps, { deviceId: device.id, recipientId: rex, message }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PushRetryError);
    expect((error as PushRetryError).retryAfterMs).toBe(7000);
  });

  const webSender = () => createWebPushSender({ subject: config.VAPID_SUBJECT, publicKey: vapid.publicKey, privateKey: vapid.privateKey });
});

describe('the rules', () => {
  it('renders each kind with the actor username', () => {
    const titles = (['FOLLOW', 'LIKE', 'COMMENT', 'NEW_POST'] as const).map((kind) => renderPushMessage(notification(newId(), newId(), kind), 'alice').title);
    expect(titles).toEqual(['@alice started following you', '@alice liked your post', '@alice commented on your post', '@alice shared a new post']);
  });

  it('classifies the push services answers', () => {
    const web = (status: number) => classifyWebPush(status, null, '').outcome;
    expect([200, 201, 202, 404, 410, 429, 500, 503, 400, 401, 403, 413].map(web)).toEqual([
      'delivered', 'delivered', 'delivered', 'gone', 'gone', 'retry', 'retry', 'retry', 'rejected', 'rejected', 'rejected', 'rejected',
    ]);
    const f = (status: number, code: string | null) => classifyFcm(status, code, null, '').outcome;
    expect([
      f(200, null), f(404, 'UNREGISTERED'), f(404, null), f(400, 'UNREGISTERED'), f(429, 'QUOTA_EXCEEDED'), f(503, 'UNAVAILABLE'),
      f(500, 'INTERNAL'), f(401, null), f(401, 'THIRD_PARTY_AUTH_ERROR'), f(400, 'INVALID_ARGUMENT'), f(403, 'SENDER_ID_MISMATCH'),
    ]).toEqual(['delivered', 'gone', 'gone', 'gone', 'retry', 'retry', 'retry', 'retry', 'rejected', 'rejected', 'rejected']);
  });

  it('reads Retry-After as seconds or a date, and never retries sooner than it asks', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('999999', now)).toBe(3_600_000);
    expect([1, 2, 3, 4].map((n) => retryDelay(n, 1000, new Error('x'), () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelay(1, 1000, new Error('x'), () => 0)).toBe(500);
    expect(retryDelay(1, 1000, new PushRetryError('busy', 30_000), () => 1)).toBe(30_000);
  });
});

describe('config', () => {
  it('takes the VAPID public key alone (the HTTP server) but not the private key alone, and reads the service account from a file', () => {
    expect(usersTestConfig(database.url, secrets, { VAPID_PUBLIC_KEY: vapid.publicKey }).VAPID_PUBLIC_KEY).toBe(vapid.publicKey);
    expect(() => usersTestConfig(database.url, secrets, { VAPID_PRIVATE_KEY: vapid.privateKey })).toThrow(ConfigError);
    expect(() => usersTestConfig(database.url, secrets, { VAPID_PUBLIC_KEY: 'short', VAPID_PRIVATE_KEY: vapid.privateKey })).toThrow(/VAPID_PUBLIC_KEY/);
    const dir = mkdtempSync(join(tmpdir(), 'shutter-fcm-'));
    try {
      const file = join(dir, 'service-account.json');
      writeFileSync(file, JSON.stringify({ project_id: 'p', client_email: 'e@p.iam', private_key: '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n' }));
      const loaded = usersTestConfig(database.url, secrets, { FCM_SERVICE_ACCOUNT_FILE: file });
      expect(loaded.FCM_SERVICE_ACCOUNT).toMatchObject({ project_id: 'p', token_uri: 'https://oauth2.googleapis.com/token' });
      expect(loaded.VAPID_PUBLIC_KEY).toBeUndefined();
      expect(() => usersTestConfig(database.url, secrets, { FCM_SERVICE_ACCOUNT: 'not json' })).toThrow(/FCM_SERVICE_ACCOUNT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('push endpoints in production', () => {
  it('takes only https on a host name, so the worker cannot be aimed at internal addresses', async () => {
    const owner = await createUser('polly');
    const policy = { publicHttpsOnly: true };
    const browser = newBrowser();
    for (const endpoint of ['http://push.example.com/x', 'https://10.0.0.5/x', 'https://[::1]/x', 'https://localhost/x', 'https://169.254.169.254/latest']) {
      await expect(registerPushDevice(usersDb.db, owner, 'WEB_PUSH', subscriptionOf(browser, endpoint), policy)).rejects.toMatchObject({
        extensions: { code: 'BAD_USER_INPUT', field: 'token' },
      });
    }
    const device = await registerPushDevice(usersDb.db, owner, 'WEB_PUSH', subscriptionOf(browser, 'https://fcm.googleapis.com/fcm/send/abc'), policy);
    expect(device.platform).toBe('WEB_PUSH');
  });
});

describe('seedPushDevices (bulk seeding)', () => {
  it('registers each device as the mutation does, and refuses a token the mutation refuses', async () => {
    const [a, b] = [newId(), newId()];
    await bulkInsertUsers(usersDb.sql, [a, b].map((id, i) => ({ id, username: `seeded_${i}`, email: `seeded_${i}@shutter.test`, displayName: null, bio: null, createdAt: new Date() })), 'seeded password');
    await seedPushDevices(usersDb.db, [{ userId: a, platform: 'WEB_PUSH', token: subscriptionOf(newBrowser(), `${push.url}/sub/seeded-a`) }]);
    expect(await usersDb.db.select().from(pushDevices).where(eq(pushDevices.userId, a))).toMatchObject([{ platform: 'WEB_PUSH', endpoint: `${push.url}/sub/seeded-a` }]);
    await expect(seedPushDevices(usersDb.db, [{ userId: b, platform: 'WEB_PUSH', token: 'not json' }])).rejects.toThrow();
    expect(await usersDb.db.select().from(pushDevices).where(eq(pushDevices.userId, b))).toEqual([]);
  });
});
