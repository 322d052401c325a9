/**
 * The journey of the issue, in two browsers against the whole product (npm start: gateway,
 * subgraphs, workers, web server; real Postgres and Redis): two people sign up, one follows the
 * other, photos are shared, liked by double-tap and commented on, notifications arrive live (and by
 * Web Push), a profile changes, a comment is deleted, and someone logs out and back in, while
 * access tokens of 20 s expire and are refreshed underneath. Every step fails on a console or page
 * error; every main screen is checked with axe-core; the screenshots of docs/screenshots are made
 * here, at desktop and phone width, light and dark.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptWebPush, graphql, newTestBrowser, subscriptionOf } from '@shutter/testing';
import { DESKTOP, PHONE, expectAccessible, expectNoProblems, launchChromium, nav, person, runInExplorer, screenshot, signUp, swipeLeft, throttleUploads, type Person } from './browser.ts';
import { hasExif, photo, type Photo } from './photos.ts';
import { startInstallation, type Installation } from './stack.ts';

const TOKEN_TTL_SECONDS = 20;
// docs/screenshots (the README's pictures), or E2E_SCREENSHOTS (CI keeps the working tree clean).
const SCREENSHOTS = process.env.E2E_SCREENSHOTS ? resolve(process.env.E2E_SCREENSHOTS) : fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
// The installation is new (its own databases), so the names are free, and the pictures stay the same.
const a = { username: 'ana', email: 'ana@example.com', password: 'a long password for ana' };
const b = { username: 'ben', email: 'ben@example.com', password: 'a long password for ben' };

let installation: Installation;
let browser: Browser;
let files: string;
let photos: Photo[];
let A: Person;
let B: Person;
let postId: string;

/** The push service B's browser subscribed to (what the users worker sends is recorded here). */
const pushed: Buffer[] = [];
let pushService: Server;
let pushEndpoint: string;
const pushBrowser = newTestBrowser();

const started = Date.now();

beforeAll(async () => {
  installation = await startInstallation({ ACCESS_TOKEN_TTL_SECONDS: String(TOKEN_TTL_SECONDS) });
  browser = await launchChromium();
  files = mkdtempSync(join(tmpdir(), 'shutter-e2e-photos-'));
  photos = [await photo(files, 'pier.jpg', { hue: 205 }), await photo(files, 'dunes.jpg', { width: 1200, height: 1500, hue: 28 })];
  pushService = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      pushed.push(Buffer.concat(chunks));
      res.writeHead(201).end();
    });
  });
  await new Promise<void>((resolve) => pushService.listen(0, '127.0.0.1', resolve));
  pushEndpoint = `http://127.0.0.1:${(pushService.address() as { port: number }).port}/push/ben`;
  // A is on a phone (touch: swipes and double-taps), B at a desk.
  A = await person(browser, installation.webUrl, { viewport: PHONE });
  B = await person(browser, installation.webUrl, { viewport: DESKTOP, colorScheme: 'dark' });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await installation?.stop();
  await new Promise<void>((resolve) => (pushService ? pushService.close(() => resolve()) : resolve()));
  if (files) rmSync(files, { recursive: true, force: true });
});

describe('the journey', () => {
  it('1a. two people sign up, with the server’s errors in words beside the field', async () => {
    await signUp(B.page, b);
    await expect.poll(() => B.page.getByRole('heading', { name: 'Welcome to Shutter' }).isVisible()).toBe(true);
    await expectAccessible(B.page, 'the empty feed');

    const page = A.page;
    await page.goto('/');
    await page.waitForURL('/login');
    await expectAccessible(page, 'the login page');
    await page.getByRole('link', { name: 'Sign up' }).click();
    // The login page's "Username or email" would match a loose 'Email' while the sign-up page's code
    // is still on its way.
    await page.waitForURL('/signup');
    await page.getByLabel('Email', { exact: true }).fill(a.email);
    await page.getByLabel('Username', { exact: true }).fill(b.username);
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await expect.poll(() => page.getByText('That password is too weak: use at least 8 characters.').isVisible()).toBe(true);
    await page.getByLabel('Password', { exact: true }).fill(a.password);
    await page.getByRole('button', { name: 'Sign up' }).click();
    // The gateway's CONFLICT, on the username field.
    const taken = page.getByText('That username is taken.');
    await expect.poll(() => taken.isVisible()).toBe(true);
    expect(await page.getByLabel('Username', { exact: true }).getAttribute('aria-describedby')).toBe(await taken.getAttribute('id'));
    await page.getByLabel('Username', { exact: true }).fill(a.username);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForURL('/');
    expectNoProblems(A, B);
  });

  it('1b. A finds B by search (as they type) and follows B', async () => {
    const page = A.page;
    await nav(page, 'Search').click();
    await page.getByLabel(/Search people/).pressSequentially(b.username.slice(0, 6), { delay: 40 });
    const follow = page.getByRole('button', { name: `Follow @${b.username}` });
    await follow.waitFor();
    await expectAccessible(page, 'search');
    // The button changes at once (optimistic); the server's answer comes after.
    const followed = page.waitForResponse((r) => new URL(r.url()).pathname === '/graphql' && !!r.request().postData()?.includes('"operationName":"Follow"'));
    await follow.click();
    await page.getByRole('button', { name: `Following @${b.username}` }).waitFor();
    expect((await (await followed).json()).data.follow.viewerIsFollowing).toBe(true);
    // B sees a new follower, with a way to follow back.
    await B.page.goto(`/u/${b.username}`);
    await expect.poll(() => B.page.getByRole('link', { name: /1 follower/ }).isVisible()).toBe(true);
    expectNoProblems(A, B);
  });

  it('2. B shares two photos with alt text (generated, with EXIF and GPS); a non-image is refused', async () => {
    const page = B.page;
    // A waits on the feed: the post must come to it live, without moving what A reads.
    await A.page.goto('/');
    await nav(page, 'Create').click();
    await page.getByTestId('file-input').setInputFiles([{ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a photo') }]);
    await page.getByText(/“notes\.txt” is not a photo Shutter can use/).waitFor();
    await page.getByTestId('file-input').setInputFiles(photos.map((p) => p.path));
    await page.getByLabel('Alt text for photo 1').fill('A wooden pier at dusk, the sea calm');
    await page.getByLabel('Alt text for photo 2').fill('Sand dunes under an orange sky');
    await page.getByLabel('Caption').fill('Two evenings by the sea #sunset #northsea');
    await page.getByRole('img', { name: 'Photo 2 uploaded' }).waitFor();
    await page.getByRole('img', { name: 'Photo 1 uploaded' }).waitFor();
    await expectAccessible(page, 'the composer');
    await page.getByRole('button', { name: 'Share' }).click();
    await page.waitForURL('/');
    // At once on top of B's own feed (processing, then with its photos).
    const card = page.getByRole('article').first();
    await expect.poll(() => card.getByText('Two evenings by the sea').isVisible()).toBe(true);
    await expect.poll(() => card.getByRole('img', { name: 'A wooden pier at dusk, the sea calm' }).isVisible(), { timeout: 20_000 }).toBe(true);
    // The card's time links to the post's page.
    postId = (await card.locator('header a[href^="/p/"]').first().getAttribute('href'))!.split('/').pop()!;
    expect(postId).toMatch(/^[0-9a-f-]{36}$/);
    // What the server kept has no EXIF, so no position: the bytes the page shows.
    const shown = card.getByRole('img', { name: 'A wooden pier at dusk, the sea calm' });
    await expect.poll(() => shown.evaluate((img: HTMLImageElement) => img.complete && img.currentSrc.startsWith('http'))).toBe(true);
    const src = await shown.evaluate((img: HTMLImageElement) => img.currentSrc);
    const served = Buffer.from(await (await fetch(src)).arrayBuffer());
    expect(await hasExif(photos[0]!.bytes)).toBe(true);
    expect(await hasExif(served)).toBe(false);
    expectNoProblems(A, B);
  });

  it('3. A sees the post appear, swipes the carousel, likes it by double-tap and comments', async () => {
    const page = A.page;
    // The live feedPostAdded: a pill, not a jump.
    const pill = page.getByRole('button', { name: /New post/ });
    await pill.waitFor({ timeout: 20_000 });
    await pill.click();
    await page.waitForFunction(() => window.scrollY === 0);
    const card = page.getByRole('article').first();
    await card.getByText('Two evenings by the sea').waitFor();
    const carousel = card.getByRole('region', { name: `Photos by @${b.username}, 2 photos` });
    await expect.poll(() => carousel.getByText('1/2').isVisible()).toBe(true);
    await expectAccessible(page, 'the feed');
    await swipeLeft(page, `article >> [aria-roledescription="carousel"]`);
    await expect.poll(() => carousel.getByText('2/2').isVisible()).toBe(true);
    // And back with the keyboard.
    await carousel.locator('[tabindex="0"]').focus();
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => carousel.getByText('1/2').isVisible()).toBe(true);

    const photoBox = (await carousel.boundingBox())!;
    await page.touchscreen.tap(photoBox.x + photoBox.width / 2, photoBox.y + photoBox.height / 2);
    await page.touchscreen.tap(photoBox.x + photoBox.width / 2, photoBox.y + photoBox.height / 2);
    await expect.poll(() => card.getByRole('button', { name: 'Like' }).getAttribute('aria-pressed')).toBe('true');
    await card.getByText('1 like').waitFor();

    await card.getByRole('link', { name: /^Comment/ }).click();
    await page.waitForURL(`/p/${postId}#comment`);
    await page.getByLabel('Add a comment').fill('What a light! Where is this?');
    await page.getByRole('button', { name: 'Post', exact: true }).click();
    await page.getByRole('listitem').filter({ hasText: 'What a light! Where is this?' }).waitFor();
    await expectAccessible(page, 'the post page');
    expectNoProblems(A, B);
  });

  it('4. B’s badge goes up live; B opens the notification (and gets it by Web Push too)', async () => {
    const page = B.page;
    // Before A's next action: push on, with a subscription to the test's push service.
    await page.goto('/settings');
    await B.context.grantPermissions(['notifications'], { origin: installation.webUrl });
    const subscription = JSON.parse(subscriptionOf(pushBrowser, pushEndpoint)) as { endpoint: string; keys: Record<string, string> };
    // Chromium's own push service is Google's, out of reach here: the page gets a subscription to
    // the test's instead (the service worker itself is the real one).
    await page.evaluate((json) => {
      const fake = { ...json, expirationTime: null, toJSON: () => ({ ...json, expirationTime: null }), unsubscribe: async () => true, options: {} };
      let subscribed = false;
      PushManager.prototype.subscribe = async () => ((subscribed = true), fake as unknown as PushSubscription);
      PushManager.prototype.getSubscription = async () => (subscribed ? (fake as unknown as PushSubscription) : null);
    }, subscription);
    await page.getByRole('switch', { name: 'Push notifications' }).click();
    await expect.poll(() => page.getByRole('switch', { name: 'Push notifications' }).getAttribute('aria-checked')).toBe('true');
    await expectAccessible(page, 'settings');

    // The like and the comment came while B was elsewhere: the badge says so, live.
    await expect.poll(() => nav(page, /Notifications\s*,\s*\d+ unread/).isVisible(), { timeout: 20_000 }).toBe(true);
    const unreadBefore = Number((await nav(page, /Notifications\s*,\s*\d+ unread/).textContent())!.match(/(\d+) unread/)![1]);
    expect(unreadBefore).toBeGreaterThanOrEqual(3); // follow, like, comment
    // A new one now, while B watches: the badge goes up without a reload.
    await A.page.getByLabel('Add a comment').fill('Saving this one.');
    await A.page.getByRole('button', { name: 'Post', exact: true }).click();
    await expect.poll(() => nav(page, new RegExp(`Notifications\\s*,\\s*${unreadBefore + 1} unread`)).isVisible(), { timeout: 20_000 }).toBe(true);

    await nav(page, /Notifications/).click();
    await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    await page.getByText(`${a.username} liked your post.`).waitFor();
    await expectAccessible(page, 'notifications');
    await page.getByRole('link', { name: new RegExp(`${a.username} commented: What a light!`) }).click();
    await page.waitForURL(`/p/${postId}`);
    await page.getByRole('listitem').filter({ hasText: 'What a light! Where is this?' }).waitFor();

    // Web Push: the users worker sent the comment to B's subscription, encrypted for it.
    await expect.poll(() => pushed.length, { timeout: 20_000 }).toBeGreaterThan(0);
    const messages = pushed.map((body) => JSON.parse(decryptWebPush(body, pushBrowser)) as { title: string; data: { postId: string | null } });
    const comment = messages.find((m) => m.title === `@${a.username} commented on your post`);
    expect(comment?.data.postId).toBe(postId);
    // Handed to B's service worker as the browser would: it shows the notification.
    const cdp = await B.context.newCDPSession(page);
    const registrations = new Promise<{ registrationId: string; scopeURL: string }[]>((resolve) =>
      cdp.on('ServiceWorker.workerRegistrationUpdated', (event: { registrations: { registrationId: string; scopeURL: string }[] }) => resolve(event.registrations)),
    );
    await cdp.send('ServiceWorker.enable');
    const [registration] = await registrations;
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: new URL(installation.webUrl).origin, registrationId: registration!.registrationId, data: JSON.stringify(comment) });
    await expect
      .poll(() => page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => [n.title, (n.data as { url: string }).url])))
      .toContainEqual([`@${a.username} commented on your post`, `/p/${postId}`]);
    await cdp.detach();
    expectNoProblems(A, B);
  });

  it('5. B edits the profile and sets an avatar; A sees both', async () => {
    const page = B.page;
    await nav(page, 'Profile').click();
    await page.getByRole('link', { name: 'Edit profile' }).click();
    await page.getByLabel('Name').fill('Ben Sailor');
    await page.getByLabel('Bio').fill('Evenings by the sea.\nNorth Sea, mostly.');
    await expectAccessible(page, 'edit profile');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(`/u/${b.username}`);
    await page.getByText('Ben Sailor').waitFor();

    await page.getByRole('button', { name: 'Change profile photo' }).click();
    const dialog = page.getByRole('dialog', { name: 'Change profile photo' });
    await dialog.locator('input[type=file]').setInputFiles(photos[1]!.path);
    await page.getByText('Profile photo updated.').waitFor();
    await expectAccessible(page, 'the profile');

    await A.page.goto(`/u/${b.username}`);
    await A.page.getByText('Evenings by the sea.').waitFor();
    await A.page.getByText('Ben Sailor').waitFor();
    // The avatar is a picture now, not the initial: processed by the media worker, then shown.
    await expect.poll(
      async () => {
        await A.page.reload();
        await A.page.getByText('Ben Sailor').waitFor();
        return A.page.locator('header img[srcset*="/files/"]').count();
      },
      { timeout: 20_000 },
    ).toBeGreaterThan(0);
    expectNoProblems(A, B);
  });

  it('6. B deletes A’s comment; A logs out, fails once with a wrong password, and logs back in', async () => {
    const page = B.page;
    await page.goto(`/p/${postId}`);
    await page.getByRole('button', { name: `Delete comment by @${a.username}` }).first().click();
    await page.getByRole('dialog', { name: 'Delete comment?' }).getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => page.getByText('What a light! Where is this?').count()).toBe(0);
    await A.page.goto(`/p/${postId}`);
    await A.page.getByText('Saving this one.').waitFor();
    expect(await A.page.getByText('What a light! Where is this?').count()).toBe(0);

    // A second tab of A's: the log-out reaches it too.
    const other = await A.context.newPage();
    await other.goto('/notifications');
    await other.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    await A.page.goto('/settings');
    await A.page.getByRole('button', { name: 'Log out' }).click();
    await A.page.waitForURL('/login');
    await other.waitForURL(/\/login/);
    await other.close();
    await A.page.getByLabel('Username or email').fill(a.username);
    await A.page.getByLabel('Password', { exact: true }).fill('not the password');
    await A.page.getByRole('button', { name: 'Log in' }).click();
    const wrong = A.page.getByText('Wrong username, email or password.');
    await wrong.waitFor();
    expect(await A.page.getByLabel('Password', { exact: true }).getAttribute('aria-describedby')).toBe(await wrong.getAttribute('id'));
    await A.page.getByLabel('Password', { exact: true }).fill(a.password);
    await A.page.getByRole('button', { name: 'Log in' }).click();
    await A.page.waitForURL('/');
    await A.page.getByRole('article').first().getByText('Two evenings by the sea').waitFor();
    expectNoProblems(A, B);
  });

  it('7. tokens that expired during the journey were refreshed, and sockets reconnected, with no visible error', async () => {
    // The journey has outlived several 20 s tokens by now; to be sure of one more, wait it out.
    const elapsed = (Date.now() - started) / 1000;
    if (elapsed < TOKEN_TTL_SECONDS * 2) await new Promise((resolve) => setTimeout(resolve, (TOKEN_TTL_SECONDS * 2 - elapsed) * 1000));
    await new Promise((resolve) => setTimeout(resolve, (TOKEN_TTL_SECONDS + 2) * 1000));
    for (const someone of [A, B]) {
      // More than the one refresh of the page load: refreshed on schedule.
      expect(someone.refreshes).toBeGreaterThan(2);
      // The socket was replaced when its token expired (4403) and came back by itself.
      expect(someone.sockets).toBeGreaterThan(1);
    }
    // And everything still works, with the tokens of now.
    const card = A.page.getByRole('article').first();
    await card.getByRole('button', { name: 'Like' }).click();
    await expect.poll(() => card.getByRole('button', { name: 'Like' }).getAttribute('aria-pressed')).toBe('false');
    await card.getByText('Be the first to like this').waitFor();
    await B.page.goto('/notifications');
    await B.page.getByText(`${a.username} liked your post.`).first().waitFor();
    // No error message anywhere (the alert regions are there, and empty).
    expect(await A.page.getByRole('alert').filter({ hasText: /\S/ }).count()).toBe(0);
    expect(await B.page.getByRole('alert').filter({ hasText: /\S/ }).count()).toBe(0);
    expectNoProblems(A, B);
  });
});

describe('the explorer', () => {
  it('is GraphiQL at /explorer, from this origin only (it works offline), with subscriptions over the socket', async () => {
    const page = B.page;
    const query = 'subscription Live { notificationAdded { kind actor { username } } }';
    // The subscription is on its way once its subscribe message is.
    const subscribed = new Promise<void>((resolve) =>
      page.on('websocket', (ws) => ws.on('framesent', (frame) => String(frame.payload).includes('"type":"subscribe"') && resolve())),
    );
    await page.goto(`/explorer?query=${encodeURIComponent(query)}`);
    await page.getByText(`Signed in as @${b.username}`).waitFor();
    await runInExplorer(page);
    await Promise.race([
      subscribed,
      new Promise((_, reject) => setTimeout(() => reject(new Error('The explorer never sent its subscribe message.')), 30_000)),
    ]);
    // A comments on B's post: the notification comes down the explorer's socket. graphql-ws does not
    // say when the gateway listens, so an event published before then reaches no one; A comments
    // again after a while without one.
    await A.page.goto(`/p/${postId}`);
    for (let attempt = 1; ; attempt++) {
      await A.page.getByLabel('Add a comment').fill(attempt === 1 ? 'Found you in the explorer.' : `Found you in the explorer (try ${attempt}).`);
      await A.page.getByRole('button', { name: 'Post', exact: true }).click();
      const arrived = await expect
        .poll(() => page.locator('.result-window').textContent(), { timeout: 5_000 })
        .toContain('"COMMENT"')
        .then(() => true, () => false);
      if (arrived) break;
      if (attempt === 3) throw new Error('No COMMENT notification reached the explorer’s subscription after three comments.');
    }
    expect(await page.locator('.result-window').textContent()).toContain(a.username);
    // Nothing came from anywhere but this origin (no CDN: Sandbox's problem offline).
    const origins = await page.evaluate(() => [...new Set(performance.getEntriesByType('resource').map((e) => new URL(e.name).origin))]);
    expect(origins).toEqual([new URL(installation.webUrl).origin]);
    expectNoProblems(A, B);
  });
});

describe('the screenshots (docs/screenshots): desktop and phone, light and dark', () => {
  /** More people and posts, made through the API, so the pictures show a lived-in app. */
  beforeAll(async () => {
    const gateway = installation.gatewayUrl;
    const call = async (query: string, variables: Record<string, unknown>, token?: string) => {
      const result = await graphql(gateway, { query, variables, token: token ?? null });
      if (result.errors) throw new Error(JSON.stringify(result.errors));
      return result.data!;
    };
    const logIn = async (who: typeof a) =>
      (await call('mutation($i: LogInInput!) { logIn(input: $i) { accessToken user { id } } }', { i: { usernameOrEmail: who.username, password: who.password } })).logIn as { accessToken: string; user: { id: string } };
    const upload = async (token: string, file: Photo) => {
      const created = (await call('mutation($i: CreateUploadInput!) { createUpload(input: $i) { id uploadUrl } }', { i: { contentType: 'image/jpeg', byteSize: file.bytes.length } }, token)).createUpload as { id: string; uploadUrl: string };
      const put = await fetch(created.uploadUrl, { method: 'PUT', body: new Uint8Array(file.bytes) });
      if (!put.ok) throw new Error(`upload: ${put.status}`);
      return created.id;
    };
    const cleo = { username: 'cleo', email: 'cleo@example.com', password: 'a long password for cleo' };
    const signedUp = (await call('mutation($i: SignUpInput!) { signUp(input: $i) { accessToken user { id } } }', { i: { ...cleo, displayName: 'Cleo Hill' } })).signUp as { accessToken: string; user: { id: string } };
    const ana = await logIn(a);
    const ben = await logIn(b);
    const avatar = await photo(files, 'cleo.jpg', { width: 600, height: 600, hue: 330 });
    await call('mutation($u: ID) { setAvatar(uploadId: $u) { id } }', { u: await upload(signedUp.accessToken, avatar) }, signedUp.accessToken);
    await call('mutation($id: ID!) { follow(userId: $id) { id } }', { id: signedUp.user.id }, ana.accessToken);
    await call('mutation($id: ID!) { follow(userId: $id) { id } }', { id: signedUp.user.id }, ben.accessToken);
    await call('mutation($id: ID!) { follow(userId: $id) { id } }', { id: ana.user.id }, signedUp.accessToken);
    const captions = ['Morning swim before work. #sea', 'The old mill, after the rain. #mills #rain', 'Sunday market, all the colours. #market', 'Coffee and a long read ☕ #slowmorning'];
    for (const [i, caption] of captions.entries()) {
      const author = i % 2 === 0 ? signedUp : ben;
      const picture = await photo(files, `extra-${i}.jpg`, { hue: (i * 67 + 120) % 360, width: i === 1 ? 1200 : 1500, height: i === 1 ? 1500 : 1200 });
      await call('mutation($i: CreatePostInput!) { createPost(input: $i) { id } }', { i: { uploadIds: [await upload(author.accessToken, picture)], caption, altTexts: [caption.split('.')[0]] } }, author.accessToken);
    }
    await call('mutation($id: ID!) { likePost(postId: $id) { id } }', { id: postId }, signedUp.accessToken);
    await call('mutation($id: ID!, $t: String!) { addComment(postId: $id, text: $t) { id } }', { id: postId, t: 'Love the colours in the second one.' }, signedUp.accessToken);
    await call('mutation($id: ID!, $t: String!) { addComment(postId: $id, text: $t) { id } }', { id: postId, t: 'Was this at Scheveningen?' }, ana.accessToken);
    // Processed and fanned out before the pictures are taken.
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }, 120_000);

  for (const [size, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    for (const scheme of ['light', 'dark'] as const) {
      it(`${size}, ${scheme}`, async () => {
        const someone = await person(browser, installation.webUrl, { viewport, colorScheme: scheme });
        const page = someone.page;
        try {
          // B's view: their own photos, the comments on them, and the most varied notifications.
          await page.goto('/login');
          await page.getByLabel('Username or email').fill(b.username);
          await page.getByLabel('Password', { exact: true }).fill(b.password);
          await page.getByRole('button', { name: 'Log in' }).click();
          await page.waitForURL('/');
          const shot = (name: string) => screenshot(page, join(SCREENSHOTS, `${name}-${size}-${scheme}.png`));
          // Every picture on screen has arrived (blurhash placeholders are not the picture).
          const imagesLoaded = () =>
            page.waitForFunction(() =>
              [...document.images]
                .filter((img) => {
                  const box = img.getBoundingClientRect();
                  return box.width > 0 && box.bottom > 0 && box.top < innerHeight;
                })
                .every((img) => img.complete && img.naturalWidth > 0),
            );

          await page.getByRole('article').nth(1).waitFor();
          if (size === 'desktop') await page.getByRole('complementary').getByRole('heading', { name: 'Suggested for you' }).waitFor();
          await imagesLoaded();
          await expectAccessible(page, `the feed (${size}, ${scheme})`);
          await shot('feed');

          await page.goto(`/p/${postId}`);
          await page.getByText('Love the colours in the second one.').waitFor();
          await imagesLoaded();
          await expectAccessible(page, `the post (${size}, ${scheme})`);
          await shot('post');

          await page.goto(`/u/${b.username}`);
          await page.getByText('Ben Sailor').waitFor();
          await page.locator('main ul img').first().waitFor();
          await imagesLoaded();
          await expectAccessible(page, `the profile (${size}, ${scheme})`);
          await shot('profile');

          await page.goto('/notifications');
          await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
          await page.getByText(/commented: /).first().waitFor();
          await imagesLoaded();
          await expectAccessible(page, `notifications (${size}, ${scheme})`);
          await shot('notifications');

          // The composer mid-upload: the network held to 60 kB/s.
          await page.goto('/create');
          const cdp = await throttleUploads(page, 60 * 1024);
          await page.getByTestId('file-input').setInputFiles([photos[0]!.path, photos[1]!.path, join(files, 'extra-2.jpg')]);
          await page.getByLabel('Alt text for photo 1').fill('A wooden pier at dusk, the sea calm');
          await page.getByLabel('Caption').fill('Back to the pier tonight. #sunset');
          await expect.poll(() => page.locator('progress').evaluateAll((bars) => bars.some((bar) => (bar as HTMLProgressElement).value > 0.15))).toBe(true);
          await expectAccessible(page, `the composer (${size}, ${scheme})`);
          await shot('composer');
          await cdp.detach();
          // Leaving cancels the uploads.
          await page.goto('/');
          await page.getByRole('article').first().waitFor();
          expectNoProblems(someone);
        } finally {
          await someone.context.close();
        }
      });
    }
  }
});
