import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Kind, parse } from 'graphql';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphQLResponse } from '@shutter/testing';
import { startStack, type Stack } from './stack.ts';

/**
 * Every mutation of the API, called as the owner of what it acts on, as another signed-in user, and
 * as nobody (no token), through the gateway, with the answer each must get. The mutations are read
 * from the supergraph: one without a row here fails the test, so a new mutation cannot ship
 * without someone deciding who may call it.
 */
type Caller = 'owner' | 'other' | 'nobody';
const CALLERS: Caller[] = ['nobody', 'other', 'owner'];

interface User {
  id: string;
  token: string;
  refreshToken: string;
  username: string;
}

/** What a caller gets: the mutation's value (matched with toEqual, so expect.anything() etc. work), or an error code. */
type Expected = { value: unknown } | { code: string };
const ok = (value: unknown = expect.anything()): Expected => ({ value });
const refused = (code: string): Expected => ({ code });

interface Row {
  /** Whose it is, and what each caller tries, in words. */
  rule: string;
  /** Made once per row; the callers then act on it in the order nobody, other, owner (the owner's call may use it up). */
  setup(world: World): Promise<Record<string, unknown>>;
  call(caller: Caller, world: World, target: Record<string, unknown>): Promise<GraphQLResponse<any>>;
  expect: Record<Caller, Expected>;
  /** Checked after every call but the owner's: what the owner had is as it was. */
  unchanged?(world: World, target: Record<string, unknown>): Promise<void>;
}

interface World {
  owner: User;
  other: User;
  /** A third user, author of a post the owner comments on. */
  author: User;
  tokenOf(caller: Caller): string | null;
  as(caller: Caller, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<any>>;
}

let stack: Stack;
let world: World;
let accounts = 0;

async function signUp(prefix: string): Promise<User> {
  const username = `${prefix}_${accounts++}`;
  const result = await stack.query({
    query: 'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken refreshToken user { id } } }',
    variables: { input: { username, email: `${username}@example.com`, password: 'password123' } },
  });
  const session = result.data!.signUp;
  return { id: session.user.id, token: session.accessToken, refreshToken: session.refreshToken, username };
}

/** An upload of `user` with its bytes received (usable by createPost or setAvatar). */
async function receivedUpload(user: User): Promise<string> {
  const bytes = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 40, b: 90 } } }).jpeg().toBuffer();
  const created = await stack.query({
    query: 'mutation($input: CreateUploadInput!) { createUpload(input: $input) { id uploadUrl } }',
    variables: { input: { contentType: 'image/jpeg', byteSize: bytes.length } },
    token: user.token,
  });
  const { id, uploadUrl } = created.data!.createUpload;
  expect((await fetch(uploadUrl, { method: 'PUT', body: bytes })).status).toBe(200);
  return id;
}

const field = (result: GraphQLResponse<any>, name: string) => (result.data as Record<string, unknown> | null | undefined)?.[name];

const MATRIX: Record<string, Row> = {
  signUp: {
    rule: 'public: anyone may make an account, signed in or not',
    setup: async () => ({}),
    call: (caller, w) => {
      const username = `new_${caller}_${randomBytes(3).toString('hex')}`;
      return w.as(caller, 'mutation($input: SignUpInput!) { signUp(input: $input) { user { username } } }', { input: { username, email: `${username}@example.com`, password: 'password123' } });
    },
    expect: { owner: ok(), other: ok(), nobody: ok() },
  },
  logIn: {
    rule: "the credentials are the authority: the owner's own (signed in or not) work; another user guessing the owner's password does not",
    setup: async () => ({}),
    call: (caller, w) =>
      w.as(caller, 'mutation($input: LogInInput!) { logIn(input: $input) { user { id } } }', {
        input: { usernameOrEmail: w.owner.username, password: caller === 'other' ? 'a guess at it' : 'password123' },
      }),
    expect: { owner: ok({ user: { id: expect.any(String) } }), other: refused('UNAUTHENTICATED'), nobody: ok({ user: { id: expect.any(String) } }) },
  },
  refreshSession: {
    rule: 'the refresh token is the authority: whoever holds the owner\'s may refresh (a browser does so signed out, its access token expired); a token one does not hold is refused',
    setup: async (w) => ({ tokens: [(await anotherSession(w.owner)).refreshToken, (await anotherSession(w.owner)).refreshToken] }),
    call: (caller, w, target) => {
      const [first, second] = target.tokens as string[];
      const token = caller === 'other' ? randomBytes(32).toString('base64url') : caller === 'nobody' ? first : second;
      return w.as(caller, 'mutation($t: String!) { refreshSession(refreshToken: $t) { user { id } } }', { t: token });
    },
    expect: { owner: ok({ user: { id: expect.any(String) } }), other: refused('UNAUTHENTICATED'), nobody: ok({ user: { id: expect.any(String) } }) },
  },
  logOut: {
    rule: "the refresh token is the authority: the owner's ends that session (signed in or not); one that names no session changes nothing",
    setup: async (w) => ({ tokens: [(await anotherSession(w.owner)).refreshToken, (await anotherSession(w.owner)).refreshToken] }),
    call: (caller, w, target) => {
      const [first, second] = target.tokens as string[];
      const token = caller === 'other' ? randomBytes(32).toString('base64url') : caller === 'nobody' ? first : second;
      return w.as(caller, 'mutation($t: String!) { logOut(refreshToken: $t) }', { t: token });
    },
    expect: { owner: ok(true), other: ok(false), nobody: ok(true) },
  },
  updateProfile: {
    rule: "the viewer's own profile only: another user's call changes their own, never the owner's",
    setup: async () => ({}),
    call: (caller, w) => w.as(caller, 'mutation { updateProfile(input: { bio: "changed" }) { id bio } }'),
    expect: { owner: ok({ id: expect.any(String), bio: 'changed' }), other: ok({ id: expect.any(String), bio: 'changed' }), nobody: refused('UNAUTHENTICATED') },
    unchanged: async (w) => {
      expect((await w.as('owner', '{ me { bio } }')).data).toEqual({ me: { bio: null } });
    },
  },
  registerPushDevice: {
    rule: "a device of the viewer's own",
    setup: async () => ({}),
    call: (caller, w) => w.as(caller, 'mutation($t: String!) { registerPushDevice(input: { platform: FCM, token: $t }) { platform } }', { t: `fcm-${caller}-${randomBytes(8).toString('hex')}` }),
    expect: { owner: ok({ platform: 'FCM' }), other: ok({ platform: 'FCM' }), nobody: refused('UNAUTHENTICATED') },
  },
  unregisterPushDevice: {
    rule: "the owner's device: only the owner can remove it; for anyone else it is not there",
    setup: async (w) => ({
      id: (field(await w.as('owner', 'mutation { registerPushDevice(input: { platform: FCM, token: "fcm-owner-device" }) { id } }'), 'registerPushDevice') as { id: string }).id,
    }),
    call: (caller, w, target) => w.as(caller, 'mutation($id: ID!) { unregisterPushDevice(id: $id) }', { id: target.id }),
    expect: { owner: ok(true), other: ok(false), nobody: refused('UNAUTHENTICATED') },
  },
  createUpload: {
    rule: 'an upload of the viewer\'s own; signed in only',
    setup: async () => ({}),
    call: (caller, w) => w.as(caller, 'mutation { createUpload(input: { contentType: "image/png", byteSize: 100 }) { id } }'),
    expect: { owner: ok({ id: expect.any(String) }), other: ok({ id: expect.any(String) }), nobody: refused('UNAUTHENTICATED') },
  },
  createPost: {
    rule: "a post from the owner's uploads: only the owner may use them",
    setup: async (w) => ({ uploadId: await receivedUpload(w.owner) }),
    call: (caller, w, target) => w.as(caller, 'mutation($u: ID!) { createPost(input: { uploadIds: [$u], caption: "mine" }) { caption } }', { u: target.uploadId }),
    expect: { owner: ok({ caption: 'mine' }), other: refused('NOT_FOUND'), nobody: refused('UNAUTHENTICATED') },
  },
  deletePost: {
    rule: "the owner's post: only its author may delete it",
    setup: async (w) => ({ postId: await stack.createPhotoPost(w.owner.token, 'to delete') }),
    call: (caller, w, target) => w.as(caller, 'mutation($id: ID!) { deletePost(id: $id) }', { id: target.postId }),
    expect: { owner: ok(true), other: refused('FORBIDDEN'), nobody: refused('UNAUTHENTICATED') },
    unchanged: async (w, target) => {
      expect((await w.as('nobody', 'query($id: ID!) { post(id: $id) { caption } }', { id: target.postId })).data).toEqual({ post: { caption: 'to delete' } });
    },
  },
  likePost: {
    rule: 'any signed-in user may like a post they can see, the owner too',
    setup: async () => ({ postId: ownerPost }),
    call: (caller, w, target) => w.as(caller, 'mutation($id: ID!) { likePost(postId: $id) { viewerHasLiked } }', { id: target.postId }),
    expect: { owner: ok({ viewerHasLiked: true }), other: ok({ viewerHasLiked: true }), nobody: refused('UNAUTHENTICATED') },
  },
  unlikePost: {
    rule: "any signed-in user may take back their own like (never another's)",
    setup: async () => ({ postId: ownerPost }),
    call: (caller, w, target) => w.as(caller, 'mutation($id: ID!) { unlikePost(postId: $id) { viewerHasLiked } }', { id: target.postId }),
    expect: { owner: ok({ viewerHasLiked: false }), other: ok({ viewerHasLiked: false }), nobody: refused('UNAUTHENTICATED') },
  },
  addComment: {
    rule: 'any signed-in user may comment on a post they can see',
    setup: async () => ({ postId: ownerPost }),
    call: (caller, w, target) => w.as(caller, 'mutation($id: ID!) { addComment(postId: $id, text: "nice") { text } }', { id: target.postId }),
    expect: { owner: ok({ text: 'nice' }), other: ok({ text: 'nice' }), nobody: refused('UNAUTHENTICATED') },
  },
  deleteComment: {
    rule: "the owner's comment on someone else's post: its author (the owner) or the post's author may delete it, no one else",
    setup: async (w) => {
      const comment = async () =>
        (field(await w.as('owner', 'mutation($id: ID!) { addComment(postId: $id, text: "mine") { id } }', { id: authorPost }), 'addComment') as { id: string }).id;
      // The post's author may delete a comment on their post too.
      const second = await comment();
      expect((await stack.query({ query: 'mutation($id: ID!) { deleteComment(id: $id) }', variables: { id: second }, token: w.author.token })).data).toEqual({ deleteComment: true });
      return { commentId: await comment() };
    },
    call: (caller, w, target) => w.as(caller, 'mutation($id: ID!) { deleteComment(id: $id) }', { id: target.commentId }),
    expect: { owner: ok(true), other: refused('FORBIDDEN'), nobody: refused('UNAUTHENTICATED') },
    unchanged: async (w) => {
      const comments = await w.as('nobody', 'query($id: ID!) { post(id: $id) { comments { edges { node { text author { id } } } } } }', { id: authorPost });
      expect(comments.data!.post.comments.edges).toContainEqual({ node: { text: 'mine', author: { id: w.owner.id } } });
    },
  },
  setAvatar: {
    rule: "the viewer's avatar, from the viewer's own upload: another user cannot use the owner's",
    setup: async (w) => ({ uploadId: await receivedUpload(w.owner) }),
    call: (caller, w, target) => w.as(caller, 'mutation($u: ID) { setAvatar(uploadId: $u) { id } }', { u: target.uploadId }),
    expect: { owner: ok({ id: expect.any(String) }), other: refused('NOT_FOUND'), nobody: refused('UNAUTHENTICATED') },
  },
  follow: {
    rule: 'any signed-in user may follow the owner; the owner cannot follow themself',
    setup: async () => ({}),
    call: (caller, w) => w.as(caller, 'mutation($id: ID!) { follow(userId: $id) { id } }', { id: w.owner.id }),
    expect: { owner: refused('BAD_USER_INPUT'), other: ok({ id: expect.any(String) }), nobody: refused('UNAUTHENTICATED') },
  },
  unfollow: {
    rule: 'any signed-in user may stop following the owner (their own follow); the owner has no follow of themself',
    setup: async () => ({}),
    call: (caller, w) => w.as(caller, 'mutation($id: ID!) { unfollow(userId: $id) { id } }', { id: w.owner.id }),
    expect: { owner: refused('BAD_USER_INPUT'), other: ok({ id: expect.any(String) }), nobody: refused('UNAUTHENTICATED') },
  },
  markNotificationsRead: {
    rule: "the viewer's own notifications: another user naming the owner's notification marks none of the owner's",
    setup: async (w) => {
      const fan = await signUp('fan');
      await stack.query({ query: 'mutation($id: ID!) { follow(userId: $id) { id } }', variables: { id: w.owner.id }, token: fan.token });
      const poll = async () => (await w.as('owner', '{ notifications(first: 1) { edges { node { id read } } } }')).data?.notifications.edges ?? [];
      await expect.poll(async () => (await poll()).length, { timeout: 10_000 }).toBe(1);
      return { notificationId: (await poll())[0].node.id };
    },
    call: (caller, w, target) => w.as(caller, 'mutation($id: ID) { markNotificationsRead(upTo: $id) }', { id: target.notificationId }),
    expect: { owner: ok(expect.any(Number)), other: ok(0), nobody: refused('UNAUTHENTICATED') },
    unchanged: async (w) => {
      expect((await w.as('owner', '{ notifications(first: 1) { edges { node { read } } } }')).data!.notifications.edges[0].node.read).toBe(false);
    },
  },
};

/** Another session of the same account (as from a second device), for the rows about refresh tokens. */
async function anotherSession(user: User): Promise<{ refreshToken: string }> {
  const result = await stack.query({ query: 'mutation($input: LogInInput!) { logIn(input: $input) { refreshToken } }', variables: { input: { usernameOrEmail: user.username, password: 'password123' } } });
  return { refreshToken: result.data!.logIn.refreshToken };
}

let ownerPost: string;
let authorPost: string;

beforeAll(async () => {
  stack = await startStack();
  const [owner, other, author] = [await signUp('owner'), await signUp('other'), await signUp('author')];
  world = {
    owner,
    other,
    author,
    tokenOf: (caller) => (caller === 'nobody' ? null : caller === 'owner' ? owner.token : other.token),
    as: (caller, query, variables) => stack.query({ query, variables, token: world.tokenOf(caller) }),
  };
  [ownerPost, authorPost] = await Promise.all([stack.createPhotoPost(owner.token, 'the owner’s'), stack.createPhotoPost(author.token, 'the author’s')]);
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

describe('authorization matrix', () => {
  it('has a row for every mutation of the supergraph', () => {
    const sdl = readFileSync(fileURLToPath(new URL('../../schema/supergraph.graphql', import.meta.url)), 'utf8');
    const mutations = parse(sdl).definitions.flatMap((d) =>
      (d.kind === Kind.OBJECT_TYPE_DEFINITION || d.kind === Kind.OBJECT_TYPE_EXTENSION) && d.name.value === 'Mutation' ? (d.fields ?? []).map((f) => f.name.value) : [],
    );
    expect(mutations.length).toBeGreaterThan(0);
    expect(Object.keys(MATRIX).sort()).toEqual([...new Set(mutations)].sort());
  });

  for (const [mutation, row] of Object.entries(MATRIX)) {
    it(`${mutation}: ${row.rule}`, async () => {
      const target = await row.setup(world);
      for (const caller of CALLERS) {
        const result = await row.call(caller, world, target);
        const expected = row.expect[caller];
        const seen = result.errors?.length ? { code: result.errors[0]!.extensions?.code } : { value: field(result, mutation) };
        expect(seen, `${mutation} as ${caller}: ${JSON.stringify(result.errors ?? result.data)}`).toEqual(expected);
        if (caller !== 'owner') await row.unchanged?.(world, target);
      }
    });
  }
});
