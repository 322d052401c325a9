import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import sharp from 'sharp';
import { queuePrefix } from '@shutter/events';
import { Api, duplicates, kindOf, liveClient, startPushService, type Answer } from './client.ts';
import { alive, report, seedFollowers, sleep, startShutter, waitFor, type ProcessName, type Shutter } from './harness.ts';

/**
 * SIGTERM, as Kubernetes sends it to a pod it replaces (or scales in), to each kind of process
 * while it is busy: the gateway and a subgraph with a request in flight, the feed worker in the
 * middle of a fan-out (its outbox relay then carrying the notifications' events to push), the
 * media worker in the middle of processing an image. Each must stop taking work, finish or hand
 * back what it holds, and exit 0 within the bound; the supervisor then starts it again, as a new
 * pod would be, and nothing is lost or done twice.
 *
 * The bound: runMain's STOP_DEADLINE_MS (8 s) with a margin, well inside deploy/'s
 * terminationGracePeriodSeconds (30 s for servers, 60 s for workers). SIGTERM_GRACE_MS changes it.
 */
const GRACE_MS = Number(process.env.SIGTERM_GRACE_MS ?? 10_000);

let shutter: Shutter;
let api: Api;

beforeAll(async () => {
  shutter = await startShutter('sigterm', { env: { CELEBRITY_FOLLOWER_THRESHOLD: '100000' } });
  api = new Api(shutter.gatewayUrl);
});

afterAll(async () => {
  await shutter?.destroy();
});

/** SIGTERM to one process; resolves once it has exited, with how long that took and its exit as the supervisor saw it. */
async function terminate(name: ProcessName): Promise<{ pid: number; ms: number; restartedPid: Promise<number> }> {
  const pid = shutter.pidOf(name);
  const started = performance.now();
  process.kill(pid, 'SIGTERM');
  await waitFor(`${name} to exit after SIGTERM`, () => !alive(pid), GRACE_MS, 10);
  const ms = performance.now() - started;
  await waitFor(`the supervisor to see ${name} exit`, () => new RegExp(`✗ ${name} exited \\(`).test(shutter.output()), 5000, 10);
  return { pid, ms, restartedPid: shutter.restarted(name, pid) };
}

/** How the supervisor saw each exit of a process: `code 0`, `SIGKILL`, ... */
const exitsOf = (name: ProcessName) => [...shutter.output().matchAll(new RegExp(`✗ ${name} exited \\(([^)]+)\\)`, 'g'))].map((m) => m[1]);

/** /readyz of a port: its status, or null for no answer (the listener closed). */
async function readyz(port: number): Promise<number | null> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) })).status;
  } catch {
    return null;
  }
}

/**
 * A request held in flight: `holder` (a process the request needs) is paused with SIGSTOP, the
 * request is sent, and `victim` is sent SIGTERM while it waits; the holder goes on 500 ms later.
 * Returns the held request's answer, what /readyz of the victim said during the drain, and the stop.
 */
async function sigtermWithRequestInFlight(victim: ProcessName, victimPort: number, holder: ProcessName, request: () => Promise<Answer>) {
  const holderPid = shutter.pidOf(holder);
  process.kill(holderPid, 'SIGSTOP');
  try {
    const held = request();
    await sleep(300); // the request is at the holder now
    const stopping = terminate(victim);
    await sleep(100);
    const drainingReadyz = await readyz(victimPort);
    await sleep(400);
    process.kill(holderPid, 'SIGCONT');
    const [answer, stopped] = [await held, await stopping];
    return { answer, drainingReadyz, ...stopped };
  } finally {
    process.kill(holderPid, 'SIGCONT');
  }
}

const PROFILE = `query($u: String!) { user(username: $u) { username followerCount } }`;

describe('SIGTERM to a server with a request in flight', () => {
  it('gateway: the request held in a subgraph gets its answer, /readyz stops answering, the gateway exits 0 in the bound and is back', async () => {
    await api.signUp('term_gw');
    const { answer, drainingReadyz, ms, restartedPid } = await sigtermWithRequestInFlight('gateway', shutter.ports.gateway, 'social-graph', () => api.gql(PROFILE, { u: 'term_gw' }));
    expect(kindOf(answer)).toBe('ok');
    expect(answer.data?.user).toEqual({ username: 'term_gw', followerCount: 0 });
    expect(drainingReadyz === null || drainingReadyz === 503).toBe(true);
    expect(exitsOf('gateway')).toEqual(['code 0']);
    expect(ms).toBeLessThan(GRACE_MS);
    await restartedPid;
    await waitFor('the gateway answering again', async () => kindOf(await api.gql(PROFILE, { u: 'term_gw' })) === 'ok', 30_000);
    report(`SIGTERM gateway: a request held ${Math.round(answer.ms)} ms in social-graph across the SIGTERM answered ${kindOf(answer)}; /readyz during the drain: ${drainingReadyz ?? 'refused'}; exited code 0 after ${(ms / 1000).toFixed(1)} s (bound ${GRACE_MS / 1000} s)`);
  });

  it('feed subgraph: a feed read held in social-graph gets its answer; new reads meanwhile degrade (never a bare error); exits 0 and is back', async () => {
    const author = await api.signUp('term_feed_author');
    const reader = await api.signUp('term_feed_reader');
    await api.follow(reader.token, author.id);
    const postId = await api.post(author.token, 'read across a SIGTERM');
    await waitFor('the post published', () => api.published(postId));
    // The reader's timeline is not built yet: the read asks social-graph whom the reader follows.
    const read = () => api.gql('{ feed(first: 5) { edges { node { id } } } }', {}, reader.token);
    const { answer, drainingReadyz, ms, restartedPid } = await sigtermWithRequestInFlight('feed', shutter.ports.feed, 'social-graph', read);
    expect(kindOf(answer)).toBe('ok');
    expect(answer.data?.feed.edges.map((e: any) => e.node.id)).toEqual([postId]);
    expect(drainingReadyz === null || drainingReadyz === 503).toBe(true);
    const meanwhile = await read(); // feed is gone until the supervisor starts it again
    expect(kindOf(meanwhile)).toMatch(/^(ok|error SERVICE_UNAVAILABLE\(feed\))$/);
    expect(exitsOf('feed')).toEqual(['code 0']);
    expect(ms).toBeLessThan(GRACE_MS);
    await restartedPid;
    const { value: after } = await waitFor('the feed answering again', async () => {
      const a = await read();
      return kindOf(a) === 'ok' ? a : null;
    }, 30_000);
    expect(after?.data?.feed.edges.map((e: any) => e.node.id)).toEqual([postId]);
    report(`SIGTERM feed subgraph: a feed read held ${Math.round(answer.ms)} ms in social-graph across the SIGTERM answered ${kindOf(answer)}; /readyz during the drain: ${drainingReadyz ?? 'refused'}; a read while it was down: ${kindOf(meanwhile)}; exited code 0 after ${(ms / 1000).toFixed(1)} s`);
  });
});

describe('SIGTERM to a worker mid-job', () => {
  it('feed-worker in the middle of a fan-out to 6,000 followers: exits 0 in the bound; each follower notified, pushed (through its outbox relay) and sent the live event once', async () => {
    const FOLLOWERS = 6000;
    const author = await api.signUp('term_author');
    const readers = [await api.signUp('term_reader1'), await api.signUp('term_reader2')];
    const push = await startPushService();
    try {
      for (const [i, reader] of readers.entries()) {
        await api.follow(reader.token, author.id);
        await api.feed(reader.token);
        await push.register(api, reader.token, `term${i + 1}`);
      }
      const live = liveClient(shutter.wsUrl, readers[0]!.token);
      const feedAdded = live.subscribe('subscription { feedPostAdded { id } }');
      await waitFor('the live subscription', async () => (await shutter.redisClient.pubsub('NUMSUB', `${shutter.prefix}:live:feed:${readers[0]!.id}`))[1] === 1);
      await seedFollowers(shutter, author.id, FOLLOWERS - readers.length);

      const feedDb = shutter.db('shutter_feed');
      const notified = async (postId: string) => (await feedDb<{ n: number }[]>`select count(*)::int as n from notifications where post_id = ${postId}`)[0]!.n;
      const postId = await api.post(author.token, 'fanned out across a SIGTERM');
      const { value: atTerm } = await waitFor('the fan-out under way', async () => {
        const n = await notified(postId);
        if (n === FOLLOWERS) throw new Error('the fan-out finished before the SIGTERM');
        return n > 0 ? n : 0;
      }, 60_000, 2);
      const { ms, restartedPid } = await terminate('feed-worker');
      const atExit = await notified(postId);
      expect(exitsOf('feed-worker')).toEqual(['code 0']);
      expect(ms).toBeLessThan(GRACE_MS);
      await restartedPid;
      const { ms: completeMs } = await waitFor('every follower notified', async () => (await notified(postId)) === FOLLOWERS, 60_000, 50);

      const perRecipient = await feedDb<{ n: number }[]>`select count(*)::int as n from notifications where post_id = ${postId} group by recipient_id having count(*) > 1`;
      const carried = await feedDb<{ id: string }[]>`
        select n->>'notificationId' as id from outbox, jsonb_array_elements(payload->'notifications') as n
        where event = 'notification.created' and n->>'postId' = ${postId}`;
      await waitFor('both pushes', () => push.received.filter((r) => r.kind === 'NEW_POST').length >= 2, 30_000);
      await waitFor('the live event', () => feedAdded.messages.length >= 1, 10_000);
      await sleep(1500); // anything sent twice would have arrived by now
      const pushes = push.received.filter((r) => r.kind === 'NEW_POST').map((r) => `${r.device}:${r.notificationId}`);
      const feeds = await Promise.all(readers.map((r) => api.feedIds(r.token)));
      const lost = FOLLOWERS - (await notified(postId)) + feeds.filter((ids) => !ids.includes(postId)).length + (2 - new Set(pushes).size);
      const duplicated = perRecipient.length + duplicates(carried.map((c) => c.id)).length + duplicates(pushes).length + (feedAdded.messages.length - 1);
      expect(carried).toHaveLength(FOLLOWERS);
      expect(lost).toBe(0);
      expect(duplicated).toBe(0);
      report(
        `SIGTERM feed-worker mid-fan-out (${FOLLOWERS} followers): ${atTerm} notified at the SIGTERM, ${atExit} when it exited (code 0, ${(ms / 1000).toFixed(1)} s; ` +
          `${atExit === FOLLOWERS ? 'it finished the job' : 'the rest handed back'}); all ${FOLLOWERS} done ${(completeMs / 1000).toFixed(1)} s after the restart; pushes and the live event once; lost ${lost}, duplicated ${duplicated}`,
      );
      live.client.dispose();
    } finally {
      await push.close();
    }
  });

  it('feed-worker whose fan-out cannot finish in the grace (social-graph paused): the job is handed back, not left to stall, and completes once after the restart', async () => {
    const FOLLOWERS = 6000;
    const author = await api.signUp('term_stuck_author');
    await seedFollowers(shutter, author.id, FOLLOWERS);
    const feedDb = shutter.db('shutter_feed');
    const notified = async (postId: string) => (await feedDb<{ n: number }[]>`select count(*)::int as n from notifications where post_id = ${postId}`)[0]!.n;
    // social-graph paused: the job gets as far as asking it for the first page of followers, and
    // cannot finish, however long the grace.
    const socialGraphPid = shutter.pidOf('social-graph');
    const queue = new Queue('feed.post-created', { connection: { url: shutter.redis.url, maxRetriesPerRequest: null }, prefix: queuePrefix(shutter.prefix, 'feed.post-created') });
    let postId: string;
    let atExit: number;
    let ms: number;
    let restartedPid: Promise<number>;
    process.kill(socialGraphPid, 'SIGSTOP');
    try {
      postId = await api.post(author.token, 'held up in social-graph');
      await waitFor('the fan-out job running', async () => (await queue.getActiveCount()) === 1, 30_000, 5);
      ({ ms, restartedPid } = await terminate('feed-worker'));
      atExit = await notified(postId);
    } finally {
      process.kill(socialGraphPid, 'SIGCONT');
      await queue.close();
    }
    expect(atExit).toBeLessThan(FOLLOWERS);
    expect(exitsOf('feed-worker').at(-1)).toBe('code 0');
    expect(ms).toBeLessThan(GRACE_MS);
    expect(shutter.output()).toMatch(/"running":1,"handedBack":1\b/);
    await restartedPid;
    const { ms: completeMs } = await waitFor('every follower notified', async () => (await notified(postId)) === FOLLOWERS, 60_000, 50);
    const perRecipient = await feedDb<{ n: number }[]>`select count(*)::int as n from notifications where post_id = ${postId} group by recipient_id having count(*) > 1`;
    const carried = await feedDb<{ id: string }[]>`
      select n->>'notificationId' as id from outbox, jsonb_array_elements(payload->'notifications') as n
      where event = 'notification.created' and n->>'postId' = ${postId}`;
    expect(perRecipient).toEqual([]);
    expect(carried).toHaveLength(FOLLOWERS);
    expect(duplicates(carried.map((c) => c.id))).toEqual([]);
    // Handed back, not recovered by BullMQ's stalled-job check (which counts each stall in "stc").
    const [event] = await shutter.db('shutter_media')<{ id: string }[]>`select id from outbox where event = 'post.created' and payload->>'postId' = ${postId}`;
    const jobKey = `${queuePrefix(shutter.prefix, 'feed.post-created')}:feed.post-created:${event!.id}`;
    // The last notification page commits before the job records its end (the inbox, then BullMQ's
    // completion): wait for that, bounded, rather than read it once.
    await waitFor('the job completed', async () => (await shutter.redisClient.hget(jobKey, 'finishedOn')) !== null, 10_000, 20);
    expect(Number((await shutter.redisClient.hget(jobKey, 'stc')) ?? 0)).toBe(0);
    report(
      `SIGTERM feed-worker with a fan-out held up (social-graph paused, ${FOLLOWERS} followers): ${atExit} notified when it exited (code 0, ${(ms / 1000).toFixed(1)} s: the 3 s grace, then the job handed back); ` +
        `all ${FOLLOWERS} done ${(completeMs / 1000).toFixed(1)} s after the restart, not stalled; lost 0, duplicated 0`,
    );
  });

  it('media-worker in the middle of processing a large photo: exits 0 in the bound; the photo is processed and the post published once', async () => {
    const author = await api.signUp('term_media');
    const reader = await api.signUp('term_media_reader');
    await api.follow(reader.token, author.id);
    await api.feed(reader.token);
    // Noise does not compress: a 12-megapixel photo that takes sharp a while to scale six ways.
    const width = 4000;
    const height = 3000;
    const noise = Buffer.alloc(width * height * 3);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    const bytes = await sharp(noise, { raw: { width, height, channels: 3 } }).jpeg({ quality: 70 }).toBuffer();
    const upload = await api.must('mutation($input: CreateUploadInput!) { createUpload(input: $input) { id uploadUrl } }', { input: { contentType: 'image/jpeg', byteSize: bytes.length } }, author.token);
    const queue = new Queue('media.process-upload', { connection: { url: shutter.redis.url, maxRetriesPerRequest: null }, prefix: queuePrefix(shutter.prefix, 'media.process-upload') });
    try {
      const put = await fetch(upload.createUpload.uploadUrl, { method: 'PUT', body: bytes });
      expect(put.status).toBe(200);
      const created = await api.createPost(author.token, upload.createUpload.id, 'processed across a SIGTERM');
      const postId = created.data!.createPost.id as string;
      await waitFor('the processing job running', async () => (await queue.getActiveCount()) === 1, 30_000, 5);
      const { ms, restartedPid } = await terminate('media-worker');
      const publishedAtExit = await api.published(postId);
      expect(exitsOf('media-worker')).toEqual(['code 0']);
      expect(ms).toBeLessThan(GRACE_MS);
      await restartedPid;
      const { ms: publishedMs } = await waitFor('the post published', () => api.published(postId), 60_000, 50);
      await waitFor('the post in the reader\'s feed', async () => (await api.feedIds(reader.token)).includes(postId), 30_000);
      const mediaDb = shutter.db('shutter_media');
      const images = await mediaDb<{ n: number }[]>`select count(*)::int as n from images where id = ${upload.createUpload.id}`;
      expect(images[0]!.n).toBe(1);
      expect((await api.feedIds(reader.token)).filter((id) => id === postId)).toHaveLength(1);
      report(
        `SIGTERM media-worker mid-processing (${(bytes.length / 1e6).toFixed(1)} MB, ${width}x${height}): exited code 0 after ${(ms / 1000).toFixed(1)} s, ` +
          `${publishedAtExit ? 'the job finished first' : 'the job handed back'}; published ${(publishedMs / 1000).toFixed(1)} s after the restart, once`,
      );
    } finally {
      await queue.close();
    }
  });
});

describe('after every SIGTERM', () => {
  it('no process exited other than with code 0', () => {
    const exits = [...shutter.output().matchAll(/✗ (\S+) exited \(([^)]+)\)/g)].map((m) => `${m[1]}: ${m[2]}`);
    expect(exits.filter((e) => !e.endsWith('code 0'))).toEqual([]);
    report(`SIGTERM: every exit code 0 (${exits.join(', ')})`);
  });
});
