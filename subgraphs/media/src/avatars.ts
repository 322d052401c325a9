import { eq } from 'drizzle-orm';
import type { MediaDb } from './db/index.ts';
import { avatars } from './db/schema.ts';
import { claimUploads } from './uploads.ts';

/** Sets (or with null, clears) the viewer's avatar from one of their uploads. */
export async function setAvatar(db: MediaDb, viewerId: string, uploadId: string | null): Promise<void> {
  if (uploadId === null) {
    await db.delete(avatars).where(eq(avatars.userId, viewerId));
    return;
  }
  await db.transaction(async (tx) => {
    await claimUploads(tx, viewerId, [uploadId]);
    await tx.insert(avatars).values({ userId: viewerId, imageId: uploadId }).onConflictDoUpdate({ target: avatars.userId, set: { imageId: uploadId } });
  });
}

