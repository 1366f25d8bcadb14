// Launches headless Chromium for the portal's browser tests. Outside CI a missing Chromium skips the
// tests with a reason; in CI (CI=true) it fails them.
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Portal } from '@petrel/fixture-portal';

const EXECUTABLE = process.env.PETREL_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

/** Why Chromium cannot run here, or undefined when it can. */
export function chromiumMissing(): string | undefined {
  if (existsSync(EXECUTABLE)) return undefined;
  if (process.env.CI === 'true') throw new Error(`Chromium not found at ${EXECUTABLE} (CI requires it)`);
  return `Chromium not found at ${EXECUTABLE}; set PETREL_CHROMIUM`;
}

/** Launches a headless browser closed after the test suite. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: EXECUTABLE, headless: true, args: ARGS });
}

/** A fresh context with the cookie banner answered; closed after the test. */
export async function newContext(t: TestContext, browser: Browser, portal: Portal, options: { signedIn?: boolean; banner?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ acceptDownloads: true });
  t.after(() => context.close());
  context.setDefaultTimeout(15_000);
  const cookies = [];
  if (options.banner !== true) cookies.push({ name: 'ember_cookie_consent', value: 'accepted', url: portal.url });
  if (options.signedIn === true) cookies.push(portal.sessionCookie());
  if (cookies.length > 0) await context.addCookies(cookies);
  const page = await context.newPage();
  return { context, page };
}
