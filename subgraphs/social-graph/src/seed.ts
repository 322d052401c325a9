/**
 * Bulk seeding for benchmarks (bench/seed.ts), into this service's own tables: follow edges 5,000
 * per statement, then the counters follow() keeps in its transaction, computed once from the
 * edges. Not used by the service itself.
 */
import { insertMany, type Sql } from '@shutter/db';

export interface SeedFollow {
  followerId: string;
  followeeId: string;
  /** Millisecond precision, as follow() sets it (cursors carry it exactly). */
  createdAt: Date;
}

export async function bulkInsertFollows(sql: Sql, edges: Iterable<SeedFollow>): Promise<number> {
  const rows = function* () {
    for (const e of edges) yield [e.followerId, e.followeeId, e.createdAt];
  };
  const count = await insertMany(sql, 'follows', ['follower_id', 'followee_id', 'created_at'], rows());
  await sql`
    insert into follow_counts (user_id, follower_count, following_count)
    select user_id, sum(followers)::int, sum(following)::int from (
      select followee_id as user_id, count(*) as followers, 0 as following from follows group by followee_id
      union all
      select follower_id, 0, count(*) from follows group by follower_id
    ) as counts group by user_id
    on conflict (user_id) do update set follower_count = excluded.follower_count, following_count = excluded.following_count`;
  await sql`analyze follows`;
  await sql`analyze follow_counts`;
  return count;
}
