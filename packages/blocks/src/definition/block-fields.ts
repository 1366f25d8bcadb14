// Facts about block types that validation, rendering and the interpreter share: which fields are
// Jinja templates, which block types Petrel cannot run yet, and how to walk nested loop blocks.
import type { Block, BlockType, ForLoopBlock, WhileLoopBlock } from '@petrel/protocol';
import type { IssuePath } from './definition-issue.ts';

const browserTaskTemplated = ['url', 'title', 'navigation_goal', 'totp_verification_url', 'totp_identifier', 'error_code_mapping'] as const;
const completionTemplated = ['complete_criterion', 'terminate_criterion'] as const;
const storageTemplated = [
  's3_bucket',
  'aws_access_key_id',
  'aws_secret_access_key',
  'region_name',
  'endpoint_url',
  'azure_storage_account_name',
  'azure_storage_account_key',
  'azure_blob_container_name',
  'google_credential_id',
  'google_drive_folder_id',
  'sftp_host',
  'sftp_username',
  'sftp_password',
  'sftp_private_key',
  'sftp_private_key_passphrase',
  'sftp_remote_path',
  'sftp_host_key',
] as const;

/**
 * The fields of each block type that are rendered with Jinja before the block runs. A string field
 * is one template; an object or list field (headers, body, payload, error_code_mapping, branch
 * conditions) has every string value inside it rendered. A `code` block's code is not a template: it
 * gets the parameters as globals instead.
 */
export const TEMPLATED_FIELDS: Readonly<Record<BlockType, readonly string[]>> = {
  task: [...browserTaskTemplated, ...completionTemplated, 'data_extraction_goal', 'download_suffix'],
  navigation: [...browserTaskTemplated, ...completionTemplated, 'download_suffix'],
  extraction: ['url', 'title', 'data_extraction_goal'],
  action: [...browserTaskTemplated, 'download_suffix'],
  login: [...browserTaskTemplated, ...completionTemplated],
  file_download: [...browserTaskTemplated, ...storageTemplated, 'download_suffix', 'path', 'prompt'],
  validation: [...completionTemplated, 'error_code_mapping'],
  task_v2: ['prompt', 'url', 'totp_verification_url', 'totp_identifier'],
  goto_url: ['url'],
  wait: [],
  for_loop: ['loop_variable_reference'],
  while_loop: ['condition'],
  conditional: ['branch_conditions'],
  code: ['error_code_mapping'],
  text_prompt: ['prompt', 'llm_key'],
  http_request: ['method', 'url', 'headers', 'body', 'files', 'download_filename'],
  send_email: ['sender', 'recipients', 'subject', 'body', 'file_attachments', 'custom_smtp_host', 'custom_smtp_username', 'custom_smtp_password'],
  file_url_parser: ['file_url'],
  pdf_parser: ['file_url'],
  upload_to_s3: ['path'],
  download_to_s3: ['url'],
  file_upload: [...storageTemplated, 'azure_folder_path', 'path', 'prompt'],
  human_interaction: ['instructions', 'positive_descriptor', 'negative_descriptor', 'sender', 'recipients', 'subject', 'body'],
  print_page: ['custom_filename'],
  workflow_trigger: ['workflow_permanent_id', 'payload', 'browser_session_id'],
  pdf_fill: ['file_url', 'prompt', 'payload'],
  split_pdf: ['file_url', 'prompt'],
  google_sheets_read: ['spreadsheet_url', 'sheet_name', 'range', 'credential_id'],
  google_sheets_write: ['spreadsheet_url', 'sheet_name', 'range', 'credential_id', 'values'],
  email_inbox: ['folder', 'prompt', 'sender', 'subject'],
  web_search: ['query', 'prompt'],
  data_export: ['data', 'file_name'],
  terminate: ['reason'],
};

/** Block types that parse (so Skyvern YAML loads) but that Petrel cannot run; runs fail there with `UNSUPPORTED_BLOCK`. */
export const UNSUPPORTED_BLOCK_TYPES: ReadonlySet<BlockType> = new Set<BlockType>([
  'google_sheets_read',
  'google_sheets_write',
  'email_inbox',
  'pdf_fill',
  'split_pdf',
  'web_search',
  'data_export',
]);

/** Block types with an `error_code_mapping` field. */
const ERROR_CODE_BLOCK_TYPES: ReadonlySet<BlockType> = new Set<BlockType>(['task', 'navigation', 'action', 'login', 'file_download', 'validation', 'code', 'web_search']);

/**
 * The block as it runs under a workflow-level `error_code_mapping`: every block that maps error codes
 * also knows the workflow's, and the block's own entries win on a clash (Skyvern's inheritance).
 */
export function withWorkflowErrorCodes(block: Block, workflowCodes: Readonly<Record<string, string>> | null | undefined): Block {
  if (!workflowCodes || Object.keys(workflowCodes).length === 0 || !ERROR_CODE_BLOCK_TYPES.has(block.block_type)) return block;
  const own = (block as { error_code_mapping?: Record<string, string> | null }).error_code_mapping;
  return { ...block, error_code_mapping: { ...workflowCodes, ...own } } as Block;
}

/** Most iterations of one for_loop or while_loop run (Skyvern's limit). */
export const MAX_LOOP_ITERATIONS = 1000;

/** True for `for_loop` and `while_loop` blocks. */
export function isLoopBlock(block: Block): block is ForLoopBlock | WhileLoopBlock {
  return block.block_type === 'for_loop' || block.block_type === 'while_loop';
}

/** The key of a block's output parameter, `<label>_output`. */
export function outputParameterKey(label: string): string {
  return `${label}_output`;
}

/** Where a block sits: its path, the list it belongs to, and the loops around it (outermost first). */
export type BlockPlace = {
  block: Block;
  path: IssuePath;
  siblings: readonly Block[];
  loops: readonly (ForLoopBlock | WhileLoopBlock)[];
};

/** Visits every block, nested loop blocks included, in document order. */
export function walkBlocks(
  blocks: readonly Block[],
  visit: (place: BlockPlace) => void,
  basePath: IssuePath = ['workflow_definition', 'blocks'],
  loops: readonly (ForLoopBlock | WhileLoopBlock)[] = [],
): void {
  blocks.forEach((block, index) => {
    const path = [...basePath, index];
    visit({ block, path, siblings: blocks, loops });
    if (isLoopBlock(block)) walkBlocks(block.loop_blocks, visit, [...path, 'loop_blocks'], [...loops, block]);
  });
}

/** Every label in a list of blocks and the loop blocks inside it. */
export function collectLabels(blocks: readonly Block[]): string[] {
  const labels: string[] = [];
  walkBlocks(blocks, ({ block }) => labels.push(block.label), []);
  return labels;
}

/** A templated string inside a block: its text and its path. */
export type TemplatedString = { text: string; path: IssuePath; field: string };

/** Lists the templated strings of a block (deep inside object fields), without nested loop blocks. */
export function listTemplatedStrings(block: Block, blockPath: IssuePath): TemplatedString[] {
  const found: TemplatedString[] = [];
  const record = block as unknown as Record<string, unknown>;
  const visit = (value: unknown, path: IssuePath, field: string): void => {
    if (typeof value === 'string') found.push({ text: value, path, field });
    else if (Array.isArray(value)) value.forEach((item, index) => visit(item, [...path, index], field));
    else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) visit(item, [...path, key], field);
    }
  };
  for (const field of TEMPLATED_FIELDS[block.block_type]) visit(record[field], [...blockPath, field], field);
  return found;
}
