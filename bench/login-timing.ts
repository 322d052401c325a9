/**
 * logIn with a wrong password against logIn with an unknown user: the same answer, and (because an
 * unknown user is verified against a decoy hash) about the same time. Production argon2 settings.
 *   npx tsx bench/login-timing.ts
 */
import { createAccessTokenIssuer, newAccessTokenKeys } from '@shutter/auth';
import { usersDatabase } from '@shutter/users';
import { Accounts } from '../subgraphs/users/src/auth.ts';
import { usersConfigSchema } from '../subgraphs/users/src/config.ts';
import { benchInfra, dropDatabase, freshDatabase, round, timeIt, writeResults } from './lib.ts';

const { pg, redis } = await benchInfra();
const url = await freshDatabase(pg.adminUrl, 'bench_users', usersDatabase);
const database = usersDatabase.connect(url);
const defaults = usersConfigSchema.shape;
const argon2 = { memoryCost: defaults.ARGON2_MEMORY_KIB.parse(undefined), timeCost: defaults.ARGON2_TIME_COST.parse(undefined) };
const keys = newAccessTokenKeys();
const accounts = new Accounts(database.db, { tokens: await createAccessTokenIssuer(keys.privateKey, 900), refreshTokenTtlDays: 30, argon2 });
await accounts.signUp({ username: 'timing', email: 'timing@example.com', password: 'the right password' });
const attempt = (usernameOrEmail: string) => accounts.logIn({ usernameOrEmail, password: 'a wrong password' }).catch(() => undefined);
const wrongPassword = await timeIt(100, () => attempt('timing'), 5);
const unknownUser = await timeIt(100, () => attempt('nobody_here'), 5);
const right = await timeIt(50, () => accounts.logIn({ usernameOrEmail: 'timing', password: 'the right password' }), 5);
const results = { date: new Date().toISOString(), argon2, wrongPasswordMs: wrongPassword, unknownUserMs: unknownUser, successfulLogInMs: right };
console.log(JSON.stringify(results, null, 2));
writeResults(
  'login-timing',
  [
    { workload: 'logIn, production argon2id', metric: 'wrong password, p50', value: wrongPassword.p50, unit: 'ms' },
    { workload: 'logIn, production argon2id', metric: 'unknown user, p50', value: unknownUser.p50, unit: 'ms' },
    // The decoy hash: an unknown user must not answer measurably faster than a wrong password.
    { workload: 'logIn, production argon2id', metric: 'unknown user / wrong password, p50', value: round(unknownUser.p50 / wrongPassword.p50), unit: 'x', target: '0.9x to 1.1x', met: Math.abs(unknownUser.p50 / wrongPassword.p50 - 1) <= 0.1 },
    { workload: 'logIn, production argon2id', metric: 'successful log-in, p50', value: right.p50, unit: 'ms' },
  ],
  results,
);
await database.close();
await dropDatabase(pg.adminUrl, 'bench_users');
await redis.stop();
await pg.stop();
