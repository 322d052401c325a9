import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { Logger } from '@shutter/service';
import { AUTH_CSRF_HEADER, AUTH_PATHS, type AuthError, type AuthResult, type LogInRequest, type LogOutResult, type SignUpRequest } from '../shared/auth-api.ts';
import { persistedExtension, persistedText } from '../shared/persisted.ts';
import { graphql } from '../src/gql/index.ts';
import type { AuthSessionFieldsFragment } from '../src/gql/graphql.ts';

// The session mutations, run by this server for the browser: it keeps the refresh token.
export const AuthSessionFields = graphql(`
  fragment AuthSessionFields on AuthPayload {
    accessToken
    expiresAt
    user {
      id
      username
    }
  }
`);

const SignUpMutation = graphql(`
  mutation WebSignUp($input: SignUpInput!) {
    signUp(input: $input) {
      ...AuthSessionFields
      refreshToken
    }
  }
`);

const LogInMutation = graphql(`
  mutation WebLogIn($input: LogInInput!) {
    logIn(input: $input) {
      ...AuthSessionFields
      refreshToken
    }
  }
`);

const RefreshMutation = graphql(`
  mutation WebRefreshSession($refreshToken: String!) {
    refreshSession(refreshToken: $refreshToken) {
      ...AuthSessionFields
      refreshToken
    }
  }
`);

const LogOutMutation = graphql(`
  mutation WebLogOut($refreshToken: String!) {
    logOut(refreshToken: $refreshToken)
  }
`);

export interface AuthOptions {
  gatewayUrl: string;
  /** The only origin allowed to call /auth/* (else the request's own Host, http or https). */
  publicOrigin: string | null;
  secureCookie: boolean;
  cookieMaxAgeSeconds: number;
  /** How long a spent refresh token is answered with the pair it was exchanged for (a lost answer, a retry). */
  replayWindowMs?: number;
}

/** The cookie's name: the __Secure- prefix makes browsers refuse it over http or without Secure. */
export const cookieName = (secure: boolean) => (secure ? '__Secure-shutter_session' : 'shutter_session');

const MAX_BODY_BYTES = 16 * 1024;
const GATEWAY_TIMEOUT_MS = 15_000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What the three session mutations return: the session's fields and the next refresh token. */
type Tokens = AuthSessionFieldsFragment & { refreshToken: string };

/**
 * The browser's backend for its session: /auth/signup, /auth/login, /auth/refresh and /auth/logout
 * run the gateway's mutations, keep the refresh token in an HttpOnly cookie that only these paths
 * ever see, and give the page the access token alone. An XSS can therefore use a session while
 * the page is open, but cannot carry the refresh token away.
 */
export function createAuthHandler(options: AuthOptions) {
  const name = cookieName(options.secureCookie);
  const replayWindowMs = options.replayWindowMs ?? 10_000;
  // A refresh token is spent by its first use, and presenting it again revokes the session (it
  // looks stolen). Two tabs refreshing at once, or a retry after a lost answer, are not theft: a
  // refresh in flight is shared, and its answer is kept a few seconds for the same old token.
  const refreshes = new Map<string, { result: Promise<Tokens | AuthError[]>; settledAt: number | null }>();

  const cookie = (value: string, maxAge: number) =>
    [`${name}=${value}`, 'Path=/auth', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAge}`, ...(options.secureCookie ? ['Secure'] : [])].join('; ');

  async function callGateway<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    req: IncomingMessage,
    requestId: string,
  ): Promise<{ data?: TData | null; errors?: AuthError[] }> {
    let response: Response;
    try {
      response = await fetch(options.gatewayUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          'x-request-id': requestId,
          'x-forwarded-for': [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', '),
        },
        body: JSON.stringify({ query: persistedText(document), variables, extensions: persistedExtension(document) }),
        signal: AbortSignal.timeout(GATEWAY_TIMEOUT_MS),
      });
    } catch {
      throw new HttpError(502, 'BAD_GATEWAY', 'The server could not be reached; try again in a moment.');
    }
    const body = (await response.json().catch(() => null)) as { data?: TData | null; errors?: AuthError[] } | null;
    if (!body || (!body.data && !body.errors?.length)) throw new HttpError(502, 'BAD_GATEWAY', 'The server gave an answer that could not be read; try again.');
    return body;
  }

  /** The refresh token from the Cookie header, if this browser has one. */
  function refreshTokenOf(req: IncomingMessage): string | null {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [key, ...rest] = part.trim().split('=');
      if (key === name) return rest.join('=') || null;
    }
    return null;
  }

  function refreshOnce(refreshToken: string, req: IncomingMessage, requestId: string): Promise<Tokens | AuthError[]> {
    const key = createHash('sha256').update(refreshToken).digest('base64url');
    const now = Date.now();
    for (const [k, entry] of refreshes) if (entry.settledAt !== null && now - entry.settledAt > replayWindowMs) refreshes.delete(k);
    const existing = refreshes.get(key);
    if (existing) return existing.result;
    const entry = {
      settledAt: null as number | null,
      result: callGateway(RefreshMutation, { refreshToken }, req, requestId).then(
        ({ data, errors }) => (data?.refreshSession ? data.refreshSession : (errors ?? [])),
      ),
    };
    refreshes.set(key, entry);
    entry.result.then(
      (outcome) => {
        // Only a success is worth replaying; a refusal is the gateway's to give again.
        if (Array.isArray(outcome)) refreshes.delete(key);
        else entry.settledAt = Date.now();
      },
      () => refreshes.delete(key),
    );
    return entry.result;
  }

  const send = (res: ServerResponse, status: number, body: AuthResult | LogOutResult, setCookie?: string) => {
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...(setCookie ? { 'set-cookie': setCookie } : {}),
    });
    res.end(JSON.stringify(body));
  };

  // An answer of the gateway, refusal or not, is a 200 with ok: false and its errors, as GraphQL over
  // HTTP does it (a browser logs every 4xx as a console error, and "no session" is the normal case
  // of a first visit). Only a failure to get an answer is an HTTP error (502).

  const sessionOf = ({ accessToken, expiresAt, user }: Tokens): AuthResult => ({ ok: true, accessToken, expiresAt, user });

  function checkRequest(req: IncomingMessage) {
    if (req.method !== 'POST') throw new HttpError(405, 'BAD_REQUEST', 'Use POST.');
    // CSRF: the session cookie is SameSite=Strict already; on top, the page must be this origin's
    // and the request must carry a header that no cross-site form or image can.
    const origin = req.headers.origin;
    const host = req.headers.host;
    const allowed = options.publicOrigin ? [options.publicOrigin] : host ? [`http://${host}`, `https://${host}`] : [];
    if (!origin || !allowed.includes(origin)) throw new HttpError(403, 'FORBIDDEN', 'This request did not come from this site.');
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin') throw new HttpError(403, 'FORBIDDEN', 'This request did not come from this site.');
    if (req.headers[AUTH_CSRF_HEADER] !== '1') throw new HttpError(403, 'FORBIDDEN', `The ${AUTH_CSRF_HEADER} header is missing.`);
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) throw new HttpError(415, 'BAD_REQUEST', 'Send JSON.');
  }

  async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) throw new HttpError(413, 'BAD_REQUEST', 'The request is too large.');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) throw new HttpError(413, 'BAD_REQUEST', 'The request is too large.');
      chunks.push(chunk);
    }
    try {
      const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // answered below
    }
    throw new HttpError(400, 'BAD_REQUEST', 'The body must be a JSON object.');
  }

  const str = (value: unknown) => (typeof value === 'string' ? value : '');

  return async function handle(req: IncomingMessage, res: ServerResponse, pathname: string, requestId: string, log: Logger): Promise<boolean> {
    if (!Object.values(AUTH_PATHS).includes(pathname as (typeof AUTH_PATHS)[keyof typeof AUTH_PATHS])) return false;
    try {
      checkRequest(req);
      const body = await readJson(req);
      switch (pathname) {
        case AUTH_PATHS.signUp:
        case AUTH_PATHS.logIn: {
          const result =
            pathname === AUTH_PATHS.signUp
              ? await callGateway(
                  SignUpMutation,
                  {
                    input: {
                      username: str(body.username),
                      email: str(body.email),
                      password: str(body.password),
                      displayName: typeof body.displayName === 'string' ? body.displayName : null,
                    } satisfies SignUpRequest,
                  },
                  req,
                  requestId,
                ).then(({ data, errors }) => ({ tokens: data?.signUp, errors }))
              : await callGateway(
                  LogInMutation,
                  { input: { usernameOrEmail: str(body.usernameOrEmail), password: str(body.password) } satisfies LogInRequest },
                  req,
                  requestId,
                ).then(({ data, errors }) => ({ tokens: data?.logIn, errors }));
          if (!result.tokens) send(res, 200, { ok: false, errors: result.errors ?? [] });
          else send(res, 200, sessionOf(result.tokens), cookie(result.tokens.refreshToken, options.cookieMaxAgeSeconds));
          return true;
        }
        case AUTH_PATHS.refresh: {
          const refreshToken = refreshTokenOf(req);
          if (!refreshToken) {
            send(res, 200, { ok: false, errors: [{ message: 'There is no session in this browser.', extensions: { code: 'UNAUTHENTICATED' } }] });
            return true;
          }
          const outcome = await refreshOnce(refreshToken, req, requestId);
          if (Array.isArray(outcome)) {
            // A refused token is gone for good: so is its cookie. Any other error may pass.
            const refused = outcome.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
            send(res, 200, { ok: false, errors: outcome }, refused ? cookie('', 0) : undefined);
          } else send(res, 200, sessionOf(outcome), cookie(outcome.refreshToken, options.cookieMaxAgeSeconds));
          return true;
        }
        case AUTH_PATHS.logOut: {
          const refreshToken = refreshTokenOf(req);
          if (refreshToken) {
            // The cookie goes whatever the gateway says: this browser is logged out either way.
            await callGateway(LogOutMutation, { refreshToken }, req, requestId).catch((err: unknown) => log.warn({ err }, 'logOut failed at the gateway'));
          }
          send(res, 200, { ok: true }, cookie('', 0));
          return true;
        }
      }
      return false;
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      if (!res.headersSent) send(res, err.status, { ok: false, errors: [{ message: err.message, extensions: { code: err.code } }] });
      return true;
    }
  };
}
