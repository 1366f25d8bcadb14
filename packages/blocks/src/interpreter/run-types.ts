// The durable shapes of a block workflow run: what an instance is created with (its params), what
// each block records as the output of its final step (the timeline and the run's outputs are read
// back from these), and what the instance returns when it ends. All JSON.
import type { BrowserCheckpoint } from '@petrel/browser';
import type { RunError, WorkflowRunRequest } from '@petrel/protocol';
import type { BlockStatus } from './block-executor.ts';

/** The version of the interpreter's step structure; part of every version key (bump it when step names or records change). */
export const INTERPRETER_VERSION = 'petrel-blocks-1';

/** The params of a workflow run instance. */
export type WorkflowRunParams = {
  /** The workflow (`wpid_…`), also the engine workflow name. */
  workflowPermanentId: string;
  /** The version the run was started on (`w_…`). */
  workflowId: string;
  version: number;
  /** The request, parsed (`cdp_connect_headers` masked). */
  request: WorkflowRunRequest;
  /** The run's parameter values as given (coerced again, identically, when the run starts). */
  parameters: Record<string, unknown>;
  /** The end user the run is for (seed 000); scopes persisted browser state. */
  developerUserId: string | null;
  /** `x-max-steps-override`: most agent steps across all blocks. */
  maxStepsOverride?: number | null;
  /** The run whose workflow_trigger block started this one. */
  parentRunId?: string | null;
  /** The parent's browser state (`use_parent_browser_session`). */
  parentCheckpoint?: BrowserCheckpoint | null;
};

/** A file of the run (a browser download, a saved HTTP response, a printed page). */
export type RunDownload = {
  /** The name blocks refer to (`SKYVERN_DOWNLOAD_DIRECTORY/<name>`), after `download_suffix`. */
  name: string;
  size: number;
  sha256: string;
  contentType: string | null;
  /** The `download` artifact holding the bytes. */
  artifactId: string | null;
  /** The BlobStore key of the bytes, when known (else found from the artifact id). */
  key: string | null;
  sourceUrl: string | null;
  createdAt: string;
};

/** Where a block ran inside loops: the loop's label, the 0-based index and the value. */
export type LoopPosition = { label: string; index: number; value: unknown };

/** The branch a conditional (or a while_loop check) took. */
export type ExecutedBranch = {
  /** `<label>:<index>` of the branch, `<label>:none` when none matched. */
  id: string;
  /** The criteria expression (or `default`). */
  expression: string | null;
  result: boolean | null;
  /** The label the run went to next (null: the end of the list). */
  next: string | null;
};

/** What a block records: the output of the block's final durable step. */
export type BlockRecord = {
  /** Marks a record among step outputs. */
  kind: 'petrel.block';
  label: string;
  blockType: string;
  /** The durable step name (`block:<label>`, `block:<loop>[<i>]:<label>`). */
  stepName: string;
  status: BlockStatus;
  /** The `<label>_output` value (also on failure). */
  output: unknown;
  failureReason: string | null;
  errorCodes: RunError[];
  startedAt: string;
  finishedAt: string;
  continueOnFailure: boolean;
  /** The loops around the block, outermost first. */
  loops: LoopPosition[];
  /** For loop blocks: the values iterated over. */
  loopValues?: unknown[];
  /** For conditionals: the branch taken. */
  branch?: ExecutedBranch;
  /** Files the block added to the run. */
  downloadedFiles: RunDownload[];
  /** The browser state after the block (browser blocks). */
  checkpoint?: BrowserCheckpoint | null;
  /** Agent steps taken. */
  stepCount: number;
  /** Screenshot artifacts, newest first. */
  screenshotArtifactIds: string[];
  /** Model usage of the block. */
  usage?: { inputTokens: number; outputTokens: number; costUsd: number | null };
  /** A child run (workflow_trigger). */
  childRunId?: string | null;
  /** More fields of Skyvern's `WorkflowRunBlock` (navigation goal, recipients, …), rendered. */
  timeline: Record<string, unknown>;
};

/** How a run ended: the instance's output. */
export type WorkflowRunOutcome = {
  kind: 'petrel.workflow_run';
  status: 'completed' | 'failed' | 'terminated' | 'timed_out' | 'canceled';
  failureReason: string | null;
  errors: RunError[];
  /** `{ "<label>_output": … }` (left out when larger than 256 KiB; read the blocks then). */
  outputs: Record<string, unknown> | null;
  downloadedFiles: RunDownload[];
  stepCount: number;
  screenshotArtifactIds: string[];
  recordingArtifactId: string | null;
  usage: { inputTokens: number; outputTokens: number; costUsd: number | null };
  /** The browser state at the end (a parent run waiting on this one continues from it). */
  checkpoint: BrowserCheckpoint | null;
  /** Where the run's browser started from. */
  browserSeedSource: 'fresh' | 'own_memory' | 'profile' | 'session';
};

/** True when a step output is a block record. */
export function isBlockRecord(value: unknown): value is BlockRecord {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'petrel.block';
}

/** True when an instance output is a run outcome. */
export function isWorkflowRunOutcome(value: unknown): value is WorkflowRunOutcome {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'petrel.workflow_run';
}

/** The durable step name of a block at a position: `block:<label>` or `block:<loop>[<i>]:<label>`. */
export function blockStepName(label: string, loops: readonly LoopPosition[]): string {
  return `block:${loops.map((loop) => `${loop.label}[${loop.index}]:`).join('')}${label}`;
}

/** The run output Skyvern reports: `<label>_output` per block that ran, plus every block's extracted information. */
export function runOutputOf(records: readonly BlockRecord[]): Record<string, unknown> {
  const output: Record<string, unknown> = {};
  const extracted: unknown[] = [];
  for (const record of records) {
    output[`${record.label}_output`] = record.output;
    const value = record.output;
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'extracted_information' in value) {
      const info = value.extracted_information;
      if (info !== null && info !== undefined) {
        if (Array.isArray(info)) extracted.push(...(info as unknown[]));
        else extracted.push(info);
      }
    }
  }
  output['extracted_information'] = extracted;
  return output;
}
