import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, kindOf, type Answer } from './client.ts';
import { alive, report, sleep, startShutter, waitFor, type Shutter } from './harness.ts';

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
    await sleep(0);
    void killedAt;
  });
});
