// What the interpreter runs on, validated once: the agent runtime (run browsers, model, vault), the
// BlobStore of artifacts and persisted browser state, the executor registry, and the integrations
// a server may or may not have (outbound fetch, SMTP, S3, browser profiles, child runs, the
// human_interaction link secret).
import { randomBytes } from 'node:crypto';
import { PetrelError, silentLogger } from '@petrel/protocol';
import type { Logger } from '@petrel/protocol';
import type { AgentRuntime } from '@petrel/agent';
import type { BlobStore, S3BlobStoreOptions, StorageState } from '@petrel/browser';
import type { SandboxLimits } from '../integrations/code-sandbox.ts';
import type { Mailer } from '../integrations/mailer.ts';
import type { OutboundFetchLike } from '../integrations/outbound-http.ts';
import type { RunFile } from '../executors/executor-context.ts';
import type { BlockExecutorRegistry } from './block-executor.ts';
import type { WorkflowRunParams } from './run-types.ts';

/** A child run to start for a workflow_trigger block. */
export type ChildRunRequest = {
  /** The child workflow (`wpid_…`). */
  workflowPermanentId: string;
  /** Its parameter values (the block's rendered `payload`). */
  parameters: Record<string, unknown>;
  parentRunId: string;
  developerUserId: string | null;
  /** The parent's browser state, when the block shares it. */
  parentCheckpoint: WorkflowRunParams['parentCheckpoint'];
  browserSessionId: string | null;
};

/** Prepares child runs: validates the child workflow and its parameters, registers its latest version, and records the run. */
export type ChildRunStarter = (namespace: string, request: ChildRunRequest) => Promise<{ workflow: string; runId: string; params: WorkflowRunParams }>;

/** Options of the interpreter (`createWorkflowService` builds them from its own). */
export type InterpreterOptions = {
  /** The agent runtime: run browsers, model, vault, artifacts sink. Required. */
  runtime: AgentRuntime;
  /** Where run files, artifacts and persisted browser state are stored (the browser pool's store). Required. */
  blobStore: BlobStore;
  /** Block types to executors. Required (see `createDefaultBlockExecutors`). */
  executors: BlockExecutorRegistry;
  /** Outbound HTTP of blocks (the server's outbound policy); default the global `fetch`. */
  fetch?: OutboundFetchLike;
  /** The server's SMTP mailer (send_email without its own settings, human_interaction); default none. */
  mailer?: Mailer;
  /** Builds a mailer from a block's own SMTP settings; default the executors' SMTP mailer. */
  createMailer?: (options: { host: string; port: number; username?: string; password?: string }) => Mailer;
  /** Object storage of the legacy upload_to_s3 / download_to_s3 blocks; default none. */
  s3?: S3BlobStoreOptions;
  /** Code block sandbox limits over the defaults. */
  codeLimits?: Partial<SandboxLimits>;
  /** Loads a browser profile's state (`bp_…`); default none (a run naming a profile fails with `INTEGRATION_NOT_CONFIGURED`). */
  loadBrowserProfile?: (namespace: string, browserProfileId: string) => Promise<StorageState>;
  /** Resolves file references the server knows (uploaded files); default none. */
  resolveFile?: (namespace: string, reference: string, options: { signal?: AbortSignal }) => Promise<RunFile | undefined>;
  /** Starts child runs (workflow_trigger); the workflow service sets it. */
  startChildRun?: ChildRunStarter;
  /** The key human_interaction links are signed with (the organization's webhook secret); default a random key of this process (links then stop working after a restart). */
  humanInteractionSecret?: (namespace: string) => string | Promise<string>;
  /**
   * Base URL of the approve/reject links (the server's public URL), or a function asked each time a
   * link is made (a server listening on port 0 knows its URL only once it listens; `undefined`: no
   * links yet). Default none: the email says to answer through the API.
   */
  publicBaseUrl?: string | (() => string | undefined);
  /** Logger; default silent. */
  logger?: Logger;
  /** Clock in ms; default `Date.now`. */
  now?: () => number;
};

/** Validated interpreter options with defaults applied. */
export type InterpreterDeps = Required<Pick<InterpreterOptions, 'runtime' | 'blobStore' | 'executors' | 'fetch' | 'logger' | 'now' | 'humanInteractionSecret'>> &
  Omit<InterpreterOptions, 'runtime' | 'blobStore' | 'executors' | 'fetch' | 'logger' | 'now' | 'humanInteractionSecret'>;

function isHttpUrl(value: string): boolean {
  return /^https?:\/\//.test(value);
}

/** The base URL of human_interaction links now: the configured one, or what the configured function answers (an answer that is not an http(s) URL counts as none). */
export function currentPublicBaseUrl(deps: Pick<InterpreterOptions, 'publicBaseUrl'>): string | undefined {
  const value = typeof deps.publicBaseUrl === 'function' ? deps.publicBaseUrl() : deps.publicBaseUrl;
  return typeof value === 'string' && isHttpUrl(value) ? value : undefined;
}

/** Validates interpreter options once. */
export function resolveInterpreterOptions(options: InterpreterOptions): InterpreterDeps {
  const op = 'blocks.interpreter';
  if (!options?.runtime || typeof options.runtime.model !== 'function') throw new PetrelError('VALIDATION_FAILED', `${op}: runtime (an AgentRuntime) is required`, { details: { field: 'runtime' } });
  if (!options.blobStore || typeof options.blobStore.put !== 'function') throw new PetrelError('VALIDATION_FAILED', `${op}: blobStore is required`, { details: { field: 'blobStore' } });
  if (!options.executors || typeof options.executors.find !== 'function') throw new PetrelError('VALIDATION_FAILED', `${op}: executors (a registry) is required`, { details: { field: 'executors' } });
  if (options.publicBaseUrl !== undefined && typeof options.publicBaseUrl !== 'function' && !(typeof options.publicBaseUrl === 'string' && isHttpUrl(options.publicBaseUrl))) {
    throw new PetrelError('VALIDATION_FAILED', `${op}: publicBaseUrl must be an http(s) URL or a function returning one`, { details: { field: 'publicBaseUrl' } });
  }
  const processSecret = randomBytes(32).toString('hex');
  return {
    ...options,
    fetch: options.fetch ?? fetch,
    logger: options.logger ?? silentLogger,
    now: options.now ?? Date.now,
    humanInteractionSecret: options.humanInteractionSecret ?? (() => processSecret),
  };
}
