// Wire schemas of the blocks of a block workflow, in the shape of Skyvern's `BlockYAML` models:
// one schema per `block_type` with Skyvern's field names and defaults, joined in a discriminated
// union. Every Skyvern block type parses, including the ones Petrel cannot run yet (the interpreter
// fails those with `UNSUPPORTED_BLOCK`), so that a Skyvern user's YAML loads without edits.
// Unknown fields are stripped, as pydantic ignores them; `@petrel/blocks` reports them as warnings.
// Optional fields accept `null` as well as absence, because Skyvern's exports write `null`.
import { z } from 'zod';

/** Every `block_type` Skyvern defines (its `BlockType` enum). */
export const BLOCK_TYPES = [
  'task',
  'task_v2',
  'for_loop',
  'while_loop',
  'conditional',
  'code',
  'text_prompt',
  'download_to_s3',
  'upload_to_s3',
  'file_upload',
  'send_email',
  'file_url_parser',
  'validation',
  'action',
  'navigation',
  'extraction',
  'login',
  'wait',
  'file_download',
  'goto_url',
  'pdf_parser',
  'http_request',
  'web_search',
  'human_interaction',
  'print_page',
  'workflow_trigger',
  'google_sheets_read',
  'google_sheets_write',
  'pdf_fill',
  'split_pdf',
  'email_inbox',
  'data_export',
  'terminate',
] as const;
/** A `block_type` value. */
export type BlockType = (typeof BLOCK_TYPES)[number];

/** Block types that drive the shared browser with the agent (one Task record each in Skyvern). */
export const BROWSER_TASK_BLOCK_TYPES = [
  'task',
  'navigation',
  'extraction',
  'action',
  'login',
  'file_download',
  'validation',
] as const satisfies readonly BlockType[];

const nullableString = z.string().nullish();
const stringList = z.array(z.string()).nullish();
const objectValue = z.record(z.string(), z.unknown());
const errorCodeMapping = z.record(z.string(), z.string()).nullish();
/** A data schema may be a JSON Schema object, a list, or a description string. */
const dataSchema = z.union([objectValue, z.array(z.unknown()), z.string()]).nullish();

/** Fields every block has (Skyvern's `BlockYAML`). */
const commonFields = {
  /** Identifier of the block, unique in the workflow; `<label>_output` names its output. */
  label: z.string(),
  /** Graph edge to the next block (version 2 routing); absent means the next block in list order. */
  next_block_label: nullableString,
  continue_on_failure: z.boolean().default(false),
  /** Inside a loop: on failure, skip the rest of this iteration. */
  next_loop_on_failure: z.boolean().default(false),
  model: objectValue.nullish(),
  ignore_workflow_system_prompt: z.boolean().default(false),
};

/** Fields shared by blocks that run the browser agent on one task. */
const browserTaskFields = {
  url: nullableString,
  title: z.string().default(''),
  engine: z.string().default('skyvern-1.0'),
  error_code_mapping: errorCodeMapping,
  max_retries: z.number().int().min(0).default(0),
  max_steps_per_run: z.number().int().min(1).nullish(),
  parameter_keys: stringList,
  totp_verification_url: nullableString,
  totp_identifier: nullableString,
  disable_cache: z.boolean().default(false),
};

const completionFields = {
  complete_criterion: nullableString,
  terminate_criterion: nullableString,
  complete_verification: z.boolean().default(true),
  include_action_history_in_verification: z.boolean().default(false),
};

const storageFields = {
  s3_bucket: nullableString,
  aws_access_key_id: nullableString,
  aws_secret_access_key: nullableString,
  region_name: nullableString,
  endpoint_url: nullableString,
  azure_storage_account_name: nullableString,
  azure_storage_account_key: nullableString,
  azure_blob_container_name: nullableString,
  google_credential_id: nullableString,
  google_drive_folder_id: nullableString,
  sftp_host: nullableString,
  sftp_port: z.number().int().min(1).max(65535).nullish(),
  sftp_username: nullableString,
  sftp_password: nullableString,
  sftp_private_key: nullableString,
  sftp_private_key_passphrase: nullableString,
  sftp_remote_path: nullableString,
  sftp_host_key: nullableString,
};

/** Legacy all-in-one navigate-and-extract block. */
export const TaskBlockSchema = z.object({
  ...commonFields,
  ...browserTaskFields,
  ...completionFields,
  block_type: z.literal('task'),
  navigation_goal: nullableString,
  data_extraction_goal: nullableString,
  data_schema: dataSchema,
  complete_on_download: z.boolean().default(false),
  download_suffix: nullableString,
});

/** Multi-step navigation towards a goal. */
export const NavigationBlockSchema = z.object({
  ...commonFields,
  ...browserTaskFields,
  ...completionFields,
  block_type: z.literal('navigation'),
  navigation_goal: z.string(),
  complete_on_download: z.boolean().default(false),
  download_suffix: nullableString,
  complete_criterion_is_untrusted: z.boolean().default(false),
});

/** One extraction from the current page. */
export const ExtractionBlockSchema = z.object({
  ...commonFields,
  url: nullableString,
  title: z.string().default(''),
  engine: z.string().default('skyvern-1.0'),
  max_retries: z.number().int().min(0).default(0),
  max_steps_per_run: z.number().int().min(1).nullish(),
  parameter_keys: stringList,
  disable_cache: z.boolean().default(false),
  block_type: z.literal('extraction'),
  data_extraction_goal: z.string(),
  data_schema: dataSchema,
  export_enabled: z.boolean().default(false),
  export_data_schema: objectValue.nullish(),
  export_file_name: nullableString,
  export_records: nullableString,
});

/** A single action (selector first, then the agent). */
export const ActionBlockSchema = z.object({
  ...commonFields,
  ...browserTaskFields,
  block_type: z.literal('action'),
  navigation_goal: nullableString,
  selector: nullableString,
  ai_fallback: z.enum(['fallback', 'proactive']).default('fallback'),
  complete_on_download: z.boolean().default(false),
  download_suffix: nullableString,
});

/** Logs in with the credential parameter listed in `parameter_keys`. */
export const LoginBlockSchema = z.object({
  ...commonFields,
  ...browserTaskFields,
  ...completionFields,
  block_type: z.literal('login'),
  navigation_goal: nullableString,
  skip_saved_profile: z.boolean().default(false),
});

/** Navigates until a download completes; files go to run storage and optionally on to a target. */
export const FileDownloadBlockSchema = z.object({
  ...commonFields,
  ...browserTaskFields,
  ...storageFields,
  block_type: z.literal('file_download'),
  navigation_goal: z.string(),
  download_target: z.enum(['website', 's3', 'azure', 'google_drive', 'sftp']).default('website'),
  path: nullableString,
  prompt: nullableString,
  continue_on_empty: z.boolean().default(false),
  download_suffix: nullableString,
  download_timeout: z.number().positive().nullish(),
});

/** An LLM assertion about the page that completes or terminates the workflow. */
export const ValidationBlockSchema = z.object({
  ...commonFields,
  block_type: z.literal('validation'),
  engine: z.string().default('skyvern-1.0'),
  complete_criterion: nullableString,
  terminate_criterion: nullableString,
  error_code_mapping: errorCodeMapping,
  max_steps_per_run: z.number().int().min(1).nullish(),
  parameter_keys: stringList,
  disable_cache: z.boolean().default(false),
  without_page_information: z.boolean().default(false),
});

/** The planner-driven task (skyvern-2.0) as a nested run. */
export const TaskV2BlockSchema = z.object({
  ...commonFields,
  block_type: z.literal('task_v2'),
  prompt: z.string(),
  url: nullableString,
  totp_verification_url: nullableString,
  totp_identifier: nullableString,
  max_iterations: z.number().int().min(1).default(50),
  max_steps: z.number().int().min(1).default(25),
  disable_cache: z.boolean().default(false),
});

/** Navigates the shared browser to a URL. */
export const GotoUrlBlockSchema = z.object({
  ...commonFields,
  block_type: z.literal('goto_url'),
  url: z.string(),
});

/** Waits a number of seconds (durably in Petrel). */
export const WaitBlockSchema = z.object({
  ...commonFields,
  block_type: z.literal('wait'),
  wait_sec: z.number().int().min(0).default(0),
});

/** A condition: a Jinja template (truthy after rendering) or a natural-language prompt. */
export const BranchCriteriaSchema = z.object({
  criteria_type: z.enum(['jinja2_template', 'prompt']).default('jinja2_template'),
  expression: z.string(),
  description: nullableString,
});
/** A condition of a conditional branch or a while loop. */
export type BranchCriteria = z.infer<typeof BranchCriteriaSchema>;

/** One branch of a conditional block; the default branch has no criteria. */
export const BranchConditionSchema = z
  .object({
    criteria: BranchCriteriaSchema.nullish(),
    next_block_label: nullableString,
    description: nullableString,
    is_default: z.boolean().default(false),
  })
  .check((ctx) => {
    const branch = ctx.value;
    if (branch.criteria == null && !branch.is_default) {
      ctx.issues.push({ code: 'custom', input: branch, path: ['criteria'], message: 'a branch without criteria must be marked is_default: true' });
    }
    if (branch.criteria != null && branch.is_default) {
      ctx.issues.push({ code: 'custom', input: branch, path: ['criteria'], message: 'the default branch may not define criteria' });
    }
  });
/** One branch of a conditional block. */
export type BranchCondition = z.infer<typeof BranchConditionSchema>;

/** Routes to the `next_block_label` of the first branch whose criteria hold (version 2). */
export const ConditionalBlockSchema = z
  .object({
    ...commonFields,
    block_type: z.literal('conditional'),
    branch_conditions: z.array(BranchConditionSchema).default([]),
  })
  .check((ctx) => {
    const branches = ctx.value.branch_conditions;
    if (branches.length === 0) {
      ctx.issues.push({ code: 'custom', input: branches, path: ['branch_conditions'], message: 'a conditional block needs at least one branch' });
    }
    const defaults = branches.flatMap((branch, index) => (branch.is_default ? [index] : []));
    for (const index of defaults.slice(1)) {
      ctx.issues.push({ code: 'custom', input: branches, path: ['branch_conditions', index, 'is_default'], message: 'only one default branch is allowed' });
    }
  });

/** Sandboxed code with the parameters as globals; top-level variables become the output. */
export const CodeBlockSchema = z.object({
  ...commonFields,
  block_type: z.literal('code'),
  code: z.string(),
  error_code_mapping: errorCodeMapping,
  parameter_keys: stringList,
  prompt: nullableString,
  steps: z.array(z.unknown()).nullish(),
  data_schema: dataSchema,
  user_owned_goal: z.boolean().nullish(),
  goal_needs_regeneration: z.boolean().nullish(),
});

/** One LLM call without the browser; the output conforms to `json_schema`. */
export const TextPromptBlockSchema = z.object({
  ...commonFields,
  block_type: z.literal('text_prompt'),
  prompt: z.string(),
  llm_key: nullableString,
  parameter_keys: stringList,
  json_schema: objectValue.nullish(),
});

/** An HTTP request; the output is `{ status_code, response_headers, response_body }`. */
export const HttpRequestBlockSchema = z
  .object({
    ...commonFields,
    block_type: z.literal('http_request'),
    method: z.string().default('GET'),
    url: nullableString,
    headers: z.record(z.string(), z.string()).nullish(),
    body: objectValue.nullish(),
    files: z.record(z.string(), z.string()).nullish(),
    timeout: z.number().int().min(1).default(30),
    follow_redirects: z.boolean().default(true),
    download_filename: nullableString,
    save_response_as_file: z.boolean().default(false),
    secret_response_paths: stringList,
    parameter_keys: stringList,
  })
  .check((ctx) => {
    if (ctx.value.save_response_as_file && (ctx.value.secret_response_paths?.length ?? 0) > 0) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        path: ['secret_response_paths'],
        message: 'secret_response_paths cannot be combined with save_response_as_file',
      });
    }
  });

/** Sends an email over SMTP. */
export const SendEmailBlockSchema = z.object({
  ...commonFields,
  block_type: z.literal('send_email'),
  smtp_host_secret_parameter_key: nullableString,
  smtp_port_secret_parameter_key: nullableString,
  smtp_username_secret_parameter_key: nullableString,
  smtp_password_secret_parameter_key: nullableString,
  custom_smtp_host: nullableString,
  custom_smtp_port: z.number().int().min(1).max(65535).nullish(),
  custom_smtp_username: nullableString,
  custom_smtp_password: nullableString,
  sender: z.string(),
  recipients: z.array(z.string()),
  subject: z.string(),
  body: z.string(),
  body_format: z.string().default('text'),
  file_attachments: stringList,
});

/** Parses a file (CSV, Excel, PDF, image, DOCX, zip), optionally into a JSON schema. */
export const FileUrlParserBlockSchema = z.object({
  ...commonFields,
  block_type: z.literal('file_url_parser'),
  file_url: z.string(),
  file_type: z.enum(['auto_detect', 'csv', 'excel', 'pdf', 'image', 'docx', 'zip']).default('auto_detect'),
  json_schema: objectValue.nullish(),
  worksheet: nullableString,
});

/** Legacy PDF parser (PDF to text, then an LLM with the schema). */
export const PdfParserBlockSchema = z.object({
  ...commonFields,
  block_type: z.literal('pdf_parser'),
  file_url: z.string(),
  json_schema: objectValue.nullish(),
});

/** Legacy: uploads the run's downloads to Skyvern's storage. */
export const UploadToS3BlockSchema = z.object({
  ...commonFields,
  block_type: z.literal('upload_to_s3'),
  path: nullableString,
});

/** Legacy: fetches a URL into storage. */
export const DownloadToS3BlockSchema = z.object({
  ...commonFields,
  block_type: z.literal('download_to_s3'),
  url: z.string(),
});

/** Uploads the run's downloaded files to customer storage. */
export const FileUploadBlockSchema = z.object({
  ...commonFields,
  ...storageFields,
  block_type: z.literal('file_upload'),
  storage_type: z.enum(['s3', 'azure', 'google_drive', 'sftp']).default('s3'),
  azure_folder_path: nullableString,
  prompt: nullableString,
  path: nullableString,
});

/** Emails reviewers and pauses the run until they approve, reject, or the timeout passes. */
export const HumanInteractionBlockSchema = z.object({
  ...commonFields,
  block_type: z.literal('human_interaction'),
  instructions: z.string().default('Please review and approve or reject to continue the workflow.'),
  positive_descriptor: z.string().default('Approve'),
  negative_descriptor: z.string().default('Reject'),
  timeout_seconds: z.number().int().min(1).default(7200),
  sender: z.string().default('hello@skyvern.com'),
  recipients: z.array(z.string()),
  subject: z.string().default('Human interaction required for workflow run'),
  body: z.string().default('Your interaction is required for a workflow run!'),
  body_format: z.string().default('text'),
});

/** Prints the current page to a PDF file. */
export const PrintPageBlockSchema = z.object({
  ...commonFields,
  block_type: z.literal('print_page'),
  include_timestamp: z.boolean().default(true),
  custom_filename: nullableString,
  format: z.enum(['A4', 'Letter', 'Legal', 'Tabloid']).default('A4'),
  landscape: z.boolean().default(false),
  print_background: z.boolean().default(true),
  parameter_keys: stringList,
});

/** Starts a child workflow run and optionally waits for it. */
export const WorkflowTriggerBlockSchema = z.object({
  ...commonFields,
  block_type: z.literal('workflow_trigger'),
  workflow_permanent_id: z.string(),
  payload: objectValue.nullish(),
  wait_for_completion: z.boolean().default(true),
  browser_session_id: nullableString,
  use_parent_browser_session: z.boolean().default(false),
  parameter_keys: stringList,
});

/** Fills a PDF form with an LLM's mapping of the payload (not run by Petrel yet). */
export const PdfFillBlockSchema = z.object({
  ...commonFields,
  block_type: z.literal('pdf_fill'),
  file_url: z.string(),
  prompt: z.string(),
  payload: z.union([objectValue, z.array(z.unknown()), z.string()]).nullish(),
  llm_key: nullableString,
  parameter_keys: stringList,
});

/** Splits a PDF as an LLM decides (not run by Petrel yet). */
export const SplitPdfBlockSchema = z.object({
  ...commonFields,
  block_type: z.literal('split_pdf'),
  file_url: z.string(),
  prompt: z.string(),
  llm_key: nullableString,
  parameter_keys: stringList,
});

/** Reads rows of a Google sheet (not run by Petrel yet). */
export const GoogleSheetsReadBlockSchema = z.object({
  ...commonFields,
  block_type: z.literal('google_sheets_read'),
  spreadsheet_url: z.string(),
  sheet_name: nullableString,
  range: nullableString,
  credential_id: nullableString,
  has_header_row: z.boolean().default(true),
  parameter_keys: stringList,
});

/** Writes rows to a Google sheet (not run by Petrel yet). */
export const GoogleSheetsWriteBlockSchema = z.object({
  ...commonFields,
  block_type: z.literal('google_sheets_write'),
  spreadsheet_url: z.string(),
  sheet_name: nullableString,
  range: nullableString,
  credential_id: nullableString,
  write_mode: z.enum(['append', 'update']).default('append'),
  values: z.string().default(''),
  column_mapping: z.record(z.string(), z.string()).nullish(),
  create_sheet_if_missing: z.boolean().default(false),
  parameter_keys: stringList,
});

/** Reads mail through OAuth (not run by Petrel yet). */
export const EmailInboxBlockSchema = z.object({
  ...commonFields,
  block_type: z.literal('email_inbox'),
  email_client: z.enum(['gmail', 'outlook']),
  credential_id: nullableString,
  folder: nullableString,
  prompt: nullableString,
  sender: nullableString,
  subject: nullableString,
  newer_than_days: z.number().int().min(0).nullish(),
  max_results: z.number().int().min(1).default(25),
  include_body: z.boolean().default(true),
  parameter_keys: stringList,
});

/** Searches the web (not run by Petrel yet). */
export const WebSearchBlockSchema = z.object({
  ...commonFields,
  block_type: z.literal('web_search'),
  query: z.string().min(1),
  provider: z.enum(['auto', 'google', 'exa']).default('auto'),
  num_results: z.number().int().min(1).max(100).default(10),
  no_results_error_code: nullableString,
  no_match_error_code: nullableString,
  error_code_mapping: errorCodeMapping,
  prompt: nullableString,
  json_schema: objectValue.nullish(),
  parameter_keys: stringList,
});

/** Exports data to a file (not run by Petrel yet). */
export const DataExportBlockSchema = z.object({
  ...commonFields,
  block_type: z.literal('data_export'),
  data: z.string(),
  data_schema: objectValue,
  file_name: nullableString,
  parameter_keys: stringList,
});

/** Ends the run as terminated with a (templated) reason. */
export const TerminateBlockSchema = z.object({
  ...commonFields,
  block_type: z.literal('terminate'),
  reason: z.string().trim().min(1),
});

const forLoopFields = {
  ...commonFields,
  block_type: z.literal('for_loop'),
  /** Legacy: the key of a parameter (or output) holding the list. */
  loop_over_parameter_key: z.string().default(''),
  /** A Jinja expression, or a natural-language description of the list on the page. */
  loop_variable_reference: nullableString,
  complete_if_empty: z.boolean().default(false),
  data_schema: z.union([objectValue, z.string()]).nullish(),
};
const whileLoopFields = {
  ...commonFields,
  block_type: z.literal('while_loop'),
  condition: BranchCriteriaSchema,
};
const ForLoopFieldsSchema = z.object(forLoopFields);
const WhileLoopFieldsSchema = z.object(whileLoopFields);

/** Iterates its blocks over a list (at most 1000 iterations). */
export const ForLoopBlockSchema = z.object({
  ...forLoopFields,
  get loop_blocks(): z.ZodArray<z.ZodType<Block>> {
    return z.array(BlockSchema);
  },
});

/** Repeats its blocks while a condition holds (checked before each iteration, at most 1000). */
export const WhileLoopBlockSchema = z.object({
  ...whileLoopFields,
  get loop_blocks(): z.ZodArray<z.ZodType<Block>> {
    return z.array(BlockSchema);
  },
});

/** A task block. */
export type TaskBlock = z.infer<typeof TaskBlockSchema>;
/** A navigation block. */
export type NavigationBlock = z.infer<typeof NavigationBlockSchema>;
/** An extraction block. */
export type ExtractionBlock = z.infer<typeof ExtractionBlockSchema>;
/** An action block. */
export type ActionBlock = z.infer<typeof ActionBlockSchema>;
/** A login block. */
export type LoginBlock = z.infer<typeof LoginBlockSchema>;
/** A file download block. */
export type FileDownloadBlock = z.infer<typeof FileDownloadBlockSchema>;
/** A validation block. */
export type ValidationBlock = z.infer<typeof ValidationBlockSchema>;
/** A task_v2 block. */
export type TaskV2Block = z.infer<typeof TaskV2BlockSchema>;
/** A goto_url block. */
export type GotoUrlBlock = z.infer<typeof GotoUrlBlockSchema>;
/** A wait block. */
export type WaitBlock = z.infer<typeof WaitBlockSchema>;
/** A conditional block. */
export type ConditionalBlock = z.infer<typeof ConditionalBlockSchema>;
/** A code block. */
export type CodeBlock = z.infer<typeof CodeBlockSchema>;
/** A text_prompt block. */
export type TextPromptBlock = z.infer<typeof TextPromptBlockSchema>;
/** An http_request block. */
export type HttpRequestBlock = z.infer<typeof HttpRequestBlockSchema>;
/** A send_email block. */
export type SendEmailBlock = z.infer<typeof SendEmailBlockSchema>;
/** A file_url_parser block. */
export type FileUrlParserBlock = z.infer<typeof FileUrlParserBlockSchema>;
/** A pdf_parser block. */
export type PdfParserBlock = z.infer<typeof PdfParserBlockSchema>;
/** An upload_to_s3 block. */
export type UploadToS3Block = z.infer<typeof UploadToS3BlockSchema>;
/** A download_to_s3 block. */
export type DownloadToS3Block = z.infer<typeof DownloadToS3BlockSchema>;
/** A file_upload block. */
export type FileUploadBlock = z.infer<typeof FileUploadBlockSchema>;
/** A human_interaction block. */
export type HumanInteractionBlock = z.infer<typeof HumanInteractionBlockSchema>;
/** A print_page block. */
export type PrintPageBlock = z.infer<typeof PrintPageBlockSchema>;
/** A workflow_trigger block. */
export type WorkflowTriggerBlock = z.infer<typeof WorkflowTriggerBlockSchema>;
/** A pdf_fill block. */
export type PdfFillBlock = z.infer<typeof PdfFillBlockSchema>;
/** A split_pdf block. */
export type SplitPdfBlock = z.infer<typeof SplitPdfBlockSchema>;
/** A google_sheets_read block. */
export type GoogleSheetsReadBlock = z.infer<typeof GoogleSheetsReadBlockSchema>;
/** A google_sheets_write block. */
export type GoogleSheetsWriteBlock = z.infer<typeof GoogleSheetsWriteBlockSchema>;
/** An email_inbox block. */
export type EmailInboxBlock = z.infer<typeof EmailInboxBlockSchema>;
/** A web_search block. */
export type WebSearchBlock = z.infer<typeof WebSearchBlockSchema>;
/** A data_export block. */
export type DataExportBlock = z.infer<typeof DataExportBlockSchema>;
/** A terminate block. */
export type TerminateBlock = z.infer<typeof TerminateBlockSchema>;
/** A for_loop block. */
export type ForLoopBlock = z.infer<typeof ForLoopFieldsSchema> & { loop_blocks: Block[] };
/** A while_loop block. */
export type WhileLoopBlock = z.infer<typeof WhileLoopFieldsSchema> & { loop_blocks: Block[] };

/** Any block of a block workflow (after parsing: defaults filled in). */
export type Block =
  | TaskBlock
  | NavigationBlock
  | ExtractionBlock
  | ActionBlock
  | LoginBlock
  | FileDownloadBlock
  | ValidationBlock
  | TaskV2Block
  | GotoUrlBlock
  | WaitBlock
  | ForLoopBlock
  | WhileLoopBlock
  | ConditionalBlock
  | CodeBlock
  | TextPromptBlock
  | HttpRequestBlock
  | SendEmailBlock
  | FileUrlParserBlock
  | PdfParserBlock
  | UploadToS3Block
  | DownloadToS3Block
  | FileUploadBlock
  | HumanInteractionBlock
  | PrintPageBlock
  | WorkflowTriggerBlock
  | PdfFillBlock
  | SplitPdfBlock
  | GoogleSheetsReadBlock
  | GoogleSheetsWriteBlock
  | EmailInboxBlock
  | WebSearchBlock
  | DataExportBlock
  | TerminateBlock;

/** Any block, discriminated by `block_type` (loop blocks nest blocks recursively). */
export const BlockSchema: z.ZodType<Block> = z.discriminatedUnion('block_type', [
  TaskBlockSchema,
  NavigationBlockSchema,
  ExtractionBlockSchema,
  ActionBlockSchema,
  LoginBlockSchema,
  FileDownloadBlockSchema,
  ValidationBlockSchema,
  TaskV2BlockSchema,
  GotoUrlBlockSchema,
  WaitBlockSchema,
  ForLoopBlockSchema,
  WhileLoopBlockSchema,
  ConditionalBlockSchema,
  CodeBlockSchema,
  TextPromptBlockSchema,
  HttpRequestBlockSchema,
  SendEmailBlockSchema,
  FileUrlParserBlockSchema,
  PdfParserBlockSchema,
  UploadToS3BlockSchema,
  DownloadToS3BlockSchema,
  FileUploadBlockSchema,
  HumanInteractionBlockSchema,
  PrintPageBlockSchema,
  WorkflowTriggerBlockSchema,
  PdfFillBlockSchema,
  SplitPdfBlockSchema,
  GoogleSheetsReadBlockSchema,
  GoogleSheetsWriteBlockSchema,
  EmailInboxBlockSchema,
  WebSearchBlockSchema,
  DataExportBlockSchema,
  TerminateBlockSchema,
]);

/** The object schema of each block type, for tools that need a type's fields (e.g. unknown-field warnings). */
export const BLOCK_SCHEMAS = {
  task: TaskBlockSchema,
  navigation: NavigationBlockSchema,
  extraction: ExtractionBlockSchema,
  action: ActionBlockSchema,
  login: LoginBlockSchema,
  file_download: FileDownloadBlockSchema,
  validation: ValidationBlockSchema,
  task_v2: TaskV2BlockSchema,
  goto_url: GotoUrlBlockSchema,
  wait: WaitBlockSchema,
  for_loop: ForLoopBlockSchema,
  while_loop: WhileLoopBlockSchema,
  conditional: ConditionalBlockSchema,
  code: CodeBlockSchema,
  text_prompt: TextPromptBlockSchema,
  http_request: HttpRequestBlockSchema,
  send_email: SendEmailBlockSchema,
  file_url_parser: FileUrlParserBlockSchema,
  pdf_parser: PdfParserBlockSchema,
  upload_to_s3: UploadToS3BlockSchema,
  download_to_s3: DownloadToS3BlockSchema,
  file_upload: FileUploadBlockSchema,
  human_interaction: HumanInteractionBlockSchema,
  print_page: PrintPageBlockSchema,
  workflow_trigger: WorkflowTriggerBlockSchema,
  pdf_fill: PdfFillBlockSchema,
  split_pdf: SplitPdfBlockSchema,
  google_sheets_read: GoogleSheetsReadBlockSchema,
  google_sheets_write: GoogleSheetsWriteBlockSchema,
  email_inbox: EmailInboxBlockSchema,
  web_search: WebSearchBlockSchema,
  data_export: DataExportBlockSchema,
  terminate: TerminateBlockSchema,
} as const satisfies Record<BlockType, z.ZodObject>;
