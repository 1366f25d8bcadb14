// Tests that run real tasks start @petrel/testing's task stage (the portal and the fake model with
// the portal policy); they also need Chromium, which only @petrel/browser knows how to find.
import { findChromium } from '@petrel/browser';

/** `{ skip, timeout }` for tests that need Chromium: skipped with a reason when it is missing, except in CI. */
export const needsChromium = {
  skip: findChromium() !== undefined || process.env.CI === 'true' ? false : 'Chromium is not installed (run npm run setup)',
  timeout: 240_000,
};
