import { createHash, randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { AccessTokenIssuer } from '@shutter/auth';
import { isUniqueViolation } from '@shutter/db';
import { appError, badUserInput, conflict, unauthenticated } from '@shutter/service';
import type { UsersDb } from './db/index.ts';
import { refreshTokens, sessions, users, type UserRow } from './db/schema.ts';
import { newId } from '@shutter/db';
import { charLength, checkPassword, LIMITS, parseEmail, parseOptionalText, parseUsername } from './validation.ts';

/** What signUp, logIn and refreshSession return (the AuthPayload type). */
export interface AuthSession {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
  user: UserRow;
}

export interface AccountsOptions {
  tokens: AccessTokenIssuer;
  refreshTokenTtlDays: number;
  argon2: { memoryCost: number; timeCost: number };
}

const INVALID_LOGIN = 'Wrong username, email or password.';
const INVALID_REFRESH = 'This session has ended; log in again.';

const hashToken = (token: string): string => createHash('sha256').update(token).digest('base64url');

/** Accounts and sessions: sign-up, log-in, rotating refresh tokens, log-out. */
export class Accounts {
  /** A real hash of nothing, verified for unknown users so that they cost what a wrong password costs. */
  private readonly decoyHash: Promise<string>;

  constructor(
    private readonly db: UsersDb,
    private readonly options: AccountsOptions,
  ) {
    this.decoyHash = this.hashPassword(randomBytes(16).toString('hex'));
  }

  private hashPassword(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id, parallelism: 1, ...this.options.argon2 });
  }

  async signUp(input: { username: string; email: string; password: string; displayName?: string | null }): Promise<AuthSession> {
    const username = parseUsername(input.username);
    const email = parseEmail(input.email);
    const password = checkPassword(input.password);
    const displayName = parseOptionalText(input.displayName, 'displayName') ?? null;
    const passwordHash = await this.hashPassword(password);
    let user: UserRow;
    try {
      [user] = (await this.db
        .insert(users)
        .values({ id: newId(), username, email, displayName, passwordHash })
        .returning()) as [UserRow];
    } catch (e) {
      if (isUniqueViolation(e, 'users_username_key')) throw conflict('That username is taken.', 'username');
      if (isUniqueViolation(e, 'users_email_lower_key')) throw conflict('An account with that email exists.', 'email');
      throw e;
    }
    return this.startSession(user);
  }

  async logIn(input: { usernameOrEmail: string; password: string }): Promise<AuthSession> {
    const login = input.usernameOrEmail.trim().toLowerCase();
    // Longer than any username, email or password can be: no account matches, so say so at once
    // rather than spend an argon2 verification (and a query) on it. Says nothing about accounts.
    if (login.length > LIMITS.email.max) throw badUserInput(`A username or email is at most ${LIMITS.email.max} characters.`, 'usernameOrEmail');
    if (charLength(input.password) > LIMITS.password.max) throw badUserInput(`A password is at most ${LIMITS.password.max} characters.`, 'password');
    const [user] = login.includes('@')
      ? await this.db.select().from(users).where(sql`lower(${users.email}) = ${login}`).limit(1)
      : await this.db.select().from(users).where(eq(users.username, login)).limit(1);
    // Verify against a decoy when there is no such user: the answer and its timing are the same.
    const valid = await argon2.verify(user?.passwordHash ?? (await this.decoyHash), input.password);
    if (!user || !valid) throw unauthenticated(INVALID_LOGIN);
    return this.startSession(user);
  }

  /**
   * Spends `refreshToken` and issues the next one in the same session. Spending is one conditional
   * UPDATE, so two concurrent refreshes with one token cannot both win. A token presented after it
   * was spent has leaked (or a client retried a lost answer); either way the session is revoked.
   */
  async refresh(refreshToken: string): Promise<AuthSession> {
    const tokenHash = hashToken(refreshToken);
    const outcome = await this.db.transaction(async (tx) => {
      const [spent] = await tx
        .update(refreshTokens)
        .set({ spentAt: sql`now()` })
        .where(and(eq(refreshTokens.tokenHash, tokenHash), isNull(refreshTokens.spentAt)))
        .returning({ sessionId: refreshTokens.sessionId });
      if (!spent) {
        const revoked = await tx
          .update(sessions)
          .set({ revokedAt: sql`now()` })
          .where(
            and(
              isNull(sessions.revokedAt),
              sql`${sessions.id} = (SELECT ${refreshTokens.sessionId} FROM ${refreshTokens} WHERE ${refreshTokens.tokenHash} = ${tokenHash})`,
            ),
          )
          .returning({ id: sessions.id });
        return { kind: revoked.length ? ('reused' as const) : ('unknown' as const) };
      }
      const [row] = await tx
        .select({ user: users })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(and(eq(sessions.id, spent.sessionId), isNull(sessions.revokedAt), sql`${sessions.expiresAt} > now()`));
      if (!row) return { kind: 'ended' as const };
      const next = randomBytes(32).toString('base64url');
      await tx.insert(refreshTokens).values({ tokenHash: hashToken(next), sessionId: spent.sessionId });
      return { kind: 'ok' as const, user: row.user, sessionId: spent.sessionId, refreshToken: next };
    });
    if (outcome.kind === 'reused') {
      throw appError('UNAUTHENTICATED', 'This refresh token was already used; the session is revoked. Log in again.', {
        reason: 'REFRESH_TOKEN_REUSED',
      });
    }
    if (outcome.kind !== 'ok') throw unauthenticated(INVALID_REFRESH);
    const access = await this.options.tokens.issue({ userId: outcome.user.id, sessionId: outcome.sessionId });
    return { accessToken: access.token, expiresAt: access.expiresAt, refreshToken: outcome.refreshToken, user: outcome.user };
  }

  /** Ends the session that `refreshToken` belongs to. False when the token names no live session. */
  async logOut(refreshToken: string): Promise<boolean> {
    const revoked = await this.db
      .update(sessions)
      .set({ revokedAt: sql`now()` })
      .where(
        and(
          isNull(sessions.revokedAt),
          sql`${sessions.id} = (SELECT ${refreshTokens.sessionId} FROM ${refreshTokens} WHERE ${refreshTokens.tokenHash} = ${hashToken(refreshToken)})`,
        ),
      )
      .returning({ id: sessions.id });
    return revoked.length > 0;
  }

  private async startSession(user: UserRow): Promise<AuthSession> {
    const sessionId = newId();
    const refreshToken = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.options.refreshTokenTtlDays * 86_400_000);
    await this.db.transaction(async (tx) => {
      await tx.insert(sessions).values({ id: sessionId, userId: user.id, expiresAt });
      await tx.insert(refreshTokens).values({ tokenHash: hashToken(refreshToken), sessionId });
    });
    const access = await this.options.tokens.issue({ userId: user.id, sessionId });
    return { accessToken: access.token, expiresAt: access.expiresAt, refreshToken, user };
  }
}
