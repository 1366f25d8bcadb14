// Finding a Chromium to drive. Order: an explicit path → the browser Playwright manages (when
// installed) → the usual system locations. Library code takes the path as an option; only the
// server, CLI and scripts read `PETREL_CHROMIUM_PATH` and pass it in.
import { accessSync, constants, existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { PetrelError } from '@petrel/protocol';

/** System locations tried after the Playwright-managed browser, in order. */
export const SYSTEM_CHROMIUM_PATHS: readonly string[] = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/usr/local/bin/chromium',
  '/snap/bin/chromium',
  '/opt/google/chrome/chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

/** The fix printed when no Chromium is found; the setup script prints the same text. */
export const CHROMIUM_INSTALL_HINT =
  'run `npm run setup` (installs Debian\'s chromium as root, or Playwright\'s build with `npx playwright-core install chromium`), ' +
  'or install Chromium/Chrome yourself and pass its path (`executablePath` option, or PETREL_CHROMIUM_PATH for the server and CLI)';

/** Where a Chromium was found. */
export type ChromiumLocation = { path: string; source: 'explicit' | 'playwright' | 'system' };

/** Options of `findChromium`. */
export type FindChromiumOptions = {
  /** An explicit executable; when set it must exist (no fallback). Default none. */
  executablePath?: string;
  /** Look for the Playwright-managed browser; default true. */
  playwright?: boolean;
  /** System locations to try; default `SYSTEM_CHROMIUM_PATHS`. */
  systemPaths?: readonly string[];
};

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Chromium to use, or `undefined` when none is installed (an explicit path that is missing throws). */
export function findChromium(options: FindChromiumOptions = {}): ChromiumLocation | undefined {
  if (options.executablePath !== undefined) {
    if (!isExecutable(options.executablePath)) {
      throw new PetrelError(
        'BROWSER_NOT_FOUND',
        `browser.findChromium: the configured Chromium executable does not exist or is not executable; fix the path or unset it, or ${CHROMIUM_INSTALL_HINT}`,
        { details: { executablePath: options.executablePath } },
      );
    }
    return { path: options.executablePath, source: 'explicit' };
  }
  if (options.playwright !== false) {
    const managed = findPlaywrightChromium();
    if (managed) return { path: managed, source: 'playwright' };
  }
  for (const path of options.systemPaths ?? SYSTEM_CHROMIUM_PATHS) {
    if (existsSync(path) && isExecutable(path)) return { path, source: 'system' };
  }
  return undefined;
}

/** The Chromium to use; throws `BROWSER_NOT_FOUND` with the exact fix when there is none. */
export function getChromium(options: FindChromiumOptions = {}): ChromiumLocation {
  const found = findChromium(options);
  if (!found) {
    throw new PetrelError('BROWSER_NOT_FOUND', `browser.getChromium: no Chromium found; ${CHROMIUM_INSTALL_HINT}`, {
      details: { tried: ['playwright-managed', ...(options.systemPaths ?? SYSTEM_CHROMIUM_PATHS)] },
    });
  }
  return found;
}

/** The executable of Playwright's own Chromium build when it is installed. */
export function findPlaywrightChromium(): string | undefined {
  try {
    const path = chromium.executablePath();
    return path && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The folder where Playwright keeps its browsers (`PLAYWRIGHT_BROWSERS_PATH` or its default cache),
 * derived from Playwright itself so this package never reads the variable.
 */
export function findPlaywrightBrowsersPath(): string | undefined {
  try {
    const path = chromium.executablePath();
    const match = /^(.*)[/\\]chromium-\d+[/\\]/.exec(path);
    return match?.[1];
  } catch {
    return undefined;
  }
}
