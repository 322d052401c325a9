import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, duplicates, kindOf, tally, type Answer } from './client.ts';
import { alive, report, sleep, startShutter, waitFor, type Shutter } from './harness.ts';

/**
 * Postgres restarted under load, ten times, as an operator's `pg_ctl restart` does (a fast
 * shutdown: every session cut). No process may die (the postgres.js patch); answers meanwhile are
 * data or SERVICE_UNAVAILABLE naming whose database; everything a client was told succeeded is
 * there afterwards, once. Then Ctrl-C: the restarted Postgres, no longer npm start's child, stops too.
 */
let shutter: Shutter;
let api: Api;

beforeAll(async () => {
  shutter = await startShutter('postgres');
  api = new Api(shutter.gatewayUrl);
});

afterAll(async () => {
  await shutter?.destroy();
});

const RESTARTS = 10;

describe('Postgres restarted under load', () => {
  it(`${RESTARTS} restarts: no process dies, answers are data or SERVICE_UNAVAILABLE, nothing is lost or duplicated`, async () => {
    const author = await api.signUp('pg_author');
    const readers = [await api.signUp('pg_reader1'), await api.signUp('pg_reader2')];
    for (const reader of readers) {
      await api.follow(reader.token, author.id);
      await api.feed(reader.token);
    }
    const pidsBefore = shutter.pids();
    expect(Object.keys(pidsBefore)).toHaveLength(9);

    let loading = true;
    const answers: { at: number; answer: Answer; what: string }[] = [];
    const ask = async (what: string, run: () => Promise<Answer>) => {
      const answer = await run();
      answers.push({ at: performance.now(), answer, what });
      return answer;
    };
    /** Retries until the answer is not SERVICE_UNAVAILABLE or no answer: a client's retry on "try again shortly". */
    const untilAnswered = async (what: string, run: () => Promise<Answer>) => {
      for (;;) {
        const answer = await ask(what, run);
        const kind = kindOf(answer);
        if (!kind.includes('SERVICE_UNAVAILABLE') && kind !== 'no answer') return answer;
        await sleep(100);
      }
    };

    // Readers: the feed, notifications, a profile, over and over.
    const reading = readers.flatMap((reader) => [
      (async () => {
        while (loading) await ask('feed', () => api.feed(reader.token, 20));
      })(),
      (async () => {
        while (loading) {
          await ask('notifications', () => api.gql('{ notifications(first: 10) { edges { node { kind } } } unreadNotificationCount }', {}, reader.token));
          await ask('profile', () => api.gql('query($u: String!) { user(username: $u) { username followerCount postCount } }', { u: 'pg_author' }));
        }
      })(),
    ]);
    // The author posts (upload, bytes, post) and a reader likes each post, retrying as a client
    // would. A retried createPost names the same upload, which is spent once: a post whose first
    // attempt committed without its answer arriving is found again, not made twice.
    const posted: string[] = [];
    const liked: string[] = [];
    let uploadFailures = 0;
    const posting = (async () => {
      for (let n = 0; loading; n++) {
        let uploadId: string | null = null;
        while (!uploadId) {
          try {
            uploadId = await api.upload(author.token);
          } catch {
            uploadFailures++;
            await sleep(100);
          }
        }
        const caption = `restart post ${n}`;
        const created = await untilAnswered('createPost', () => api.createPost(author.token, uploadId!, caption));
        let postId: string | undefined = created.data?.createPost?.id;
        if (!postId && created.errors?.[0]?.message.includes('already used')) {
          const mine = await untilAnswered('own posts', () => api.gql('query($u: String!) { user(username: $u) { posts(first: 5) { edges { node { id caption } } } } }', { u: 'pg_author' }, author.token));
          postId = mine.data?.user?.posts.edges.find((e: any) => e.node.caption === caption)?.node.id;
        }
        if (!postId) throw new Error(`createPost: ${JSON.stringify(created)}`);
        posted.push(postId);
        // Others can like it once it is published (its image processed).
        while (loading && !(await api.published(postId))) await sleep(100);
        if (!loading) break;
        const like = await untilAnswered('likePost', () => api.gql('mutation($id: ID!) { likePost(postId: $id) { id } }', { id: postId }, readers[0]!.token));
        if (like.errors?.length) throw new Error(`likePost: ${JSON.stringify(like.errors)}`);
        liked.push(postId);
        await sleep(300);
      }
    })();

    await sleep(2000);
    const restarts: { downMs: number; recoveredMs: number }[] = [];
    for (let i = 0; i < RESTARTS; i++) {
      const started = performance.now();
      const downMs = await shutter.restartPostgres();
      const { ms } = await waitFor('a feed read to succeed', async () => kindOf(await api.feed(readers[1]!.token)) === 'ok', 30_000, 20);
      restarts.push({ downMs, recoveredMs: downMs + ms });
      void started;
      await sleep(1500);
    }
    loading = false;
    await Promise.all([...reading, posting]);

    // No process died: the same pids, and the supervisor never had to restart one.
    expect(shutter.pids()).toEqual(pidsBefore);
    expect(shutter.output()).not.toMatch(/✗ \S+ exited/);
    expect(shutter.output()).not.toContain("Cannot read properties of null (reading 'write')");

    // What users saw: data, or SERVICE_UNAVAILABLE naming the database; never a bare error.
    const kinds = new Set(answers.map((a) => kindOf(a.answer)));
    for (const kind of kinds) expect(kind, `an answer during the restarts: ${kind}`).toMatch(/^ok$|SERVICE_UNAVAILABLE\(\S+\/postgres\)|^error BAD_USER_INPUT$/);
    const badUserInput = answers.filter((a) => kindOf(a.answer) === 'error BAD_USER_INPUT');
    // (BAD_USER_INPUT only as "upload already used": a retried createPost whose first try had committed.)
    expect(badUserInput.every((a) => a.what === 'createPost' && a.answer.errors![0]!.message.includes('already used'))).toBe(true);

    // Nothing lost, nothing twice: every post published, in both feeds once, liked once, and each
    // reader notified of each post once; the author notified of each like once.
    await waitFor('every post published', async () => (await Promise.all(posted.map((id) => api.published(id)))).every(Boolean), 60_000, 200);
    const { ms: settledMs } = await waitFor(
      'every post in both feeds',
      async () => (await Promise.all(readers.map((r) => api.feedIds(r.token, 100)))).every((ids) => posted.every((id) => ids.includes(id))),
      60_000,
      200,
    );
    await sleep(2000);
    const feeds = await Promise.all(readers.map((r) => api.feedIds(r.token, 100)));
    const notified = await Promise.all(readers.map((r) => api.notificationKeys(r.token, 100)));
    const authorNotified = await api.notificationKeys(author.token, 100);
    // One like on each post liked; none on the last if the load stopped between post and like.
    const likeCounts = await Promise.all(
      posted.map(async (id) => ((await api.must('query($id: ID!) { post(id: $id) { likeCount } }', { id })).post.likeCount as number) - (liked.includes(id) ? 1 : 0)),
    );
    const lost =
      feeds.reduce((n, ids) => n + posted.filter((id) => !ids.includes(id)).length, 0) +
      notified.reduce((n, keys) => n + posted.filter((id) => !keys.includes(`NEW_POST:${id}`)).length, 0) +
      liked.filter((id) => !authorNotified.includes(`LIKE:${id}`)).length +
      likeCounts.filter((n) => n < 0).length;
    const duplicated =
      feeds.reduce((n, ids) => n + duplicates(ids).length, 0) +
      notified.reduce((n, keys) => n + duplicates(keys).length, 0) +
      duplicates(authorNotified).length +
      likeCounts.filter((n) => n > 0).length +
      duplicates(posted).length;
    const detail = JSON.stringify({
      posted: posted.length,
      missingFromFeeds: feeds.map((ids) => posted.filter((id) => !ids.includes(id))),
      missingNotifications: notified.map((keys) => posted.filter((id) => !keys.includes(`NEW_POST:${id}`))),
      missingLikeNotifications: liked.filter((id) => !authorNotified.includes(`LIKE:${id}`)),
      likeCountsMinusLikes: likeCounts,
      duplicateNotifications: [...notified.map((keys) => duplicates(keys)), duplicates(authorNotified)],
    });
    expect(posted.length).toBeGreaterThan(RESTARTS);
    expect(lost, detail).toBe(0);
    expect(duplicated, detail).toBe(0);

    const during = answers.filter((a) => kindOf(a.answer) !== 'ok');
    report(
      `Postgres restarted ${RESTARTS}× under load (pg_ctl restart -m fast, each down ${Math.round(Math.min(...restarts.map((r) => r.downMs)))}-${Math.round(Math.max(...restarts.map((r) => r.downMs)))} ms): ` +
        `no process died (same 9 pids, no supervisor restart); ${answers.length} answers: ${tally(answers.map((a) => a.answer))}; ` +
        `${during.length} not ok, all SERVICE_UNAVAILABLE naming the database (or a retried createPost's "upload already used"); ${uploadFailures} upload PUTs refused meanwhile, retried; ` +
        `feed reads back ${Math.round(Math.min(...restarts.map((r) => r.recoveredMs)))}-${Math.round(Math.max(...restarts.map((r) => r.recoveredMs)))} ms after each restart began; ` +
        `${posted.length} posts, ${liked.length} likes made meanwhile, all in both feeds ${(settledMs / 1000).toFixed(1)} s after the load stopped; lost ${lost}, duplicated ${duplicated}`,
    );
  });

  it('Ctrl-C afterwards stops the restarted Postgres too, though it is no longer npm start\'s child', async () => {
    const postmaster = shutter.postmasterPid();
    expect(postmaster).not.toBeNull();
    const pids = Object.values(shutter.pids());
    const { ms, code } = await shutter.interrupt(30_000);
    expect(code).toBe(0);
    expect(shutter.output().trimEnd().endsWith('stopped')).toBe(true);
    expect(pids.filter(alive)).toEqual([]);
    await waitFor('the postmaster gone', () => !alive(postmaster!), 5000);
    report(`Ctrl-C after the restarts: every process and the pg_ctl-restarted Postgres (pid ${postmaster}) stopped ${(ms / 1000).toFixed(1)} s after SIGINT`);
  });
});
