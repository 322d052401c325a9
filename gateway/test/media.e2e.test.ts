import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './stack.ts';

/** Photos through the gateway: upload, post, read back with fields from media, users and social-graph. */
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.close();
});

const photo = () =>
  sharp({ create: { width: 2400, height: 1600, channels: 3, background: { r: 30, g: 120, b: 200 } } })
    .withExifMerge({ IFD0: { Make: 'ShutterCam' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2964/100' } })
    .jpeg()
    .toBuffer();

describe('a photo post through the gateway', () => {
  it('upload, PUT, createPost, then read it back with variants, blurhash and its author', async () => {
    const ada = await stack.signUp('ada_media');
    const bytes = await photo();
    const upload = await stack.query({
      query: 'mutation($input: CreateUploadInput!) { createUpload(input: $input) { id uploadUrl expiresAt } }',
      variables: { input: { contentType: 'image/jpeg', byteSize: bytes.length } },
      token: ada.token,
    });
    expect(upload.errors).toBeUndefined();
    const put = await fetch(upload.data!.createUpload.uploadUrl, { method: 'PUT', body: bytes });
    expect(put.status).toBe(200);

    const created = await stack.query({
      query: 'mutation($input: CreatePostInput!) { createPost(input: $input) { id hashtags } }',
      variables: { input: { uploadIds: [upload.data!.createUpload.id], caption: 'Blue hour #Paris', altTexts: ['a blue sky'] } },
      token: ada.token,
    });
    expect(created.data!.createPost.hashtags).toEqual(['paris']);
    const id = created.data!.createPost.id;

    const read = () =>
      stack.query({
        query: `query($id: ID!) { post(id: $id) {
          id caption createdAt likeCount commentCount viewerHasLiked
          author { username followerCount postCount }
          media { url width height blurhash altText variants { url width height contentType } }
        } }`,
        variables: { id },
      });
    await expect.poll(async () => (await read()).data?.post?.media?.length, { timeout: 15_000, interval: 100 }).toBe(1);
    const post = (await read()).data!.post;
    expect(post).toMatchObject({
      caption: 'Blue hour #Paris',
      likeCount: 0,
      viewerHasLiked: false,
      author: { username: 'ada_media', followerCount: 0, postCount: 1 },
      media: [{ width: 1080, height: 720, altText: 'a blue sky' }],
    });
    expect(post.media[0].blurhash).toBeTruthy();
    expect(post.media[0].variants.map((v: { width: number; contentType: string }) => `${v.contentType} ${v.width}`)).toEqual([
      'image/webp 1080',
      'image/webp 640',
      'image/webp 320',
      'image/jpeg 1080',
      'image/jpeg 640',
      'image/jpeg 320',
    ]);
    for (const variant of post.media[0].variants) {
      const response = await fetch(variant.url);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const served = Buffer.from(await response.arrayBuffer());
      const meta = await sharp(served).metadata();
      expect(meta.exif).toBeUndefined();
      expect(meta.width).toBe(variant.width);
      expect(served.includes(Buffer.from('ShutterCam'))).toBe(false);
    }

    const liked = await stack.query({ query: 'mutation($id: ID!) { likePost(postId: $id) { likeCount viewerHasLiked } }', variables: { id }, token: ada.token });
    expect(liked.data).toEqual({ likePost: { likeCount: 1, viewerHasLiked: true } });
    const comment = await stack.query({
      query: 'mutation($id: ID!) { addComment(postId: $id, text: "lovely") { text author { username } post { commentCount } } }',
      variables: { id },
      token: ada.token,
    });
    expect(comment.data).toEqual({ addComment: { text: 'lovely', author: { username: 'ada_media' }, post: { commentCount: 1 } } });
  });
});
