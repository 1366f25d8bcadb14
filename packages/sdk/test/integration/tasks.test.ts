// Browser tasks through the SDK against a live server running real tasks: headless Chromium on the
// fixture portal, the agent deciding through the fake model (a real OpenAI-compatible HTTP server,
// answering from the prompts it receives). Covers runTask with waitForCompletion (live events and
// polling), a terminated run returned as a result, the waitForCompletion timeout and cancel, the
// event stream falling back to polling and resuming after a break, timeline, artifacts and their
// bytes, signed webhooks checked by verifyWebhook, retry_webhook, login and downloadFiles.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { DEMO_USER } from '@petrel/fixture-portal';
import type { Portal } from '@petrel/fixture-portal';
import { Petrel, TimeoutError, verifyWebhook } from '@petrel/sdk';
import type { RunEvent } from '@petrel/sdk';
import { startTaskStage } from '@petrel/testing';
import type { TaskStage } from '@petrel/testing';
import { startFaultyProxy, startLiveServer } from '../helpers/live-server.ts';
import type { LiveServer } from '../helpers/live-server.ts';
import { needsChromium } from '../helpers/needs-chromium.ts';

const chromium = needsChromium;

type Delivery = { body: string; headers: Record<string, string | string[] | undefined> };

let stage: TaskStage;
let portal: Portal;
let live: LiveServer;
let client: Petrel;
const deliveries: Delivery[] = [];
let hookServer: ReturnType<typeof createServer>;
let hookUrl: string;

before(async () => {
  if (chromium.skip !== false) return;
  stage = await startTaskStage({ policy: { slowMs: 20_000 } });
  portal = stage.portal;
  live = await startLiveServer(stage.llmEnv);
  client = new Petrel({ apiKey: live.apiKey, baseUrl: live.url });
  hookServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      deliveries.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`;
});
after(async () => {
  hookServer?.closeAllConnections();
  await new Promise<void>((resolve) => (hookServer ? hookServer.close(() => resolve()) : resolve()));
  await live?.[Symbol.asyncDispose]();
  await stage?.[Symbol.asyncDispose]();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('runTask with waitForCompletion: live events, output as extracted, timeline, artifacts, a verified webhook', chromium, async () => {
  const events: RunEvent[] = [];
  const run = await client.runTask({
    prompt: 'Open the sign-in page and report the host of the portal.',
    url: `${portal.url}/login`,
    dataExtractionSchema: { type: 'object', properties: { portal_host: { type: 'string' } }, required: ['portal_host'] },
    maxSteps: 3,
    webhookUrl: hookUrl,
    title: 'sdk task',
    waitForCompletion: true,
    timeout: '2 minutes',
    onEvent: (event) => events.push(event),
  });
  assert.equal(run.status, 'completed', run.failureReason ?? '');
  assert.match(run.runId, /^tsk_/);
  // User data is verbatim: the schema's snake_case key stays as the model gave it.
  assert.deepEqual(run.output, { portal_host: new URL(portal.url).host });
  assert.equal(run.runRequest?.['data_extraction_schema'] !== undefined, true);
  assert.ok(run.stepCount !== null && run.stepCount >= 1);
  assert.ok(events.some((e) => e.type === 'snapshot'));
  // The wait ends at the final status event (or `done`).
  assert.ok(events.some((e) => (e.type === 'status' || e.type === 'done') && e.status === 'completed'));
  assert.ok(events.every((e) => e.runId === run.runId && (e.id === undefined || /^\d+$/.test(e.id))));

  const fetched = await client.getRun(run.runId);
  assert.equal(fetched.status, 'completed');
  assert.equal((await client.getWorkflowRunStatus(run.runId)).runId, run.runId);
  assert.ok((await client.getRuns({ searchKey: 'sdk task' })).some((item) => item.runId === run.runId));

  const timeline = await client.getRunTimeline(run.runId);
  assert.equal(timeline.length, 1);
  assert.equal(timeline[0]?.block?.blockType, 'task');
  assert.equal(timeline[0]?.block?.status, 'completed');

  const screenshots = await client.getRunArtifacts(run.runId, { artifactType: ['screenshot_final', 'screenshot_action', 'screenshot_llm', 'screenshot'] });
  assert.ok(screenshots.length > 0, 'the run saved screenshots');
  const artifact = await client.getArtifact(screenshots[0]!.artifactId);
  const content = await client.getArtifactContent(artifact.artifactId);
  const bytes = new Uint8Array(await content.arrayBuffer());
  const png = [0x89, 0x50, 0x4e, 0x47].every((b, i) => bytes[i] === b);
  const jpeg = [0xff, 0xd8, 0xff].every((b, i) => bytes[i] === b);
  assert.ok(png || jpeg, `an image (${content.headers.get('content-type')})`);
  assert.equal(bytes.length, artifact.fileSize ?? bytes.length);
  const signed = await client.getArtifactSignedUrl(artifact.artifactId);
  assert.equal((await fetch(signed.signedUrl)).status, 200);

  // The webhook arrives signed; verifyWebhook accepts it under the organization's secret, and not tampered.
  const { secret } = await client.getWebhookSecret();
  const delivery = await until('the webhook', async () => deliveries.find((d) => d.body.includes(run.runId)));
  assert.equal(await verifyWebhook(delivery.body, delivery.headers, secret), true);
  assert.equal(await verifyWebhook(delivery.body.replace('completed', 'failed'), delivery.headers, secret), false);
  assert.equal(await verifyWebhook(delivery.body, delivery.headers, secret, { now: Math.floor(Date.now() / 1000) + 3600 }), false);
  const attempts = await until('the delivery log', async () => {
    const list = await client.getRunWebhookDeliveries(run.runId);
    return list.length > 0 ? list : undefined;
  });
  assert.equal(attempts[0]?.statusCode, 200);

  const replay = await client.retryRunWebhook(run.runId);
  assert.equal(replay.statusCode, 200);
  assert.equal(replay.targetWebhookUrl, hookUrl);
  const replayed = await until('the replayed webhook', async () => (deliveries.filter((d) => d.body.includes(run.runId)).length >= 2 ? deliveries.at(-1) : undefined));
  assert.equal(await verifyWebhook(replayed.body, replayed.headers, secret), true);
});

test('waitForCompletion by polling; a terminated run is a result with its error codes, not an exception', chromium, async () => {
  const started = await client.runTask({
    prompt: 'Open the page. [terminate]',
    url: `${portal.url}/login`,
    errorCodeMapping: { NO_ACCESS: 'the site refuses access' },
  });
  assert.ok(['created', 'queued', 'running'].includes(started.status));
  const events: RunEvent[] = [];
  const run = await client.waitForCompletion(started.runId, { useEvents: false, pollInterval: 200, timeout: '2 minutes', onEvent: (e) => events.push(e) });
  assert.equal(run.status, 'terminated');
  assert.match(run.failureReason ?? '', /refuses access/);
  assert.deepEqual(run.errors.map((e) => e.errorCode), ['NO_ACCESS']);
  assert.ok(events.length >= 1 && events.every((e) => e.type === 'status' && e.id === undefined));
  assert.equal(events.at(-1)?.status, 'terminated');
});

test('waitForCompletion times out with the run as last seen; a canceled run is then returned', chromium, async () => {
  const started = await client.runTask({ prompt: 'Wait for the page. [slow]', url: `${portal.url}/login` });
  await assert.rejects(client.waitForCompletion(started.runId, { timeout: 1500 }), (error: unknown) => {
    assert.ok(error instanceof TimeoutError);
    assert.equal(error.timeoutMs, 1500);
    assert.ok(['created', 'queued', 'running'].includes((error.lastRun as { status: string } | undefined)?.status ?? 'running'));
    assert.match(error.message, /is still/);
    return true;
  });
  const controller = new AbortController();
  const waiting = client.waitForCompletion(started.runId, { signal: controller.signal });
  controller.abort(new Error('stop waiting'));
  await assert.rejects(waiting, /stop waiting/);

  await client.cancelRun(started.runId);
  const run = await client.waitForCompletion(started.runId, { timeout: '1 minute' });
  assert.equal(run.status, 'canceled');
});

test('the event stream: polling when a proxy refuses it, resumed with Last-Event-ID when it breaks', chromium, async () => {
  {
    await using proxy = await startFaultyProxy(live.url, (_n, request) => (request.url.includes('/events') ? { kind: 'answer', status: 404 } : { kind: 'forward' }));
    const through = new Petrel({ apiKey: live.apiKey, baseUrl: proxy.url });
    const run = await through.runTask({ prompt: 'Open the page.', url: `${portal.url}/login`, waitForCompletion: true, timeout: '2 minutes' });
    assert.equal(run.status, 'completed');
    assert.ok(proxy.seen.filter((r) => /\/v1\/runs\/[^/]+$/.test(r.url)).length >= 1, 'polled GET /v1/runs/{id}');
  }
  {
    let streams = 0;
    await using proxy = await startFaultyProxy(live.url, (_n, request) => {
      if (!request.url.includes('/events')) return { kind: 'forward' };
      streams++;
      // The first stream is cut after its first event (the snapshot); the next ones go through.
      return streams === 1 ? { kind: 'forward', cutAfterEvents: 1 } : { kind: 'forward' };
    });
    const through = new Petrel({ apiKey: live.apiKey, baseUrl: proxy.url });
    const started = await through.runTask({ prompt: 'Open the page.', url: `${portal.url}/login` });
    const run = await through.waitForCompletion(started.runId, { timeout: '2 minutes' });
    assert.equal(run.status, 'completed');
    const eventRequests = proxy.seen.filter((r) => r.url.includes('/events'));
    assert.ok(eventRequests.length >= 2, 'reconnected after the break');
    assert.equal(new URL(eventRequests[0]!.url, proxy.url).searchParams.get('last_event_id'), null);
    assert.match(new URL(eventRequests[1]!.url, proxy.url).searchParams.get('last_event_id') ?? '', /^\d+$/, 'resumed after the last event seen');
  }
});

test('waitForCompletion with afterEventId replays what happened before the wait: no early event is missed', chromium, async () => {
  const started = await client.runTask({ prompt: 'Open the page.', url: `${portal.url}/login` });
  // The run ends before anyone listens: every one of its events comes before the wait.
  await until('the run to end', async () => ((await client.getRun(started.runId)).status === 'completed' ? true : undefined), 120_000);
  const fresh: RunEvent[] = [];
  await client.waitForCompletion(started.runId, { onEvent: (event) => fresh.push(event) });
  assert.equal(fresh[0]?.type, 'snapshot', 'without afterEventId the stream starts at the run now');
  assert.ok(!fresh.some((event) => event.type === 'agent_step'));

  const replayed: RunEvent[] = [];
  const run = await client.waitForCompletion(started.runId, { afterEventId: '0', onEvent: (event) => replayed.push(event) });
  assert.equal(run.status, 'completed');
  assert.ok(!replayed.some((event) => event.type === 'snapshot'));
  assert.ok(
    replayed.some((event) => event.type === 'agent_step' && event['stepNumber'] === 1 && event['status'] === 'running'),
    `the first step's start is replayed: ${replayed.map((event) => event.type).join(', ')}`,
  );
  assert.ok(replayed.every((event) => event.id !== undefined && /^\d+$/.test(event.id)));

  // After an event in the middle: exactly the events that came after it.
  const middle = replayed[Math.floor(replayed.length / 2)]!.id!;
  const later: RunEvent[] = [];
  await client.waitForCompletion(started.runId, { afterEventId: middle, onEvent: (event) => later.push(event) });
  assert.deepEqual(
    later.map((event) => `${event.id} ${event.type}`),
    replayed.filter((event) => Number(event.id) > Number(middle)).map((event) => `${event.id} ${event.type}`),
  );
  await assert.rejects(client.waitForCompletion(started.runId, { afterEventId: 'last' }), TypeError);
});

test('login and downloadFiles start runs with the helpers\' bodies and can be waited for', chromium, async () => {
  const credential = await client.createCredential({
    name: 'portal',
    credentialType: 'password',
    credential: { username: DEMO_USER.email, password: DEMO_USER.password, totp: DEMO_USER.totpSecret },
  });
  const login = await client.login({ credentialType: 'skyvern', credentialId: credential.credentialId, url: `${portal.url}/login`, waitForCompletion: true, timeout: '2 minutes' });
  assert.ok(['completed', 'failed', 'terminated'].includes(login.status), login.status);
  assert.equal((await client.getRun(login.runId)).runId, login.runId);

  const download = await client.downloadFiles({ navigationGoal: 'Download the first invoice.', url: `${portal.url}/login`, downloadSuffix: 'invoice.pdf', maxStepsPerRun: 2 });
  const finished = await client.waitForCompletion(download.runId, { timeout: '2 minutes' });
  assert.ok(['completed', 'failed', 'terminated'].includes(finished.status), finished.status);
});
