// `npm run setup`: makes sure this machine can run browsers. Finds Chromium (PETREL_CHROMIUM_PATH,
// Playwright's managed build, or a system Chromium/Chrome); when there is none it installs one —
// Debian's `chromium` with apt when running as root, otherwise Playwright's build — and otherwise
// prints exactly what to do. Then it makes video recording work when an ffmpeg exists (installing
// Debian's as root when missing) by linking it where Playwright looks. Idempotent; when everything is
// present it only checks (well under a second). `--check` never installs anything.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM_INSTALL_HINT, SYSTEM_FFMPEG_PATHS, ensureVideoSupport, findChromium, findPlaywrightFfmpegPath } from '@petrel/browser';

const checkOnly = process.argv.includes('--check');
const root = join(import.meta.dirname, '..');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get');

function say(line: string): void {
  console.log(`setup: ${line}`);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): boolean {
  say(`running ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  return result.status === 0;
}

function aptInstall(packages: string[]): boolean {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  return run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], env) || (run('apt-get', ['update'], env) && run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], env));
}

function playwrightInstall(what: string): boolean {
  const cli = join(root, 'node_modules', 'playwright-core', 'cli.js');
  return existsSync(cli) && run(process.execPath, [cli, 'install', what]);
}

function locateChromium() {
  const explicit = process.env['PETREL_CHROMIUM_PATH'];
  return findChromium(explicit ? { executablePath: explicit } : {});
}

// 1. Chromium
let chromium;
try {
  chromium = locateChromium();
} catch (error) {
  say(`PETREL_CHROMIUM_PATH is set but unusable: ${(error as Error).message}`);
  process.exit(1);
}
if (!chromium && !checkOnly) {
  say('no Chromium found; installing one');
  if (isRoot && hasApt && aptInstall(['chromium'])) chromium = locateChromium();
  if (!chromium && playwrightInstall('chromium')) chromium = locateChromium();
}
if (!chromium) {
  say(`no Chromium found. To fix: ${CHROMIUM_INSTALL_HINT}.`);
  say('On Debian/Ubuntu as root: apt-get install -y chromium. Elsewhere: npx playwright-core install chromium, or install Google Chrome.');
  process.exit(1);
}
say(`Chromium: ${chromium.path} (${chromium.source})`);

// 2. Video: a system ffmpeg linked where Playwright expects its own build.
let video = ensureVideoSupport();
if (!video.ok && !checkOnly) {
  const systemFfmpeg = SYSTEM_FFMPEG_PATHS.some((path) => existsSync(path));
  if (!systemFfmpeg && isRoot && hasApt) {
    say('no ffmpeg found; installing Debian\'s ffmpeg for video recording');
    aptInstall(['ffmpeg']);
  } else if (!systemFfmpeg) {
    playwrightInstall('ffmpeg');
  }
  video = ensureVideoSupport();
}
if (video.ok) {
  say(`video: ffmpeg at ${video.ffmpegPath}${video.linked ? ' (linked to the system ffmpeg just now)' : ''}`);
} else {
  say(`video: off (${video.reason}). Runs still work; they record no video. Expected at ${findPlaywrightFfmpegPath() ?? 'unknown'}.`);
}
say('ready');
