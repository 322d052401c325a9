import DataLoader from 'dataloader';
import { eq, sql } from 'drizzle-orm';
import { escapeLike } from '@shutter/db';
import { badUserInput } from '@shutter/service';
import type { UsersDb } from './db/index.ts';
import { users, type UserRow } from './db/schema.ts';
import { isId } from '@shutter/db';
import { LIMITS, parseOptionalText } from './validation.ts';

export type UserLoader = DataLoader<string, UserRow | null>;

/**
 * Users by id, batched: every load in one tick (a whole `_entities` batch, a page of references)
 * becomes one `= ANY($1)` query, whatever its size.
 */
export function createUserLoader(db: UsersDb): UserLoader {
  return new DataLoader<string, UserRow | null>(
    async (ids) => {
      const valid = ids.filter(isId);
      const rows = valid.length
        ? await db.select().from(users).where(sql`${users.id} = ANY(${sql.param(valid)}::uuid[])`)
        : [];
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    },
    { maxBatchSize: 1000 },
  );
}

/** Which of `ids` name an account (the internal endpoint social-graph asks). */
export async function existingUserIds(db: UsersDb, ids: string[]): Promise<string[]> {
  const valid = ids.filter(isId);
  if (valid.length === 0) return [];
  const rows = await db.select({ id: users.id }).from(users).where(sql`${users.id} = ANY(${sql.param(valid)}::uuid[])`);
  return rows.map((r) => r.id);
}

export async function findUserByUsername(db: UsersDb, username: string): Promise<UserRow | null> {
  const [row] = await db.select().from(users).where(eq(users.username, username.trim().toLowerCase())).limit(1);
  return row ?? null;
}

/** Users whose username or display name starts with `query`, exact username first. */
export async function searchUsers(db: UsersDb, query: string, first: number): Promise<UserRow[]> {
  const prefix = query.trim().toLowerCase();
  if (prefix.length === 0) return [];
  if (prefix.length > LIMITS.searchQuery.max) throw badUserInput(`A search is at most ${LIMITS.searchQuery.max} characters.`, 'query');
  const pattern = `${escapeLike(prefix)}%`;
  return db
    .select()
    .from(users)
    .where(sql`${users.username} LIKE ${pattern} OR lower(${users.displayName}) LIKE ${pattern}`)
    .orderBy(sql`${users.username} = ${prefix} DESC`, users.username)
    .limit(first);
}

export interface ProfileChanges {
  displayName?: string | null;
  bio?: string | null;
}

/** Applies the fields given; a field left out stays, null or blank clears it. */
export async function updateProfile(db: UsersDb, userId: string, changes: ProfileChanges): Promise<UserRow | null> {
  const displayName = parseOptionalText(changes.displayName, 'displayName');
  const bio = parseOptionalText(changes.bio, 'bio');
  const set: Partial<Pick<UserRow, 'displayName' | 'bio'>> = {};
  if (displayName !== undefined) set.displayName = displayName;
  if (bio !== undefined) set.bio = bio;
  if (Object.keys(set).length === 0) {
    const [row] = await db.select().from(users).where(eq(users.id, userId));
    return row ?? null;
  }
  const [row] = await db.update(users).set(set).where(eq(users.id, userId)).returning();
  return row ?? null;
}
