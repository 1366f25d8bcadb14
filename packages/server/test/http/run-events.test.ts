// `GET /v1/runs/{id}/events`: Server-Sent Events fed by the engine outbox for a run whose code
// workflow starts a child: a snapshot first, live status/step/screenshot events (child instances
// included and marked), `done` at the end; `Last-Event-ID` replays what came after it; heartbeats
// while quiet; the stream ends at shutdown; scoping and bad input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineWorkflow } from '@petrel/engine';
import { readSse } from '../helpers/sse-reader.ts';
import type { SseFrame } from '../helpers/sse-reader.ts';
import { createTestApp } from '../helpers/test-app.ts';
import type { TestApp } from '../helpers/test-app.ts';
import { WAIT_FOR_GO, registerTestRunKind, startTestRun, until } from '../helpers/test-runs.ts';

const SHOT = 'a_01JSCREENSHOT000000000000000';

const CHILD = defineWorkflow({
  name: 'child-flow',
  async run(_event, step) {
    return step.do('child step', async () => ({ ok: true }));
  },
});

const PARENT = defineWorkflow({
  name: 'parent-flow',
  async run(_event, step) {
    await step.do('look', async () => ({ screenshotArtifactIds: ['a_01JSCREENSHOT000000000000000'] }));
    const child = await step.startChild('start child', { workflow: 'child-flow' });
    await step.waitForChild('wait child', child);
    const go = await step.waitForEvent<{ n: number }>('go', { type: 'go', timeout: '1 hour' });
    return { status: 'completed', n: go.payload.n };
  },
});

type Data = { run_id: string; seq: number; type: string; status?: string; step?: string; instance?: { workflow: string }; url?: string; artifact_id?: string; run?: { status: string } };
const data = (frame: SseFrame): Data => JSON.parse(frame.data) as Data;

async function startParent(t: TestApp) {
  await t.host!.register(CHILD, { namespace: t.organizationId });
  const run = await startTestRun(t.deps, t.host!, t.organizationId, PARENT);
  const ref = { namespace: t.organizationId, workflow: PARENT.name, id: run.run_id };
  await until(async () => {
    const details = await t.host!.engine.instances.get(ref, { steps: true });
    return details.status === 'waiting' && details.steps.some((s) => s.name === 'go');
  }, 'the parent to wait for go');
  return { run, ref };
}

test('a fresh stream opens with a snapshot, then follows the run live to done', async () => {
  await using t = await createTestApp({ engine: { slots: 2 }, runs: {} });
  registerTestRunKind(t.deps);
  const { run, ref } = await startParent(t);
  const res = await t.call(`/v1/runs/${run.run_id}/events`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  const sse = readSse(res);
  const snapshot = (await sse.next())!;
  assert.equal(snapshot.event, 'snapshot');
  assert.equal(data(snapshot).run?.status, 'running');
  assert.equal(snapshot.id, String(data(snapshot).seq));

  await t.host!.engine.instances.sendEvent({ ...ref, type: 'go', payload: { n: 5 } });
  const frames = await sse.until((f) => f.event === 'done');
  const status = frames.filter((f) => f.event === 'status').map((f) => data(f).status);
  assert.equal(status.at(-1), 'completed');
  const last = frames.filter((f) => f.event === 'status').at(-1)!;
  assert.equal(data(last).run?.status, 'completed', 'the final status carries the run response');
  assert.ok(frames.some((f) => f.event === 'step' && data(f).step === 'go'));
  const ids = frames.map((f) => Number(f.id));
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'ids are outbox seqs, in order');
  assert.ok(ids[0]! > Number(snapshot.id));
  assert.equal(await sse.next(), undefined, 'the stream closes after done');
});

test('Last-Event-ID replays the run\'s history after that id: child events, screenshot links, then done', async () => {
  await using t = await createTestApp({ engine: { slots: 2 }, runs: {} });
  registerTestRunKind(t.deps);
  const { run, ref } = await startParent(t);
  await t.host!.engine.instances.sendEvent({ ...ref, type: 'go', payload: { n: 1 } });
  await t.host!.engine.instances.waitForStatus(ref, { timeoutMs: 10_000 });

  const all = await readSse(await t.call(`/v1/runs/${run.run_id}/events`, { headers: { 'last-event-id': '0' } })).until((f) => f.event === 'done');
  const kinds = all.map((f) => f.event);
  assert.equal(kinds[0], 'status');
  assert.equal(data(all[0]!).status, 'queued');
  const shot = all.find((f) => f.event === 'screenshot')!;
  assert.equal(data(shot).artifact_id, SHOT);
  assert.match(String(data(shot).url), new RegExp(`^http://petrel\\.test/v1/artifacts/${SHOT}/content\\?expiry=`));
  const childEvents = all.filter((f) => data(f).instance?.workflow === 'child-flow');
  assert.ok(childEvents.some((f) => f.event === 'step' && data(f).step === 'child step'), 'events of the child instance are part of the run');
  assert.ok(childEvents.some((f) => f.event === 'status' && data(f).status === 'completed'));
  assert.equal(kinds.at(-1), 'done');

  // Resume from the middle: only what came after, no snapshot.
  const middle = all[Math.floor(all.length / 2)]!;
  const rest = await readSse(await t.call(`/v1/runs/${run.run_id}/events?last_event_id=${middle.id}`)).until((f) => f.event === 'done');
  assert.ok(rest.every((f) => Number(f.id) > Number(middle.id) || f.event === 'done'));
  assert.deepEqual(rest.filter((f) => f.event !== 'done').map((f) => f.id), all.filter((f) => Number(f.id) > Number(middle.id) && f.event !== 'done').map((f) => f.id));
  assert.equal(rest.find((f) => f.event === 'snapshot'), undefined);

  // After the end, a fresh stream is a snapshot and done.
  const after = await readSse(await t.call(`/v1/runs/${run.run_id}/events`)).until((f) => f.event === 'done');
  assert.deepEqual(after.map((f) => f.event), ['snapshot', 'done']);
  assert.equal(data(after[0]!).run?.status, 'completed');
});

test('a quiet stream sends heartbeats and ends when the server shuts down; errors and scoping', async () => {
  await using t = await createTestApp({ engine: { slots: 2 }, runs: {}, sseHeartbeatMs: 100 });
  registerTestRunKind(t.deps);
  const run = await startTestRun(t.deps, t.host!, t.organizationId, WAIT_FOR_GO);
  const sse = readSse(await t.call(`/v1/runs/${run.run_id}/events`));
  const frames = await sse.until((f) => f.comments.includes('heartbeat'), 5000);
  assert.equal(frames[0]?.event, 'snapshot');
  t.shutdown.abort();
  const rest = await sse.until(() => false, 5000);
  assert.ok(rest.every((f) => f.event !== 'done'), 'a shutdown ends the stream without claiming the run is done');

  assert.equal((await t.call(`/v1/runs/${run.run_id}/events`, { key: t.otherApiKey })).status, 404);
  assert.equal((await t.call(`/v1/runs/${run.run_id}/events`, { key: null })).status, 403);
  assert.equal((await t.call('/v1/runs/wr_01JNOSUCHRUN00000000000000/events')).status, 404);
  assert.equal((await t.call(`/v1/runs/${run.run_id}/events`, { headers: { 'last-event-id': 'abc' } })).status, 400);
  assert.equal((await t.call(`/v1/runs/${run.run_id}/events?last_event_id=-1`)).status, 422);
});

test('without an engine the stream answers 503', async () => {
  await using t = await createTestApp();
  await t.deps.runs.insert({ runId: 'wr_01JNOENGINE000000000000000', organizationId: t.organizationId, kind: 'test_run', runType: 'workflow_run', engineWorkflow: 'x', engineInstanceId: 'x' });
  assert.equal((await t.call('/v1/runs/wr_01JNOENGINE000000000000000/events')).status, 503);
});
