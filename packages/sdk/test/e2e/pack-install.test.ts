// What a new user does: `npm pack` the SDK as published, install the tarball into an empty project
// outside the workspace, type-check the README's ten-line example (examples/sdk/quickstart.ts) and a
// file of checks with the consumer's own tsconfig (strict, no skipLibCheck), compile them, and run
// them against a live server that runs real tasks — on Node 24 and, when present, on the system's
// Node 20. Also checks the published entry imports nothing from `node:` (browsers).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startLiveServer } from '../helpers/live-server.ts';
import { startTaskStage } from '@petrel/testing';
import { needsChromium } from '../helpers/needs-chromium.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const tsc = join(root, 'node_modules/typescript/bin/tsc');

const CHECKS = `import { Petrel, NotFoundError, verifyWebhook } from '@petrel/sdk';
import type { CredentialResponse } from '@petrel/sdk';

const client = new Petrel({ apiKey: process.env.PETREL_API_KEY!, baseUrl: process.env.PETREL_URL! });
const created: CredentialResponse = await client.createCredential({
  name: 'consumer',
  credentialType: 'password',
  credential: { username: 'me@example.com', password: 'pw' },
});
const listed = await client.getCredentials({ pageSize: 10 });
let notFound = '';
try {
  await client.getCredential('cred_missing');
} catch (error) {
  if (error instanceof NotFoundError) notFound = \`\${error.statusCode} \${error.code}\`;
}
const { secret } = await client.getWebhookSecret();
const ok = await verifyWebhook('{}', { 'x-petrel-signature': 'v0=00', 'x-petrel-timestamp': '1' }, secret);
console.log(JSON.stringify({ id: created.credentialId.slice(0, 5), listed: listed.length, notFound, ok, node: process.versions.node.split('.')[0] }));
`;

function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

test('the packed SDK installs into an empty project, type-checks and runs against a live server', { timeout: 180_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'petrel-sdk-consumer-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const { stdout: packOut } = await run(process.execPath, [join(root, 'packages/sdk/scripts/pack.ts'), '--out', work], { timeout: 120_000 });
  const tarball = packOut.trim().split('\n').at(-1)!;
  assert.ok(existsSync(tarball), tarball);

  const project = join(work, 'app');
  await run('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer-app', private: true, type: 'module' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: project, timeout: 120_000 });
  const installed = join(project, 'node_modules/@petrel/sdk');
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies?: object; exports: unknown };
  assert.equal(manifest.dependencies, undefined, 'no runtime dependencies');
  assert.deepEqual(readdirSync(join(project, 'node_modules')).filter((name) => !name.startsWith('.')), ['@petrel']);

  // The main entry's static import graph has no `node:` module (local-server.js is loaded only by Petrel.local()).
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of importsOf(file)) {
      assert.ok(!specifier.startsWith('node:'), `${file} imports ${specifier}`);
      if (specifier.startsWith('.')) visit(join(dirname(file), specifier));
    }
  };
  visit(join(installed, 'dist/index.js'));
  assert.ok(seen.size >= 5 && !seen.has(join(installed, 'dist/local-server.js')));

  writeFileSync(join(project, 'checks.ts'), CHECKS);
  writeFileSync(join(project, 'quickstart.ts'), readFileSync(join(root, 'examples/sdk/quickstart.ts'), 'utf8'));
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        lib: ['es2022', 'dom', 'esnext.disposable'],
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: false,
        typeRoots: [join(root, 'node_modules/@types')],
        types: ['node'],
        outDir: 'out',
      },
      include: ['checks.ts', 'quickstart.ts'],
    }),
  );
  await run(process.execPath, [tsc, '-p', project], { cwd: project, timeout: 60_000 }).catch((error: Error & { stdout?: string }) => {
    assert.fail(`consumer type-check failed:\n${error.stdout ?? error.message}`);
  });

  await using stage = await startTaskStage();
  await using live = await startLiveServer(stage.llmEnv);
  const env = { ...process.env, PETREL_URL: live.url, PETREL_API_KEY: live.apiKey, TASK_URL: `${stage.portal.url}/login` };
  const nodes = [process.execPath];
  const system = '/usr/bin/node';
  if (existsSync(system)) {
    const { stdout } = await run(system, ['-p', 'process.versions.node.split(".")[0]']);
    if (Number(stdout.trim()) >= 20 && stdout.trim() !== process.versions.node.split('.')[0]) nodes.push(system);
  }
  for (const node of nodes) {
    const { stdout } = await run(node, [join(project, 'out/checks.js')], { cwd: project, env, timeout: 60_000 });
    const result = JSON.parse(stdout.trim()) as { id: string; listed: number; notFound: string; ok: boolean; node: string };
    assert.equal(result.id, 'cred_');
    assert.ok(result.listed >= 1);
    assert.equal(result.notFound, '404 NOT_FOUND');
    assert.equal(result.ok, false);
    if (needsChromium.skip === false) {
      const task = await run(node, [join(project, 'out/quickstart.js')], { cwd: project, env, timeout: 120_000 });
      assert.equal(task.stdout.trim(), 'completed {"site_name":"Ember Supply"}');
    }
    t.diagnostic(`ran on Node ${result.node}${needsChromium.skip === false ? ', with a task' : ''}`);
  }
});
