/**
 * Bulk seeding for benchmarks (bench/seed.ts), into this service's own tables: the published posts
 * a timeline is rebuilt from (what post.created records), and the authors who are celebrities under
 * this service's default threshold (what the post.created handler records for them), 5,000 rows per
 * statement. Timelines are not seeded: a viewer's first read builds one. Not used by the service.
 */
import { insertMany, type Sql } from '@shutter/db';
import { feedConfigSchema } from './config.ts';

export async function bulkInsertFeedPosts(
  sql: Sql,
  posts: Iterable<{ postId: string; authorId: string; createdAt: Date }>,
  authors: Iterable<{ userId: string; followerCount: number }>,
): Promise<{ posts: number; celebrities: number }> {
  const rows = function* () {
    for (const p of posts) yield [p.postId, p.authorId, p.createdAt];
  };
  const written = await insertMany(sql, 'feed_posts', ['post_id', 'author_id', 'created_at'], rows());
  const threshold = feedConfigSchema.shape.CELEBRITY_FOLLOWER_THRESHOLD.parse(undefined);
  const celebrityRows = function* () {
    for (const a of authors) if (a.followerCount > threshold) yield [a.userId, a.followerCount];
  };
  const celebrities = await insertMany(sql, 'celebrities', ['user_id', 'follower_count'], celebrityRows());
  await sql`analyze feed_posts`;
  return { posts: written, celebrities };
}
