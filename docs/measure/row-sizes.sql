-- For docs/scaling.md: bytes per row, heap and every index, after VACUUM, of the tables that grow
-- with users and posts. Each part runs in a fresh database of its service, migrated with that
-- service's own migrations (node subgraphs/<name>/dist/migrate.js), e.g.:
--   createdb m_feed && FEED_DATABASE_URL=postgres://.../m_feed node subgraphs/feed/dist/migrate.js
--   psql -d m_feed -v part=feed -f docs/measure/row-sizes.sql      (part: feed, social-graph, media)
-- Ordered ids, as UUIDv7 are (a millisecond time prefix, then random bits).
create or replace function pg_temp.v7(n bigint) returns uuid language sql as $$
  select (lpad(to_hex((extract(epoch from clock_timestamp()) * 1000)::bigint * 1000 + n), 16, '0') || substr(md5(random()::text), 1, 16))::uuid $$;

\if :{?part}
\else
  \echo 'set -v part=feed|social-graph|media'
  \quit
\endif
select :'part' = 'feed' as is_feed, :'part' = 'social-graph' as is_social_graph, :'part' = 'media' as is_media \gset
\if :is_feed
-- 10,000 recipients; NEW_POST notifications as fanOutPost writes them, in batches of 1,000 (one transaction per page).
create temp table recipients as select gen_random_uuid() as id from generate_series(1, 10000);
do $$ begin
  for b in 0..199 loop
    insert into notifications (id, recipient_id, kind, actor_id, post_id, dedupe_key, created_at)
    select pg_temp.v7(b * 1000 + row_number() over ()), r.id, 'NEW_POST', gen_random_uuid(), p.post, 'post:' || p.post, now()
    from (select id from recipients order by random() limit 1000) r, (select gen_random_uuid() as post) p;
  end loop;
end $$;
insert into feed_posts (post_id, author_id, created_at) select pg_temp.v7(g), gen_random_uuid(), now() from generate_series(1, 200000) g;
vacuum analyze notifications; vacuum analyze feed_posts;
select 'notifications', count(*), pg_total_relation_size('notifications'), pg_total_relation_size('notifications') / count(*) from notifications
union all select 'feed_posts', count(*), pg_total_relation_size('feed_posts'), pg_total_relation_size('feed_posts') / count(*) from feed_posts;
\endif
\if :is_social_graph
insert into follows (follower_id, followee_id, created_at) select gen_random_uuid(), gen_random_uuid(), clock_timestamp() from generate_series(1, 200000);
vacuum analyze follows;
select 'follows', count(*), pg_total_relation_size('follows'), pg_total_relation_size('follows') / count(*) from follows;
\endif
\if :is_media
-- A post with one photo: the post (a 60-character caption, two hashtags), its post_images row and the image with its 6 variants.
insert into images (id, width, height, blurhash, variants)
select pg_temp.v7(g), 1080, 1350, 'LEHV6nWB2yk8pyo0adR*.7kCMdnj',
  jsonb_build_array(
    jsonb_build_object('key', 'images/' || gen_random_uuid() || '/1080.webp', 'width', 1080, 'height', 1350, 'contentType', 'image/webp'),
    jsonb_build_object('key', 'images/' || gen_random_uuid() || '/1080.jpg', 'width', 1080, 'height', 1350, 'contentType', 'image/jpeg'),
    jsonb_build_object('key', 'images/' || gen_random_uuid() || '/640.webp', 'width', 640, 'height', 800, 'contentType', 'image/webp'),
    jsonb_build_object('key', 'images/' || gen_random_uuid() || '/640.jpg', 'width', 640, 'height', 800, 'contentType', 'image/jpeg'),
    jsonb_build_object('key', 'images/' || gen_random_uuid() || '/320.webp', 'width', 320, 'height', 400, 'contentType', 'image/webp'),
    jsonb_build_object('key', 'images/' || gen_random_uuid() || '/320.jpg', 'width', 320, 'height', 400, 'contentType', 'image/jpeg'))
from generate_series(1, 100000) g;
insert into posts (id, author_id, caption, hashtags, status, created_at)
select id, gen_random_uuid(), 'A walk by the river this morning, light through the fog #x #y', '{x,y}', 'published', now() from images;
insert into post_images (post_id, position, image_id) select id, 0, id from images;
vacuum analyze images; vacuum analyze posts; vacuum analyze post_images;
select 'post (posts + post_images + images)', (select count(*) from posts), pg_total_relation_size('posts') + pg_total_relation_size('post_images') + pg_total_relation_size('images'),
  (pg_total_relation_size('posts') + pg_total_relation_size('post_images') + pg_total_relation_size('images')) / (select count(*) from posts);
\endif
