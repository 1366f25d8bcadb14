// The step graph of a block workflow version, in Cloudflare Workflows' node kinds (cfworkflows.md
// §1.14), so the versions/graph API serves block workflows with the same schema as code workflows.
//
// Mapping:
// - a block is a `step_do` named by its label (config from `blockStepConfig`); `wait` is a
//   `step_sleep`; `human_interaction` is a `step_do` (send the request) then a `step_wait_for_event`;
//   `workflow_trigger` that waits is a `step_do` (start the child) then a `step_wait_for_event`;
// - `for_loop` is a `loop` of its body; `while_loop` is a `loop` whose body is an `if` (condition →
//   body, else → `break`);
// - a list that routes as a graph (version 2: conditionals, `next_block_label`) becomes one
//   `function_def` per block, named by label, whose nodes end with a `function_call` of the next
//   block; a conditional is an `if` whose branches call their targets (the default branch has
//   condition `null`). Cycles (conditional → wait → same conditional) are recursive calls;
// - `finally_block_label` wraps everything in a `try` whose `finally_block` holds that block.
// The node types are the engine's (`WorkflowGraph`), so one schema serves code and block workflows.
import type { GraphFunction, GraphNode, JsonShape, WorkflowGraph } from '@petrel/engine';
import type { Block, HumanInteractionBlock, WorkflowTriggerBlock } from '@petrel/protocol';
import type { ParsedBlockWorkflow } from '../definition/parse-definition.ts';
import { BROWSER_TASK_BLOCK_TYPES } from '@petrel/protocol';
import { routeBlocks } from '../definition/block-routing.ts';

/** A block's retry and timeout config, as the graph's `step_do` node shows it. */
export type GraphStepConfig = {
  retries: { limit: number; delay: string | number; backoff: 'constant' | 'linear' | 'exponential' };
  timeout: string | number;
};

const BROWSER_TASK_TYPES: ReadonlySet<string> = new Set(BROWSER_TASK_BLOCK_TYPES);

/**
 * The step config a block runs with; the interpreter uses the same function, so the graph shows what
 * runs. Browser-task blocks retry `max_retries` times (Skyvern's default 0) 5 seconds apart; other
 * blocks do not retry (they may have side effects: emails, HTTP calls, child runs).
 */
export function blockStepConfig(block: Block): GraphStepConfig {
  const maxRetries = 'max_retries' in block ? block.max_retries : 0;
  const retries = { limit: maxRetries, delay: '5 seconds', backoff: 'constant' as const };
  if (BROWSER_TASK_TYPES.has(block.block_type)) return { retries, timeout: '30 minutes' };
  if (block.block_type === 'task_v2') return { retries, timeout: '1 hour' };
  if (block.block_type === 'code') return { retries, timeout: '5 minutes' };
  if (block.block_type === 'http_request') return { retries, timeout: `${block.timeout} seconds` };
  return { retries, timeout: '10 minutes' };
}

/** The event type a `human_interaction` block waits for. */
export function humanInteractionEventType(label: string): string {
  return `human_interaction_${label}`;
}

/** The event type a waiting `workflow_trigger` block receives when its child run finishes. */
export function childWorkflowEventType(label: string): string {
  return `workflow_trigger_${label}`;
}

/** Options of `buildVersionGraph`. */
export type VersionGraphOptions = {
  /** `class_name` of the graph (default `BlockWorkflow`). */
  className?: string;
};

class GraphBuilder {
  readonly functions: Record<string, GraphFunction> = {};

  list(blocks: readonly Block[], finallyLabel?: string | null): GraphNode[] {
    const routing = routeBlocks(blocks, finallyLabel);
    if (!routing.isGraph) return routing.flow.flatMap((block) => this.block(block));
    routing.flow.forEach((block, index) => {
      const fallThrough = routing.flow[index + 1]?.label;
      const nodes: GraphNode[] = [];
      if (block.block_type === 'conditional') {
        const known = new Set(routing.successors.get(block.label) ?? []);
        const call = (target: string | null | undefined): GraphNode[] => {
          const next = target === null || target === undefined || target === '' ? fallThrough : target;
          return next !== undefined && known.has(next) ? [{ type: 'function_call', name: next }] : [];
        };
        const branches = block.branch_conditions.map((branch) => ({
          condition: branch.is_default || branch.criteria == null ? null : describeCriteria(branch.criteria),
          nodes: call(branch.next_block_label),
        }));
        if (!block.branch_conditions.some((branch) => branch.is_default)) branches.push({ condition: null, nodes: call(block.next_block_label) });
        nodes.push({ type: 'if', branches });
      } else {
        nodes.push(...this.block(block));
        const next = routing.successors.get(block.label)?.[0];
        if (next !== undefined) nodes.push({ type: 'function_call', name: next });
      }
      this.functions[block.label] = { type: 'function_def', name: block.label, nodes };
    });
    return routing.entry === undefined ? [] : [{ type: 'function_call', name: routing.entry }];
  }

  block(block: Block): GraphNode[] {
    if (block.block_type === 'wait') return [{ type: 'step_sleep', name: block.label, duration: `${block.wait_sec} seconds` }];
    if (block.block_type === 'for_loop') return [{ type: 'loop', nodes: this.list(block.loop_blocks) }];
    if (block.block_type === 'human_interaction') return humanInteraction(block);
    if (block.block_type === 'workflow_trigger') return workflowTrigger(block);
    if (block.block_type === 'while_loop') {
      const body: GraphNode = {
        type: 'if',
        branches: [
          { condition: describeCriteria(block.condition), nodes: this.list(block.loop_blocks) },
          { condition: null, nodes: [{ type: 'break', kind: 'break' }] },
        ],
      };
      return [{ type: 'loop', nodes: [body] }];
    }
    return [{ type: 'step_do', name: block.label, config: blockStepConfig(block), nodes: [] }];
  }
}

function describeCriteria(criteria: { criteria_type: string; expression: string }): string {
  return criteria.criteria_type === 'prompt' ? `prompt: ${criteria.expression}` : criteria.expression;
}

function humanInteraction(block: HumanInteractionBlock): GraphNode[] {
  return [
    { type: 'step_do', name: block.label, config: blockStepConfig(block), nodes: [] },
    {
      type: 'step_wait_for_event',
      name: `${block.label}:response`,
      options: { event_type: humanInteractionEventType(block.label), timeout: `${block.timeout_seconds} seconds` },
    },
  ];
}

function workflowTrigger(block: WorkflowTriggerBlock): GraphNode[] {
  const start: GraphNode = { type: 'step_do', name: block.label, config: blockStepConfig(block), nodes: [] };
  if (!block.wait_for_completion) return [start];
  return [start, { type: 'step_wait_for_event', name: `${block.label}:completion`, options: { event_type: childWorkflowEventType(block.label), timeout: '24 hours' } }];
}

/** Builds the step graph of a parsed definition. */
export function buildVersionGraph(definition: ParsedBlockWorkflow, options: VersionGraphOptions = {}): WorkflowGraph {
  const builder = new GraphBuilder();
  const workflowDefinition = definition.workflow_definition;
  const finallyLabel = workflowDefinition.finally_block_label ?? undefined;
  let nodes = builder.list(workflowDefinition.blocks, finallyLabel);
  const finallyBlock = workflowDefinition.blocks.find((block) => block.label === finallyLabel);
  if (finallyBlock !== undefined) {
    nodes = [
      {
        type: 'try',
        try_block: { type: 'block', nodes },
        catch_block: null,
        finally_block: { type: 'block', nodes: builder.block(finallyBlock) },
      },
    ];
  }
  const fields: Record<string, JsonShape> = {};
  for (const parameter of workflowDefinition.parameters) {
    if (parameter.parameter_type === 'workflow') fields[parameter.key] = { type: 'unknown' };
  }
  return {
    version: 1,
    workflow: {
      class_name: options.className ?? 'BlockWorkflow',
      functions: builder.functions,
      nodes,
      payload: { type: 'object', fields },
    },
  };
}
