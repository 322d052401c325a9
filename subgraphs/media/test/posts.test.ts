import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpegWithGps, pngWithAlpha } from './fixtures.ts';
import { mediaDatabase } from '../src/db/index.ts';
import { purgeDeletedPosts as purge } from '../src/posts.ts';
import { startMediaHarness, viewer, type MediaHarness } from './helpers.ts';

/** The worker's purge, on the harness's database. */
async function purgeDeletedPosts(url: string, graceSeconds: number): Promise<number> {
  const database = mediaDatabase.connect(url, { max: 1 });
  try {
    return await purge(database.db, graceSeconds);
  } finally {
    await database.close();
  }
}

let h: MediaHarness;
let sql: postgres.Sql;
const queries: string[] = [];
const alice = viewer(21);
const bob = viewer(22);
const carol = viewer(23);
let jpeg: Buffer;

beforeAll(async () => {
  h = await startMediaHarness({ onQuery: (q) => queries.push(q) });
  sql = postgres(h.database.url, { max: 1 });
  jpeg = await jpegWithGps();
});

afterAll(async () => {
  await sql?.end();
  await h?.close();
});

const POST_FIELDS = 'id caption hashtags likeCount commentCount viewerHasLiked author { id } media { url width height blurhash altText variants { width contentType } }';
const createPost = (who: string, input: Record<string, unknown>) =>
  h.call(`mutation($input: CreatePostInput!) { createPost(input: $input) { ${POST_FIELDS} } }`, { input }, who);
const readPost = (id: string, who: string | null) => h.call(`query($id: ID!) { post(id: $id) { ${POST_FIELDS} } }`, { id }, who);
const events = async (event: string) => sql`select payload from outbox where event = ${event} order by id`;

/** A published post of `who` with one processed image. */
async function publishedPost(who: string, caption?: string) {
  const upload = await h.upload(who, jpeg);
  const created = await createPost(who, { uploadIds: [upload.id], caption });
  const id = created.data!.createPost.id as string;
  await expect.poll(async () => (await readPost(id, null)).data?.post?.id, { timeout: 10_000, interval: 50 }).toBe(id);
  return id;
}

describe('createPost', () => {
  it('keeps a post with images still processing from others until the worker has made them, then publishes it once', async () => {
    const a = await h.upload(alice, jpeg);
    const b = await h.upload(alice, await pngWithAlpha(), { contentType: 'image/png' });
    const created = await createPost(alice, { uploadIds: [a.id, b.id], caption: 'Two #Cats and a #cat, #CATS! #dog_2 x#nope', altTexts: ['first', null] });
    expect(created.errors).toBeUndefined();
    const post = created.data!.createPost;
    expect(post.hashtags).toEqual(['cats', 'cat', 'dog_2']);
    await expect.poll(async () => (await readPost(post.id, bob)).data?.post?.media?.length, { timeout: 10_000, interval: 50 }).toBe(2);
    const seen = (await readPost(post.id, bob)).data!.post;
    expect(seen.media.map((m: { altText: string | null }) => m.altText)).toEqual(['first', null]);
    expect(seen.media[0]).toMatchObject({ width: 1080, height: 1440 });
    expect(seen.media[1].variants.map((v: { width: number }) => v.width)).toEqual([500, 320, 500, 320]);
    const created_ = (await events('post.created')).filter((e) => e.payload.postId === post.id);
    expect(created_).toHaveLength(1);
    expect(created_[0]!.payload).toMatchObject({ postId: post.id, authorId: alice });
  });

  it('shows an unpublished post to its author only, and to everyone once its images are made', async () => {
    const worker = h.worker!.workers[0]!;
    await worker.pause();
    try {
      const upload = await h.upload(alice, jpeg);
      const id = (await createPost(alice, { uploadIds: [upload.id] })).data!.createPost.id;
      expect((await readPost(id, bob)).data!.post).toBeNull();
      expect((await readPost(id, null)).data!.post).toBeNull();
      expect((await readPost(id, alice)).data!.post).toMatchObject({ id, media: [] });
      worker.resume();
      await expect.poll(async () => (await readPost(id, bob)).data?.post?.media?.length, { timeout: 10_000, interval: 50 }).toBe(1);
    } finally {
      worker.resume();
    }
  });

  it('enforces the limits and the rules of uploads', async () => {
    const code = async (who: string, input: Record<string, unknown>) => (await createPost(who, input)).errors?.[0]?.extensions?.code;
    const one = await h.upload(alice, jpeg);
    expect(await code(alice, { uploadIds: [] })).toBe('BAD_USER_INPUT');
    expect(await code(alice, { uploadIds: Array.from({ length: 11 }, () => one.id) })).toBe('BAD_USER_INPUT');
    expect(await code(alice, { uploadIds: [one.id, one.id] })).toBe('BAD_USER_INPUT');
    expect(await code(alice, { uploadIds: [one.id], caption: 'c'.repeat(2201) })).toBe('BAD_USER_INPUT');
    expect(await code(alice, { uploadIds: [one.id], altTexts: ['a', 'b'] })).toBe('BAD_USER_INPUT');
    expect(await code(bob, { uploadIds: [one.id] })).toBe('NOT_FOUND');
    expect(await code(alice, { uploadIds: ['not-an-id'] })).toBe('NOT_FOUND');
    const empty = await h.call('mutation { createUpload(input: { contentType: "image/jpeg", byteSize: 10 }) { id } }', {}, alice);
    expect(await code(alice, { uploadIds: [empty.data!.createUpload.id] })).toBe('BAD_USER_INPUT');
    expect((await createPost(alice, { uploadIds: [one.id], caption: '😀'.repeat(2200) })).errors).toBeUndefined();
    expect(await code(alice, { uploadIds: [one.id] })).toBe('BAD_USER_INPUT');
    expect(await code(null as unknown as string, { uploadIds: [one.id] })).toBe('UNAUTHENTICATED');
  });
});

describe('deletePost', () => {
  it('only by the author; removes the post, its files and emits post.deleted once', async () => {
    const id = await publishedPost(alice);
    const [image] = await sql`select image_id from post_images where post_id = ${id}`;
    expect((await h.call('mutation($id: ID!) { deletePost(id: $id) }', { id }, bob)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await h.call('mutation($id: ID!) { deletePost(id: $id) }', { id }, alice)).data).toEqual({ deletePost: true });
    expect((await h.call('mutation($id: ID!) { deletePost(id: $id) }', { id }, alice)).data).toEqual({ deletePost: false });
    expect((await readPost(id, alice)).data!.post).toBeNull();
    expect((await fetch(`${h.media.url}/files/images/${image!.image_id}/320.webp`)).status).toBe(404);
    expect((await events('post.deleted')).filter((e) => e.payload.postId === id)).toHaveLength(1);
  });

  it('keeps a tombstone that references still resolve until it is purged; nothing else sees the post', async () => {
    const id = await publishedPost(alice, 'soon gone #tomb');
    await h.call('mutation($id: ID!) { likePost(postId: $id) { id } }', { id }, bob);
    await h.call('mutation($id: ID!) { addComment(postId: $id, text: "nice") { id } }', { id }, bob);
    expect((await h.call('mutation($id: ID!) { deletePost(id: $id) }', { id }, alice)).data).toEqual({ deletePost: true });
    const entity = () => h.call('query($r: [_Any!]!) { _entities(representations: $r) { ... on Post { id caption } } }', { r: [{ __typename: 'Post', id }] }, bob);
    // A feed page or a notification fetched before the feed handled post.deleted still resolves.
    expect((await entity()).data).toEqual({ _entities: [{ id, caption: 'soon gone #tomb' }] });
    // Everything media serves itself has lost it at once.
    expect((await readPost(id, bob)).data!.post).toBeNull();
    expect((await h.call('query { postsByHashtag(tag: "tomb") { edges { node { id } } } }', {}, bob)).data!.postsByHashtag.edges).toEqual([]);
    const profile = await h.call('query($r: [_Any!]!) { _entities(representations: $r) { ... on User { postCount posts { edges { node { id } } } } } }', { r: [{ __typename: 'User', id: alice }] }, bob);
    expect(profile.data!._entities[0].posts.edges.map((e: { node: { id: string } }) => e.node.id)).not.toContain(id);
    expect((await h.call('mutation($id: ID!) { likePost(postId: $id) { id } }', { id }, carol)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await h.call('mutation($id: ID!) { addComment(postId: $id, text: "late") { id } }', { id }, carol)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    // Within the grace the purge keeps it; past it, the row goes with its images, likes and comments.
    expect(await purgeDeletedPosts(h.database.url, 3600)).toBe(0);
    await sql`update posts set deleted_at = now() - interval '2 hours' where id = ${id}`;
    expect(await purgeDeletedPosts(h.database.url, 3600)).toBe(1);
    expect((await entity()).data).toEqual({ _entities: [null] });
    expect(await sql`select 1 from likes where post_id = ${id} union all select 1 from comments where post_id = ${id} union all select 1 from post_images where post_id = ${id}`).toHaveLength(0);
    expect(await purgeDeletedPosts(h.database.url, 3600)).toBe(0);
  });
});

describe('likes', () => {
  it('are idempotent and exact under concurrency, and emit post.liked once per like', async () => {
    const id = await publishedPost(alice);
    const likers = Array.from({ length: 25 }, (_, i) => viewer(100 + i));
    const like = (who: string) => h.call('mutation($id: ID!) { likePost(postId: $id) { likeCount viewerHasLiked } }', { id }, who);
    await Promise.all([...likers.map(like), ...Array.from({ length: 10 }, () => like(bob))]);
    expect((await readPost(id, bob)).data!.post).toMatchObject({ likeCount: 26, viewerHasLiked: true });
    expect((await like(bob)).data!.likePost).toEqual({ likeCount: 26, viewerHasLiked: true });
    const unlike = (who: string) => h.call('mutation($id: ID!) { unlikePost(postId: $id) { likeCount viewerHasLiked } }', { id }, who);
    await Promise.all(Array.from({ length: 5 }, () => unlike(bob)));
    expect((await unlike(bob)).data!.unlikePost).toEqual({ likeCount: 25, viewerHasLiked: false });
    const liked = (await events('post.liked')).filter((e) => e.payload.postId === id);
    expect(liked).toHaveLength(26);
    expect(liked[0]!.payload).toMatchObject({ postAuthorId: alice });
    expect((await like('not-a-viewer-uuid')).errors).toBeDefined();
    expect((await h.call('mutation { likePost(postId: "01930000-0000-7000-8000-0000000fffff") { id } }', {}, bob)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('comments', () => {
  it('are added with limits, listed oldest first, and deleted by their author or the post author only', async () => {
    const id = await publishedPost(alice);
    const add = (who: string, text: string) => h.call('mutation($id: ID!, $text: String!) { addComment(postId: $id, text: $text) { id text author { id } post { id commentCount } } }', { id, text }, who);
    expect((await add(bob, '   ')).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await add(bob, 'x'.repeat(1001))).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await add(i % 2 ? bob : carol, `comment ${i}`)).data!.addComment.id);
    const page = await h.call('query($id: ID!) { post(id: $id) { commentCount comments(first: 3) { edges { node { text } } pageInfo { hasNextPage endCursor } } } }', { id }, bob);
    expect(page.data!.post.commentCount).toBe(5);
    expect(page.data!.post.comments.edges.map((e: any) => e.node.text)).toEqual(['comment 0', 'comment 1', 'comment 2']);
    const rest = await h.call('query($id: ID!, $after: String) { post(id: $id) { comments(first: 3, after: $after) { edges { node { text } } pageInfo { hasNextPage } } } }', { id, after: page.data!.post.comments.pageInfo.endCursor }, bob);
    expect(rest.data!.post.comments).toEqual({ edges: [{ node: { text: 'comment 3' } }, { node: { text: 'comment 4' } }], pageInfo: { hasNextPage: false } });

    const remove = (commentId: string, who: string) => h.call('mutation($id: ID!) { deleteComment(id: $id) }', { id: commentId }, who);
    expect((await remove(ids[0]!, bob)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await remove(ids[0]!, carol)).data).toEqual({ deleteComment: true });
    expect((await remove(ids[1]!, alice)).data).toEqual({ deleteComment: true });
    expect((await remove(ids[1]!, alice)).data).toEqual({ deleteComment: false });
    expect((await readPost(id, bob)).data!.post.commentCount).toBe(3);
    const added = (await events('comment.added')).filter((e) => e.payload.postId === id);
    expect(added).toHaveLength(5);
    expect(added[0]!.payload).toMatchObject({ postAuthorId: alice, authorId: carol });
  });
});

describe('hashtags, user posts, avatars', () => {
  it('lists posts by hashtag and by author, newest first, with counts', async () => {
    const first = await publishedPost(carol, 'Morning #Sunrise');
    const second = await publishedPost(carol, 'Evening #sunrise #SUNSET');
    const byTag = await h.call('{ postsByHashtag(tag: "#SunRise", first: 1) { edges { node { id } } pageInfo { hasNextPage endCursor } } }', {}, null);
    expect(byTag.data!.postsByHashtag.edges.map((e: any) => e.node.id)).toEqual([second]);
    const next = await h.call('query($after: String) { postsByHashtag(tag: "sunrise", first: 5, after: $after) { edges { node { id } } pageInfo { hasNextPage } } }', { after: byTag.data!.postsByHashtag.pageInfo.endCursor }, null);
    expect(next.data!.postsByHashtag).toEqual({ edges: [{ node: { id: first } }], pageInfo: { hasNextPage: false } });
    const user = await h.call('query($r: [_Any!]!) { _entities(representations: $r) { ... on User { postCount posts(first: 5) { edges { node { id } } } } } }', { r: [{ __typename: 'User', id: carol }] }, null);
    expect(user.data!._entities[0]).toEqual({ postCount: 2, posts: { edges: [{ node: { id: second } }, { node: { id: first } }] } });
    expect((await h.call('{ postsByHashtag(tag: "  ") { edges { cursor } } }', {}, null)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('sets and clears an avatar from an upload of the viewer', async () => {
    const upload = await h.upload(bob, jpeg);
    expect((await h.call('mutation($id: ID) { setAvatar(uploadId: $id) { id } }', { id: upload.id }, bob)).data).toEqual({ setAvatar: { id: bob } });
    const avatar = () => h.call('query($r: [_Any!]!) { _entities(representations: $r) { ... on User { avatar { url width } } } }', { r: [{ __typename: 'User', id: bob }] }, null);
    await expect.poll(async () => (await avatar()).data!._entities[0].avatar?.width, { timeout: 10_000, interval: 50 }).toBe(1080);
    expect((await h.call('mutation { setAvatar(uploadId: null) { id } }', {}, bob)).data).toEqual({ setAvatar: { id: bob } });
    expect((await avatar()).data!._entities[0].avatar).toBeNull();
    expect((await h.call('mutation($id: ID) { setAvatar(uploadId: $id) { id } }', { id: upload.id }, bob)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('Post entity batching', () => {
  it('resolves 20 posts with media and viewerHasLiked in one query per table', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await publishedPost(alice));
    await h.call('mutation($id: ID!) { likePost(postId: $id) { id } }', { id: ids[3] }, bob);
    queries.length = 0;
    const result = await h.call(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Post { id likeCount viewerHasLiked media { url blurhash } } } }',
      { r: ids.map((id) => ({ __typename: 'Post', id })) },
      bob,
    );
    expect(result.errors).toBeUndefined();
    expect(queries).toHaveLength(3);
    const posts = result.data!._entities as { id: string; viewerHasLiked: boolean; media: unknown[] }[];
    expect(posts.map((p) => p.id)).toEqual(ids);
    expect(posts.filter((p) => p.viewerHasLiked).map((p) => p.id)).toEqual([ids[3]]);
    expect(posts.every((p) => p.media.length === 1)).toBe(true);
  });
});
