// The definition files in examples/workflows stay valid: they load without errors and with only the
// warnings they are meant to have.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildVersionGraph, compileTaskListWorkflow, parseWorkflowDefinition } from '@petrel/blocks';

const example = (name: string): string => readFileSync(new URL(`../../../../examples/workflows/${name}`, import.meta.url), 'utf8');

test('portal-invoices.yaml: login, filter, extraction, loop with downloads, email', () => {
  const { definition, warnings } = parseWorkflowDefinition(example('portal-invoices.yaml'));
  assert.deepEqual(warnings, []);
  assert.equal(definition.workflow_definition.version, 1);
  assert.deepEqual(
    buildVersionGraph(definition).workflow.nodes.map((node) => (node.type === 'step_do' ? node.name : node.type)),
    ['sign_in', 'filter_orders', 'list_orders', 'loop', 'email_summary'],
  );
});

test('report-ready.yaml: a version 2 graph with jinja and prompt branches and a wait loop', () => {
  const { definition, warnings } = parseWorkflowDefinition(example('report-ready.yaml'));
  assert.deepEqual(warnings, []);
  assert.equal(definition.workflow_definition.version, 2);
  const graph = buildVersionGraph(definition);
  assert.deepEqual(Object.keys(graph.workflow.functions), ['sign_in', 'open_report', 'read_status', 'check_ready', 'wait_then_reload', 'give_up', 'extract_report']);
});

test('task-list.json: seed 000 compiles to two task steps, the second over two pages', async () => {
  const { definition, warnings } = await compileTaskListWorkflow(JSON.parse(example('task-list.json')) as unknown);
  assert.deepEqual(warnings, []);
  assert.deepEqual(
    definition.workflow_definition.blocks.map((block) => `${block.block_type}:${block.label}`),
    ['task:task_1', 'for_loop:task_2'],
  );
});

test('approval.yaml and job-applications.yaml load without warnings', () => {
  for (const name of ['approval.yaml', 'job-applications.yaml']) {
    const { warnings } = parseWorkflowDefinition(example(name));
    assert.deepEqual(warnings, [], name);
  }
});
