/**
 * Debian's Chromium through playwright-core (nothing downloads a browser), and what every page of
 * a test gets: its console errors and page errors collected (a test fails on any), an axe-core
 * check, screenshots, and the DevTools protocol for a touch swipe and a slow upload.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH).`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export interface Person {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions of every page of this context, since the last check. */
  problems: string[];
  /** Requests to /auth/refresh, and sockets to /graphql, this context made. */
  refreshes: number;
  sockets: number;
}

export async function person(browser: Browser, baseURL: string, options: { viewport?: typeof DESKTOP; colorScheme?: 'light' | 'dark'; phone?: boolean } = {}): Promise<Person> {
  const phone = options.phone ?? options.viewport === PHONE;
  const context = await browser.newContext({
    baseURL,
    viewport: options.viewport ?? DESKTOP,
    colorScheme: options.colorScheme ?? 'light',
    hasTouch: phone,
    isMobile: phone,
    deviceScaleFactor: 1,
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  const someone: Person = { context, page: null as unknown as Page, problems: [], refreshes: 0, sockets: 0 };
  const watch = (page: Page) => {
    page.on('console', (message) => {
      if (message.type() === 'error') someone.problems.push(`console error on ${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => someone.problems.push(`page error on ${page.url()}: ${error.message}`));
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/auth/refresh') someone.refreshes++;
    });
    page.on('websocket', (socket) => {
      if (new URL(socket.url()).pathname === '/graphql') someone.sockets++;
    });
  };
  context.on('page', watch);
  someone.page = await context.newPage();
  return someone;
}

/** A link of the app's navigation (or any link) by its accessible name. */
export const nav = (page: Page, name: string | RegExp) => page.getByRole('link', { name }).first();

/** Signs up through the page, as a person would, and lands on the feed. */
export async function signUp(page: Page, who: { username: string; email: string; password: string }) {
  await page.goto('/signup');
  await page.getByLabel('Email', { exact: true }).fill(who.email);
  await page.getByLabel('Username', { exact: true }).fill(who.username);
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.waitForURL('/');
}

/** Throws with every problem collected (and forgets them): a test calls it after each step. */
export function expectNoProblems(...people: Person[]) {
  const problems = people.flatMap((p) => p.problems.splice(0));
  if (problems.length > 0) throw new Error(`The pages reported errors:\n${problems.join('\n')}`);
}

declare global {
  interface Window {
    axe: typeof axe;
  }
}

/**
 * axe-core on the page as it is: no serious or critical violation. Evaluated through DevTools, which
 * the page's CSP does not govern (an injected <script> would be refused, rightly).
 */
export async function expectAccessible(page: Page, what: string) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(axe.source);
  const violations = await page.evaluate(async () => {
    const results = await window.axe.run(document, { resultTypes: ['violations'] });
    return results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.help}\n    ${v.nodes.slice(0, 5).map((n) => n.target.join(' ')).join('\n    ')}`);
  });
  if (violations.length > 0) throw new Error(`Accessibility of ${what}:\n  ${violations.join('\n  ')}`);
}

export async function screenshot(page: Page, path: string) {
  mkdirSync(dirname(path), { recursive: true });
  // Animations and the caret settle first, so two runs give the same picture.
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path, animations: 'disabled', caret: 'hide' });
}

/**
 * A finger swiping from right to left across `selector`: touch events, as a screen sends them; the
 * browser does the scrolling (and the snapping) itself.
 */
export async function swipeLeft(page: Page, selector: string) {
  const target = page.locator(selector).first();
  await target.scrollIntoViewIfNeeded();
  // A smooth scroll of the page may still be moving it: measure once it has stopped.
  await page.waitForFunction(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(true)))));
  const box = await target.boundingBox();
  if (!box) throw new Error(`nothing to swipe at ${selector}`);
  const cdp = await page.context().newCDPSession(page);
  const y = Math.round(box.y + box.height / 2);
  const from = Math.round(box.x + box.width * 0.85);
  const distance = Math.round(box.width * 0.7);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: from, y }] });
  for (let step = 1; step <= 10; step++) {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: from - (distance * step) / 10, y }] });
    await new Promise((resolve) => setTimeout(resolve, 16));
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

/** Slows this page's uploads to `bytesPerSecond` (0: back to full speed). */
export async function throttleUploads(page: Page, bytesPerSecond: number) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond || -1 });
  return cdp;
}

/**
 * Runs the explorer's operation. GraphiQL's run button does nothing until its Monaco editors have
 * loaded (`run` returns early without them), and under load they come after the page: so click
 * until GraphiQL is running it (the button turns to "Stop query") or has answered.
 */
export async function runInExplorer(page: Page, timeoutMs = 30_000) {
  const button = page.getByRole('button', { name: /^(Execute|Stop) query/ });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (/^Stop/.test((await button.getAttribute('aria-label')) ?? '')) return;
    if (((await page.locator('.result-window').textContent()) ?? '').trim() !== '') return;
    if (Date.now() > deadline) throw new Error(`The explorer did not run its operation within ${timeoutMs / 1000} s.`);
    await button.click();
    await page.waitForTimeout(1_000);
  }
}
