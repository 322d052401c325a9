/**
 * The web client's first screen, in Debian's Chromium on loopback, against the product as `npm start`
 * runs it (installation.ts): a signed-in person opens / and their feed of 20 posts (20 people they
 * follow, a photo each) renders. Per load: first contentful paint, the time until 20 posts are in the
 * page (and until their first photo has arrived), and the JavaScript that loaded before the feed
 * was there, in bytes as sent (brotli) and as gzip would send them (the .gz twins of the build).
 * Cold loads are each a new browser profile (no cache); warm loads reload the same one.
 *
 *   npx tsx bench/web.ts            (WEB_BENCH_RUNS=7 for more loads; WEB_BENCH_WATERFALL=1 also
 *                                    prints the first cold load's requests, start and end in ms)
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Request } from 'playwright-core';
import sharp from 'sharp';
import { startInstallation } from './installation.ts';
import { cleanRedisPrefix, progress, round, writeResults } from './lib.ts';

/** What the page's init script records (this file is type-checked for Node, without the DOM). */
declare const window: { __marks: { feed: number | null; photo: number | null } };

const RUNS = Number(process.env.WEB_BENCH_RUNS ?? 5);
const POSTS = 20;
const CLIENT = fileURLToPath(new URL('../web/dist', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const installation = await startInstallation('web', { portBase: 4600 });
const webUrl = 'http://127.0.0.1:4610';
try {
  const gql = async (query: string, variables: Record<string, unknown>, token?: string) => {
    const response = await fetch(installation.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: any; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const signUp = async (username: string) =>
    (await gql('mutation($i: SignUpInput!) { signUp(input: $i) { accessToken user { id } } }', { i: { username, email: `${username}@example.com`, password: 'bench password 1' } })).signUp as {
      accessToken: string;
      user: { id: string };
    };

  progress(`web: ${POSTS} people with a photo each, followed by the reader…`);
  const reader = await signUp('reader');
  for (let i = 0; i < POSTS; i++) {
    const author = await signUp(`author${i}`);
    await gql('mutation($id: ID!) { follow(userId: $id) { id } }', { id: author.user.id }, reader.accessToken);
    const hue = (i * 37) % 360;
    const bytes = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: `hsl(${hue}, 60%, 50%)` } })
      .composite([{ input: Buffer.from(`<svg width="1600" height="1200"><circle cx="1100" cy="400" r="180" fill="white" opacity="0.8"/></svg>`) }])
      .jpeg({ quality: 85 })
      .toBuffer();
    const upload = (await gql('mutation($i: CreateUploadInput!) { createUpload(input: $i) { id uploadUrl } }', { i: { contentType: 'image/jpeg', byteSize: bytes.length } }, author.accessToken))
      .createUpload as { id: string; uploadUrl: string };
    const put = await fetch(upload.uploadUrl, { method: 'PUT', body: new Uint8Array(bytes) });
    if (!put.ok) throw new Error(`upload ${put.status}`);
    await gql('mutation($i: CreatePostInput!) { createPost(input: $i) { id } }', { i: { uploadIds: [upload.id], caption: `Post ${i} #bench`, altTexts: [`A circle on colour ${hue}`] } }, author.accessToken);
  }
  // Processed and fanned out into the reader's timeline.
  for (let tries = 0; ; tries++) {
    const feed = await gql('{ feed(first: 20) { edges { node { id } } } }', {}, reader.accessToken);
    if (feed.feed.edges.length >= POSTS) break;
    if (tries > 200) throw new Error('the feed did not fill');
    await new Promise((r) => setTimeout(r, 100));
  }

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });

  /** Marks, in the page: FCP, 20 posts in the page, and the first post's photo loaded. */
  const marks = () =>
    `(() => {
      const done = { feed: null, photo: null };
      window.__marks = done;
      new MutationObserver(() => {
        if (done.feed === null && document.querySelectorAll('main article').length >= ${POSTS}) done.feed = performance.now();
        const first = document.querySelector('main article [aria-roledescription=carousel] img');
        if (done.photo === null && first && first.complete && first.naturalWidth > 0) done.photo = performance.now();
      }).observe(document, { subtree: true, childList: true, attributes: true });
      document.addEventListener('load', (e) => {
        const first = document.querySelector('main article [aria-roledescription=carousel] img');
        if (done.photo === null && e.target === first) done.photo = performance.now();
      }, true);
    })();`;

  async function signedInContext(): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: webUrl });
    // The session as a log-in leaves it: the HttpOnly cookie of /auth.
    const login = await context.request.post('/auth/login', {
      headers: { origin: webUrl, 'x-shutter-auth': '1', 'content-type': 'application/json' },
      data: { usernameOrEmail: 'reader', password: 'bench password 1' },
    });
    if (!(await login.json()).ok) throw new Error('log-in failed');
    await context.addInitScript(marks());
    return context;
  }

  let printWaterfall = false;
  const load = async (context: BrowserContext, page?: Awaited<ReturnType<BrowserContext['newPage']>>) => {
    const tab = page ?? (await context.newPage());
    // Every script of this load: the first screen loads no other route's code.
    const scripts: { url: string; transferred: number }[] = [];
    const sized: Promise<void>[] = [];
    const waterfall: { url: string; start: number; end: number }[] = [];
    const onFinished = (request: Request) => {
      const t = request.timing();
      waterfall.push({ url: `${request.method()} ${new URL(request.url()).pathname}`, start: t.startTime, end: t.startTime + t.responseEnd });
      if (request.resourceType() !== 'script') return;
      sized.push(request.sizes().then((sizes) => void scripts.push({ url: request.url(), transferred: sizes.responseBodySize + sizes.responseHeadersSize })));
    };
    tab.on('requestfinished', onFinished);
    if (page) await tab.reload();
    else await tab.goto('/');
    // Functions, not strings: the page's CSP forbids eval, rightly.
    await tab.waitForFunction(() => window.__marks.feed !== null && window.__marks.photo !== null, undefined, { timeout: 30_000 });
    const result = await tab.evaluate(() => ({
      fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
      feed: window.__marks.feed ?? NaN,
      photo: window.__marks.photo ?? NaN,
    }));
    tab.off('requestfinished', onFinished);
    await Promise.all(sized);
    if (printWaterfall && !page) {
      printWaterfall = false;
      const origin = Math.min(...waterfall.map((w) => w.start));
      for (const w of waterfall.sort((a, b) => a.start - b.start)) console.log(`${String(round(w.start - origin, 0)).padStart(6)} → ${String(round(w.end - origin, 0)).padStart(6)} ms  ${w.url}`);
      console.log(`fcp ${round(result.fcp, 0)} ms, feed ${round(result.feed, 0)} ms (from navigation start)`);
    }
    const gzip = scripts.reduce((sum, s) => {
      const file = join(CLIENT, new URL(s.url).pathname);
      return sum + (existsSync(`${file}.gz`) ? statSync(`${file}.gz`).size : existsSync(file) ? statSync(file).size : 0);
    }, 0);
    return { ...result, scripts: scripts.map((s) => new URL(s.url).pathname), jsGzipBytes: gzip, jsTransferredBytes: scripts.reduce((n, s) => n + s.transferred, 0), tab };
  };

  const cold: Awaited<ReturnType<typeof load>>[] = [];
  const warm: Awaited<ReturnType<typeof load>>[] = [];
  // One load to warm the services (query plans, connection pools), not counted.
  const warmup = await signedInContext();
  await load(warmup);
  await warmup.close();
  printWaterfall = !!process.env.WEB_BENCH_WATERFALL;
  for (let run = 0; run < RUNS; run++) {
    const context = await signedInContext();
    const first = await load(context);
    cold.push(first);
    warm.push(await load(context, first.tab));
    await context.close();
    progress(`web: run ${run + 1}/${RUNS}: cold FCP ${round(first.fcp, 0)} ms, feed ${round(first.feed, 0)} ms`);
  }
  await browser.close();

  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const summary = (loads: typeof cold) => ({
    firstContentfulPaintMs: round(median(loads.map((l) => l.fcp)), 0),
    feedOf20RenderedMs: round(median(loads.map((l) => l.feed)), 0),
    firstPhotoMs: round(median(loads.map((l) => l.photo)), 0),
    runs: loads.map((l) => ({ fcp: round(l.fcp, 0), feed: round(l.feed, 0), photo: round(l.photo, 0) })),
  });
  const results = {
    date: new Date().toISOString(),
    chromium: CHROMIUM,
    posts: POSTS,
    firstScreenJs: { gzipKiB: round(cold[0]!.jsGzipBytes / 1024, 1), transferredKiB: round(cold[0]!.jsTransferredBytes / 1024, 1), files: cold[0]!.scripts },
    cold: summary(cold),
    warm: summary(warm),
  };
  console.log(JSON.stringify(results, null, 2));
  writeResults(
    'web',
    [
      { workload: 'web first screen', metric: 'JavaScript before the feed (gzip)', value: results.firstScreenJs.gzipKiB, unit: 'KiB' },
      { workload: 'web first screen, cold', metric: 'first contentful paint, median', value: results.cold.firstContentfulPaintMs, unit: 'ms' },
      { workload: 'web first screen, cold', metric: 'feed of 20 rendered, median', value: results.cold.feedOf20RenderedMs, unit: 'ms' },
      { workload: 'web first screen, warm', metric: 'first contentful paint, median', value: results.warm.firstContentfulPaintMs, unit: 'ms' },
      { workload: 'web first screen, warm', metric: 'feed of 20 rendered, median', value: results.warm.feedOf20RenderedMs, unit: 'ms' },
    ],
    { ...results, runs: RUNS },
  );
} finally {
  await installation.stop();
  await cleanRedisPrefix(installation.redisUrl, installation.prefix);
}
