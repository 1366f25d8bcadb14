// Wire schemas of browser tasks in Skyvern's v1 shape (`skyvern/schemas/runs.py`, `run_blocks.py`):
// the body of `POST /v1/run/tasks` (`TaskRunRequest`), the login and download helpers, and the run
// response (`TaskRunResponse`) with its files and errors. Request bodies are strict: every field
// Skyvern documents is declared (accepted even where Petrel does not apply it), and an unknown field
// is a 422 naming it, so a typo is not silently dropped. Legacy `run_with` values are mapped (`ai` →
// `agent`, `code_v2` → `code`). Petrel adds token and cost totals to the response.
import { z } from 'zod';
import { RUN_STATUSES } from '../status.ts';

/** Engines a task may ask for (Skyvern's `RunEngine`); Petrel runs `skyvern-1.0` and `skyvern-2.0`. */
export const RUN_ENGINES = ['skyvern-1.0', 'skyvern-2.0', 'skyvern-3.0', 'openai-cua', 'anthropic-cua', 'ui-tars', 'yutori-navigator'] as const;
/** A run engine. */
export type RunEngine = (typeof RUN_ENGINES)[number];

/** The `run_type` discriminator of run responses (Skyvern's `RunType`). */
export const RUN_TYPES = ['task_v1', 'task_v2', 'task_v3', 'workflow_run', 'openai_cua', 'anthropic_cua', 'ui_tars', 'yutori_navigator'] as const;
/** A run type. */
export type RunType = (typeof RUN_TYPES)[number];

/** How a run is executed: by the agent, or by replaying cached code (not built: runs say `agent`). */
export const RUN_WITH = ['agent', 'code'] as const;
/** A `run_with` value. */
export type RunWith = (typeof RUN_WITH)[number];

const RunWithSchema = z
  .preprocess((value) => (value === 'ai' ? 'agent' : value === 'code_v2' ? 'code' : value), z.enum(RUN_WITH))
  .nullish()
  .describe('`agent` or `code` (legacy `ai` and `code_v2` accepted). Code replay is not built yet: tasks run with the agent.');

const HeadersSchema = z.record(z.string(), z.string()).nullish();

const ProxyLocationSchema = z
  .union([z.string(), z.strictObject({ country: z.string(), subdivision: z.string().nullish(), city: z.string().nullish() })])
  .nullish()
  .describe('Accepted for compatibility; Petrel has no managed proxies.');

const HttpUrlSchema = z.url({ protocol: /^https?$/ });
const BrowserAddressSchema = z
  .string()
  .regex(/^(https?|wss?):\/\//, 'must be an http(s):// or ws(s):// CDP address')
  .max(2048);

/** `data_extraction_schema`: a JSON Schema object, a one-item array (a list of those), or a description. */
export const DataExtractionSchemaSchema = z
  .union([z.record(z.string(), z.unknown()), z.array(z.unknown()), z.string().min(1).max(100_000)])
  .describe('JSON Schema of `output` (object or array), or a plain-language description of the data.');

/** `error_code_mapping`: `{ CODE: "when this code applies" }`. */
export const ErrorCodeMappingSchema = z
  .record(z.string().min(1).max(100), z.string().min(1).max(2000))
  .refine((mapping) => Object.keys(mapping).length <= 50, { message: 'at most 50 error codes' })
  .describe('`{ "CODE": "natural-language condition" }`: codes the run reports in `errors` when it fails or terminates.');

/** The per-run model override, e.g. `{ "model_name": "gpt-4o-mini" }`. */
export const ModelOverrideSchema = z
  .object({ model_name: z.string().min(1).max(200).nullish() })
  .loose()
  .describe('Per-run model override: `{ "model_name": "..." }`; provider, endpoint and key stay the server\'s.');

/** The body of `POST /v1/run/tasks`. */
export const TaskRunRequestSchema = z
  .strictObject({
    prompt: z.string().min(1).max(50_000).describe('The goal, in plain language.'),
    url: HttpUrlSchema.nullish().describe('Where to start. Without it the run starts on a blank page (or where its browser session is).'),
    engine: z.enum(RUN_ENGINES).default('skyvern-1.0'),
    title: z.string().max(500).nullish(),
    proxy_location: ProxyLocationSchema,
    data_extraction_schema: DataExtractionSchemaSchema.nullish(),
    error_code_mapping: ErrorCodeMappingSchema.nullish(),
    max_steps: z.int().min(1).max(200).nullish().describe('Most agent steps; default 10.'),
    webhook_url: HttpUrlSchema.nullish(),
    totp_identifier: z.string().min(1).max(255).nullish().describe('Email or phone number whose pushed 2FA codes this run may use.'),
    totp_url: HttpUrlSchema.nullish().describe('Endpoint asked (signed POST) for a 2FA code; answers `{ "verification_code": "..." }`.'),
    browser_session_id: z.string().max(100).nullish().describe('`pbs_…`: run inside a live persistent session.'),
    browser_profile_id: z.string().max(100).nullish().describe('`bp_…`: refused for task runs, as in Skyvern (workflow runs only).'),
    start_fresh_browser: z.boolean().default(false),
    model: ModelOverrideSchema.nullish(),
    extra_http_headers: HeadersSchema.describe('Headers sent with the browser\'s requests to sites.'),
    cdp_connect_headers: HeadersSchema.describe('Headers of the CDP handshake with `browser_address`.'),
    publish_workflow: z.boolean().default(false).describe('Deprecated; ignored.'),
    include_action_history_in_verification: z.boolean().default(false),
    max_screenshot_scrolls: z.int().nullish().transform((v) => (v === null || v === undefined ? v : Math.min(1000, Math.max(0, v)))),
    browser_address: BrowserAddressSchema.nullish().describe('CDP address of a browser to run in instead of Petrel\'s.'),
    user_agent: z.string().max(1000).nullish(),
    run_with: RunWithSchema,
  })
  .superRefine((request, ctx) => {
    if (request.start_fresh_browser && (request.browser_session_id || request.browser_profile_id || request.browser_address)) {
      ctx.addIssue({
        code: 'custom',
        path: ['start_fresh_browser'],
        message: 'start_fresh_browser cannot be combined with browser_session_id, browser_profile_id or browser_address',
      });
    }
  })
  .meta({ id: 'TaskRunRequest' });
/** A task request after parsing (defaults applied). */
export type TaskRunRequest = z.infer<typeof TaskRunRequestSchema>;
/** A task request as a client writes it. */
export type TaskRunRequestInput = z.input<typeof TaskRunRequestSchema>;

/** Fields shared by the login and download helpers (Skyvern's `BaseRunBlockRequest`). */
const runBlockBase = {
  url: HttpUrlSchema.nullish(),
  webhook_url: HttpUrlSchema.nullish(),
  proxy_location: ProxyLocationSchema,
  totp_identifier: z.string().min(1).max(255).nullish(),
  totp_url: HttpUrlSchema.nullish(),
  browser_session_id: z.string().max(100).nullish(),
  browser_profile_id: z.string().max(100).nullish(),
  browser_address: BrowserAddressSchema.nullish(),
  extra_http_headers: HeadersSchema,
  cdp_connect_headers: HeadersSchema,
  max_screenshot_scrolling_times: z.int().nullish(),
};

/** Where a login helper's credential lives; Petrel has only its own vault (`skyvern`). */
export const LOGIN_CREDENTIAL_TYPES = ['skyvern', 'bitwarden', '1password', 'azure_vault'] as const;

/** The body of `POST /v1/run/tasks/login`. */
export const LoginRequestSchema = z
  .strictObject({
    ...runBlockBase,
    credential_type: z.enum(LOGIN_CREDENTIAL_TYPES).default('skyvern'),
    prompt: z.string().min(1).max(50_000).nullish().describe('Default: a generic "log in with the credential" goal.'),
    credential_id: z.string().max(100).nullish().describe('`cred_…`; required for `skyvern`.'),
    bitwarden_collection_id: z.string().nullish(),
    bitwarden_item_id: z.string().nullish(),
    onepassword_vault_id: z.string().nullish(),
    onepassword_item_id: z.string().nullish(),
    azure_vault_name: z.string().nullish(),
    azure_vault_username_key: z.string().nullish(),
    azure_vault_password_key: z.string().nullish(),
    azure_vault_totp_secret_key: z.string().nullish(),
  })
  .meta({ id: 'LoginRequest' });
/** A login helper request after parsing. */
export type LoginRequest = z.infer<typeof LoginRequestSchema>;

/** The body of `POST /v1/run/tasks/download_files`. */
export const DownloadFilesRequestSchema = z
  .strictObject({
    ...runBlockBase,
    navigation_goal: z.string().min(1).max(50_000).describe('What to download, in plain language.'),
    download_suffix: z.string().max(255).nullish().describe('Name (or ending) the downloaded file is given, e.g. `invoice.pdf`.'),
    download_timeout: z.number().positive().max(3600).nullish().describe('Seconds to wait for a download to finish.'),
    max_steps_per_run: z.int().min(1).max(200).nullish(),
  })
  .meta({ id: 'DownloadFilesRequest' });
/** A download helper request after parsing. */
export type DownloadFilesRequest = z.infer<typeof DownloadFilesRequestSchema>;

/** A file a run downloaded (Skyvern's `FileInfo`). */
export const FileInfoSchema = z
  .object({
    url: z.string().describe('Where to fetch the bytes (an artifact content URL, or the artifact id when no URL builder is set).'),
    checksum: z.string().nullable().describe('SHA-256 of the bytes, hex.'),
    filename: z.string().nullable(),
    file_size: z.int().nullable(),
    modified_at: z.string().nullable(),
    artifact_id: z.string().nullable(),
  })
  .meta({ id: 'FileInfo' });
/** A downloaded file. */
export type FileInfo = z.infer<typeof FileInfoSchema>;

/** Kinds of entries of a run's `errors` list. */
export const RUN_ERROR_TYPES = ['USER_DEFINED_ERROR', 'SYSTEM_DEFINED_ERROR'] as const;

/** One entry of a run's `errors`: a code of the request's `error_code_mapping` (or a system code). */
export const RunErrorSchema = z
  .object({
    error_code: z.string(),
    reasoning: z.string(),
    confidence_float: z.number().min(0).max(1),
    error_type: z.enum(RUN_ERROR_TYPES).optional(),
  })
  .meta({ id: 'UserDefinedError' });
/** A reported run error. */
export type RunError = z.infer<typeof RunErrorSchema>;

/** The fields every run response has between `output` and `run_type` (Skyvern's `BaseRunResponse`); task and workflow runs spread them. */
export const BASE_RUN_RESPONSE_FIELDS = {
  downloaded_files: z.array(FileInfoSchema).nullable(),
  recording_url: z.string().nullable(),
  recording_archived: z.boolean(),
  screenshot_urls: z.array(z.string()).nullable().describe('Newest first.'),
  failure_reason: z.string().nullable(),
  created_at: z.string().describe('ISO-8601 time, UTC.'),
  modified_at: z.string(),
  queued_at: z.string().nullable(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  app_url: z.string().nullable(),
  browser_session_id: z.string().nullable(),
  browser_profile_id: z.string().nullable(),
  max_screenshot_scrolls: z.int().nullable(),
  script_run: z.null().describe('Code replay is not built: always null.'),
  errors: z.array(RunErrorSchema),
  step_count: z.int().nullable(),
};

/** Petrel's model usage totals, the last fields of every run response. */
export const RUN_USAGE_FIELDS = {
  input_tokens: z.int().describe('Petrel: model input tokens of the run so far.'),
  output_tokens: z.int().describe('Petrel: model output tokens of the run so far.'),
  total_cost: z.number().nullable().describe('Petrel: model cost in US dollars when the model\'s prices are known.'),
};

/** The response of task runs (`POST /v1/run/tasks`, `GET /v1/runs/{tsk_id}`). */
export const TaskRunResponseSchema = z
  .object({
    run_id: z.string().describe('`tsk_…` (`tsk_v2_…` for skyvern-2.0).'),
    status: z.enum(RUN_STATUSES),
    output: z.unknown().nullable().describe('The extracted data; null until the run completes (or when nothing was extracted).'),
    ...BASE_RUN_RESPONSE_FIELDS,
    run_type: z.enum(RUN_TYPES),
    run_with: z.literal('agent'),
    run_request: z.record(z.string(), z.unknown()).nullable().describe('The request, as parsed.'),
    ...RUN_USAGE_FIELDS,
  })
  .meta({ id: 'TaskRunResponse' });
/** A task run as the API shows it. */
export type TaskRunResponse = z.infer<typeof TaskRunResponseSchema>;
