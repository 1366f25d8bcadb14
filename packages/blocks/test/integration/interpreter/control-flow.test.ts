// Control flow of the interpreter, on the engine with a SQLite file: nested for_loops with
// next_loop_on_failure and complete_if_empty, continue_on_failure, while_loop, version-2 routing with
// Jinja, prompt and default branches and a cycle, finally_block_label after a failure, terminate,
// max_elapsed_time_minutes, unsupported blocks and vault parameters, cancel, and http_request /
// text_prompt inside a run (a loopback server, the fake model). No browser is opened.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isPetrelError } from '@petrel/protocol';
import type { LocalPetrel } from '../../support/local-petrel.ts';
import { startLocalPetrel } from '../../support/local-petrel.ts';
import { portalPolicy } from '@petrel/testing';
import type { PolicyLogEntry } from '@petrel/testing';
import { outputOf, runYaml, timelineLines, waitFor } from '../../support/workflow-kit.ts';

describe('control flow', () => {
  let petrel: LocalPetrel;
  let offsetMs = 0;
  const requests: PolicyLogEntry[] = [];
  const received: Array<{ path: string; body: string }> = [];
  let server: ReturnType<typeof createServer>;
  let serverUrl = '';

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString() });
        if (req.url === '/time-passes') offsetMs = 10 * 60_000;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, path: req.url }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    petrel = await startLocalPetrel({
      respond: portalPolicy({ onRequest: (entry) => requests.push(entry) }),
      service: { now: () => Date.now() + offsetMs },
    });
  });
  after(async () => {
    await petrel.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('nested loops: next_loop_on_failure skips the rest of an iteration, complete_if_empty completes an empty loop', async () => {
    const run = await runYaml(
      petrel,
      `
title: loops
workflow_definition:
  parameters: []
  blocks:
    - block_type: code
      label: data
      code: |
        const groups = [[1, 2], [3, 4], []];
    - block_type: for_loop
      label: outer
      loop_variable_reference: "{{ data_output.groups }}"
      loop_blocks:
        - block_type: for_loop
          label: inner
          loop_variable_reference: "{{ current_value }}"
          complete_if_empty: true
          loop_blocks:
            - block_type: code
              label: double
              next_loop_on_failure: true
              code: |
                if (current_value === 3) throw new Error('three is not allowed');
                const doubled = current_value * 2;
            - block_type: code
              label: after_double
              code: |
                const seen = current_index;
`,
    );
    assert.equal(run.status, 'completed', run.failure_reason ?? '');
    const outer = run.output?.['outer_output'] as unknown[][];
    assert.equal(outer.length, 3);
    const doubled = outputOf<{ doubled: number }>(run, 'double').doubled;
    assert.equal(doubled, 8, 'the last double ran on 4');
    const timeline = await petrel.service.getWorkflowRunTimeline(petrel.namespace, run.run_id);
    assert.deepEqual(timelineLines(timeline), [
      'data completed',
      'outer completed',
      '  inner completed',
      '    double completed',
      '    after_double completed',
      '    double completed',
      '    after_double completed',
      '  inner completed',
      '    double failed',
      '    double completed',
      '    after_double completed',
      '  inner completed',
    ]);
    const failed = timeline[1]?.children[1]?.children[0]?.block;
    assert.equal(failed?.current_value, 3);
    assert.equal(failed?.current_index, 0);
    assert.match(failed?.failure_reason ?? '', /three is not allowed/);
    assert.equal(failed?.step_name, 'block:outer[1]:inner[0]:double');
  });

  it('an empty loop without complete_if_empty fails; continue_on_failure lets the run go on', async () => {
    const run = await runYaml(
      petrel,
      `
title: empty loop
workflow_definition:
  parameters: []
  blocks:
    - block_type: for_loop
      label: nothing
      loop_variable_reference: "{{ [] }}"
      continue_on_failure: true
      loop_blocks:
        - {block_type: code, label: never, code: "const x = 1;"}
    - block_type: code
      label: next
      code: "const reached = true;"
`,
    );
    assert.equal(run.status, 'completed');
    const timeline = await petrel.service.getWorkflowRunTimeline(petrel.namespace, run.run_id);
    assert.deepEqual(timelineLines(timeline), ['nothing failed', 'next completed']);
    assert.match(timeline[0]?.block?.failure_reason ?? '', /no values/);
    assert.deepEqual(run.output?.['next_output'], { reached: true });
  });

  it('version 2: Jinja, prompt and default branches, and a cycle through a conditional', async () => {
    const seen = requests.filter((r) => r.kind === 'conditions').length;
    const run = await runYaml(
      petrel,
      `
title: graph
workflow_definition:
  parameters: []
  blocks:
    - block_type: code
      label: tick
      code: |
        const n = (typeof tick_output === 'object' && tick_output ? tick_output.n : 0) + 1;
      next_block_label: again
    - block_type: conditional
      label: again
      branch_conditions:
        - criteria: {criteria_type: jinja2_template, expression: "{{ tick_output.n < 3 }}"}
          next_block_label: tick
        - criteria: {criteria_type: prompt, expression: "The user is signed in"}
          next_block_label: never
        - is_default: true
          next_block_label: done
    - block_type: code
      label: never
      code: "const x = 1;"
    - block_type: code
      label: done
      code: "const total = tick_output.n;"
`,
    );
    assert.equal(run.status, 'completed', run.failure_reason ?? '');
    assert.deepEqual(run.output?.['done_output'], { total: 3 });
    const timeline = await petrel.service.getWorkflowRunTimeline(petrel.namespace, run.run_id);
    assert.deepEqual(timelineLines(timeline), ['tick completed', 'again completed', 'tick completed', 'again completed', 'tick completed', 'again completed', 'done completed']);
    const last = timeline[5]?.block;
    assert.equal(last?.executed_branch_id, 'again:2');
    assert.equal(last?.executed_branch_next_block, 'done');
    assert.equal(timeline[1]?.block?.executed_branch_expression, '{{ tick_output.n < 3 }}');
    assert.equal(timeline[1]?.block?.executed_branch_result, true);
    // The prompt branch was asked only once the Jinja branch was false (one model call, not three).
    assert.equal(requests.filter((r) => r.kind === 'conditions').length - seen, 1);
    const graph = await petrel.service.getVersionGraph(petrel.namespace, run.workflow_permanent_id);
    assert.deepEqual(Object.keys(graph.workflow.functions), ['tick', 'again', 'never', 'done']);
  });

  it('while_loop runs until its condition is false', async () => {
    const run = await runYaml(
      petrel,
      `
title: while
workflow_definition:
  parameters: []
  blocks:
    - block_type: while_loop
      label: repeat
      condition: {criteria_type: jinja2_template, expression: "{{ (step_output.i or 0) < 3 }}"}
      loop_blocks:
        - block_type: code
          label: step
          code: |
            const i = (typeof step_output === 'object' && step_output ? step_output.i : 0) + 1;
`,
    );
    assert.equal(run.status, 'completed', run.failure_reason ?? '');
    assert.equal(outputOf<unknown[]>(run, 'repeat').length, 3);
    assert.deepEqual(run.output?.['step_output'], { i: 3 });
  });

  it('finally_block_label runs after a failure; the run keeps the failure', async () => {
    const run = await runYaml(
      petrel,
      `
title: finally
workflow_definition:
  parameters: []
  finally_block_label: cleanup
  blocks:
    - {block_type: code, label: breaks, code: "throw new Error('boom');"}
    - {block_type: code, label: skipped, code: "const x = 1;"}
    - {block_type: code, label: cleanup, code: "const cleaned = true;"}
`,
    );
    assert.equal(run.status, 'failed');
    assert.match(run.failure_reason ?? '', /^Block breaks failed: .*boom/);
    assert.deepEqual(run.output?.['cleanup_output'], { cleaned: true });
    assert.equal(run.output?.['skipped_output'], undefined);
  });

  it('terminate ends the run as terminated with its rendered reason', async () => {
    const run = await runYaml(
      petrel,
      `
title: terminate
workflow_definition:
  parameters:
    - {key: why, parameter_type: workflow, workflow_parameter_type: string}
  blocks:
    - {block_type: terminate, label: stop, reason: "Stopped because {{ why }}"}
    - {block_type: code, label: never, code: "const x = 1;"}
`,
      { why: 'the report failed' },
    );
    assert.equal(run.status, 'terminated');
    assert.equal(run.failure_reason, 'Block stop terminated: Stopped because the report failed');
  });

  it('max_elapsed_time_minutes stops the run as timed_out before the next block', async () => {
    offsetMs = 0;
    const run = await runYaml(
      petrel,
      `
title: deadline
workflow_definition:
  parameters:
    - {key: base, parameter_type: workflow, workflow_parameter_type: string}
  blocks:
    - {block_type: http_request, label: tick, url: "{{ base }}/time-passes", method: POST}
    - {block_type: code, label: too_late, code: "const x = 1;"}
`,
      { base: serverUrl },
      { max_elapsed_time_minutes: 1 },
    );
    offsetMs = 0;
    assert.equal(run.status, 'timed_out');
    assert.match(run.failure_reason ?? '', /max_elapsed_time_minutes 1/);
    assert.equal(outputOf<{ status_code: number }>(run, 'tick').status_code, 200);
  });

  it('unsupported blocks and vault parameters fail with their codes', async () => {
    const run = await runYaml(
      petrel,
      `
title: unsupported
workflow_definition:
  parameters:
    - {key: api_token, parameter_type: aws_secret, aws_key: MY_TOKEN}
  blocks:
    - {block_type: google_sheets_read, label: sheet, spreadsheet_url: "https://docs.google.com/x", continue_on_failure: true}
    - {block_type: code, label: use_secret, parameter_keys: [api_token], code: "const t = api_token;"}
`,
    );
    assert.equal(run.status, 'failed');
    assert.deepEqual(
      run.errors.map((e) => e.error_code),
      ['UNSUPPORTED_BLOCK', 'INTEGRATION_NOT_CONFIGURED'],
    );
  });

  it("a workflow-level error_code_mapping reaches every block that maps codes; a block's own entry wins", async () => {
    const run = await runYaml(
      petrel,
      `
title: inherited error codes
workflow_definition:
  parameters:
    - {key: shop, parameter_type: workflow, workflow_parameter_type: string}
  error_code_mapping:
    NO_ORDERS: "{{ shop }} has no orders"
    LOCKED: The account is locked
  blocks:
    - {block_type: code, label: inherits, continue_on_failure: true, code: "throw new ErrorCode('NO_ORDERS')"}
    - block_type: code
      label: overrides
      error_code_mapping: {LOCKED: "{{ shop }} locked this account"}
      code: "throw new ErrorCode('LOCKED')"
`,
      { shop: 'Ember Supply' },
    );
    assert.equal(run.status, 'failed');
    assert.deepEqual(
      run.errors.map((e) => [e.error_code, e.reasoning]),
      [
        ['NO_ORDERS', 'Ember Supply has no orders'],
        ['LOCKED', 'Ember Supply locked this account'],
      ],
    );
  });

  it('http_request and text_prompt run inside the workflow with rendered, typed bodies', async () => {
    const run = await runYaml(
      petrel,
      `
title: http
workflow_definition:
  parameters:
    - {key: base, parameter_type: workflow, workflow_parameter_type: string}
  blocks:
    - {block_type: code, label: data, code: "const ids = ['a', 'b'];"}
    - block_type: http_request
      label: post
      method: POST
      url: "{{ base }}/items"
      body: {ids: "{{ data_output.ids | json }}", count: "{{ data_output.ids | length }}"}
    - block_type: text_prompt
      label: summary
      prompt: "Summarize {{ post_output.response_body }}"
`,
      { base: serverUrl },
    );
    assert.equal(run.status, 'completed', run.failure_reason ?? '');
    const posted = received.find((r) => r.path === '/items');
    assert.deepEqual(JSON.parse(posted?.body ?? '{}'), { ids: ['a', 'b'], count: '2' });
    assert.deepEqual(run.output?.['summary_output'], { llm_response: 'OK' });
  });

  it('bad run parameters are refused before a run exists; a cancel ends a waiting run as canceled', async () => {
    const workflow = await petrel.service.createWorkflow(petrel.namespace, {
      yaml_definition: `
title: cancel me
workflow_definition:
  parameters:
    - {key: count, parameter_type: workflow, workflow_parameter_type: integer}
  blocks:
    - {block_type: wait, label: long_wait, wait_sec: 60}
`,
    });
    await assert.rejects(
      petrel.service.runWorkflow(petrel.namespace, { workflow_id: workflow.workflow_permanent_id, parameters: { count: 'many' } }),
      (error: unknown) => isPetrelError(error) && error.code === 'VALIDATION_FAILED' && /parameters\.count/.test(JSON.stringify(error.details)),
    );
    assert.deepEqual(await petrel.service.listWorkflowRuns(petrel.namespace, { workflowPermanentId: workflow.workflow_permanent_id }), []);
    const started = await petrel.service.runWorkflow(petrel.namespace, { workflow_id: workflow.workflow_permanent_id, parameters: { count: '3' } });
    await waitFor('the run to wait', async () => (await petrel.engine.instances.get({ namespace: petrel.namespace, workflow: workflow.workflow_permanent_id, id: started.run_id })).status === 'waiting');
    const canceled = await petrel.service.cancelWorkflowRun(petrel.namespace, started.run_id);
    assert.equal(canceled.status, 'canceled');
    assert.equal(canceled.failure_reason, 'The run was canceled.');
    const timeline = await petrel.service.getWorkflowRunTimeline(petrel.namespace, started.run_id);
    assert.deepEqual(timelineLines(timeline), ['long_wait canceled']);
    assert.deepEqual(canceled.parameters, { count: '3' });
  });
});
