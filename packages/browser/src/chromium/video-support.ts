// Video recording needs Playwright's own ffmpeg build at `<browsers path>/ffmpeg-<revision>/ffmpeg-<os>`
// (the revision comes from playwright-core's browsers.json). Its download is often blocked, while a
// system ffmpeg (Debian's, Homebrew's) encodes the same VP8/VP9 WebM. When Playwright's copy is
// missing and a system ffmpeg exists, we link it into place once; no environment variable is needed.
// When neither exists, video is skipped and the reason is returned for the log.
import { existsSync, mkdirSync, readFileSync, symlinkSync, accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { findPlaywrightBrowsersPath } from './discover-chromium.ts';

/** System locations of ffmpeg tried when no path is given. */
export const SYSTEM_FFMPEG_PATHS: readonly string[] = ['/usr/bin/ffmpeg', '/usr/local/bin/ffmpeg', '/opt/homebrew/bin/ffmpeg'];

/** Whether video can be recorded, and if not, why. */
export type VideoSupport = { ok: true; ffmpegPath: string; linked: boolean } | { ok: false; reason: string };

/** Where Playwright expects its ffmpeg, or undefined when that cannot be worked out. */
export function findPlaywrightFfmpegPath(): string | undefined {
  const browsersPath = findPlaywrightBrowsersPath();
  if (!browsersPath) return undefined;
  try {
    const require = createRequire(import.meta.url);
    const root = dirname(require.resolve('playwright-core'));
    const browsers = JSON.parse(readFileSync(join(root, 'browsers.json'), 'utf8')) as { browsers: { name: string; revision: string }[] };
    const revision = browsers.browsers.find((entry) => entry.name === 'ffmpeg')?.revision;
    if (!revision) return undefined;
    const file = process.platform === 'darwin' ? 'ffmpeg-mac' : process.platform === 'win32' ? 'ffmpeg-win64.exe' : 'ffmpeg-linux';
    return join(browsersPath, `ffmpeg-${revision}`, file);
  } catch {
    return undefined;
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let cached: VideoSupport | undefined;

/**
 * Makes video recording possible when it can be: returns ok when Playwright's ffmpeg is in place or
 * a system ffmpeg could be linked there. `ffmpegPath` overrides the system search. The answer is
 * cached per process once positive.
 */
export function ensureVideoSupport(options: { ffmpegPath?: string } = {}): VideoSupport {
  if (cached?.ok) return cached;
  const target = findPlaywrightFfmpegPath();
  if (!target) return { ok: false, reason: 'cannot locate the folder where Playwright expects its ffmpeg' };
  if (existsSync(target)) return (cached = { ok: true, ffmpegPath: target, linked: false });
  const source = options.ffmpegPath ?? SYSTEM_FFMPEG_PATHS.find((path) => existsSync(path) && isExecutable(path));
  if (!source || !isExecutable(source)) {
    return {
      ok: false,
      reason: `no ffmpeg found (Playwright's at ${target} or a system one); install ffmpeg (e.g. apt-get install -y --no-install-recommends ffmpeg) and run npm run setup`,
    };
  }
  try {
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(source, target);
  } catch (error) {
    if (!existsSync(target)) {
      return { ok: false, reason: `could not link ${source} to ${target}: ${(error as Error).message}` };
    }
  }
  return (cached = { ok: true, ffmpegPath: target, linked: true });
}
