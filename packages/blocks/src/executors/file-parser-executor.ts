// `file_url_parser` and `pdf_parser`. The file comes from `file_url`: a downloaded file of the run
// (`SKYVERN_DOWNLOAD_DIRECTORY/<name>`), a file the run knows (an upload), or an http(s) URL fetched
// through the outbound fetch. Its type is `file_type` or detected. Without `json_schema` the output is
// the parsed file (CSV/Excel rows, PDF/DOCX/text as text, JSON as is, a ZIP's listing, an image's
// text read by the model); with one, the model extracts data matching it from the file's text (or
// from the image itself) and the output is that data. `pdf_parser` always asks the model (Skyvern's
// legacy behaviour), with a free-form default schema.
import type { FileUrlParserBlock, PdfParserBlock } from '@petrel/protocol';
import { PetrelError } from '@petrel/protocol';
import { parseFile } from '../integrations/file-parsing.ts';
import type { ParsedFile } from '../integrations/file-parsing.ts';
import { completed, failed, fieldError, loggerOf, throwIfCanceled } from './executor-context.ts';
import type { ExecutorContext, ExecutorResult } from './executor-context.ts';
import { loadFile } from './file-references.ts';
import { askForStructuredAnswer } from './structured-answer.ts';

/** Most characters of a file's text sent to the model; the rest is cut (and the prompt says so). */
export const MAX_FILE_TEXT_CHARS = 200_000;

const OCR_SCHEMA = {
  type: 'object',
  properties: { extracted_text: { type: 'string', description: 'All text visible in the image, in reading order.' } },
  required: ['extracted_text'],
};

const PDF_DEFAULT_SCHEMA = {
  type: 'object',
  properties: { output: { type: 'object', description: 'Information extracted from the text' } },
  required: ['output'],
};

function checkSchema(schema: unknown, operation: string): Record<string, unknown> | undefined {
  if (schema === undefined || schema === null) return undefined;
  if (typeof schema !== 'object' || Array.isArray(schema)) throw fieldError(operation, 'json_schema', 'must be a JSON Schema object');
  return Object.keys(schema).length === 0 ? undefined : (schema as Record<string, unknown>);
}

function fileTextPrompt(parsed: ParsedFile, name: string): string {
  const text = parsed.text.length > MAX_FILE_TEXT_CHARS ? `${parsed.text.slice(0, MAX_FILE_TEXT_CHARS)}\n[… the rest of the file was cut]` : parsed.text;
  const what = parsed.type === 'excel' ? `spreadsheet (sheet ${parsed.sheet ?? '1'}, as CSV)` : parsed.type === 'zip' ? 'ZIP archive listing' : `${parsed.type.toUpperCase()} file`;
  return [
    `Extract information from the content of the ${what} "${name}" below, following the JSON Schema.`,
    'Use only what the file says; use null for what it does not say.',
    '',
    'File content:',
    '```',
    text,
    '```',
  ].join('\n');
}

async function extract(ctx: ExecutorContext, parsed: ParsedFile, bytes: Uint8Array, name: string, schema: Record<string, unknown>, operation: string): Promise<ExecutorResult> {
  const answer =
    parsed.type === 'image'
      ? await askForStructuredAnswer(ctx, {
          prompt: `Extract information from the image "${name}", following the JSON Schema.`,
          images: [{ data: bytes, mediaType: parsed.mediaType }],
          schema,
          field: 'json_schema',
          operation,
        })
      : await askForStructuredAnswer(ctx, { prompt: fileTextPrompt(parsed, name), schema, field: 'json_schema', operation });
  if (!answer.ok) return failed(null, `Failed to extract data with AI: ${answer.reason}`, [{ error_code: 'FILE_PARSER_ERROR', reasoning: answer.reason, confidence_float: 1, error_type: 'SYSTEM_DEFINED_ERROR' }]);
  return completed(ctx.redactor.redactJson(answer.data));
}

async function load(ctx: ExecutorContext, fileUrl: string, operation: string) {
  if (typeof fileUrl !== 'string' || fileUrl.trim() === '') throw fieldError(operation, 'file_url', 'is required');
  return loadFile(ctx, ctx.redactor.revealIn(fileUrl), { field: 'file_url', operation, maxBytes: 100 * 1024 * 1024 });
}

/** Runs a `file_url_parser` block. */
export async function executeFileUrlParserBlock(block: FileUrlParserBlock, ctx: ExecutorContext): Promise<ExecutorResult> {
  const operation = 'file_url_parser';
  throwIfCanceled(ctx, operation);
  const schema = checkSchema(block.json_schema, operation);
  const file = await load(ctx, block.file_url, operation);
  const parsed = await parseFile(file.bytes, {
    type: block.file_type ?? 'auto_detect',
    name: file.name,
    ...(file.contentType ? { contentType: file.contentType } : {}),
    ...(block.worksheet ? { worksheet: block.worksheet } : {}),
    field: 'file_url',
  });
  loggerOf(ctx).info({ type: parsed.type, bytes: file.bytes.byteLength, schema: schema !== undefined }, 'file_url_parser parsed a file');
  if (schema) return extract(ctx, parsed, file.bytes, file.name, schema, operation);
  if (parsed.type === 'image') {
    const answer = await askForStructuredAnswer(ctx, {
      prompt: `Read all the text in the image "${file.name}".`,
      images: [{ data: file.bytes, mediaType: parsed.mediaType }],
      schema: OCR_SCHEMA,
      field: 'json_schema',
      operation,
    });
    if (!answer.ok) return failed(null, `Failed to read the image: ${answer.reason}`);
    return completed(ctx.redactor.redactJson((answer.data as { extracted_text: string }).extracted_text));
  }
  return completed(ctx.redactor.redactJson(parsed.data));
}

/** Runs a `pdf_parser` block (legacy: the PDF's text, read by the model into `json_schema` or a free-form object). */
export async function executePdfParserBlock(block: PdfParserBlock, ctx: ExecutorContext): Promise<ExecutorResult> {
  const operation = 'pdf_parser';
  throwIfCanceled(ctx, operation);
  const schema = checkSchema(block.json_schema, operation) ?? PDF_DEFAULT_SCHEMA;
  const file = await load(ctx, block.file_url, operation);
  let parsed: ParsedFile;
  try {
    parsed = await parseFile(file.bytes, { type: 'pdf', name: file.name, field: 'file_url' });
  } catch (error) {
    if (error instanceof PetrelError && error.code === 'VALIDATION_FAILED') return failed(null, 'Failed to parse PDF file');
    throw error;
  }
  return extract(ctx, parsed, file.bytes, file.name, schema, operation);
}
