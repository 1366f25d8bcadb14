// The step graph of a version in Cloudflare's node kinds.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { blockStepConfig, buildVersionGraph, parseWorkflowDefinition } from '@petrel/blocks';
import type { GraphStepConfig } from '@petrel/blocks';
import type { GraphNode } from '@petrel/engine';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/skyvern/${name}.yaml`, import.meta.url), 'utf8');
const noRetry = (timeout: string): GraphStepConfig => ({ retries: { limit: 0, delay: '5 seconds', backoff: 'constant' }, timeout });
const stepDo = (name: string, timeout = '30 minutes'): GraphNode => ({ type: 'step_do', name, config: noRetry(timeout), nodes: [] });

test('version 1: one step per block in list order; loops are loop nodes; the payload lists workflow parameters', () => {
  const { definition } = parseWorkflowDefinition(fixture('bulk-invoice-downloader'));
  const graph = buildVersionGraph(definition, { className: 'bulk_invoices' });
  assert.equal(graph.version, 1);
  assert.equal(graph.workflow.class_name, 'bulk_invoices');
  assert.deepEqual(graph.workflow.functions, {});
  assert.deepEqual(graph.workflow.nodes, [
    stepDo('login_block'),
    stepDo('nav_block'),
    stepDo('data_extraction_block'),
    { type: 'loop', nodes: [stepDo('inv_download_block')] },
    { type: 'loop', nodes: [stepDo('parse_block', '10 minutes')] },
    stepDo('email_block', '10 minutes'),
  ]);
  assert.deepEqual(graph.workflow.payload, {
    type: 'object',
    fields: { portal_url: { type: 'unknown' }, start_date: { type: 'unknown' }, end_date: { type: 'unknown' }, recipient_email: { type: 'unknown' }, credentials: { type: 'unknown' } },
  });
  // The graph is plain JSON, as the API serves it.
  assert.deepEqual(JSON.parse(JSON.stringify(graph)), graph);
});

test('version 2: one function per block, branches call their targets, the retry cycle is a recursive call', () => {
  const { definition } = parseWorkflowDefinition(fixture('conditional-retry'));
  const graph = buildVersionGraph(definition);
  assert.equal(graph.workflow.class_name, 'BlockWorkflow');
  assert.deepEqual(graph.workflow.nodes, [{ type: 'function_call', name: 'open_report' }]);
  assert.deepEqual(graph.workflow.functions, {
    open_report: { type: 'function_def', name: 'open_report', nodes: [stepDo('open_report'), { type: 'function_call', name: 'if_report_ready' }] },
    if_report_ready: {
      type: 'function_def',
      name: 'if_report_ready',
      nodes: [
        {
          type: 'if',
          branches: [
            { condition: 'prompt: The page shows a report status of ready, a download CTA, or visible table rows.', nodes: [{ type: 'function_call', name: 'extract_report' }] },
            { condition: null, nodes: [{ type: 'function_call', name: 'wait_then_retry' }] },
          ],
        },
      ],
    },
    wait_then_retry: {
      type: 'function_def',
      name: 'wait_then_retry',
      nodes: [{ type: 'step_sleep', name: 'wait_then_retry', duration: '15 seconds' }, { type: 'function_call', name: 'if_report_ready' }],
    },
    extract_report: { type: 'function_def', name: 'extract_report', nodes: [stepDo('extract_report')] },
  });
  assert.deepEqual(graph.workflow.payload, { type: 'object', fields: {} });
});

test('a conditional without a default branch falls through; a branch without a target goes to the next block', () => {
  const { definition } = parseWorkflowDefinition({
    title: 'c',
    workflow_definition: {
      parameters: [],
      blocks: [
        { block_type: 'conditional', label: 'check', branch_conditions: [{ criteria: { expression: '{{ true }}' } }, { criteria: { expression: '{{ false }}' }, next_block_label: 'last' }] },
        { block_type: 'wait', label: 'middle', wait_sec: 1 },
        { block_type: 'wait', label: 'last', wait_sec: 2 },
      ],
    },
  });
  const graph = buildVersionGraph(definition);
  assert.deepEqual(graph.workflow.functions['check']?.nodes, [
    {
      type: 'if',
      branches: [
        { condition: '{{ true }}', nodes: [{ type: 'function_call', name: 'middle' }] },
        { condition: '{{ false }}', nodes: [{ type: 'function_call', name: 'last' }] },
        { condition: null, nodes: [{ type: 'function_call', name: 'middle' }] },
      ],
    },
  ]);
  assert.deepEqual(graph.workflow.functions['last']?.nodes, [{ type: 'step_sleep', name: 'last', duration: '2 seconds' }]);
});

test('finally_block_label wraps the flow in try/finally; while loops, human interaction and child workflows', () => {
  const { definition } = parseWorkflowDefinition({
    title: 'f',
    workflow_definition: {
      finally_block_label: 'report',
      parameters: [{ key: 'approver', parameter_type: 'workflow', workflow_parameter_type: 'string' }],
      blocks: [
        { block_type: 'while_loop', label: 'paging', condition: { expression: '{{ page_output.more | default(true) }}' }, loop_blocks: [{ block_type: 'extraction', label: 'page', data_extraction_goal: 'rows', max_retries: 2 }] },
        { block_type: 'human_interaction', label: 'approve', recipients: ['{{ approver }}'], timeout_seconds: 600 },
        { block_type: 'workflow_trigger', label: 'child', workflow_permanent_id: 'wpid_child' },
        { block_type: 'workflow_trigger', label: 'fire_and_forget', workflow_permanent_id: 'wpid_child', wait_for_completion: false },
        { block_type: 'http_request', label: 'report', url: 'https://hooks.test', timeout: 12 },
      ],
    },
  });
  const graph = buildVersionGraph(definition);
  assert.deepEqual(graph.workflow.nodes, [
    {
      type: 'try',
      try_block: {
        type: 'block',
        nodes: [
          {
            type: 'loop',
            nodes: [
              {
                type: 'if',
                branches: [
                  {
                    condition: '{{ page_output.more | default(true) }}',
                    nodes: [{ type: 'step_do', name: 'page', config: { retries: { limit: 2, delay: '5 seconds', backoff: 'constant' }, timeout: '30 minutes' }, nodes: [] }],
                  },
                  { condition: null, nodes: [{ type: 'break', kind: 'break' }] },
                ],
              },
            ],
          },
          stepDo('approve', '10 minutes'),
          { type: 'step_wait_for_event', name: 'approve:response', options: { event_type: 'human_interaction_approve', timeout: '600 seconds' } },
          stepDo('child', '10 minutes'),
          { type: 'step_wait_for_event', name: 'child:completion', options: { event_type: 'workflow_trigger_child', timeout: '24 hours' } },
          stepDo('fire_and_forget', '10 minutes'),
        ],
      },
      catch_block: null,
      finally_block: { type: 'block', nodes: [stepDo('report', '12 seconds')] },
    },
  ]);
});

test('step configs: browser blocks retry max_retries times; code, task_v2 and others have their own timeouts', () => {
  const { definition } = parseWorkflowDefinition({
    title: 's',
    workflow_definition: {
      parameters: [],
      blocks: [
        { block_type: 'navigation', label: 'nav', navigation_goal: 'g', max_retries: 3 },
        { block_type: 'code', label: 'code', code: 'x = 1' },
        { block_type: 'task_v2', label: 'plan', prompt: 'p' },
        { block_type: 'text_prompt', label: 'llm', prompt: 'p' },
      ],
    },
  });
  const [navigation, code, plan, llm] = definition.workflow_definition.blocks;
  assert.ok(navigation && code && plan && llm);
  assert.deepEqual(blockStepConfig(navigation), { retries: { limit: 3, delay: '5 seconds', backoff: 'constant' }, timeout: '30 minutes' });
  assert.deepEqual(blockStepConfig(code), noRetry('5 minutes'));
  assert.deepEqual(blockStepConfig(plan), noRetry('1 hour'));
  assert.deepEqual(blockStepConfig(llm), noRetry('10 minutes'));
});

test('cookbook (a): a loop body with six steps, in order', () => {
  const { definition } = parseWorkflowDefinition(fixture('job-application-filler'));
  const nodes = buildVersionGraph(definition).workflow.nodes;
  assert.deepEqual(
    nodes.map((node) => (node.type === 'step_do' ? node.name : node.type)),
    ['parsed_resume', 'login_to_portal', 'search_for_job', 'jobs_list_extraction', 'loop'],
  );
  const loop = nodes[4];
  assert.ok(loop?.type === 'loop');
  assert.deepEqual(
    loop.nodes.map((node) => (node.type === 'step_do' ? node.name : node.type)),
    ['go_to_each_job', 'extract_job_detail', 'click_apply', 'extract_questions', 'answer_form_questions', 'apply_to_job'],
  );
});
