import type { UsersDb } from './db/index.ts';
import { users } from './db/schema.ts';
import { registerPushDevice, type PushPlatform } from './push-devices.ts';

export interface SeedUser {
  id: string;
  username: string;
  email: string;
  displayName?: string | null;
  /** Each device is registered as `registerPushDevice` registers it (its token checked the same way). */
  devices?: { platform: PushPlatform; token: string }[];
}

/**
 * Seeding's bulk equivalent of signing up: many accounts in a few statements, all with one
 * password hash made by the caller (hashing each would take ~20 ms of argon2id apiece), then
 * their push devices through the same registration as the mutation's. For benchmarks and seed
 * data; usernames and emails already taken are skipped, and so are their devices.
 */
export async function seedUsers(db: UsersDb, accounts: SeedUser[], passwordHash: string, options: { concurrency?: number } = {}): Promise<number> {
  const created = new Set<string>();
  // In slices, under Postgres's 65,535 bind parameters per statement.
  for (let from = 0; from < accounts.length; from += 5000) {
    const rows = await db
      .insert(users)
      .values(accounts.slice(from, from + 5000).map((a) => ({ id: a.id, username: a.username.toLowerCase(), email: a.email, displayName: a.displayName ?? null, passwordHash })))
      .onConflictDoNothing()
      .returning({ id: users.id });
    for (const row of rows) created.add(row.id);
  }
  const devices = accounts.filter((a) => created.has(a.id)).flatMap((a) => (a.devices ?? []).map((d) => ({ userId: a.id, ...d })));
  let next = 0;
  await Promise.all(
    Array.from({ length: options.concurrency ?? 8 }, async () => {
      while (next < devices.length) {
        const device = devices[next++]!;
        await registerPushDevice(db, device.userId, device.platform, device.token);
      }
    }),
  );
  return created.size;
}

