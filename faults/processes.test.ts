import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, duplicates, kindOf, liveClient, probe, rawLiveSocket, slowest, startPushService, tally, type Answer } from './client.ts';
import { alive, report, seedFollowers, sleep, startShutter, waitFor, type Shutter } from './harness.ts';

/**
 * Processes dying under npm start: a subgraph SIGKILLed, a worker SIGKILLed in the middle of a
 * fan-out to thousands of followers, then Ctrl-C under traffic. The supervisor restarts what dies
 * (with backoff, the others running on); each test says what users saw meanwhile, how long until
 * all was well, and that nothing was lost or done twice.
 */
let shutter: Shutter;
let api: Api;

beforeAll(async () => {
  // Followers enough for a long fan-out, and no celebrity at that count.
  shutter = await startShutter('processes', { env: { CELEBRITY_FOLLOWER_THRESHOLD: '100000' } });
  api = new Api(shutter.gatewayUrl);
});

afterAll(async () => {
  await shutter?.destroy();
});

const PROFILE = `query($u: String!) { user(username: $u) { username followerCount posts(first: 3) { edges { node { caption } } } } }`;
const PROFILE_WITHOUT_COUNTS = `query($u: String!) { user(username: $u) { username posts(first: 3) { edges { node { caption } } } } }`;

describe('a subgraph SIGKILLed', () => {
  it('social-graph: the rest answers, its fields are SERVICE_UNAVAILABLE(social-graph), and it is back within seconds', async () => {
    const ada = await api.signUp('ada_kill');
    const bob = await api.signUp('bob_kill');
    await api.follow(bob.token, ada.id);
    await api.feed(bob.token); // bob's timeline exists from now on
    const postId = await api.post(ada.token, 'before the kill');
    await waitFor('the post in bob\'s feed', async () => (await api.feedIds(bob.token)).includes(postId));

    const pid = shutter.pidOf('social-graph');
    const killedAt = performance.now();
    process.kill(pid, 'SIGKILL');
    const during = { profile: [] as Answer[], withoutCounts: [] as Answer[], feed: [] as Answer[] };
    // Asked over and over until social-graph answers again: every answer is what a user saw.
    const { ms: recoveredMs } = await waitFor(
      'followerCount again',
      async () => {
        const [profile, withoutCounts, feed] = await Promise.all([
          api.gql(PROFILE, { u: 'ada_kill' }),
          api.gql(PROFILE_WITHOUT_COUNTS, { u: 'ada_kill' }),
          api.gql('{ feed(first: 5) { edges { node { id caption author { username } } } } }', {}, bob.token),
        ]);
        const back = !profile.errors && profile.data?.user?.followerCount === 1;
        if (!back) {
          during.profile.push(profile);
          during.withoutCounts.push(withoutCounts);
          during.feed.push(feed);
        }
        return back;
      },
      30_000,
      20,
    );
    const newPid = await shutter.restarted('social-graph', pid);
    expect(newPid).not.toBe(pid);
    expect(shutter.output()).toMatch(/✗ social-graph exited \(SIGKILL\); restarting in 0\.5 s/);

    // During the outage: the profile without social-graph's fields answered in full; with them,
    // user was null (followerCount is Int!) with the code naming social-graph; never a bare error.
    expect(during.profile.length).toBeGreaterThan(0);
    const kinds = (answers: Answer[]) => [...new Set(answers.map(kindOf))];
    expect(kinds(during.profile)).toEqual(['error SERVICE_UNAVAILABLE(social-graph)']);
    expect(during.profile.every((a) => a.data?.user === null)).toBe(true);
    expect(kinds(during.withoutCounts)).toEqual(['ok']);
    expect(during.withoutCounts.every((a) => a.data?.user?.posts.edges[0]?.node.caption === 'before the kill')).toBe(true);
    expect(kinds(during.feed)).toEqual(['ok']);
    expect(during.feed.every((a) => a.data?.feed.edges[0]?.node.id === postId)).toBe(true);

    // Nothing lost: the follow, and the other processes never stopped.
    expect((await api.must(PROFILE, { u: 'ada_kill' })).user.followerCount).toBe(1);
    expect(shutter.output()).not.toMatch(/✗ (?!social-graph )\S+ exited/);
    report(
      `subgraph SIGKILL (social-graph): ${during.profile.length} rounds during the outage; profile with followerCount: ${kinds(during.profile).join(', ')} (user null, Int! field); ` +
        `profile without it: ${kinds(during.withoutCounts).join(', ')}; feed (timeline built): ${kinds(during.feed).join(', ')}; ` +
        `recovered in ${(recoveredMs / 1000).toFixed(1)} s (supervisor restart after 0.5 s); lost 0, duplicated 0`,
    );
    expect(alive(newPid)).toBe(true);
    void killedAt;
  });
});

describe('a worker SIGKILLed mid-fan-out', () => {
  it('feed-worker killed while it notifies 12,000 followers: the job resumes within about 10 s; each follower notified, pushed and sent the live event once', async () => {
    const FOLLOWERS = 12_000;
    const author = await api.signUp('author_fanout');
    const readers = [await api.signUp('reader1_fanout'), await api.signUp('reader2_fanout')];
    const push = await startPushService();
    try {
      for (const [i, reader] of readers.entries()) {
        await api.follow(reader.token, author.id);
        await api.feed(reader.token);
        await push.register(api, reader.token, `reader${i + 1}`);
      }
      const live = liveClient(shutter.wsUrl, readers[0]!.token);
      const feedAdded = live.subscribe('subscription { feedPostAdded { id } }');
      await waitFor('the live subscription', async () => (await shutter.redisClient.pubsub('NUMSUB', `${shutter.prefix}:live:feed:${readers[0]!.id}`))[1] === 1);
      await seedFollowers(shutter, author.id, FOLLOWERS - readers.length);
      expect((await api.must(PROFILE, { u: 'author_fanout' })).user.followerCount).toBe(FOLLOWERS);

      const feedDb = shutter.db('shutter_feed');
      const notified = async (postId: string) => (await feedDb<{ n: number }[]>`select count(*)::int as n from notifications where post_id = ${postId}`)[0]!.n;
      const workerPid = shutter.pidOf('feed-worker');
      const postId = await api.post(author.token, 'fanned out under fire');
      // Killed once the fan-out has stored some of its pages of notifications, not all.
      const { value: atKill } = await waitFor(
        'the fan-out under way',
        async () => {
          const n = await notified(postId);
          if (n === FOLLOWERS) throw new Error('the fan-out finished before the kill');
          return n > 0 ? n : 0;
        },
        60_000,
        2,
      );
      process.kill(workerPid, 'SIGKILL');
      const killedAt = performance.now();
      // What readers see meanwhile: the feed and a profile, which need no worker.
      const reading = probe(() => api.gql('{ feed(first: 5) { edges { node { id } } } }', {}, readers[1]!.token));
      const profile = probe(() => api.gql(PROFILE, { u: 'author_fanout' }));
      const newPid = await shutter.restarted('feed-worker', workerPid);
      const { ms: resumedMs } = await waitFor('every follower notified', async () => (await notified(postId)) === FOLLOWERS, 60_000, 50);
      const totalMs = performance.now() - killedAt;
      const [readAnswers, profileAnswers] = [await reading.stop(), await profile.stop()];
      expect(new Set([...readAnswers, ...profileAnswers].map(kindOf))).toEqual(new Set(['ok']));
      expect(shutter.output()).toMatch(/✗ feed-worker exited \(SIGKILL\); restarting/);

      // Once each: notifications (one per follower), the notification.created events carrying
      // them, pushes, the live event, the post in each reader's feed.
      const perRecipient = await feedDb<{ n: number }[]>`select count(*)::int as n from notifications where post_id = ${postId} group by recipient_id having count(*) > 1`;
      const carried = await feedDb<{ id: string }[]>`
        select n->>'notificationId' as id from outbox, jsonb_array_elements(payload->'notifications') as n
        where event = 'notification.created' and n->>'postId' = ${postId}`;
      await waitFor('both pushes', () => push.received.filter((r) => r.kind === 'NEW_POST').length >= 2, 30_000);
      await waitFor('the live event', () => feedAdded.messages.length >= 1, 10_000);
      await sleep(2000); // anything sent twice would have arrived by now
      const pushes = push.received.filter((r) => r.kind === 'NEW_POST').map((r) => `${r.device}:${r.notificationId}`);
      const feeds = await Promise.all(readers.map((r) => api.feedIds(r.token)));
      const lost = FOLLOWERS - (await notified(postId)) + feeds.filter((ids) => !ids.includes(postId)).length + (2 - new Set(pushes).size);
      const duplicated = perRecipient.length + duplicates(carried.map((c) => c.id)).length + duplicates(pushes).length + (feedAdded.messages.length - 1) + feeds.reduce((n, ids) => n + ids.filter((id) => id === postId).length - 1, 0);
      expect(carried).toHaveLength(FOLLOWERS);
      expect(lost).toBe(0);
      expect(duplicated).toBe(0);
      expect(alive(newPid)).toBe(true);
      report(
        `worker SIGKILL mid-fan-out (feed-worker, ${FOLLOWERS} followers): killed with ${atKill} of ${FOLLOWERS} notifications stored; restarted by the supervisor; ` +
          `the stalled job resumed and finished ${(resumedMs / 1000).toFixed(1)} s after the kill (${(totalMs / 1000).toFixed(1)} s to verify); ` +
          `meanwhile feed reads: ${tally(readAnswers)} (slowest ${slowest(readAnswers)} ms), profile reads: ${tally(profileAnswers)}; lost ${lost}, duplicated ${duplicated}`,
      );
      live.client.dispose();
    } finally {
      await push.close();
    }
  });
});

describe('a slow graphql-ws consumer', () => {
  it('is closed with 1013 once its socket backs up, while the other sockets get every event', async () => {
    const x = await api.signUp('x_live');
    const y = await api.signUp('y_live');
    const postId = await api.post(x.token, 'c'.repeat(2000));
    await waitFor('the post published', () => api.published(postId));
    // Fifty comments of 1,000 characters: each event below is about 52 KB, from one media fetch.
    for (let i = 0; i < 50; i++) {
      await api.must('mutation($id: ID!, $text: String!) { addComment(postId: $id, text: $text) { id } }', { id: postId, text: `${i}`.padEnd(1000, 't') }, y.token);
    }
    await api.follow(x.token, y.id);
    const notificationOf = async (token: string) => {
      const { value } = await waitFor('the notification', async () => (await api.must('{ notifications(first: 1) { edges { node { id } } } }', {}, token)).notifications.edges[0]?.node.id as string | undefined);
      return value;
    };
    const [forX, forY] = [(await notificationOf(x.token))!, (await notificationOf(y.token))!];
    const BIG = 'subscription { notificationAdded { id kind post { caption comments(first: 50) { edges { node { text } } } } } }';
    const slow = await rawLiveSocket(shutter.wsUrl, x.token, BIG);
    const fast = liveClient(shutter.wsUrl, x.token);
    const fastMessages = fast.subscribe(BIG).messages;
    const other = liveClient(shutter.wsUrl, y.token);
    const otherMessages = other.subscribe('subscription { notificationAdded { id kind actor { username } } }').messages;
    const publish = (userId: string, id: string) => shutter.redisClient.publish(`${shutter.prefix}:live:notifications:${userId}`, JSON.stringify({ id }));
    // Every socket is listening once each has had one event.
    await waitFor('all three sockets subscribed', async () => {
      await publish(x.id, forX);
      await publish(y.id, forY);
      await sleep(100);
      return slow.messages.length > 0 && fastMessages.length > 0 && otherMessages.length > 0;
    }, 30_000, 200);
    await sleep(1000); // the probes still on their way
    const [slowBefore, fastBefore, otherBefore] = [slow.messages.length, fastMessages.length, otherMessages.length];

    slow.stopReading();
    // About 10 MB to each of the user's sockets: the kernel holds about 4 MB of what the slow one
    // does not read, the gateway then WS_MAX_BUFFERED_BYTES (1 MiB) more before it closes it.
    const EVENTS = 200;
    const started = performance.now();
    for (let i = 0; i < EVENTS; i++) {
      await publish(x.id, forX);
      await publish(y.id, forY);
      await sleep(25);
    }
    const { ms } = await waitFor(
      'the readers to get every event',
      () => {
        if (fast.closes.length || other.closes.length) throw new Error(`a reader was closed: ${JSON.stringify({ fast: fast.closes, other: other.closes })}`);
        return fastMessages.length - fastBefore === EVENTS && otherMessages.length - otherBefore === EVENTS;
      },
      60_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; got fast ${fastMessages.length - fastBefore}, other ${otherMessages.length - otherBefore} of ${EVENTS}`);
    });
    const deliveredMs = performance.now() - started;
    slow.resumeReading();
    await waitFor('the slow socket closed', () => slow.closed(), 60_000);
    const slowGot = slow.messages.length - slowBefore;

    expect(slow.closed()).toEqual({ code: 1013, reason: 'Slow consumer: reconnect' });
    expect(slowGot).toBeLessThan(EVENTS);
    expect(fast.closes).toEqual([]);
    expect(other.closes).toEqual([]);
    expect(fastMessages.slice(fastBefore).every((m) => m.data?.notificationAdded?.id === forX && m.data.notificationAdded.post.comments.edges.length === 50)).toBe(true);
    expect(otherMessages.slice(otherBefore).every((m) => m.data?.notificationAdded?.id === forY)).toBe(true);
    report(
      `slow graphql-ws consumer: stopped reading; closed with 1013 after ${slowGot} of ${EVENTS} events (~52 KB each: the kernel's ~4 MB, then WS_MAX_BUFFERED_BYTES 1 MiB); ` +
        `the same user's other socket and another user's got ${EVENTS} of ${EVENTS}, none closed, all within ${(deliveredMs / 1000).toFixed(1)} s of the first publish (${(ms / 1000).toFixed(1)} s after the last); lost 0, duplicated 0`,
    );
    // Reconnecting, as a client told 1013 does: live again.
    const reconnectedAt = performance.now();
    const again = await rawLiveSocket(shutter.wsUrl, x.token, 'subscription { notificationAdded { id } }');
    const { ms: backMs } = await waitFor('an event on the new socket', async () => {
      await publish(x.id, forX);
      await sleep(50);
      return again.messages.length > 0;
    }, 10_000, 0);
    expect(again.messages[0].data.notificationAdded.id).toBe(forX);
    report(`slow graphql-ws consumer: reconnected and live again in ${Math.round(performance.now() - reconnectedAt)} ms (${Math.round(backMs)} ms after subscribing)`);
    again.close();
    slow.close();
    await fast.client.dispose();
    await other.client.dispose();
  });
});

describe('Ctrl-C under traffic', () => {
  it('stops every process, Postgres included, within the bound, while clients keep asking', async () => {
    const users = await Promise.all([api.signUp('ctrlc_a'), api.signUp('ctrlc_b')]);
    const postId = await api.post(users[0].token, 'read while stopping');
    await waitFor('the post published', () => api.published(postId));
    const pids = Object.values(shutter.pids());
    expect(pids).toHaveLength(9);
    const postmaster = shutter.postmasterPid();
    expect(postmaster).not.toBeNull();
    // Eight clients asking as fast as they can: feeds, profiles, likes.
    let stop = false;
    const asked: Answer[] = [];
    const clients = Array.from({ length: 8 }, (_, i) =>
      (async () => {
        const user = users[i % 2]!;
        while (!stop) {
          asked.push(
            await (i % 3 === 0
              ? api.gql('mutation($id: ID!) { likePost(postId: $id) { likeCount } }', { id: postId }, user.token, 5000)
              : i % 3 === 1
                ? api.gql(PROFILE, { u: 'ctrlc_a' }, undefined, 5000)
                : api.gql('{ feed(first: 10) { edges { node { id } } } }', {}, user.token, 5000)),
          );
          if (asked.at(-1)!.networkError) await sleep(50);
        }
      })(),
    );
    await sleep(2000);
    const before = asked.length;
    const { ms, code } = await shutter.interrupt(30_000);
    stop = true;
    await Promise.all(clients);
    const out = shutter.output();
    expect(out.trimEnd().endsWith('stopped')).toBe(true);
    expect(out).not.toContain('did not stop within');
    expect(out).not.toContain('did not stop in order');
    expect(code).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
    expect(alive(postmaster!)).toBe(false);
    expect((await api.gql('{ __typename }')).networkError).toBeDefined();
    // The bound: each process stops in order within 8 s (else it exits, and npm start kills it at 10 s), then Postgres.
    expect(ms).toBeLessThan(15_000);
    report(
      `Ctrl-C under traffic: ${before} requests answered in the 2 s before (${tally(asked.slice(0, before))}); every process and Postgres stopped ${(ms / 1000).toFixed(1)} s after SIGINT (bound 15 s), exit code 0`,
    );
  });
});
