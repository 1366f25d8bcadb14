// What the agent loop runs: a goal with its limits, criteria, parameters, credentials and browser,
// independent of where it came from (a task request, the login or download helper, `step.task`, a
// block of a workflow). JSON-serialisable, so it can travel as workflow params.
import type { BrowserCheckpoint } from '@petrel/browser';
import type { ModelOverride } from '../model/model-config.ts';

/** Skyvern's default step budget (`MAX_STEPS_PER_RUN`). */
export const DEFAULT_MAX_STEPS = 10;

/** One agent task. */
export type AgentTaskInput = {
  /** The run the browser belongs to (its context is shared by everything with this id). */
  runId: string;
  /** The goal, in plain language. */
  goal: string;
  /** Where to start; absent continues where the run's browser is. */
  url?: string | null;
  /** Engine `skyvern-2.0`: one planning call first, its plan shown in every step. */
  planning?: boolean;
  /** Most agent steps. */
  maxSteps: number;
  /** `data_extraction_schema`: extract on completion (and on the model's `extract` calls). */
  dataExtractionSchema?: unknown;
  /** What to extract, when it differs from the goal. */
  extractionGoal?: string | null;
  errorCodeMapping?: Record<string, string> | null;
  completeCriterion?: string | null;
  terminateCriterion?: string | null;
  /** Verify a claimed completion with a separate model call; default true. */
  completeVerification?: boolean;
  includeActionHistoryInVerification?: boolean;
  /** Clear parameters shown to the model (a block's navigation payload). */
  parameters?: Record<string, unknown>;
  /** Credentials by parameter key (`cred_…` ids): the model sees placeholders under that key. */
  credentials?: Record<string, string>;
  /**
   * The keys of `parameters` and `credentials` the prompt shows (a block's `parameter_keys`); all of
   * them when absent. The others stay known to the redactor and are never shown.
   */
  shownParameterKeys?: readonly string[] | null;
  totpIdentifier?: string | null;
  totpUrl?: string | null;
  /** Local files the model may upload. */
  files?: string[];
  browser?: {
    /** A persistent session (`pbs_…`) to run in. */
    sessionId?: string | null;
    /** A CDP address to attach to. */
    address?: string | null;
    extraHttpHeaders?: Record<string, string> | null;
    userAgent?: string | null;
  };
  /** Complete as soon as a step downloads a file (the download helper). */
  completeOnDownload?: boolean;
  /** Name (or ending) given to downloaded files in the run's response. */
  downloadSuffix?: string | null;
  downloadTimeoutMs?: number | null;
  /** The run's `model: { model_name }` override. */
  model?: ModelOverride | null;
  /** Browser state to start from (a parent workflow's latest checkpoint). */
  initialCheckpoint?: BrowserCheckpoint | null;
  /** Stop with `timed_out` at this time (ms since the epoch); default none. */
  deadline?: number | null;
  /** When the run was created (ms since the epoch): pushed codes older than this are not used. */
  createdAt: number;
  /** Prefix of the durable step names, for running inside another workflow; default ''. */
  stepPrefix?: string;
  /** Leave the browser open at the end (the caller's next steps use it); default false. */
  keepBrowser?: boolean;
};
