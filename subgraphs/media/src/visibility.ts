import { eq } from 'drizzle-orm';
import { isId } from '@shutter/db';
import { notFound } from '@shutter/service';
import type { MediaDb, MediaTx } from './db/index.ts';
import { posts, type PostRow } from './db/schema.ts';

/**
 * Who sees a post: everyone once it is published, its author while it is processing, and nobody
 * once it is deleted.
 */
export const visibleTo = (post: PostRow | undefined | null, viewerId: string | null): post is PostRow =>
  !!post && post.deletedAt === null && (post.status === 'published' || post.authorId === viewerId);

/**
 * What a reference to a post resolves to (`_entities`, from a feed page or a notification): as
 * visibleTo, but a post deleted a moment ago still resolves until it is purged. Another service
 * may hold a reference until it has handled post.deleted; a null there would void the whole answer
 * (PostEdge.node is non-null), while the deleted post is shown once more, its files already gone.
 */
export const referenceableBy = (post: PostRow | undefined | null, viewerId: string | null): post is PostRow =>
  !!post && (post.status === 'published' || post.authorId === viewerId);

/** The post, if the viewer sees it; NOT_FOUND otherwise (a like or a comment on it). */
export async function visiblePost(tx: MediaTx | MediaDb, postId: string, viewerId: string): Promise<PostRow> {
  const [post] = isId(postId) ? await tx.select().from(posts).where(eq(posts.id, postId)) : [];
  if (!visibleTo(post, viewerId)) throw notFound('No such post.');
  return post;
}
