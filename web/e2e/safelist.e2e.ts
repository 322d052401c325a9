/**
 * The web client against a gateway that runs only trusted documents (GATEWAY_SAFELIST=1, reading
 * the manifest the client's codegen writes, web/src/gql/persisted-documents.json). Every screen and
 * action is used once, through the pages alone (the gateway would refuse a test's own documents):
 * if the client sent any text that is not the manifest's, byte for byte, the gateway answers 400
 * PERSISTED_QUERY_NOT_IN_LIST (an HTTP operation: a console error and an error on the page) or
 * refuses the subscription (the live pill and badge would never come). The explorer's documents are
 * anyone's, so there the refusal is the expected answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, PHONE, expectNoProblems, launchChromium, nav, person, runInExplorer, signUp, type Person } from './browser.ts';
import { photo, type Photo } from './photos.ts';
import { startInstallation, type Installation } from './stack.ts';

const a = { username: 'avery', email: 'avery@example.com', password: 'a long password for avery' };
const b = { username: 'blake', email: 'blake@example.com', password: 'a long password for blake' };

let installation: Installation;
let browser: Browser;
let files: string;
let pictures: Photo[];
let A: Person;
let B: Person;

beforeAll(async () => {
  installation = await startInstallation({ GATEWAY_SAFELIST: '1' });
  browser = await launchChromium();
  files = mkdtempSync(join(tmpdir(), 'shutter-e2e-safelist-'));
  pictures = [await photo(files, 'harbour.jpg', { hue: 190 }), await photo(files, 'avatar.jpg', { width: 600, height: 600, hue: 40 })];
  A = await person(browser, installation.webUrl, { viewport: PHONE });
  B = await person(browser, installation.webUrl, { viewport: DESKTOP });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await installation?.stop();
  if (files) rmSync(files, { recursive: true, force: true });
});

describe('with the gateway running only the manifest’s documents', () => {
  it('signs up, follows, shares, gets the new post live, likes, comments and is notified live', async () => {
    await signUp(A.page, a);
    await signUp(B.page, b);
    // Suggestions, search as one types, follow and unfollow and follow again.
    await nav(A.page, 'Search').click();
    await A.page.getByLabel(/Search people/).pressSequentially(b.username, { delay: 30 });
    await A.page.getByRole('button', { name: `Follow @${b.username}` }).click();
    await A.page.getByRole('button', { name: `Following @${b.username}` }).click();
    await A.page.getByRole('button', { name: `Follow @${b.username}` }).click();
    await A.page.getByRole('button', { name: `Following @${b.username}` }).waitFor();
    await A.page.goto('/');

    // The composer: an upload, a post, shown "processing" until its variants exist.
    await nav(B.page, 'Create').click();
    await B.page.getByTestId('file-input').setInputFiles(pictures[0]!.path);
    await B.page.getByLabel('Alt text for photo 1').fill('Boats in a small harbour');
    await B.page.getByLabel('Caption').fill('Home port #harbour');
    await B.page.getByRole('img', { name: 'Photo 1 uploaded' }).waitFor();
    await B.page.getByRole('button', { name: 'Share' }).click();
    await B.page.waitForURL('/');
    await expect.poll(() => B.page.getByRole('img', { name: 'Boats in a small harbour' }).isVisible(), { timeout: 20_000 }).toBe(true);

    // feedPostAdded over the socket: the pill.
    const pill = A.page.getByRole('button', { name: /New post/ });
    await pill.waitFor({ timeout: 20_000 });
    await pill.click();
    const card = A.page.getByRole('article').first();
    await card.getByText('Home port').waitFor();
    await card.getByRole('button', { name: 'Like' }).click();
    await card.getByText('1 like').waitFor();
    await card.getByRole('button', { name: 'Like' }).click();
    await card.getByText('Be the first to like this').waitFor();
    await card.getByRole('button', { name: 'Like' }).click();
    await card.getByText('1 like').waitFor();
    await card.getByRole('link', { name: /^Comment/ }).click();
    await A.page.getByLabel('Add a comment').fill('Lovely colours.');
    await A.page.getByRole('button', { name: 'Post', exact: true }).click();
    await A.page.getByRole('listitem').filter({ hasText: 'Lovely colours.' }).waitFor();

    // notificationAdded over the socket: B's badge, then the list, then all read.
    await expect.poll(() => nav(B.page, /Notifications\s*,\s*\d+ unread/).isVisible(), { timeout: 20_000 }).toBe(true);
    await nav(B.page, /Notifications/).click();
    await B.page.getByText(`${a.username} commented: Lovely colours.`).waitFor();
    await B.page.getByRole('button', { name: 'Mark all as read' }).click();
    await expect.poll(() => nav(B.page, /Notifications\s*,\s*\d+ unread/).count()).toBe(0);
    expectNoProblems(A, B);
  });

  it('edits a profile and its photo, opens the lists, a hashtag and the settings, deletes, logs out and in', async () => {
    const page = B.page;
    await nav(page, 'Profile').click();
    await page.getByRole('link', { name: /1 follower/ }).click();
    await page.getByRole('dialog').getByText(a.username).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('link', { name: /0 following/ }).click();
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('link', { name: 'Edit profile' }).click();
    await page.getByLabel('Name').fill('Blake Harbour');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Blake Harbour').waitFor();
    await page.getByRole('button', { name: 'Change profile photo' }).click();
    await page.getByRole('dialog', { name: 'Change profile photo' }).locator('input[type=file]').setInputFiles(pictures[1]!.path);
    await page.getByText('Profile photo updated.').waitFor();
    await page.goto('/settings');
    await page.getByRole('switch', { name: 'Push notifications' }).waitFor();

    // B deletes A's comment, then the post itself.
    await page.goto('/tags/harbour');
    await page.getByRole('link', { name: /Boats in a small harbour|Home port/ }).first().click();
    await page.getByRole('button', { name: `Delete comment by @${a.username}` }).click();
    await page.getByRole('dialog', { name: 'Delete comment?' }).getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => page.getByText('Lovely colours.').count()).toBe(0);
    await page.getByRole('button', { name: 'Post options' }).first().click();
    await page.getByRole('menuitem', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete post?' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Post deleted.').waitFor();

    // A: log out and back in (the web server's own documents are the manifest's too).
    await A.page.goto('/settings');
    await A.page.getByRole('button', { name: 'Log out' }).click();
    await A.page.waitForURL('/login');
    await A.page.getByLabel('Username or email').fill(a.username);
    await A.page.getByLabel('Password', { exact: true }).fill(a.password);
    await A.page.getByRole('button', { name: 'Log in' }).click();
    await A.page.waitForURL('/');
    await A.page.reload();
    await A.page.getByRole('heading', { name: 'Home' }).waitFor({ state: 'attached' });
    expectNoProblems(A, B);
  });

  it('refuses the explorer’s own documents, in the gateway’s words', async () => {
    // A page of its own: the refusal is a 400, which the browser logs, and is the point here.
    const page = await B.context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    await page.goto(`/explorer?query=${encodeURIComponent('{ me { username } }')}`);
    await page.getByText(`Signed in as @${b.username}`).waitFor();
    await runInExplorer(page);
    await expect.poll(() => page.locator('.result-window').textContent(), { timeout: 20_000 }).toContain('PERSISTED_QUERY_NOT_IN_LIST');
    expect(errors.every((e) => /status of 400/.test(e))).toBe(true);
    await page.close();
    B.problems.splice(0, B.problems.length, ...B.problems.filter((p) => !/status of 400/.test(p) || !p.includes('/explorer')));
    expectNoProblems(A, B);
  });
});
