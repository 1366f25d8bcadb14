// Workflows through the SDK against a live server: create from YAML and JSON (verbatim definitions),
// versions, runs with parameters and their outputs, seed 000's `createWorkflow({ name, tasks })` /
// `startWorkflowRun({ workflowId, developerUserId })` / `getWorkflowRunStatus`, run lists, the graph,
// folders, schedules, browser-state reset, and delete. Code blocks need no browser; the seed-000 run
// drives Chromium on the fixture portal with the fake model.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { NotFoundError, Petrel, UnprocessableEntityError, BadRequestError } from '@petrel/sdk';
import { startLiveServer } from '../helpers/live-server.ts';
import type { LiveServer } from '../helpers/live-server.ts';
import { startTaskStage } from '@petrel/testing';
import type { TaskStage } from '@petrel/testing';
import { needsChromium } from '../helpers/needs-chromium.ts';

const GREETING = `
title: Greeting
description: first
workflow_definition:
  parameters:
    - {key: who, parameter_type: workflow, workflow_parameter_type: string, default_value: world}
  blocks:
    - {block_type: code, label: greet, code: "const text = 'hello ' + who; const camelCase_kept = true;"}
`;

let stage: TaskStage | undefined;
let live: LiveServer;
let client: Petrel;
before(async () => {
  if (needsChromium.skip === false) stage = await startTaskStage();
  live = await startLiveServer(stage?.llmEnv ?? {});
  client = new Petrel({ apiKey: live.apiKey, baseUrl: live.url });
});
after(async () => {
  await live?.[Symbol.asyncDispose]();
  await stage?.[Symbol.asyncDispose]();
});

test('create from YAML into a folder, run with parameters, update to a new version, list, graph, delete', { timeout: 120_000 }, async () => {
  const folder = await client.createFolder({ title: 'Reports', description: 'monthly' });
  assert.match(folder.folderId, /^fld_/);
  const created = await client.createWorkflow({ yamlDefinition: GREETING, folderId: folder.folderId });
  assert.match(created.workflowPermanentId, /^wpid_/);
  assert.equal(created.version, 1);
  assert.equal(created.folderId, folder.folderId);
  // The definition comes back in the wire's own shape.
  const blocks = (created.workflowDefinition as { blocks: Record<string, unknown>[] }).blocks;
  assert.equal(blocks[0]?.['block_type'], 'code');
  const wpid = created.workflowPermanentId;

  const run = await client.runWorkflow({ workflowId: wpid, parameters: { who: 'sdk' }, title: 'greeting run', waitForCompletion: true, timeout: '1 minute' });
  assert.equal(run.status, 'completed', run.failureReason ?? '');
  assert.match(run.runId, /^wr_/);
  assert.deepEqual((run.output as Record<string, unknown>)['greet_output'], { text: 'hello sdk', camelCase_kept: true });
  assert.equal((await client.getWorkflowRunStatus(run.runId)).status, 'completed');
  assert.ok((await client.getWorkflowRunsOfWorkflow(wpid)).some((r) => r.runId === run.runId));
  assert.ok((await client.getWorkflowRuns({ status: ['completed'] })).some((r) => r.runId === run.runId));
  const timeline = await client.getRunTimeline(run.runId);
  assert.deepEqual(timeline.map((node) => node.block?.label), ['greet']);

  const updated = await client.updateWorkflow(wpid, {
    jsonDefinition: { title: 'Greeting', workflow_definition: { parameters: [], blocks: [{ block_type: 'code', label: 'greet', code: "const text = 'v2';" }] } },
  });
  assert.equal(updated.version, 2);
  assert.equal(updated.workflowPermanentId, wpid);
  assert.deepEqual((await client.getWorkflowVersions(wpid)).map((w) => w.version).toSorted((a, b) => a - b), [1, 2]);
  assert.equal((await client.getWorkflow(wpid)).version, 2);
  assert.equal((await client.getWorkflow(wpid, { version: 1 })).description, 'first');
  assert.ok((await client.getWorkflows({ searchKey: 'Greet' })).some((w) => w.workflowPermanentId === wpid));
  assert.ok((await client.getWorkflows({ folderId: folder.folderId })).some((w) => w.workflowPermanentId === wpid));
  const graph = await client.getWorkflowGraph(wpid);
  assert.ok(JSON.stringify(graph).includes('greet'));

  // Folders.
  assert.equal((await client.getFolder(folder.folderId)).workflowCount, 1);
  assert.equal((await client.updateFolder(folder.folderId, { title: 'Monthly reports' })).title, 'Monthly reports');
  assert.ok((await client.getFolders({ search: 'monthly' })).some((f) => f.folderId === folder.folderId));
  assert.equal((await client.updateWorkflowFolder(wpid, null)).folderId, null);
  await client.deleteFolder(folder.folderId);
  await assert.rejects(client.getFolder(folder.folderId), NotFoundError);

  // Schedules.
  const schedule = await client.createWorkflowSchedule(wpid, { cronExpression: '0 3 * * *', timezone: 'UTC', parameters: { who: 'cron' }, name: 'nightly' });
  assert.match(schedule.workflowScheduleId, /^wfs_/);
  assert.deepEqual(schedule.parameters, { who: 'cron' });
  assert.ok(schedule.nextRunAt !== null);
  assert.equal((await client.getWorkflowSchedule(wpid, schedule.workflowScheduleId)).name, 'nightly');
  assert.deepEqual((await client.getWorkflowSchedules(wpid)).map((s) => s.workflowScheduleId), [schedule.workflowScheduleId]);
  assert.ok((await client.getSchedules()).some((s) => s.workflowScheduleId === schedule.workflowScheduleId));
  assert.equal((await client.updateWorkflowSchedule(wpid, schedule.workflowScheduleId, { cronExpression: '30 4 * * 1', name: 'weekly' })).cronExpression, '30 4 * * 1');
  assert.equal((await client.disableWorkflowSchedule(wpid, schedule.workflowScheduleId)).enabled, false);
  assert.equal((await client.enableWorkflowSchedule(wpid, schedule.workflowScheduleId)).enabled, true);
  await assert.rejects(client.createWorkflowSchedule(wpid, { cronExpression: 'every day' }), (error: unknown) => error instanceof BadRequestError || error instanceof UnprocessableEntityError);
  await client.deleteWorkflowSchedule(wpid, schedule.workflowScheduleId);
  assert.deepEqual(await client.getWorkflowSchedules(wpid), []);

  assert.deepEqual(await client.resetWorkflowBrowserState(wpid), { deleted: false });
  await client.deleteWorkflow(wpid);
  await assert.rejects(client.getWorkflow(wpid), NotFoundError);
  await assert.rejects(client.answerHumanInteraction('wr_missing', 'review', { decision: 'approve', token: 'x'.repeat(43) }), NotFoundError);
});

test('a definition with an error is refused naming the field', async () => {
  await assert.rejects(
    client.createWorkflow({ jsonDefinition: { title: 'Broken', workflow_definition: { parameters: [], blocks: [{ block_type: 'no_such_block', label: 'x' }] } } }),
    (error: unknown) => (error instanceof BadRequestError || error instanceof UnprocessableEntityError) && /block/.test(error.message),
  );
});

test('seed 000: createWorkflow({ name, tasks }), startWorkflowRun({ workflowId, developerUserId }), getWorkflowRunStatus', needsChromium, async () => {
  const portal = stage!.portal;
  const workflow = await client.createWorkflow({
    name: 'Portal sign-in check',
    tasks: [{ instructions: 'Open the sign-in page. COMPLETE when it is shown.', targetUrl: `${portal.url}/login` }],
  });
  assert.match(workflow.workflowPermanentId, /^wpid_/);
  const started = await client.startWorkflowRun({ workflowId: workflow.workflowPermanentId, developerUserId: 'user-42' });
  assert.match(started.runId, /^wr_/);
  assert.ok(['created', 'queued', 'running'].includes(started.status));
  const finished = await client.waitForCompletion(started.runId, { timeout: '2 minutes' });
  assert.equal(finished.status, 'completed', finished.failureReason ?? '');
  const status = await client.getWorkflowRunStatus(started.runId);
  assert.equal(status.status, 'completed');
  assert.deepEqual((await client.getWorkflowRuns({ developerUserId: 'user-42' })).map((r) => r.runId), [started.runId]);
  assert.deepEqual(await client.getWorkflowRuns({ developerUserId: 'someone-else' }), []);
});
