import { ApolloClient, ApolloLink, InMemoryCache, gql, type FetchResult } from '@apollo/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { rateLimitWaitMs, subscriptionLink } from './apollo.ts';
import { CLOSE_TOKEN_EXPIRED, CLOSE_TOO_MANY, CLOSE_UNAUTHORIZED, createLiveConnection, type LiveConnection } from './live.ts';

/**
 * The gateway's side of graphql-ws, in memory: each socket the client opens is recorded with the
 * connection parameters it sent; the test acks, sends events, or closes it with a code.
 */
class FakeSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  static sockets: FakeSocket[] = [];
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;
  readyState = 0;
  protocol = 'graphql-transport-ws';
  onopen: (() => void) | null = null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  params: Record<string, unknown> | null = null;
  subscriptions: string[] = [];
  /** What the server does when the client says connection_init: ack, or close with a code. */
  static onInit: (socket: FakeSocket) => void = (socket) => socket.reply({ type: 'connection_ack' });
  /** What the server does with a subscribe: nothing (it is running), or an error. */
  static onSubscribe: (socket: FakeSocket, id: string) => void = () => {};

  constructor(readonly url: string) {
    FakeSocket.sockets.push(this);
    setTimeout(() => {
      this.readyState = 1;
      this.onopen?.();
    }, 0);
  }

  send(data: string) {
    const message = JSON.parse(data) as { type: string; id?: string; payload?: Record<string, unknown> };
    if (message.type === 'connection_init') {
      this.params = message.payload ?? {};
      FakeSocket.onInit(this);
    } else if (message.type === 'subscribe') {
      this.subscriptions.push(message.id!);
      FakeSocket.onSubscribe(this, message.id!);
    }
  }

  reply(message: object) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  event(data: object) {
    for (const id of this.subscriptions) this.reply({ type: 'next', id, payload: { data } });
  }

  close(code = 1000, reason = '') {
    if (this.readyState === 3) return;
    this.readyState = 3;
    setTimeout(() => this.onclose?.({ code, reason, wasClean: true }), 0);
  }
}

const subscription = gql`
  subscription NotificationAdded {
    notificationAdded {
      id
    }
  }
`;

/** A session whose token the test changes, as a refresh would. */
function fakeSession() {
  let token = 'token-1';
  return {
    getAccessToken: vi.fn(async () => token),
    handleUnauthenticated: vi.fn(async () => {
      token = `token-${Number(token.split('-')[1]) + 1}`;
      return token;
    }),
    rotate() {
      token = `token-${Number(token.split('-')[1]) + 1}`;
    },
  };
}

let live: LiveConnection | null = null;
afterEach(() => {
  live?.dispose();
  live = null;
  FakeSocket.sockets = [];
  FakeSocket.onInit = (socket) => socket.reply({ type: 'connection_ack' });
  FakeSocket.onSubscribe = () => {};
});

const until = async (check: () => boolean) => vi.waitFor(() => expect(check()).toBe(true), { timeout: 2000, interval: 5 });

function subscribe(connection: LiveConnection, session: ReturnType<typeof fakeSession>, linkOptions: Parameters<typeof subscriptionLink>[2] = {}) {
  const client = new ApolloClient({ link: ApolloLink.from([subscriptionLink(connection.client, session, linkOptions)]), cache: new InMemoryCache() });
  const events: FetchResult[] = [];
  const errors: unknown[] = [];
  // Apollo Client 4 hands a subscription's error over as a result with `error`.
  const handle = client.subscribe({ query: subscription }).subscribe({
    next: (value) => (value.error ? errors.push(value.error) : events.push(value as FetchResult)),
    error: (e: unknown) => errors.push(e),
  });
  return { events, errors, unsubscribe: () => handle.unsubscribe() };
}

describe('the live socket', () => {
  it('gives the current token in the connection parameters', async () => {
    const session = fakeSession();
    live = createLiveConnection(session, { url: 'ws://shutter/graphql', webSocketImpl: FakeSocket });
    subscribe(live, session);
    await until(() => FakeSocket.sockets[0]?.subscriptions.length === 1);
    expect(FakeSocket.sockets[0]!.params).toEqual({ authorization: 'Bearer token-1' });
    expect(live.getStatus()).toBe('connected');
  });

  it('reconnects at once after 4403 (token expired) with the fresh token, and keeps delivering', async () => {
    const session = fakeSession();
    // Drops back off exponentially for anything else; after 4403 it must not wait at all.
    live = createLiveConnection(session, { url: 'ws://shutter/graphql', webSocketImpl: FakeSocket, retryDelayMs: () => 60_000 });
    const statuses: string[] = [];
    live.subscribeStatus(() => statuses.push(live!.getStatus()));
    const reconnected = vi.fn();
    live.onReconnected(reconnected);
    const { events } = subscribe(live, session);
    await until(() => FakeSocket.sockets[0]?.subscriptions.length === 1);
    FakeSocket.sockets[0]!.event({ notificationAdded: { __typename: 'Notification', id: 'n1' } });
    await until(() => events.length === 1);

    // The session refreshed meanwhile; the gateway ends the socket of the old token.
    session.rotate();
    FakeSocket.sockets[0]!.close(CLOSE_TOKEN_EXPIRED, 'Forbidden: access token expired');
    await until(() => FakeSocket.sockets[1]?.subscriptions.length === 1);
    expect(FakeSocket.sockets[1]!.params).toEqual({ authorization: 'Bearer token-2' });
    expect(statuses).toContain('reconnecting');
    expect(live.getStatus()).toBe('connected');
    // Events published in the gap reached nobody: the app is asked to catch up.
    expect(reconnected).toHaveBeenCalledOnce();

    FakeSocket.sockets[1]!.event({ notificationAdded: { __typename: 'Notification', id: 'n2' } });
    await until(() => events.length === 2);
    expect(events.map((e) => (e.data as { notificationAdded: { id: string } }).notificationAdded.id)).toEqual(['n1', 'n2']);
  });

  it('after a drop it says "reconnecting", comes back, and asks the app to catch up', async () => {
    const session = fakeSession();
    live = createLiveConnection(session, { url: 'ws://shutter/graphql', webSocketImpl: FakeSocket, retryDelayMs: () => 20 });
    const reconnected = vi.fn();
    live.onReconnected(reconnected);
    subscribe(live, session);
    await until(() => live!.getStatus() === 'connected');
    FakeSocket.sockets[0]!.close(1006, 'gone');
    await until(() => live!.getStatus() === 'reconnecting');
    await until(() => live!.getStatus() === 'connected' && FakeSocket.sockets.length === 2);
    expect(reconnected).toHaveBeenCalledOnce();
  });

  it('on 4401 (token not accepted) refreshes the session once and subscribes again', async () => {
    const session = fakeSession();
    FakeSocket.onInit = (socket) => (socket.params?.authorization === 'Bearer token-1' ? socket.close(CLOSE_UNAUTHORIZED, 'Unauthorized') : socket.reply({ type: 'connection_ack' }));
    live = createLiveConnection(session, { url: 'ws://shutter/graphql', webSocketImpl: FakeSocket, retryDelayMs: () => 20 });
    const { errors } = subscribe(live, session);
    await until(() => FakeSocket.sockets[1]?.subscriptions.length === 1);
    expect(session.handleUnauthenticated).toHaveBeenCalledOnce();
    expect(FakeSocket.sockets[1]!.params).toEqual({ authorization: 'Bearer token-2' });
    expect(errors).toEqual([]);
  });

  it('gives up with an error when 4401 comes again after the refresh', async () => {
    const session = fakeSession();
    FakeSocket.onInit = (socket) => socket.close(CLOSE_UNAUTHORIZED, 'Unauthorized');
    live = createLiveConnection(session, { url: 'ws://shutter/graphql', webSocketImpl: FakeSocket, retryDelayMs: () => 20 });
    const { errors } = subscribe(live, session);
    await until(() => errors.length === 1);
    expect(FakeSocket.sockets).toHaveLength(2);
    expect(String(errors[0])).toMatch(/4401/);
  });
  it('waits out a socket the rate limit refused (4429, "retry in N s"), then connects and subscribes again', async () => {
    const session = fakeSession();
    FakeSocket.onInit = (socket) =>
      FakeSocket.sockets.length === 1 ? socket.close(CLOSE_TOO_MANY, 'Too many connections: retry in 7 s') : socket.reply({ type: 'connection_ack' });
    live = createLiveConnection(session, { url: 'ws://shutter/graphql', webSocketImpl: FakeSocket, retryDelayMs: () => 60_000 });
    const statuses: string[] = [];
    live.subscribeStatus(() => statuses.push(live!.getStatus()));
    const started = Date.now();
    // 7 s scaled to 70 ms.
    const { errors, events } = subscribe(live, session, { waitScale: 0.01 });
    await until(() => FakeSocket.sockets[1]?.subscriptions.length === 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
    expect(statuses).toContain('reconnecting');
    expect(errors).toEqual([]);
    FakeSocket.sockets[1]!.event({ notificationAdded: { __typename: 'Notification', id: 'n1' } });
    await until(() => events.length === 1);
  });

  it('subscribes again when a subscribe was answered RATE_LIMITED, after its retryAfter', async () => {
    const session = fakeSession();
    let refused = 0;
    FakeSocket.onSubscribe = (socket, id) => {
      if (refused++ > 0) return;
      socket.reply({ type: 'error', id, payload: [{ message: 'Too many requests: try again in 2 s.', extensions: { code: 'RATE_LIMITED', retryAfter: 2 } }] });
    };
    live = createLiveConnection(session, { url: 'ws://shutter/graphql', webSocketImpl: FakeSocket, retryDelayMs: () => 20 });
    const { errors } = subscribe(live, session, { waitScale: 0.01 });
    await until(() => refused === 2);
    expect(errors).toEqual([]);
    expect(FakeSocket.sockets).toHaveLength(1);
  });

  it('takes the wait from the refusal, within 1 s and 5 min, and waits out nothing else', () => {
    expect(rateLimitWaitMs({ code: CLOSE_TOO_MANY, reason: 'Too many connections: retry in 12 s' })).toBe(12_000);
    expect(rateLimitWaitMs({ code: CLOSE_TOO_MANY, reason: '' })).toBe(30_000);
    expect(rateLimitWaitMs([{ message: 'x', extensions: { code: 'RATE_LIMITED', retryAfter: 0 } }])).toBe(1_000);
    expect(rateLimitWaitMs([{ message: 'x', extensions: { code: 'RATE_LIMITED', retryAfter: 9_999 } }])).toBe(300_000);
    // Too many subscriptions on one socket: waiting does not cure it.
    expect(rateLimitWaitMs([{ message: 'At most 50 subscriptions per connection.', extensions: { code: 'RATE_LIMITED' } }])).toBeNull();
    expect(rateLimitWaitMs({ code: CLOSE_UNAUTHORIZED, reason: 'Unauthorized' })).toBeNull();
    expect(rateLimitWaitMs(new Error('boom'))).toBeNull();
  });
});
