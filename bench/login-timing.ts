/**
 * logIn with a wrong password against logIn with an unknown user: the same answer, and (because an
 * unknown user is verified against a decoy hash) about the same time. Production argon2 settings.
 *   npx tsx bench/login-timing.ts
 */
import { writeFileSync } from 'node:fs';
import { createAccessTokenIssuer, newAccessTokenKeys } from '@shutter/auth';
import { usersDatabase } from '@shutter/users';
import { Accounts } from '../subgraphs/users/src/auth.ts';
import { usersConfigSchema } from '../subgraphs/users/src/config.ts';
import { benchInfra, dropDatabase, freshDatabase, timeIt } from './lib.ts';

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
writeFileSync(new URL('./results/login-timing.json', import.meta.url), JSON.stringify(results, null, 2) + '\n');
await database.close();
await dropDatabase(pg.adminUrl, 'bench_users');
await redis.stop();
await pg.stop();
