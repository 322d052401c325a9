/**
 * The browser's side of the session endpoints that the web server offers under /auth/: what it
 * sends, what it gets back. Both the server and the SPA import these; the shapes come from the
 * generated GraphQL types of the mutations the server runs for it.
 */
import type { AuthSessionFieldsFragment, LogInInput, SignUpInput } from '../src/gql/graphql.ts';

export const AUTH_PATHS = {
  signUp: '/auth/signup',
  logIn: '/auth/login',
  refresh: '/auth/refresh',
  logOut: '/auth/logout',
} as const;

/**
 * Every /auth request carries this header. A cross-site page cannot add a custom header without a
 * CORS preflight, which this origin never grants: with SameSite=Strict and the Origin check it is
 * the third lock on the door.
 */
export const AUTH_CSRF_HEADER = 'x-shutter-auth';

/** The access token (the refresh token stays in the HttpOnly cookie), its expiry, and who it is for. */
export type AuthSession = Omit<AuthSessionFieldsFragment, '__typename'>;

/** A GraphQL error as the gateway sent it (message for people, extensions.code for programs). */
export interface AuthError {
  message: string;
  extensions?: { code?: string; field?: string; [key: string]: unknown };
}

export type AuthFailure = { ok: false; errors: AuthError[] };
export type AuthResult = ({ ok: true } & AuthSession) | AuthFailure;
export type LogOutResult = { ok: true } | AuthFailure;

export type SignUpRequest = SignUpInput;
export type LogInRequest = LogInInput;
