// A block workflow version as an engine workflow: the engine workflow is named by the workflow's
// permanent id (`wpid_…`) in the organization's namespace, each version of the definition is an
// engine version whose key names the `w_…` version and hashes the definition and the interpreter's
// step structure, the step graph comes from the blocks (`buildVersionGraph`), and the code is the
// interpreter over that definition. A worker that has not seen a version asks the resolver, which
// reads the `w_…` id back from the version key.
import { createHash } from 'node:crypto';
import { defineWorkflow } from '@petrel/engine';
import type { WorkflowDefinition } from '@petrel/engine';
import type { ParsedBlockWorkflow } from '../definition/parse-definition.ts';
import { buildVersionGraph } from '../graph/block-graph.ts';
import { interpretWorkflowRun } from './block-interpreter.ts';
import type { InterpreterDeps } from './interpreter-deps.ts';
import { INTERPRETER_VERSION } from './run-types.ts';
import type { WorkflowRunOutcome, WorkflowRunParams } from './run-types.ts';

/** The engine version key of a block workflow version: `petrel-blocks-1:<w_…>:<hash>`. */
export function blockWorkflowVersionKey(workflowId: string, definition: ParsedBlockWorkflow): string {
  const digest = createHash('sha256').update(JSON.stringify(definition)).digest('hex').slice(0, 24);
  return `${INTERPRETER_VERSION}:${workflowId}:${digest}`;
}

/** The `w_…` version id named by a block workflow version key, or undefined for any other key. */
export function workflowIdOfVersionKey(versionKey: string): string | undefined {
  const match = /^petrel-blocks-\d+:(w_[0-9A-Za-z]+):[0-9a-f]+$/.exec(versionKey);
  return match?.[1];
}

/** The engine workflow of one block workflow version. */
export function createBlockWorkflowDefinition(
  version: { workflowPermanentId: string; workflowId: string; definition: ParsedBlockWorkflow },
  deps: InterpreterDeps,
): WorkflowDefinition<WorkflowRunParams, WorkflowRunOutcome> {
  const graph = buildVersionGraph(version.definition);
  return defineWorkflow<WorkflowRunParams, WorkflowRunOutcome>({
    name: version.workflowPermanentId,
    versionKey: blockWorkflowVersionKey(version.workflowId, version.definition),
    className: 'BlockWorkflow',
    graph,
    run: (event, step) => interpretWorkflowRun(event, step, { definition: version.definition, deps }),
  });
}
