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
  assert.deepEqual(Object.keys(graph.workflow.functions), ['sign_in', 'open_report', 'read_status', 'check_ready', 'wait_then_reload', 'extract_report', 'give_up']);
});

test('task-list.json: seed 000 compiles to three task steps, the last over two pages', async () => {
  const { definition, warnings } = await compileTaskListWorkflow(JSON.parse(example('task-list.json')) as unknown);
  assert.deepEqual(warnings, []);
  assert.deepEqual(
    definition.workflow_definition.blocks.map((block) => `${block.block_type}:${block.label}`),
    ['task:task_1', 'task:task_2', 'for_loop:task_3'],
  );
});
