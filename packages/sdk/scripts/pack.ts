// Packs the SDK as it is published (`npm run package -w @petrel/sdk -- [--out DIR]`): builds dist/,
// stages dist/, README.md and the published manifest in a temporary directory, and runs `npm pack`
// there. The published manifest is the workspace one with `publishConfig`'s fields applied
// (`exports` with `types`/`import` pointing at dist/) and without `private`, scripts or dev
// dependencies; the workspace manifest keeps pointing at src/ so the repo runs without a build.
// Prints the tarball's path as its last line.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const sdkDir = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const out = resolve(values.out ?? process.cwd());

type Manifest = Record<string, unknown> & { publishConfig?: Record<string, unknown> };
const workspace = JSON.parse(readFileSync(join(sdkDir, 'package.json'), 'utf8')) as Manifest;
const { private: _private, scripts: _scripts, devDependencies: _dev, publishConfig = {}, ...rest } = workspace;
const published = { ...rest, ...publishConfig };

execFileSync(process.execPath, [join(sdkDir, 'scripts/build.ts')], { stdio: ['ignore', 'ignore', 'inherit'] });
const stage = mkdtempSync(join(tmpdir(), 'petrel-sdk-pack-'));
try {
  cpSync(join(sdkDir, 'dist'), join(stage, 'dist'), { recursive: true });
  cpSync(join(sdkDir, 'README.md'), join(stage, 'README.md'));
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(published, null, 2)}\n`);
  const result = execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: stage, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const [packed] = JSON.parse(result) as { filename: string }[];
  if (packed === undefined) throw new Error('pack: npm pack reported no tarball');
  process.stdout.write(`${join(out, packed.filename)}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
