/**
 * Bulk seeding for benchmarks (bench/seed.ts), into this service's own tables: accounts 5,000 per
 * statement, where signUp would hash a password per account (20 ms of argon2 each). Every seeded
 * account has the same password, hashed once with this service's production argon2id settings.
 * Not used by the service itself.
 */
import argon2 from 'argon2';
import { insertMany, type Sql } from '@shutter/db';
import { usersConfigSchema } from './config.ts';
import type { UsersDb } from './db/index.ts';
import { registerPushDevice, type PushPlatform } from './push-devices.ts';

export interface SeedUser {
  id: string;
  /** Already valid: lower-case [a-z0-9._], 3..30 characters, unique. */
  username: string;
  email: string;
  displayName: string | null;
  bio: string | null;
  createdAt: Date;
}

export async function bulkInsertUsers(sql: Sql, users: Iterable<SeedUser>, password: string): Promise<number> {
  const settings = usersConfigSchema.shape;
  const passwordHash = await argon2.hash(password, {
    type: argon2.argon2id,
    parallelism: 1,
    memoryCost: settings.ARGON2_MEMORY_KIB.parse(undefined),
    timeCost: settings.ARGON2_TIME_COST.parse(undefined),
  });
  const rows = function* () {
    for (const u of users) yield [u.id, u.username, u.email, u.displayName, u.bio, passwordHash, u.createdAt];
  };
  const count = await insertMany(sql, 'users', ['id', 'username', 'email', 'display_name', 'bio', 'password_hash', 'created_at'], rows());
  await sql`analyze users`;
  return count;
}

/**
 * Push devices for seeded accounts, each registered as the `registerPushDevice` mutation registers
 * it (its token checked the same way), a few at a time.
 */
export async function seedPushDevices(db: UsersDb, devices: { userId: string; platform: PushPlatform; token: string }[], concurrency = 8): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < devices.length) {
        const device = devices[next++]!;
        await registerPushDevice(db, device.userId, device.platform, device.token);
      }
    }),
  );
}
