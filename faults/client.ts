/**
 * What a user's app does, over the gateway's real HTTP and WebSocket: each answer is kept with its
 * time and sorted into what a user would see (data, a coded error, no answer at all).
 */
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createClient, type Client as WsClient } from 'graphql-ws';
import sharp from 'sharp';
import WebSocket from 'ws';
import { decryptWebPush, newTestBrowser, subscriptionOf, type TestBrowser } from '@shutter/testing';

export interface Answer {
  ms: number;
  status: number | null;
  data?: Record<string, any> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
  /** The request got no HTTP answer (refused, reset, timed out). */
  networkError?: string;
}

/** What kind of answer it was, for the counts of a report. */
export function kindOf(answer: Answer): string {
  if (answer.networkError) return 'no answer';
  if (!answer.errors?.length) return 'ok';
  const codes = [...new Set(answer.errors.map((e) => `${e.extensions?.code ?? 'NO_CODE'}${e.extensions?.service ? `(${e.extensions.service}${e.extensions.dependency ? `/${e.extensions.dependency}` : ''})` : ''}`))];
  return `${answer.data && Object.values(answer.data).some((v) => v !== null) ? 'partial' : 'error'} ${codes.sort().join(',')}`;
}

export class Api {
  constructor(readonly url: string) {}

  async gql(query: string, variables: Record<string, unknown> = {}, token?: string, timeoutMs = 20_000): Promise<Answer> {
    const started = performance.now();
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = (await response.json()) as Pick<Answer, 'data' | 'errors'>;
      return { ms: performance.now() - started, status: response.status, ...body };
    } catch (e) {
      return { ms: performance.now() - started, status: null, networkError: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    }
  }

  /** The query's data, or an exception saying what came back instead. */
  async must(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Record<string, any>> {
    const answer = await this.gql(query, variables, token);
    if (!answer.data || answer.errors?.length) throw new Error(`${query.slice(0, 60)}…: ${JSON.stringify(answer.errors ?? answer.networkError)}`);
    return answer.data;
  }

  async signUp(username: string): Promise<{ id: string; token: string; username: string }> {
    const data = await this.must('mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }', {
      input: { username, email: `${username}@example.com`, password: 'fault tolerant password' },
    });
    return { id: data.signUp.user.id, token: data.signUp.accessToken, username };
  }

  follow(token: string, userId: string) {
    return this.gql('mutation($id: ID!) { follow(userId: $id) { id } }', { id: userId }, token);
  }

  /** createUpload, then the bytes PUT to its URL (media's public route, not the gateway). */
  async upload(token: string): Promise<string> {
    const bytes = await photo();
    const data = await this.must('mutation($input: CreateUploadInput!) { createUpload(input: $input) { id uploadUrl } }', { input: { contentType: 'image/jpeg', byteSize: bytes.length } }, token);
    const put = await fetch(data.createUpload.uploadUrl, { method: 'PUT', body: bytes });
    if (put.status !== 200) throw new Error(`PUT answered ${put.status}: ${await put.text()}`);
    return data.createUpload.id;
  }

  createPost(token: string, uploadId: string, caption: string) {
    return this.gql('mutation($input: CreatePostInput!) { createPost(input: $input) { id } }', { input: { uploadIds: [uploadId], caption } }, token);
  }

  /** Uploads and posts; the post id (it is published once its image is processed). */
  async post(token: string, caption: string): Promise<string> {
    const uploadId = await this.upload(token);
    const created = await this.createPost(token, uploadId, caption);
    if (!created.data?.createPost) throw new Error(`createPost: ${JSON.stringify(created.errors ?? created.networkError)}`);
    return created.data.createPost.id;
  }

  /** Whether a post is published (its media visible to anyone, not only its author). */
  async published(postId: string): Promise<boolean> {
    const answer = await this.gql('query($id: ID!) { post(id: $id) { id media { url } } }', { id: postId });
    return (answer.data?.post?.media?.length ?? 0) > 0;
  }

  feed(token: string, first = 50) {
    return this.gql('query($first: Int) { feed(first: $first) { edges { node { id } } pageInfo { hasNextPage } } }', { first }, token);
  }

  async feedIds(token: string, first = 50): Promise<string[]> {
    const data = await this.must('query($first: Int) { feed(first: $first) { edges { node { id } } } }', { first }, token);
    return data.feed.edges.map((e: { node: { id: string } }) => e.node.id);
  }

  /** The viewer's notifications, as (kind, post id or actor id) keys, newest first. */
  async notificationKeys(token: string, first = 100): Promise<string[]> {
    const data = await this.must('query($first: Int) { notifications(first: $first) { edges { node { kind actor { id } post { id } } } } }', { first }, token);
    return data.notifications.edges.map((e: any) => `${e.node.kind}:${e.node.post?.id ?? e.node.actor.id}`);
  }
}

let photoBytes: Promise<Buffer> | null = null;
const photo = () => (photoBytes ??= sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 200, g: 90, b: 40 } } }).jpeg().toBuffer());

/** Counts of each value in a list (for duplicates). */
export function duplicates(values: string[]): string[] {
  const seen = new Map<string, number>();
  for (const v of values) seen.set(v, (seen.get(v) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([v]) => v);
}

/**
 * A browser vendor's push service on 127.0.0.1, with one browser (keys) per device it hands out:
 * every push is decrypted, so pushes are counted per device and notification.
 */
export async function startPushService() {
  const browsers = new Map<string, TestBrowser>();
  const received: { device: string; notificationId: string; kind: string; postId: string | null; actorId: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const device = (req.url ?? '').split('/').pop() ?? '';
      const browser = browsers.get(device);
      try {
        const message = JSON.parse(decryptWebPush(Buffer.concat(chunks), browser!)) as { data: { notificationId: string; kind: string; postId: string | null; actorId: string } };
        received.push({ device, ...message.data });
        res.writeHead(201).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    received,
    /** Registers a new device (a browser) for the user; its name is what its pushes are counted under. */
    async register(api: Api, token: string, device: string) {
      const browser = newTestBrowser();
      browsers.set(device, browser);
      await api.must('mutation($input: PushDeviceInput!) { registerPushDevice(input: $input) { id } }', { input: { platform: 'WEB_PUSH', token: subscriptionOf(browser, `${url}/push/${device}`) } }, token);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A graphql-ws client (the graphql-ws package, as an app uses it) that never retries, so closes reach the test. */
export function liveClient(wsUrl: string, token: string) {
  const closes: number[] = [];
  const client: WsClient = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    connectionParams: { authorization: `Bearer ${token}` },
    on: { closed: (event) => closes.push((event as { code: number }).code) },
    onNonLazyError: () => {},
  });
  const subscribe = (query: string) => {
    const messages: any[] = [];
    const errors: unknown[] = [];
    client.subscribe({ query }, { next: (m) => messages.push(m), error: (e) => errors.push(e), complete: () => {} });
    return { messages, errors };
  };
  return { client, closes, subscribe };
}

/**
 * Asks `ask` every `intervalMs` in the background until stopped: what users kept seeing during a
 * fault. Returns the answers.
 */
export function probe(ask: () => Promise<Answer>, intervalMs = 100) {
  const answers: Answer[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      answers.push(await ask());
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    answers,
    async stop(): Promise<Answer[]> {
      stopped = true;
      await loop;
      return answers;
    },
  };
}

/** Each kind of answer with how many there were, e.g. "ok ×120, partial SERVICE_UNAVAILABLE(feed) ×3". */
export function tally(answers: Answer[]): string {
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(kindOf(a), (counts.get(kindOf(a)) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} ×${n}`).join(', ') || 'none';
}

/** The slowest of some answers, in ms. */
export const slowest = (answers: Answer[]) => Math.round(Math.max(0, ...answers.map((a) => a.ms)));

/**
 * A graphql-ws socket spoken by hand (the graphql-transport-ws protocol), so that a test can stop
 * reading from it, as a client on a bad network or a frozen tab does.
 */
export async function rawLiveSocket(wsUrl: string, token: string, query: string) {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  const messages: any[] = [];
  let closed: { code: number; reason: string } | null = null;
  socket.on('close', (code, reason) => (closed = { code, reason: reason.toString() }));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const acked = new Promise<void>((resolve) => {
    socket.on('message', (raw) => {
      const message = JSON.parse(raw.toString());
      if (message.type === 'connection_ack') resolve();
      else if (message.type === 'next') messages.push(message.payload);
      else if (message.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
    });
  });
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await acked;
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
  const tcp = (socket as unknown as { _socket: Socket })._socket;
  return {
    messages,
    closed: () => closed,
    /** Stops reading: the kernel's buffers fill, then the server's. */
    stopReading: () => tcp.pause(),
    resumeReading: () => tcp.resume(),
    close: () => socket.terminate(),
  };
}
