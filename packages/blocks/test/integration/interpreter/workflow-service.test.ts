// The workflow service's saved objects: versions (create, update, get by version, versions list,
// soft delete with runs pinned to theirs), listing filters and pages, seed 000's task list with a
// saved task reused by task_id, definitions refused with field, line and column, the version graph,
// and runs of an end user. Runs here are code blocks only (no browser).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isPetrelError } from '@petrel/protocol';
import type { LocalPetrel } from '../../support/local-petrel.ts';
import { startLocalPetrel } from '../../support/local-petrel.ts';

const V1 = `
title: Versioned
description: first
workflow_definition:
  parameters:
    - {key: who, parameter_type: workflow, workflow_parameter_type: string, default_value: world}
  blocks:
    - {block_type: code, label: greet, code: "const text = 'hello ' + who;"}
`;

describe('workflow service', () => {
  let petrel: LocalPetrel;
  before(async () => {
    petrel = await startLocalPetrel();
  });
  after(() => petrel.close());

  it('versions: an update is a new version; runs stay pinned to theirs; delete is soft', async () => {
    const ns = petrel.namespace;
    const created = await petrel.service.createWorkflow(ns, { yaml_definition: V1 }, { folderId: 'fld_reports' });
    assert.match(created.workflow_permanent_id, /^wpid_/);
    assert.match(created.workflow_id, /^w_/);
    assert.equal(created.version, 1);
    assert.equal(created.agent_id, created.workflow_permanent_id);
    assert.equal(created.folder_id, 'fld_reports');
    const wpid = created.workflow_permanent_id;
    const first = await petrel.service.runWorkflow(ns, { workflow_id: wpid });
    const firstDone = await petrel.service.waitForWorkflowRun(ns, first.run_id, { timeoutMs: 30_000 });
    assert.deepEqual(firstDone.output?.['greet_output'], { text: 'hello world' });

    const updated = await petrel.service.updateWorkflow(ns, wpid, { json_definition: { title: 'Versioned', workflow_definition: { parameters: [], blocks: [{ block_type: 'code', label: 'greet', code: "const text = 'v2';" }] } } });
    assert.equal(updated.version, 2);
    assert.equal(updated.workflow_permanent_id, wpid);
    assert.notEqual(updated.workflow_id, created.workflow_id);
    assert.equal(updated.folder_id, 'fld_reports');
    const second = await petrel.service.runWorkflow(ns, { agent_id: wpid });
    const secondDone = await petrel.service.waitForWorkflowRun(ns, second.run_id, { timeoutMs: 30_000 });
    assert.deepEqual(secondDone.output?.['greet_output'], { text: 'v2' });
    assert.equal(secondDone.workflow_id, updated.workflow_id);
    assert.equal((await petrel.service.getWorkflowRun(ns, first.run_id)).workflow_id, created.workflow_id);

    assert.equal((await petrel.service.getWorkflow(ns, wpid)).version, 2);
    assert.equal((await petrel.service.getWorkflow(ns, wpid, { version: 1 })).description, 'first');
    assert.deepEqual((await petrel.service.getWorkflowVersions(ns, wpid)).map((w) => w.version), [1, 2]);

    await petrel.service.deleteWorkflow(ns, wpid);
    await assert.rejects(petrel.service.getWorkflow(ns, wpid), (e: unknown) => isPetrelError(e) && e.code === 'WORKFLOW_NOT_FOUND');
    await assert.rejects(petrel.service.runWorkflow(ns, { workflow_id: wpid }), (e: unknown) => isPetrelError(e) && e.code === 'WORKFLOW_NOT_FOUND');
    // The runs of a deleted workflow still read back.
    assert.equal((await petrel.service.getWorkflowRun(ns, second.run_id)).status, 'completed');
    await assert.rejects(petrel.service.getWorkflow('another-org', updated.workflow_permanent_id), (e: unknown) => isPetrelError(e) && e.code === 'WORKFLOW_NOT_FOUND');
  });

  it('lists the latest version of each workflow with filters and pages', async () => {
    const ns = 'org-list';
    for (const title of ['Alpha invoices', 'Beta reports', 'Gamma invoices']) {
      await petrel.service.createWorkflow(ns, { json_definition: { title, workflow_definition: { parameters: [], blocks: [{ block_type: 'wait', label: 'w', wait_sec: 0 }] } } });
    }
    await petrel.service.createWorkflow(ns, { json_definition: { title: 'Saved login task', is_saved_task: true, workflow_definition: { parameters: [], blocks: [{ block_type: 'task', label: 'login', navigation_goal: 'Log in' }] } } });
    const all = await petrel.service.listWorkflows(ns, { page_size: 10 });
    assert.deepEqual(all.map((w) => w.title), ['Saved login task', 'Gamma invoices', 'Beta reports', 'Alpha invoices']);
    assert.deepEqual((await petrel.service.listWorkflows(ns, { search_key: 'INVOICES' })).map((w) => w.title), ['Gamma invoices', 'Alpha invoices']);
    assert.deepEqual((await petrel.service.listWorkflows(ns, { only_saved_tasks: true })).map((w) => w.title), ['Saved login task']);
    assert.equal((await petrel.service.listWorkflows(ns, { only_workflows: true })).length, 3);
    assert.deepEqual((await petrel.service.listWorkflows(ns, { page: 2, page_size: 3 })).map((w) => w.title), ['Alpha invoices']);
    assert.deepEqual(await petrel.service.listWorkflows(ns, { title: 'Beta' }), []);
  });

  it('seed 000: a task list with a saved task reused by task_id', async () => {
    const ns = 'org-seed';
    const saved = await petrel.service.createWorkflow(ns, {
      json_definition: {
        title: 'Sign in',
        is_saved_task: true,
        workflow_definition: {
          parameters: [{ key: 'site', parameter_type: 'workflow', workflow_parameter_type: 'string' }],
          blocks: [{ block_type: 'task', label: 'sign_in', url: '{{ site }}/login', navigation_goal: 'Log in with the stored credential.' }],
        },
      },
    });
    const list = await petrel.service.createWorkflow(ns, {
      name: 'Invoices for one user',
      tasks: [{ task_id: saved.workflow_permanent_id }, { instructions: 'Download the latest invoice', target_url: 'https://portal.example/orders' }],
    });
    const blocks = (list.workflow_definition as { blocks: Array<Record<string, unknown>>; parameters: Array<{ key: string }> }).blocks;
    assert.deepEqual(blocks.map((b) => [b['block_type'], b['label'], b['url']]), [
      ['task', 'task_1', '{{ site }}/login'],
      ['task', 'task_2', 'https://portal.example/orders'],
    ]);
    assert.equal(blocks[0]?.['navigation_goal'], 'Log in with the stored credential.');
    assert.deepEqual((list.workflow_definition as { parameters: Array<{ key: string }> }).parameters.map((p) => p.key), ['site']);
    await assert.rejects(
      petrel.service.createWorkflow(ns, { name: 'x', tasks: [{ task_id: 'wpid_missing' }] }),
      (e: unknown) => isPetrelError(e) && e.code === 'VALIDATION_FAILED' && JSON.stringify(e.details).includes('tasks[0].task_id'),
    );
  });

  it('refuses invalid definitions naming the field, line and column; accepts a Skyvern export with extra fields', async () => {
    const yaml = `title: Broken
workflow_definition:
  parameters: []
  blocks:
    - block_type: navigation
      label: go
      url: "{{ portal_url }}"
    - block_type: for_loop
      label: each
      loop_blocks: []
`;
    await assert.rejects(petrel.service.createWorkflow(petrel.namespace, { yaml_definition: yaml }), (error: unknown) => {
      assert.ok(isPetrelError(error));
      assert.equal(error.code, 'VALIDATION_FAILED');
      const details = error.details as Array<{ path: string; message: string; line?: number; column?: number }>;
      const goal = details.find((d) => d.path === 'workflow_definition.blocks[0].navigation_goal');
      assert.ok(goal, JSON.stringify(details));
      assert.match(goal.message, /required/);
      assert.equal(goal.line, 5);
      assert.equal(goal.column, 7);
      return true;
    });
    const exported = await petrel.service.createWorkflow(petrel.namespace, {
      json_definition: {
        workflow_id: 'w_123',
        workflow_permanent_id: 'wpid_123',
        created_at: '2026-01-01T00:00:00',
        title: 'From Skyvern',
        workflow_definition: { parameters: [], blocks: [{ block_type: 'wait', label: 'my-wait', wait_sec: 0, some_future_field: 1 }] },
      },
    });
    assert.notEqual(exported.workflow_permanent_id, 'wpid_123');
    assert.deepEqual(
      exported.warnings.map((w) => w.path),
      ['workflow_definition.blocks[0].label', 'workflow_definition.blocks[0].some_future_field'],
    );
    const graph = await petrel.service.getVersionGraph(petrel.namespace, exported.workflow_permanent_id);
    assert.deepEqual(graph.workflow.nodes, [{ type: 'step_sleep', name: 'my_wait', duration: '0 seconds' }]);
  });
});
