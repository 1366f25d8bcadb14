// `petrel` without a server, as a child process: usage errors and "did you mean" (exit 2), the
// configuration's precedence (flag, then env, then ./petrel.config.json, then the user file) as
// `petrel config` reports it and as the client commands use it, `config set` (0600, secrets from
// stdin only), a missing key (exit 2) and an unreachable server (exit 4).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { petrel, tempDir } from '../helpers/cli-harness.ts';
import type { CliResult } from '../helpers/cli-harness.ts';

type Json = Record<string, unknown>;

function explain(result: CliResult): string {
  return `exit ${String(result.code)}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('usage errors are exit 2 with one line and a suggestion; --help and --version exit 0', async () => {
  using home = tempDir('petrel-cli-usage-');
  const typo = await petrel(['rnus', 'list'], home.path);
  assert.equal(typo.code, 2, explain(typo));
  assert.equal(typo.stderr, "petrel: unknown command 'rnus' (Did you mean runs?); see --help\n");
  const subTypo = await petrel(['workflows', 'lst'], home.path);
  assert.equal(subTypo.code, 2);
  assert.match(subTypo.stderr, /Did you mean list\?/);
  const option = await petrel(['runs', 'list', '--stauts', 'failed'], home.path);
  assert.equal(option.code, 2);
  assert.match(option.stderr, /unknown option '--stauts' \(Did you mean --status\?\)/);
  const missing = await petrel(['run', 'task', 'Find it'], home.path);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /required option '-u, --url <url>' not specified/);
  const badValue = await petrel(['runs', 'watch', 'wr_1', '--timeout', 'soon'], home.path);
  assert.equal(badValue.code, 2);
  assert.match(badValue.stderr, /--timeout <duration>.* not a duration/);
  const badStatus = await petrel(['runs', 'list', '--status', 'done'], home.path, { env: { PETREL_API_KEY: 'pk_x' } });
  assert.equal(badStatus.code, 2, explain(badStatus));
  assert.match(badStatus.stderr, /--status done: not a run status/);

  const help = await petrel(['--help'], home.path);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Exit codes:\n {2}0 {4}success/);
  const subHelp = await petrel(['runs', 'watch', '--help'], home.path);
  assert.equal(subHelp.code, 0);
  assert.match(subHelp.stdout, /Usage: petrel runs watch \[options\] <run_id>/);
  assert.match(subHelp.stdout, /--cancel-on-interrupt/);
  assert.match(subHelp.stdout, /Global Options:[\s\S]*--json/);
  const version = await petrel(['--version'], home.path);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('configuration: flag over env over ./petrel.config.json over the user file over the default, as `config` reports it', async () => {
  using home = tempDir('petrel-cli-config-');
  const project = join(home.path, 'project');
  mkdirSync(project);
  const userFile = join(home.path, '.config', 'petrel', 'config.json');
  const get = async (env: Record<string, string> = {}, flags: string[] = []): Promise<Json> => {
    const result = await petrel([...flags, 'config', 'get', 'base_url', '--json'], home.path, { cwd: project, env });
    assert.equal(result.code, 0, explain(result));
    return result.json<Json>();
  };

  assert.deepEqual(await get(), { key: 'base_url', value: 'http://127.0.0.1:8000', source: 'default' });
  const setUser = await petrel(['config', 'set', 'base_url', 'http://127.0.0.1:1001'], home.path, { cwd: project });
  assert.equal(setUser.code, 0, explain(setUser));
  assert.equal(setUser.stdout, `base_url = http://127.0.0.1:1001 (saved in ${userFile})\n`);
  assert.equal(statSync(userFile).mode & 0o777, 0o600);
  assert.deepEqual(await get(), { key: 'base_url', value: 'http://127.0.0.1:1001', source: userFile });
  const setProject = await petrel(['config', 'set', 'base_url', 'http://127.0.0.1:1002', '--project'], home.path, { cwd: project });
  assert.equal(setProject.code, 0, explain(setProject));
  assert.deepEqual(await get(), { key: 'base_url', value: 'http://127.0.0.1:1002', source: join(project, 'petrel.config.json') });
  assert.deepEqual(await get({ PETREL_BASE_URL: 'http://127.0.0.1:1003' }), { key: 'base_url', value: 'http://127.0.0.1:1003', source: 'env PETREL_BASE_URL' });
  assert.deepEqual(await get({ PETREL_BASE_URL: 'http://127.0.0.1:1003' }, ['--base-url', 'http://127.0.0.1:1004']), { key: 'base_url', value: 'http://127.0.0.1:1004', source: '--base-url' });
  // --config names the only file read.
  const explicit = join(home.path, 'ci.json');
  writeFileSync(explicit, JSON.stringify({ base_url: 'http://127.0.0.1:1005', data_dir: '/srv/petrel' }));
  assert.deepEqual(await get({}, ['--config', explicit]), { key: 'base_url', value: 'http://127.0.0.1:1005', source: explicit });

  // Secrets: never from arguments; from stdin they are saved, and shown masked.
  const refused = await petrel(['config', 'set', 'api_key', 'pk_in_argv'], home.path, { cwd: project });
  assert.equal(refused.code, 2, explain(refused));
  assert.match(refused.stderr, /api_key is a secret/);
  const key = 'pk_saved_from_stdin_0123456789';
  const saved = await petrel(['config', 'set', 'api_key', '--stdin'], home.path, { cwd: project, stdin: `${key}\n` });
  assert.equal(saved.code, 0, explain(saved));
  assert.ok(!saved.stdout.includes(key));
  assert.equal((JSON.parse(readFileSync(userFile, 'utf8')) as Json)['api_key'], key);
  const shown = await petrel(['config', '--json'], home.path, { cwd: project });
  const settings = shown.json<{ settings: Array<{ key: string; value: string; source: string }> }>().settings;
  const apiKey = settings.find((setting) => setting.key === 'api_key');
  assert.deepEqual(apiKey, { key: 'api_key', value: 'pk_sav…(30 chars)', source: userFile, env: 'PETREL_API_KEY' });
  assert.ok(!shown.stdout.includes(key));
  const table = await petrel(['config'], home.path, { cwd: project });
  assert.match(table.stdout, /^api_key\s+pk_sav…\(30 chars\)\s+\/.*config\.json$/m);
  assert.match(table.stdout, /^base_url\s+http:\/\/127\.0\.0\.1:1002\s+.*petrel\.config\.json$/m);

  // Server settings in a config file reach the server commands (a bad one is reported by name).
  writeFileSync(join(project, 'petrel.config.json'), JSON.stringify({ port: 'eighty' }));
  const serve = await petrel(['serve'], home.path, { cwd: project });
  assert.equal(serve.code, 2, explain(serve));
  assert.match(serve.stderr, /^petrel: serve: config: PETREL_PORT must be a whole number from 0 to 65535 \(got "eighty"\) \(INVALID_CONFIG\)\n$/);

  const unknown = await petrel(['config', 'set', 'base_ulr', 'x'], home.path, { cwd: project });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown key "base_ulr" \(did you mean base_url\?\)/);
  writeFileSync(join(project, 'petrel.config.json'), '{ not json');
  const broken = await petrel(['config'], home.path, { cwd: project });
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /petrel\.config\.json is not valid JSON/);
});

test('client commands: no API key is exit 2 with what to do; an unreachable server is exit 4 naming the configured address', async () => {
  using home = tempDir('petrel-cli-client-');
  const noKey = await petrel(['runs', 'list'], home.path);
  assert.equal(noKey.code, 2, explain(noKey));
  assert.match(noKey.stderr, /^petrel: runs list: no API key: pass --api-key, set PETREL_API_KEY, or save one with `petrel config set api_key`/);

  const port = await closedPort();
  writeFileSync(join(home.path, 'petrel.config.json'), JSON.stringify({ base_url: `http://127.0.0.1:${port}`, api_key: 'pk_from_the_project_file' }));
  const unreachable = await petrel(['runs', 'list'], home.path);
  assert.equal(unreachable.code, 4, explain(unreachable));
  assert.match(unreachable.stderr, new RegExp(`^petrel: runs list: cannot reach http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\); is \`petrel serve\` running there\\?`));
  const json = await petrel(['runs', 'list', '--json'], home.path);
  assert.equal(json.code, 4);
  assert.deepEqual(Object.keys((JSON.parse(json.stderr) as { error: Json }).error), ['message', 'code', 'exitCode', 'statusCode', 'requestId', 'hint']);
});
