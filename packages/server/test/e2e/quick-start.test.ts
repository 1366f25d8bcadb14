// The README's Quick start, as a new user runs it: `npx petrel serve` (the CLI in a child process,
// with a config home of its own) prints the URL and the key; the fixture portal is the site; `examples/server/webhook-receiver.ts`
// verifies webhooks; then over HTTP: store the portal credential, create the workflow from
// `examples/server/portal-orders.yaml`, run it with a webhook, watch its events, read the run, its
// timeline and a screenshot (signed URL, no key). No language model is needed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEMO_USER, startPortal } from '@petrel/fixture-portal';
import { readSse } from '../helpers/sse-reader.ts';
import { until } from '../helpers/test-runs.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
type Json = Record<string, unknown>;

/** Spawns a script and resolves with the first line of its output matching `pattern`. */
function startScript(args: string[], env: Record<string, string>, pattern: RegExp, lines: string[]): { child: ChildProcess; match: Promise<RegExpExecArray> } {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const match = new Promise<RegExpExecArray>((resolve, reject) => {
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        const found = pattern.exec(lines.join('\n'));
        if (found) resolve(found);
      });
    }
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${String(code)}:\n${lines.join('\n')}`)));
  });
  return { child, match };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

test('README Quick start: serve, create a workflow from YAML, run it, watch it, verified webhook, run, timeline, screenshot', { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-quick-start-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await using portal = await startPortal({ cookieBanner: false });

  const serverLines: string[] = [];
  // What `npx petrel serve` runs: the workspace's bin link.
  const serve = startScript(
    ['node_modules/.bin/petrel', 'serve', '--port', '0', '--data-dir', dir],
    { PETREL_LOG_LEVEL: 'warn', XDG_CONFIG_HOME: join(dir, 'config') },
    /Petrel is running at (\S+)[\s\S]*\n {2}(pk_\S+)/,
    serverLines,
  );
  t.after(() => stop(serve.child));
  const [, petrel = '', key = ''] = await serve.match;
  const api = async (path: string, init: RequestInit = {}): Promise<Json> => {
    const response = await fetch(`${petrel}${path}`, { ...init, headers: { 'x-api-key': key, ...(init.headers as Record<string, string> | undefined) } });
    assert.ok(response.ok, `${path}: ${response.status} ${await response.clone().text()}`);
    return (await response.json()) as Json;
  };
  const postJson = (path: string, body: unknown) => api(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

  const secret = String((await api('/v1/webhooks/secret'))['secret']);
  const receiverLines: string[] = [];
  const receiver = startScript(['examples/server/webhook-receiver.ts'], { PETREL_WEBHOOK_SECRET: secret, PORT: '0' }, /webhook receiver on (\S+)/, receiverLines);
  t.after(() => stop(receiver.child));
  const [, hookUrl = ''] = await receiver.match;

  const credential = await postJson('/v1/credentials', {
    name: 'portal',
    credential_type: 'password',
    credential: { username: DEMO_USER.email, password: DEMO_USER.password, totp: DEMO_USER.totpSecret },
  });
  const workflow = await api('/v1/workflows', {
    method: 'POST',
    body: readFileSync(join(root, 'examples/server/portal-orders.yaml'), 'utf8'),
    headers: { 'content-type': 'application/x-yaml' },
  });
  const run = await postJson('/v1/run/workflows', {
    workflow_id: workflow['workflow_permanent_id'],
    parameters: { portal_url: portal.url, login: credential['credential_id'] },
    webhook_url: hookUrl,
  });
  const runId = String(run['run_id']);

  const events = await fetch(`${petrel}/v1/runs/${runId}/events?last_event_id=0`, { headers: { 'x-api-key': key } });
  const frames = await readSse(events).until((frame) => frame.event === 'done', 120_000);
  assert.deepEqual(frames.filter((f) => f.event === 'block').map((f) => (JSON.parse(f.data) as Json)['label']), ['open_login', 'sign_in', 'open_orders', 'orders']);
  const shot = frames.find((f) => f.event === 'screenshot');
  assert.ok(shot, 'the final screenshot is announced');
  assert.equal((await fetch(String((JSON.parse(shot.data) as Json)['url']))).status, 200, 'its signed URL opens without a key');

  const finished = await api(`/v1/runs/${runId}`);
  assert.equal(finished['status'], 'completed', String(finished['failure_reason']));
  const output = finished['output'] as Record<string, Json>;
  assert.equal(output['sign_in_output']?.['signedIn'], true);
  const orders = output['orders_output']?.['orders'] as Array<{ order_id: string }>;
  assert.ok(orders.length > 0 && orders.every((order) => /^ORD-\d+$/.test(order.order_id)), JSON.stringify(orders?.slice(0, 2)));
  assert.ok(!JSON.stringify(finished).includes(DEMO_USER.password), 'the password is not in the run');

  await until(() => receiverLines.some((line) => line.includes('"verified":true')), 'the verified webhook', 60_000);
  const delivered = JSON.parse(receiverLines.find((line) => line.includes('"verified":true')) ?? '{}') as Json;
  assert.equal(delivered['run_id'], runId);
  assert.equal(delivered['status'], 'completed');

  const timeline = (await api(`/v1/runs/${runId}/timeline`)) as unknown as Array<{ block: Json }>;
  assert.deepEqual(timeline.map((node) => [node.block['label'], node.block['status']]), [
    ['open_login', 'completed'],
    ['sign_in', 'completed'],
    ['open_orders', 'completed'],
    ['orders', 'completed'],
  ]);
  const screenshots = finished['screenshot_urls'] as string[];
  assert.ok(screenshots.length > 0, 'the run has screenshots');
  const image = await fetch(screenshots[0] ?? '');
  assert.equal(image.status, 200);
  assert.match(image.headers.get('content-type') ?? '', /^image\//);
});
