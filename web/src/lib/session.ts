/**
 * The signed-in session of this tab. The access token lives only here, in memory: it is sent as a
 * bearer header and in the socket's connection parameters, and gone when the tab closes. The
 * refresh token never reaches JavaScript: the web server keeps it in an HttpOnly cookie scoped to
 * /auth and hands out access tokens through /auth/refresh (see web/server/auth.ts).
 *
 * Kept alive without the person noticing: refreshed shortly before it expires (and when a hidden
 * tab comes back), refreshed once when the server says UNAUTHENTICATED, and ended in every tab of
 * this browser when the server refuses the refresh token.
 */
import {
  AUTH_CSRF_HEADER,
  AUTH_PATHS,
  type AuthError,
  type AuthFailure,
  type AuthResult,
  type AuthSession,
  type LogInRequest,
  type LogOutResult,
  type SignUpRequest,
} from '../../shared/auth-api.ts';

export type SessionState =
  | { status: 'restoring'; problem: string | null }
  | { status: 'signedOut'; reason: 'loggedOut' | 'expired' | null }
  | { status: 'signedIn'; user: AuthSession['user']; accessToken: string; expiresAt: number };

/** What goes between the tabs of one browser. */
type TabMessage = { type: 'session'; session: AuthSession } | { type: 'logout'; reason: 'loggedOut' | 'expired' };

export interface SessionEnvironment {
  fetch: typeof fetch;
  now: () => number;
  /** Other tabs of this browser; null where BroadcastChannel is missing. */
  channel: Pick<BroadcastChannel, 'postMessage' | 'addEventListener' | 'close'> | null;
  /** Web Locks, so that two tabs never spend one refresh token at once; null where missing. */
  locks: Pick<LockManager, 'request'> | null;
  /** Fires when the tab becomes visible again (timers sleep in hidden tabs). */
  onVisible: (listener: () => void) => void;
  /**
   * The /auth/refresh request index.html sent before the app's code had loaded, if it did: the
   * first refresh reads its answer instead of asking again. (Sent before this tab could take the
   * Web Lock; the server answers two refreshes that spend one token at once alike, web/server/auth.ts.)
   */
  earlyRefresh?: Promise<Response> | null;
}

/** A refresh that failed for a reason other than the server refusing it: try again later. */
export class SessionUnavailableError extends Error {
  /** `retryAfterMs`: when the server said to ask again (its rate limit), if it did. */
  constructor(
    message: string,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'SessionUnavailableError';
  }
}

/** The wait a RATE_LIMITED refusal asks for (extensions.retryAfter, seconds), in ms. */
const retryAfterMsOf = (errors: AuthError[]): number | null => {
  const seconds = errors.find((e) => e.extensions?.code === 'RATE_LIMITED')?.extensions?.retryAfter;
  return typeof seconds === 'number' && seconds >= 0 ? Math.max(1, seconds) * 1000 : null;
};

/** How long before expiry the token is refreshed: a fifth of its life, between 5 s and 60 s. */
export const refreshLead = (lifetimeMs: number) => Math.min(60_000, Math.max(5_000, lifetimeMs / 5));
/** Within this of expiry a token is not sent; a fresh one is fetched first. */
const EXPIRY_MARGIN_MS = 2_000;
const RETRY_DELAYS_MS = [1_000, 2_000, 5_000, 10_000, 30_000];
const LOCK = 'shutter-session-refresh';

const unreachable = (): AuthError[] => [
  { message: 'Shutter cannot be reached right now. Check your connection; it will keep trying.', extensions: { code: 'NETWORK_ERROR' } },
];

export class SessionManager {
  private state: SessionState = { status: 'restoring', problem: null };
  private readonly listeners = new Set<() => void>();
  private refreshing: Promise<string | null> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private restoreAttempt = 0;
  /** How early the current token is refreshed (a fifth of its life). */
  private lead = 60_000;
  private readyResolve!: () => void;
  /** Resolves once the first restore has an answer (signed in or out). */
  readonly ready: Promise<void> = new Promise((resolve) => (this.readyResolve = resolve));

  private earlyRefresh: Promise<Response> | null;

  constructor(private readonly env: SessionEnvironment) {
    this.earlyRefresh = env.earlyRefresh ?? null;
    env.channel?.addEventListener('message', (event) => this.onTabMessage((event as MessageEvent<TabMessage>).data));
    env.onVisible(() => {
      const state = this.state;
      if (state.status === 'signedIn' && state.expiresAt - this.env.now() < this.lead) void this.refresh().catch(() => {});
    });
  }

  getSnapshot = (): SessionState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** On page load: ask /auth/refresh whether this browser has a session (the cookie says). */
  async restore(): Promise<void> {
    try {
      await this.refresh();
      this.readyResolve();
    } catch (error) {
      // The server is unreachable: keep "restoring", say why, and try again with backoff.
      const message = error instanceof Error ? error.message : String(error);
      this.set({ status: 'restoring', problem: message });
      const backoff = RETRY_DELAYS_MS[Math.min(this.restoreAttempt++, RETRY_DELAYS_MS.length - 1)]!;
      const delay = error instanceof SessionUnavailableError && error.retryAfterMs !== null ? error.retryAfterMs : backoff;
      this.timer = setTimeout(() => void this.restore(), delay);
    }
  }

  signUp(input: SignUpRequest): Promise<AuthResult> {
    return this.start(AUTH_PATHS.signUp, input);
  }

  logIn(input: LogInRequest): Promise<AuthResult> {
    return this.start(AUTH_PATHS.logIn, input);
  }

  /**
   * Ends the session on the server (which clears the cookie) and then in every tab. When the server
   * cannot be reached the session stays, and the result says why: the cookie would outlive a
   * log-out that only this tab believed in.
   */
  async logOut(): Promise<LogOutResult> {
    const result = await this.post<LogOutResult>(AUTH_PATHS.logOut, {});
    if (result.ok) this.end('loggedOut', true);
    return result;
  }

  /** A token to send now: the current one, or a fresh one if it is about to expire. Null signed out. */
  async getAccessToken(): Promise<string | null> {
    if (this.state.status === 'restoring') await this.ready;
    const state = this.state;
    if (state.status !== 'signedIn') return null;
    if (state.expiresAt - this.env.now() > EXPIRY_MARGIN_MS) return state.accessToken;
    try {
      return await this.refresh();
    } catch {
      // Unreachable: send what there is; the request then fails or answers, and the UI says so.
      return state.accessToken;
    }
  }

  /**
   * The server said UNAUTHENTICATED to a request sent with `usedToken`. Refreshes once (unless the
   * token has changed since, then that one is the answer). Null when the session is over.
   */
  async handleUnauthenticated(usedToken: string | null): Promise<string | null> {
    const state = this.state;
    if (state.status !== 'signedIn') return null;
    if (usedToken && state.accessToken !== usedToken) return state.accessToken;
    try {
      return await this.refresh();
    } catch {
      return null;
    }
  }

  /**
   * Exchanges the cookie's refresh token for a new pair. One at a time in this tab, and one at a time
   * across tabs (Web Locks); a tab that waited for the lock uses the token the other tab got.
   * Resolves with the new access token, or null when the server refused (signed out everywhere);
   * throws SessionUnavailableError when the server could not be asked.
   */
  refresh(): Promise<string | null> {
    this.refreshing ??= this.refreshUnderLock().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private async refreshUnderLock(): Promise<string | null> {
    const before = this.state.status === 'signedIn' ? this.state.accessToken : null;
    const run = async () => {
      // Another tab refreshed while this one waited for the lock: its token came by broadcast.
      const now = this.state;
      if (now.status === 'signedIn' && now.accessToken !== before && now.expiresAt - this.env.now() > EXPIRY_MARGIN_MS) return now.accessToken;
      return this.refreshNow();
    };
    return this.env.locks ? ((await this.env.locks.request(LOCK, run)) as string | null) : run();
  }

  private async refreshNow(): Promise<string | null> {
    const result = await this.post<AuthResult>(AUTH_PATHS.refresh, {});
    if (result.ok) {
      this.adopt(result, true);
      return result.accessToken;
    }
    if (result.errors[0]?.extensions?.code === 'UNAUTHENTICATED') {
      // Refused (no cookie, spent, revoked, expired): the session is over, in every tab.
      this.end(this.state.status === 'signedIn' ? 'expired' : null, true);
      return null;
    }
    const message = result.errors.map((e) => e.message).join(' ');
    const retryAfterMs = retryAfterMsOf(result.errors);
    // Keep the session and try again soon (or when the rate limit says): the token may still be
    // good for a while.
    if (this.state.status === 'signedIn') this.schedule(retryAfterMs ?? RETRY_DELAYS_MS[2]!);
    throw new SessionUnavailableError(message, retryAfterMs);
  }

  private async start(path: string, body: unknown): Promise<AuthResult> {
    const result = await this.post<AuthResult>(path, body);
    if (result.ok) this.adopt(result, true);
    return result;
  }

  private async post<T extends { ok: boolean }>(path: string, body: unknown): Promise<T | AuthFailure> {
    let response: Response;
    const early = path === AUTH_PATHS.refresh ? this.earlyRefresh : null;
    // Once: any later refresh spends the token that one brought.
    if (early) this.earlyRefresh = null;
    try {
      response = early ? await early : await this.env.fetch(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [AUTH_CSRF_HEADER]: '1' },
        body: JSON.stringify(body),
        credentials: 'same-origin',
      });
    } catch {
      return { ok: false, errors: unreachable() };
    }
    const parsed = (await response.json().catch(() => null)) as T | null;
    if (!parsed || typeof parsed !== 'object' || typeof parsed.ok !== 'boolean') {
      return { ok: false, errors: [{ message: `The server answered ${response.status} without a usable body.`, extensions: { code: 'BAD_RESPONSE' } }] };
    }
    return parsed;
  }

  private adopt(session: AuthSession, tell: boolean) {
    const expiresAt = Date.parse(session.expiresAt);
    this.set({ status: 'signedIn', user: session.user, accessToken: session.accessToken, expiresAt });
    this.restoreAttempt = 0;
    this.readyResolve();
    const lifetime = expiresAt - this.env.now();
    this.lead = refreshLead(lifetime);
    this.schedule(Math.max(0, lifetime - this.lead));
    if (tell) this.env.channel?.postMessage({ type: 'session', session: { accessToken: session.accessToken, expiresAt: session.expiresAt, user: session.user } } satisfies TabMessage);
  }

  private end(reason: 'loggedOut' | 'expired' | null, tell: boolean) {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.set({ status: 'signedOut', reason });
    this.readyResolve();
    if (tell && reason) this.env.channel?.postMessage({ type: 'logout', reason } satisfies TabMessage);
  }

  private onTabMessage(message: TabMessage) {
    if (message.type === 'logout') {
      this.end(message.reason, false);
    } else {
      const current = this.state;
      // A newer token (another tab refreshed or logged in): take it; an older one changes nothing.
      if (current.status !== 'signedIn' || current.user.id !== message.session.user.id || Date.parse(message.session.expiresAt) >= current.expiresAt) {
        this.adopt(message.session, false);
      }
    }
  }

  private schedule(delayMs: number) {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.refresh().catch(() => {
        // Unreachable: refreshNow has scheduled the next try.
      });
    }, delayMs);
  }

  private set(state: SessionState) {
    this.state = state;
    for (const listener of this.listeners) listener();
  }

  dispose() {
    if (this.timer) clearTimeout(this.timer);
    this.env.channel?.close();
  }
}

/** The session of this tab, wired to the browser. */
export function browserSessionManager(): SessionManager {
  return new SessionManager({
    fetch: (...args) => fetch(...args),
    now: () => Date.now(),
    channel: typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel('shutter-session'),
    locks: typeof navigator !== 'undefined' && navigator.locks ? navigator.locks : null,
    onVisible: (listener) => document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && listener()),
    earlyRefresh: (window as { __shutterRestore?: Promise<Response> }).__shutterRestore ?? null,
  });
}
