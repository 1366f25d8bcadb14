// `petrel` against a live `petrel serve` (a child process, SQLite in a temp dir): API keys,
// credentials whose secrets come from stdin and never show up in any output, TOTP codes, browser
// sessions and profiles, doctor, migrate, the master-key rotation, `worker`, and serve's banner and
// graceful Ctrl-C. Every command runs as a child process; `--json` output is parsed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PETREL_BIN, collect, isolatedEnv, petrel, spawnPetrel, startServe, tempDir, waitForLine } from '../helpers/cli-harness.ts';
import type { CliResult, ServeProcess } from '../helpers/cli-harness.ts';
import { startTaskStage } from '@petrel/testing';
import type { TaskStage } from '@petrel/testing';
import { needsChromium } from '../helpers/needs-chromium.ts';

type Json = Record<string, unknown>;

const home = tempDir('petrel-cli-resources-');
const dataDir = join(home.path, 'data');
let stage: TaskStage;
let serve: ServeProcess | undefined;
let env: Record<string, string>;

before(async () => {
  if (needsChromium.skip !== false) return;
  stage = await startTaskStage();
  serve = await startServe(home.path, dataDir, stage.llmEnv);
  env = { PETREL_BASE_URL: serve.url, PETREL_API_KEY: serve.apiKey };
});

after(async () => {
  await serve?.stop();
  await stage?.[Symbol.asyncDispose]();
  home[Symbol.dispose]();
});

function cli(args: string[], options: { stdin?: string; env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
  return petrel(args, home.path, { env: { ...env, ...options.env }, ...(options.stdin === undefined ? {} : { stdin: options.stdin }) });
}

function explain(result: CliResult): string {
  return `exit ${String(result.code)}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}

test('keys: create (shown once), list, revoke; a revoked key is refused (exit 3)', needsChromium, async () => {
  const created = await cli(['keys', 'create', '--name', 'ci', '--json']);
  assert.equal(created.code, 0, explain(created));
  const key = created.json<Json>();
  assert.match(String(key['apiKey']), /^pk_/);
  const listed = await cli(['keys', 'list']);
  assert.match(listed.stdout, new RegExp(`^${String(key['keyId'])}\\s+ci\\s+`, 'm'));
  assert.ok(!listed.stdout.includes(String(key['apiKey'])), 'a list never shows a secret');

  const withNewKey = await cli(['keys', 'list', '--json'], { env: { PETREL_API_KEY: String(key['apiKey']) } });
  assert.equal(withNewKey.code, 0, explain(withNewKey));
  const revoked = await cli(['keys', 'revoke', String(key['keyId'])]);
  assert.equal(revoked.code, 0, explain(revoked));
  assert.equal(revoked.stdout, `revoked ${String(key['keyId'])} (ci)\n`);
  const refused = await cli(['keys', 'list'], { env: { PETREL_API_KEY: String(key['apiKey']) } });
  assert.equal(refused.code, 3, explain(refused));
});

test('credentials: secrets come from stdin and appear in no output (text, JSON, server log); no terminal and no --stdin is exit 2', needsChromium, async () => {
  const password = 'canary-Pa55-7d1e90';
  const seed = 'JBSWY3DPEHPK3PXPCANARYSEED234567';
  const cardNumber = '4111111111111111';
  const cvv = '7391';
  const outputs: string[] = [];
  const record = (result: CliResult): CliResult => {
    outputs.push(result.stdout, result.stderr);
    return result;
  };

  const passwordCredential = record(await cli(['credentials', 'create', '--name', 'portal', '--username', 'demo@petrel.test', '--totp', '--stdin', '--json'], { stdin: `${password}\n${seed}\n` }));
  assert.equal(passwordCredential.code, 0, explain(passwordCredential));
  const created = passwordCredential.json<Json>();
  assert.match(String(created['credentialId']), /^cred_/);
  assert.deepEqual(created['credential'], { username: 'demo@petrel.test', totpType: 'authenticator', totpIdentifier: null });

  const card = record(await cli(['credentials', 'create', '--name', 'card', '--type', 'credit_card', '--holder', 'Dana Lee', '--exp-month', '12', '--exp-year', '2031', '--brand', 'visa', '--stdin'], { stdin: `${cardNumber}\n${cvv}\n` }));
  assert.equal(card.code, 0, explain(card));
  assert.match(card.stdout, /^holds:\s+visa •••• 1111$/m);
  const secret = record(await cli(['credentials', 'create', '--name', 'token', '--type', 'secret', '--label', 'api token', '--stdin'], { stdin: `${password}-token\n` }));
  assert.equal(secret.code, 0, explain(secret));

  const list = record(await cli(['credentials', 'list']));
  assert.match(list.stdout, /portal\s+password\s+demo@petrel\.test \(2FA: authenticator\)/);
  record(await cli(['credentials', 'list', '--json']));
  record(await cli(['credentials', 'get', String(created['credentialId']), '--json']));
  for (const output of [...outputs, serve?.stderr.join('') ?? '']) {
    for (const canary of [password, seed, cardNumber]) assert.ok(!output.includes(canary), `a secret leaked into: ${output.slice(0, 300)}`);
    assert.doesNotMatch(output, new RegExp(`\\b${cvv}\\b`), 'the CVV leaked');
  }

  // Without a terminal a prompt cannot be shown: the CLI says how to pipe it, and never reads argv.
  const noTerminal = await cli(['credentials', 'create', '--name', 'x', '--username', 'u']);
  assert.equal(noTerminal.code, 2, explain(noTerminal));
  assert.match(noTerminal.stderr, /no terminal to ask for the password: pipe it with --stdin/);
  const deleted = await cli(['credentials', 'delete', String(created['credentialId'])]);
  assert.equal(deleted.code, 0, explain(deleted));
  assert.equal((await cli(['credentials', 'get', String(created['credentialId'])])).code, 3);
});

const hasScript = existsSync('/usr/bin/script');

test('credentials on a terminal: the password is asked for without echo (a pseudo-terminal through script(1))', { ...needsChromium, skip: needsChromium.skip || (hasScript ? false : 'script(1) from util-linux is not installed') }, async () => {
  const secret = 'tty-Secret-4242-canary';
  const command = [process.execPath, PETREL_BIN, 'credentials', 'create', '--name', 'typed', '--username', 'tty@petrel.test'].map((part) => `'${part}'`).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: home.path, env: { ...isolatedEnv(home.path), ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const finished = collect(child);
  // The prompt has no line end: wait for it in the raw output, then type the password and Enter.
  await new Promise<void>((resolve, reject) => {
    let raw = '';
    const timer = setTimeout(() => reject(new Error(`no prompt within 60 s: ${raw}`)), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      raw += chunk.toString('utf8');
      if (raw.includes('password: ')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.stdin?.write(`${secret}\r`);
  const result = await finished;
  const output = `${result.stdout}\n${result.stderr}`;
  assert.equal(result.code, 0, output);
  assert.match(output, /password: /);
  assert.match(output, /^credential:\s+cred_\w+\r?$/m, 'the record starts on its own line');
  assert.ok(!output.includes(secret), `the password was echoed: ${output}`);
});

test('files: upload prints a petrel://files reference whose signed URL serves the bytes; delete', needsChromium, async () => {
  const path = join(home.path, 'invoices.csv');
  writeFileSync(path, 'order_id,total\nORD-1,12.50\n');
  const uploaded = await cli(['files', 'upload', path, '--json']);
  assert.equal(uploaded.code, 0, explain(uploaded));
  const file = uploaded.json<Json>();
  assert.match(String(file['s3Uri']), /^petrel:\/\/files\/file_\w+$/);
  assert.equal(file['contentType'], 'text/csv');
  assert.equal(await (await fetch(String(file['presignedUrl']))).text(), 'order_id,total\nORD-1,12.50\n');
  const text = await cli(['files', 'upload', path]);
  assert.match(text.stderr, /use it as a file_url parameter: --param <key>=petrel:\/\/files\/file_\w+/);
  assert.equal((await cli(['files', 'delete', String(file['fileId'])])).code, 0);
  assert.equal((await cli(['files', 'upload', join(home.path, 'missing.csv')])).code, 2);
});

test('totp send: the code is extracted from a message, from an argument or stdin', needsChromium, async () => {
  const sent = await cli(['totp', 'send', '--identifier', 'ops@petrel.test', 'Your verification code is 493817. It expires in 10 minutes.', '--json']);
  assert.equal(sent.code, 0, explain(sent));
  assert.equal(sent.json<Json>()['code'], '493817');
  const fromStdin = await cli(['totp', 'send', '--identifier', 'ops@petrel.test', '--stdin'], { stdin: 'Subject: login\n\nUse 220931 to sign in.\n' });
  assert.equal(fromStdin.code, 0, explain(fromStdin));
  assert.match(fromStdin.stdout, /^code:\s+220931$/m);
  const both = await cli(['totp', 'send', '--identifier', 'x', '123456', '--stdin']);
  assert.equal(both.code, 2, explain(both));
});

test('sessions and profiles: create a session, list, get, save it as a profile, rename, delete, close', needsChromium, async () => {
  const created = await cli(['sessions', 'create', '--timeout', '10', '--json']);
  assert.equal(created.code, 0, explain(created));
  const session = created.json<Json>();
  const sessionId = String(session['browserSessionId']);
  assert.match(sessionId, /^pbs_/);
  assert.match(String(session['browserAddress']), /^(ws|http):\/\//);
  const listed = await cli(['sessions', 'list']);
  assert.match(listed.stdout, new RegExp(`^${sessionId}\\s+`, 'm'));
  const got = await cli(['sessions', 'get', sessionId]);
  assert.match(got.stdout, /^timeout:\s+10 min$/m);

  const profile = await cli(['profiles', 'create', '--name', 'from session', '--session', sessionId, '--json']);
  assert.equal(profile.code, 0, explain(profile));
  const profileId = String(profile.json<Json>()['browserProfileId']);
  assert.match(profileId, /^bp_/);
  const renamed = await cli(['profiles', 'update', profileId, '--name', 'renamed']);
  assert.match(renamed.stdout, /^name:\s+renamed$/m);
  const profiles = await cli(['profiles', 'list', '--json']);
  assert.ok(profiles.json<Json[]>().some((item) => item['browserProfileId'] === profileId && item['name'] === 'renamed'));
  assert.equal((await cli(['profiles', 'delete', profileId])).code, 0);
  const remaining = await cli(['profiles', 'list', '--json']);
  assert.ok(!remaining.json<Json[]>().some((item) => item['browserProfileId'] === profileId), remaining.stdout);

  const closed = await cli(['sessions', 'close', sessionId]);
  assert.equal(closed.code, 0, explain(closed));
  assert.match(closed.stdout, new RegExp(`^closed ${sessionId}`));
});

test('doctor: every check with its result; the model answers with --check-model; a problem is printed with its fix and exits 1', needsChromium, async () => {
  const good = await cli(['doctor', '--data-dir', dataDir, '--check-model', '--json'], { env: stage.llmEnv });
  const report = good.json<{ ok: boolean; checks: Array<{ name: string; status: string; detail: string }> }>();
  assert.deepEqual(report.checks.map((check) => check.name), ['node', 'config', 'chromium', 'ffmpeg', 'database', 'master key', 'model', 'api']);
  const byName = Object.fromEntries(report.checks.map((check) => [check.name, check]));
  for (const name of ['node', 'config', 'chromium', 'database', 'master key', 'model', 'api']) assert.equal(byName[name]?.status, 'ok', JSON.stringify(byName[name]));
  assert.match(byName['model']?.detail ?? '', /openai-compatible fake-model answered in \d+ ms/);
  assert.match(byName['database']?.detail ?? '', /migrations applied/);
  assert.equal(good.code, 0, explain(good));
  assert.equal(report.ok, true);

  const bad = await cli(['doctor', '--data-dir', dataDir], { env: { PETREL_CHROMIUM_PATH: join(home.path, 'no-chromium') } });
  assert.equal(bad.code, 1, explain(bad));
  assert.match(bad.stdout, /^FAIL\s+chromium\s+.*does not exist or is not executable/m);
  assert.match(bad.stdout, /^\s+fix: fix PETREL_CHROMIUM_PATH or unset it$/m);
  assert.match(bad.stdout, /^warn\s+model\s+no language model configured/m);
  assert.match(bad.stderr, /petrel: doctor: 1 problem\(s\) found/);
  const badConfig = await cli(['doctor'], { env: { PETREL_PORT: 'eighty' } });
  assert.equal(badConfig.code, 1, explain(badConfig));
  assert.match(badConfig.stdout, /^FAIL\s+config\s+config: PETREL_PORT must be a whole number/m);
});

test('migrate: --dry-run lists pending migrations of a fresh database, then applies them; again is a no-op', needsChromium, async () => {
  const fresh = join(home.path, 'fresh');
  const dry = await cli(['migrate', '--data-dir', fresh, '--dry-run', '--json']);
  assert.equal(dry.code, 0, explain(dry));
  const pending = dry.json<{ pending: string[] }>().pending;
  assert.ok(pending.length > 0);
  const applied = await cli(['migrate', '--data-dir', fresh, '--json']);
  assert.deepEqual(applied.json<{ applied: string[] }>().applied, pending);
  const again = await cli(['migrate', '--data-dir', fresh]);
  assert.match(again.stdout, /already up to date/);
});

test('worker: starts against the server database, reports its code workflows, stops on Ctrl-C with exit 0', needsChromium, async () => {
  const workflows = join(import.meta.dirname, '../fixtures/code-workflows');
  const child = spawnPetrel(['worker', '--data-dir', dataDir, '--workflows', workflows, '--slots', '2', '--json', '--log-level', 'warn'], home.path, { env });
  child.stdin?.end();
  const finished = collect(child);
  const lines: string[] = [];
  const ready = JSON.parse(await waitForLine(child.stdout!, lines, (line) => line.includes('"event":"ready"'), 60_000)) as Json;
  assert.equal(ready['slots'], 2);
  assert.deepEqual(ready['workflows'], ['CliEchoWorkflow']);
  child.kill('SIGINT');
  const result = await finished;
  assert.equal(result.code, 0, explain(result));
});

test('serve: the first start prints the URL and the key with how to use them; Ctrl-C exits 0; keys rotate-master re-encrypts the vault', needsChromium, async () => {
  const second = join(home.path, 'second');
  const child = spawnPetrel(['serve', '--port', '0', '--data-dir', second, '--log-level', 'warn'], home.path, { env: { PETREL_BROWSER_SESSIONS: '0' } });
  child.stdin?.end();
  const finished = collect(child);
  const lines: string[] = [];
  await waitForLine(child.stdout!, lines, (line) => line.startsWith('Workflows API'), 60_000);
  const banner = lines.join('\n');
  assert.match(banner, /^Petrel is running at http:\/\/127\.0\.0\.1:\d+ \(API reference: .*\/docs\)$/m);
  assert.match(banner, /^ {2}pk_[\w-]+$/m);
  assert.match(banner, /petrel config set api_key/);
  const key = /^ {2}(pk_[\w-]+)$/m.exec(banner)?.[1] ?? '';
  const url = /running at (http:\/\/\S+)/.exec(banner)?.[1] ?? '';
  const stored = await cli(['credentials', 'create', '--name', 'vaulted', '--type', 'secret', '--stdin', '--json'], { env: { PETREL_BASE_URL: url, PETREL_API_KEY: key }, stdin: 'rotate-me' });
  assert.equal(stored.code, 0, explain(stored));
  child.kill('SIGINT');
  const result = await finished;
  assert.equal(result.code, 0, explain(result));
  assert.match(result.stderr, /shutting down/);

  const refused = await cli(['keys', 'rotate-master', '--data-dir', second]);
  assert.equal(refused.code, 2, explain(refused));
  assert.match(refused.stderr, /--yes/);
  const rotated = await cli(['keys', 'rotate-master', '--data-dir', second, '--yes', '--json']);
  assert.equal(rotated.code, 0, explain(rotated));
  const outcome = rotated.json<Json>();
  // The stored credential and the organization's webhook secret.
  assert.ok(Number(outcome['rewrapped']) >= 1, rotated.stdout);
  assert.notEqual(outcome['keyId'], outcome['previousKeyId']);
  assert.equal(outcome['keyFile'], join(second, 'master.key'));
});
