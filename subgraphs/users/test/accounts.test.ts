import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessTokenIssuer, createAccessTokenVerifier } from '@shutter/auth';
import type { TestDatabase } from '@shutter/testing';
import { Accounts } from '../src/auth.ts';
import { usersDatabase, type UsersDatabase } from '../src/db/index.ts';
import { createUsersTestConfig } from './helpers.ts';

let database: TestDatabase;
let users: UsersDatabase;
let accounts: Accounts;
let verify: (token: string) => Promise<{ userId: string; sessionId: string } | null>;

beforeAll(async () => {
  const setup = await createUsersTestConfig();
  database = setup.database;
  users = usersDatabase.connect(database.url);
  accounts = new Accounts(users.db, {
    tokens: await createAccessTokenIssuer(setup.secrets.ACCESS_TOKEN_PRIVATE_KEY, 900),
    refreshTokenTtlDays: 30,
    argon2: { memoryCost: 8192, timeCost: 1 },
  });
  const verifier = await createAccessTokenVerifier(setup.secrets.ACCESS_TOKEN_PUBLIC_KEY);
  verify = (token) => verifier.verify(token);
});

afterAll(async () => {
  await users.close();
  await database.drop();
});

const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (e) {
    return (e as { extensions?: { code?: string } }).extensions?.code ?? `unexpected: ${String(e)}`;
  }
  return 'resolved';
};

describe('signUp', () => {
  it('creates the user, stores an argon2id hash, and returns a working token pair', async () => {
    const session = await accounts.signUp({ username: '  Ada.L ', email: 'Ada@Example.com', password: 'analytical engine', displayName: ' Ada ' });
    expect(session.user).toMatchObject({ username: 'ada.l', email: 'Ada@Example.com', displayName: 'Ada' });
    expect(session.user.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await verify(session.accessToken)).toMatchObject({ userId: session.user.id });
    expect(session.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses a taken username or email, whatever their case, with CONFLICT', async () => {
    await accounts.signUp({ username: 'grace', email: 'grace@example.com', password: 'cobol cobol' });
    expect(await codeOf(accounts.signUp({ username: 'GRACE', email: 'other@example.com', password: 'cobol cobol' }))).toBe('CONFLICT');
    expect(await codeOf(accounts.signUp({ username: 'grace2', email: 'GRACE@example.COM', password: 'cobol cobol' }))).toBe('CONFLICT');
  });

  it('enforces the contract limits with BAD_USER_INPUT and stores nothing', async () => {
    const bad = [
      { username: 'ab', email: 'a@b.co', password: 'long enough' },
      { username: 'x'.repeat(31), email: 'a@b.co', password: 'long enough' },
      { username: 'has space', email: 'a@b.co', password: 'long enough' },
      { username: 'emoji😀', email: 'a@b.co', password: 'long enough' },
      { username: 'okname', email: 'not-an-email', password: 'long enough' },
      { username: 'okname', email: 'a@b.co', password: 'short' },
      { username: 'okname', email: 'a@b.co', password: 'p'.repeat(201) },
      { username: 'okname', email: 'a@b.co', password: 'long enough', displayName: 'd'.repeat(65) },
    ];
    for (const input of bad) expect(await codeOf(accounts.signUp(input)), JSON.stringify(input)).toBe('BAD_USER_INPUT');
    const rows = await users.sql`select count(*)::int as n from users where username = 'okname'`;
    expect(rows[0]?.n).toBe(0);
  });

  it('accepts the limits themselves: 3 and 30 characters, 8 and 200-character passwords', async () => {
    await accounts.signUp({ username: 'abc', email: 'abc@example.com', password: '8 chars!' });
    await accounts.signUp({ username: 'y'.repeat(30), email: 'y@example.com', password: 'p'.repeat(200) });
  });
});

describe('logIn', () => {
  beforeAll(async () => {
    await accounts.signUp({ username: 'linus', email: 'Linus@Example.org', password: 'penguins rule' });
  });

  it('takes the username or the email, case-insensitively', async () => {
    for (const login of ['linus', 'LINUS', 'linus@example.org', 'LINUS@EXAMPLE.ORG']) {
      const session = await accounts.logIn({ usernameOrEmail: login, password: 'penguins rule' });
      expect(session.user.username).toBe('linus');
    }
  });

  it('answers a wrong password and an unknown user the same way', async () => {
    const errors: unknown[] = [];
    for (const input of [
      { usernameOrEmail: 'linus', password: 'wrong password' },
      { usernameOrEmail: 'nobody-here', password: 'penguins rule' },
      { usernameOrEmail: 'nobody@example.org', password: 'penguins rule' },
    ]) {
      try {
        await accounts.logIn(input);
      } catch (e) {
        const { message, extensions } = e as { message: string; extensions: unknown };
        errors.push({ message, extensions });
      }
    }
    expect(errors).toHaveLength(3);
    expect(errors[0]).toEqual({ message: 'Wrong username, email or password.', extensions: { code: 'UNAUTHENTICATED' } });
    expect(errors[1]).toEqual(errors[0]);
    expect(errors[2]).toEqual(errors[0]);
  });

  it('refuses what no account can match (longer than any email or password) as BAD_USER_INPUT', async () => {
    expect(await codeOf(accounts.logIn({ usernameOrEmail: `${'l'.repeat(250)}@x.io`, password: 'penguins rule' }))).toBe('BAD_USER_INPUT');
    expect(await codeOf(accounts.logIn({ usernameOrEmail: 'linus', password: 'p'.repeat(201) }))).toBe('BAD_USER_INPUT');
    // At the limits themselves it is the usual answer.
    expect(await codeOf(accounts.logIn({ usernameOrEmail: `${'l'.repeat(249)}@x.io`, password: 'p'.repeat(200) }))).toBe('UNAUTHENTICATED');
  });
});

describe('refresh tokens', () => {
  it('rotate: each refresh spends the token and issues a new one in the same session', async () => {
    const first = await accounts.signUp({ username: 'rotor', email: 'rotor@example.com', password: 'spin spin spin' });
    const second = await accounts.refresh(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.user.id).toBe(first.user.id);
    const a = await verify(first.accessToken);
    const b = await verify(second.accessToken);
    expect(b?.sessionId).toBe(a?.sessionId);
    const third = await accounts.refresh(second.refreshToken);
    expect(third.user.username).toBe('rotor');
  });

  it('a spent token presented again revokes the whole session', async () => {
    const login = await accounts.signUp({ username: 'leaky', email: 'leaky@example.com', password: 'drip drip drip' });
    const next = await accounts.refresh(login.refreshToken);
    let reuse: { extensions?: Record<string, unknown> } | undefined;
    try {
      await accounts.refresh(login.refreshToken);
    } catch (e) {
      reuse = e as typeof reuse;
    }
    expect(reuse?.extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'REFRESH_TOKEN_REUSED' });
    // The thief's rotation and the owner's are both dead now.
    expect(await codeOf(accounts.refresh(next.refreshToken))).toBe('UNAUTHENTICATED');
    // Another session of the same user is untouched.
    const other = await accounts.logIn({ usernameOrEmail: 'leaky', password: 'drip drip drip' });
    expect((await accounts.refresh(other.refreshToken)).user.username).toBe('leaky');
  });

  it('two concurrent refreshes with one token: exactly one wins', async () => {
    const login = await accounts.signUp({ username: 'racer', email: 'racer@example.com', password: 'go go go go' });
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => accounts.refresh(login.refreshToken)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('an unknown token is UNAUTHENTICATED', async () => {
    expect(await codeOf(accounts.refresh('no-such-token'))).toBe('UNAUTHENTICATED');
  });

  it('logOut ends the session: its refresh token no longer works, and logging out again is false', async () => {
    const login = await accounts.signUp({ username: 'leaver', email: 'leaver@example.com', password: 'bye bye bye' });
    expect(await accounts.logOut(login.refreshToken)).toBe(true);
    expect(await codeOf(accounts.refresh(login.refreshToken))).toBe('UNAUTHENTICATED');
    expect(await accounts.logOut(login.refreshToken)).toBe(false);
    expect(await accounts.logOut('never-issued')).toBe(false);
  });
});
