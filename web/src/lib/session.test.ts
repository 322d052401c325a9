import { ApolloLink, execute, gql, ApolloClient, InMemoryCache, type FetchResult } from '@apollo/client';
import { firstValueFrom, Observable } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AUTH_CSRF_HEADER, AUTH_PATHS, type AuthResult } from '../../shared/auth-api.ts';
import { authLink } from './apollo.ts';
import indexHtml from '../../index.html?raw';
import { refreshLead, SessionManager, SessionUnavailableError, type SessionEnvironment } from './session.ts';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const MINUTE = 60_000;

/** The tabs of one browser: what one posts, the others receive. */
function browserTabs() {
  const listeners = new Set<(event: MessageEvent) => void>();
  return () => {
    let own: ((event: MessageEvent) => void) | null = null;
    return {
      postMessage(data: unknown) {
        for (const listener of listeners) if (listener !== own) listener(new MessageEvent('message', { data }));
      },
      addEventListener(_type: string, listener: (event: MessageEvent) => void) {
        own = listener;
        listeners.add(listener);
      },
      close() {
        if (own) listeners.delete(own);
      },
    } as unknown as SessionEnvironment['channel'];
  };
}

/** The web server's /auth endpoints, as the test has them answer. */
function fakeAuthServer() {
  let issued = 0;
  const calls: { path: string; headers: Headers }[] = [];
  let refresh: () => AuthResult | 'offline' = () => session(15 * MINUTE);
  const session = (lifetimeMs: number): AuthResult => ({
    ok: true,
    accessToken: `token-${++issued}`,
    expiresAt: new Date(Date.now() + lifetimeMs).toISOString(),
    user: { __typename: 'User', id: 'u1', username: 'ada' },
  });
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const path = String(input);
    calls.push({ path, headers: new Headers(init?.headers) });
    if (path === AUTH_PATHS.refresh) {
      const answer = refresh();
      if (answer === 'offline') throw new TypeError('Failed to fetch');
      return Response.json(answer);
    }
    if (path === AUTH_PATHS.logIn) return Response.json(session(15 * MINUTE));
    if (path === AUTH_PATHS.logOut) return Response.json({ ok: true });
    return new Response('not found', { status: 404 });
  });
  return {
    fetch: fetch as unknown as typeof globalThis.fetch,
    calls,
    session,
    refreshes: () => calls.filter((c) => c.path === AUTH_PATHS.refresh).length,
    answerRefresh(next: () => AuthResult | 'offline') {
      refresh = next;
    },
  };
}

const refused: AuthResult = { ok: false, errors: [{ message: 'This session has ended; log in again.', extensions: { code: 'UNAUTHENTICATED' } }] };

function manager(server: ReturnType<typeof fakeAuthServer>, channel: SessionEnvironment['channel'] = null) {
  return new SessionManager({ fetch: server.fetch, now: () => Date.now(), channel, locks: null, onVisible: () => {} });
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('restoring the session on page load', () => {
  it('is signed out when this browser has no session, and says so to whoever waits', async () => {
    const server = fakeAuthServer();
    server.answerRefresh(() => ({ ok: false, errors: [{ message: 'There is no session in this browser.', extensions: { code: 'UNAUTHENTICATED' } }] }));
    const session = manager(server);
    await session.restore();
    await session.ready;
    expect(session.getSnapshot()).toEqual({ status: 'signedOut', reason: null });
    expect(await session.getAccessToken()).toBeNull();
  });

  it('sends the CSRF header and JSON to /auth, and keeps nothing but the access token', async () => {
    const server = fakeAuthServer();
    const session = manager(server);
    await session.restore();
    expect(server.calls[0]!.headers.get(AUTH_CSRF_HEADER)).toBe('1');
    expect(server.calls[0]!.headers.get('content-type')).toBe('application/json');
    expect(session.getSnapshot()).toMatchObject({ status: 'signedIn', accessToken: 'token-1', user: { id: 'u1' } });
    expect(JSON.stringify(session.getSnapshot())).not.toMatch(/refresh/i);
  });

  it('reads the answer of the refresh index.html sent early, once, and asks the server itself after that', async () => {
    const server = fakeAuthServer();
    const early = Promise.resolve(Response.json(server.session(15 * MINUTE)));
    const session = new SessionManager({ fetch: server.fetch, now: () => Date.now(), channel: null, locks: null, onVisible: () => {}, earlyRefresh: early });
    await session.restore();
    expect(session.getSnapshot()).toMatchObject({ status: 'signedIn', accessToken: 'token-1' });
    expect(server.refreshes()).toBe(0);
    expect(await session.refresh()).toBe('token-2');
    expect(server.refreshes()).toBe(1);
  });

  it('takes an early refresh that could not reach the server as unreachable, and tries again itself', async () => {
    const server = fakeAuthServer();
    const early = Promise.reject(new TypeError('Failed to fetch'));
    early.catch(() => {});
    const session = new SessionManager({ fetch: server.fetch, now: () => Date.now(), channel: null, locks: null, onVisible: () => {}, earlyRefresh: early });
    await session.restore();
    expect(session.getSnapshot()).toMatchObject({ status: 'restoring', problem: expect.stringMatching(/cannot be reached/) });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(session.getSnapshot()).toMatchObject({ status: 'signedIn', accessToken: 'token-1' });
  });

  it('is the same request as index.html sends early (path, CSRF header, JSON)', () => {
    const script = /<script>\s*(window\.__shutterRestore[\s\S]*?)<\/script>/.exec(indexHtml)?.[1];
    expect(script).toBeDefined();
    expect(script).toContain(`fetch('${AUTH_PATHS.refresh}'`);
    expect(script).toContain(`'${AUTH_CSRF_HEADER}': '1'`);
    expect(script).toContain(`'content-type': 'application/json'`);
    expect(script).toContain(`credentials: 'same-origin'`);
  });

  it('waits as long as the rate limit asks before it tries again, and says why meanwhile', async () => {
    const server = fakeAuthServer();
    const limited: AuthResult = { ok: false, errors: [{ message: 'Too many requests: try again in 20 s.', extensions: { code: 'RATE_LIMITED', retryAfter: 20 } }] };
    server.answerRefresh(() => limited);
    const session = manager(server);
    await session.restore();
    expect(session.getSnapshot()).toEqual({ status: 'restoring', problem: 'Too many requests: try again in 20 s.' });
    server.answerRefresh(() => server.session(15 * MINUTE));
    await vi.advanceTimersByTimeAsync(19_000);
    expect(server.refreshes()).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(server.refreshes()).toBe(2);
    expect(session.getSnapshot()).toMatchObject({ status: 'signedIn' });
  });

  it('keeps trying, and says why, while the server cannot be reached', async () => {
    const server = fakeAuthServer();
    server.answerRefresh(() => 'offline');
    const session = manager(server);
    await session.restore();
    expect(session.getSnapshot()).toMatchObject({ status: 'restoring', problem: expect.stringMatching(/cannot be reached/) });
    server.answerRefresh(() => server.session(15 * MINUTE));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(session.getSnapshot()).toMatchObject({ status: 'signedIn' });
  });
});

describe('refreshing before the access token expires', () => {
  it('refreshes a fifth of the lifetime (at most a minute) before expiry, again and again', async () => {
    const server = fakeAuthServer();
    const session = manager(server);
    await session.restore();
    expect(server.refreshes()).toBe(1);
    // 15 minutes: refreshed a minute early.
    await vi.advanceTimersByTimeAsync(14 * MINUTE - 1_000);
    expect(server.refreshes()).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(server.refreshes()).toBe(2);
    expect(session.getSnapshot()).toMatchObject({ accessToken: 'token-2' });
    // A 20-second token (a test installation): refreshed 5 s early, before any request sees it expired.
    server.answerRefresh(() => server.session(20_000));
    await vi.advanceTimersByTimeAsync(14 * MINUTE);
    expect(server.refreshes()).toBe(3);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(server.refreshes()).toBe(4);
    expect(refreshLead(20_000)).toBe(5_000);
  });

  it('hands out a fresh token instead of one about to expire', async () => {
    const server = fakeAuthServer();
    server.answerRefresh(() => server.session(1_500));
    const session = manager(server);
    await session.restore();
    server.answerRefresh(() => server.session(15 * MINUTE));
    expect(await session.getAccessToken()).toBe('token-2');
  });

  it('shares one refresh between everything that asks at once (a refresh token is spent by its first use)', async () => {
    const server = fakeAuthServer();
    const session = manager(server);
    await session.restore();
    const tokens = await Promise.all([session.handleUnauthenticated('token-1'), session.handleUnauthenticated('token-1'), session.refresh()]);
    expect(tokens).toEqual(['token-2', 'token-2', 'token-2']);
    expect(server.refreshes()).toBe(2);
    // A request sent with the old token learns of the new one without another refresh.
    expect(await session.handleUnauthenticated('token-1')).toBe('token-2');
    expect(server.refreshes()).toBe(2);
  });

  it('keeps the session when a refresh cannot reach the server, and tries again', async () => {
    const server = fakeAuthServer();
    const session = manager(server);
    await session.restore();
    server.answerRefresh(() => 'offline');
    await expect(session.refresh()).rejects.toBeInstanceOf(SessionUnavailableError);
    expect(session.getSnapshot()).toMatchObject({ status: 'signedIn', accessToken: 'token-1' });
    server.answerRefresh(() => server.session(15 * MINUTE));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(session.getSnapshot()).toMatchObject({ status: 'signedIn', accessToken: 'token-2' });
  });
});

describe('when the refresh token is refused', () => {
  it('signs out this tab and every other tab of the browser', async () => {
    const server = fakeAuthServer();
    const tab = browserTabs();
    const first = manager(server, tab());
    const second = manager(server, tab());
    await first.restore();
    await second.restore();
    expect(second.getSnapshot().status).toBe('signedIn');
    server.answerRefresh(() => refused);
    expect(await first.handleUnauthenticated((first.getSnapshot() as { accessToken: string }).accessToken)).toBeNull();
    expect(first.getSnapshot()).toEqual({ status: 'signedOut', reason: 'expired' });
    expect(second.getSnapshot()).toEqual({ status: 'signedOut', reason: 'expired' });
    // Nothing keeps refreshing a session that is over.
    const calls = server.refreshes();
    await vi.advanceTimersByTimeAsync(60 * MINUTE);
    expect(server.refreshes()).toBe(calls);
  });

  it('a log-out in one tab signs out the others; a log-in in one signs in the others', async () => {
    const server = fakeAuthServer();
    const tab = browserTabs();
    const first = manager(server, tab());
    const second = manager(server, tab());
    await first.restore();
    await second.restore();
    await first.logOut();
    expect(second.getSnapshot()).toEqual({ status: 'signedOut', reason: 'loggedOut' });
    await first.logIn({ usernameOrEmail: 'ada', password: 'password123' });
    expect(second.getSnapshot()).toMatchObject({ status: 'signedIn', user: { id: 'u1' } });
  });
});

describe('the auth link: one refresh and one retry on UNAUTHENTICATED', () => {
  const query = gql`
    query Me {
      me {
        id
      }
    }
  `;
  const unauthenticated: FetchResult = { data: { me: null }, errors: [{ message: 'You must be signed in.', extensions: { code: 'UNAUTHENTICATED' } }] };

  /** A terminating link that answers each request with the next of `answers`, and records its token. */
  function backend(answers: FetchResult[], headers: Record<string, string> = {}) {
    const seen: string[] = [];
    const link = new ApolloLink(
      (operation) =>
        new Observable<FetchResult>((observer) => {
          seen.push((operation.getContext() as { headers: Record<string, string> }).headers.authorization ?? '');
          operation.setContext({ response: new Response(null, { headers }) });
          observer.next(answers.shift() ?? { data: { me: { __typename: 'User', id: 'u1' } } });
          observer.complete();
        }),
    );
    return { link, seen };
  }
  const client = () => new ApolloClient({ link: ApolloLink.empty(), cache: new InMemoryCache() });
  const run = (link: ApolloLink) => firstValueFrom(execute(link, { query }, { client: client() }));

  it('refreshes and retries once, and the retry carries the new token', async () => {
    const server = fakeAuthServer();
    const session = manager(server);
    await session.restore();
    const { link, seen } = backend([unauthenticated]);
    const result = await run(authLink(session).concat(link));
    expect(result.errors).toBeUndefined();
    expect(seen).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('retries an answer that came back anonymous because the token was refused (WWW-Authenticate)', async () => {
    const server = fakeAuthServer();
    const session = manager(server);
    await session.restore();
    const { link, seen } = backend([{ data: { me: null } }], { 'www-authenticate': 'Bearer error="invalid_token"' });
    await run(authLink(session).concat(link));
    expect(seen).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('gives the error back after one retry (never loops), and when the refresh is refused', async () => {
    const server = fakeAuthServer();
    const session = manager(server);
    await session.restore();
    const twice = backend([unauthenticated, unauthenticated]);
    const result = await run(authLink(session).concat(twice.link));
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(twice.seen).toHaveLength(2);

    server.answerRefresh(() => refused);
    const once = backend([unauthenticated]);
    const refusedResult = await run(authLink(session).concat(once.link));
    expect(refusedResult.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(once.seen).toHaveLength(1);
    expect(session.getSnapshot().status).toBe('signedOut');
  });
});
