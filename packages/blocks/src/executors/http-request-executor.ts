// The `http_request` block, in Skyvern's shape. Secrets resolve for real here: placeholders that
// templating left in the URL, headers, body, files and download name are revealed just before the
// request, and the stored output has them turned back into placeholders. Requests go through the
// run's outbound fetch (the server's outbound policy); the body is JSON by default, a form when the
// Content-Type says so, multipart when `files` are given. `save_response_as_file` stores the answer
// as a download of the run; `secret_response_paths` registers the values at those paths as secrets
// of the run (later blocks see placeholders) before anything is stored.
import type { HttpRequestBlock } from '@petrel/protocol';
import { isPetrelError } from '@petrel/protocol';
import { checkHttpUrl, fetchBytes, suggestedFileName } from '../integrations/outbound-http.ts';
import type { FetchedBytes } from '../integrations/outbound-http.ts';
import { DOWNLOAD_DIRECTORY, completed, failed, fieldError, loggerOf, revealJson, throwIfCanceled } from './executor-context.ts';
import type { ExecutorContext, ExecutorResult } from './executor-context.ts';
import type { BlockResult } from '../interpreter/block-executor.ts';
import { loadFile } from './file-references.ts';

const OPERATION = 'http_request';
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** What the stored output keeps of a response body, in characters. */
const MAX_OUTPUT_BODY_CHARS = 200_000;
/** Largest response read for the output; larger answers fail (save them as a file instead). */
const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
/** Largest response saved as a file. */
const MAX_FILE_BYTES = 100 * 1024 * 1024;
/** Skyvern's marker for a body that cannot be stored because a secret path did not resolve. */
export const SECRET_RESPONSE_BODY_REDACTED = '<response body redacted: secret_response_paths did not fully resolve>';

type Body = { bytes?: string | Uint8Array<ArrayBuffer>; contentType?: string; forOutput: unknown };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function formValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return value.toString();
  return JSON.stringify(value) ?? '';
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const found = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
  return found?.[1];
}

/** The parsed response body: JSON when it parses, else text (invalid UTF-8 replaced), as Skyvern does. */
export function parseResponseBody(bytes: Uint8Array): unknown {
  const text = new TextDecoder('utf-8').decode(bytes);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function pathSuffix(path: string): string {
  for (const segment of path.split('.').toReversed()) {
    const clean = segment.replaceAll(/[^A-Za-z0-9_]/g, '_').replaceAll(/^_+|_+$/g, '');
    if (clean !== '' && !/^\d+$/.test(clean)) return clean.slice(0, 32);
  }
  return 'secret';
}

/**
 * Replaces the string at each dotted path (`data.token`, `items.0.key`) of `body` with a placeholder
 * registered as a secret of the run; returns the paths that do not lead to a non-empty string.
 */
export function applySecretResponsePaths(body: unknown, paths: readonly string[], ctx: Pick<ExecutorContext, 'redactor'>): string[] {
  const invalid: string[] = [];
  for (const path of new Set(paths.map((p) => p.trim()).filter((p) => p !== ''))) {
    const segments = path.split('.');
    let current: unknown = body;
    let done = false;
    for (const [index, segment] of segments.entries()) {
      const last = index === segments.length - 1;
      let container: Record<string, unknown> | unknown[] | undefined;
      let key: string | number | undefined;
      if (Array.isArray(current)) {
        if (!/^\d+$/.test(segment) || Number(segment) >= current.length) break;
        container = current;
        key = Number(segment);
      } else if (isRecord(current)) {
        if (!Object.hasOwn(current, segment)) break;
        container = current;
        key = segment;
      } else break;
      const value = Array.isArray(container) ? container[key as number] : container[key as string];
      if (!last) {
        current = value;
        continue;
      }
      if (typeof value !== 'string' || value === '') break;
      const placeholder = ctx.redactor.register(value, { label: pathSuffix(path) });
      if (Array.isArray(container)) container[key as number] = placeholder;
      else container[key as string] = placeholder;
      done = true;
    }
    if (!done) invalid.push(path);
  }
  return invalid;
}

async function buildBody(block: HttpRequestBlock, ctx: ExecutorContext, method: string, headers: Record<string, string>): Promise<Body> {
  const fields = isRecord(block.body) ? revealJson(ctx.redactor, block.body) : undefined;
  const files = isRecord(block.files) ? revealJson(ctx.redactor, block.files) : undefined;
  const hasFiles = files !== undefined && Object.keys(files).length > 0;
  const hasBody = fields !== undefined && Object.keys(fields).length > 0;
  if ((method === 'GET' || method === 'HEAD') && (hasBody || hasFiles)) {
    throw fieldError(OPERATION, hasFiles ? 'files' : 'body', `cannot be sent with ${method}; use POST, PUT or PATCH`);
  }
  if (hasFiles) {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields ?? {})) form.append(name, formValue(value));
    const sent: Record<string, { file_name: string; size: number }> = {};
    for (const [name, reference] of Object.entries(files)) {
      const file = await loadFile(ctx, formValue(reference), { field: `files.${name}`, operation: OPERATION });
      form.append(name, new Blob([new Uint8Array(file.bytes)], { type: file.contentType ?? 'application/octet-stream' }), file.name);
      sent[name] = { file_name: file.name, size: file.bytes.byteLength };
    }
    // The outbound fetch sends bytes (so a 307 can resend them): encode the form once here.
    const encoded = new Request('http://petrel.invalid/', { method: 'POST', body: form });
    const contentType = encoded.headers.get('content-type') ?? 'multipart/form-data';
    return { bytes: new Uint8Array(await encoded.arrayBuffer()), contentType, forOutput: { ...fields, files: sent } };
  }
  if (!hasBody) return { forOutput: fields ?? null };
  const declared = headerValue(headers, 'content-type')?.toLowerCase() ?? '';
  if (declared.startsWith('application/x-www-form-urlencoded')) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(fields)) params.append(name, formValue(value));
    return { bytes: params.toString(), forOutput: fields };
  }
  if (declared.startsWith('multipart/form-data')) {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, formValue(value));
    const encoded = new Request('http://petrel.invalid/', { method: 'POST', body: form });
    return { bytes: new Uint8Array(await encoded.arrayBuffer()), contentType: encoded.headers.get('content-type') ?? declared, forOutput: fields };
  }
  return { bytes: JSON.stringify(fields), forOutput: fields };
}

function outputBody(body: unknown): { value: unknown; truncated: boolean } {
  if (typeof body === 'string') return body.length > MAX_OUTPUT_BODY_CHARS ? { value: body.slice(0, MAX_OUTPUT_BODY_CHARS), truncated: true } : { value: body, truncated: false };
  const text = JSON.stringify(body) ?? 'null';
  return text.length > MAX_OUTPUT_BODY_CHARS ? { value: text.slice(0, MAX_OUTPUT_BODY_CHARS), truncated: true } : { value: body, truncated: false };
}

function errorResult(error: unknown, ctx: ExecutorContext, timeoutSeconds: number): ExecutorResult {
  if (isPetrelError(error) && error.code === 'CANCELED') throw error;
  if (isPetrelError(error) && error.code === 'TIMEOUT') {
    return { status: 'timed_out', output: { error: 'Request timed out', error_type: 'timeout' }, failureReason: `Request timed out after ${timeoutSeconds} seconds` };
  }
  const message = ctx.redactor.redact(error instanceof Error ? error.message : String(error));
  const type = isPetrelError(error) && error.code === 'OUTBOUND_BLOCKED' ? 'blocked' : isPetrelError(error) && error.code === 'PAYLOAD_TOO_LARGE' ? 'too_large' : 'unknown';
  return failed({ error: message, error_type: type }, `HTTP request failed: ${message}`);
}

/** Runs an `http_request` block. */
export async function executeHttpRequestBlock(block: HttpRequestBlock, ctx: ExecutorContext): Promise<BlockResult> {
  throwIfCanceled(ctx, OPERATION);
  const method = (block.method || 'GET').trim().toUpperCase();
  if (!METHODS.has(method)) throw fieldError(OPERATION, 'method', `must be one of ${[...METHODS].join(', ')}`);
  const secretPaths = block.secret_response_paths ?? [];
  if (block.save_response_as_file && secretPaths.length > 0) {
    throw fieldError(OPERATION, 'secret_response_paths', 'cannot be combined with save_response_as_file');
  }
  const timeoutSeconds = block.timeout ?? 30;
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0 || timeoutSeconds > 3600) throw fieldError(OPERATION, 'timeout', 'must be 1 to 3600 seconds');
  const url = checkHttpUrl(ctx.redactor.revealIn(block.url ?? ''), 'url', OPERATION).toString();

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(isRecord(block.headers) ? block.headers : {})) {
    const realName = ctx.redactor.revealIn(name).trim();
    const realValue = ctx.redactor.revealIn(value);
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(realName)) throw fieldError(OPERATION, 'headers', 'has a header name that is not a valid token');
    if (/[\r\n]/.test(realValue)) throw fieldError(OPERATION, `headers.${realName}`, 'must be one line');
    headers[realName] = realValue;
  }
  const body = await buildBody(block, ctx, method, headers);
  if (body.contentType) {
    for (const name of Object.keys(headers)) if (name.toLowerCase() === 'content-type') delete headers[name];
    headers['Content-Type'] = body.contentType;
  } else if (headerValue(headers, 'content-type') === undefined && !(isRecord(block.files) && Object.keys(block.files).length > 0)) {
    // Skyvern's default when nothing else is said.
    headers['Content-Type'] = 'application/json';
  }
  const logger = loggerOf(ctx);
  logger.info({ method, url: ctx.redactor.redact(url) }, 'http_request sending');

  let response: FetchedBytes;
  try {
    response = await fetchBytes(ctx.fetch, url, {
      method,
      headers,
      ...(body.bytes === undefined ? {} : { body: body.bytes }),
      timeoutMs: timeoutSeconds * 1000,
      followRedirects: block.follow_redirects ?? true,
      maxBytes: block.save_response_as_file ? MAX_FILE_BYTES : MAX_RESPONSE_BYTES,
      signal: ctx.signal,
      operation: OPERATION,
    });
  } catch (error) {
    return errorResult(error, ctx, timeoutSeconds);
  }
  const ok = response.status >= 200 && response.status < 300;

  if (block.save_response_as_file) {
    if (!ok) return failed({ error: `HTTP ${response.status}`, error_type: 'http_error' }, `HTTP ${response.status}`);
    const wanted = block.download_filename ? ctx.redactor.revealIn(block.download_filename) : (suggestedFileName(response.headers, url) ?? 'response');
    const contentType = response.headers['content-type'] ?? 'application/octet-stream';
    const saved = await ctx.files.saveDownload(wanted, response.body, { contentType, signal: ctx.signal });
    const result = completed(
      ctx.redactor.redactJson({
        file_path: `${DOWNLOAD_DIRECTORY}/${saved.name}`,
        file_name: saved.name,
        file_size: saved.size,
        content_type: saved.contentType,
        sha256: saved.sha256,
        ...(saved.artifactId ? { artifact_id: saved.artifactId } : {}),
      }),
    );
    return {
      ...result,
      downloadedFiles: [{ filename: saved.name, size: saved.size, sha256: saved.sha256, artifactId: saved.artifactId ?? null, sourceUrl: ctx.redactor.redact(url) }],
    };
  }

  let parsed = method === 'HEAD' ? '' : parseResponseBody(response.body);
  let failureReason: string | undefined;
  let invalid: string[] = [];
  if (secretPaths.length > 0) {
    // On every status, so a secret echoed in an error body never reaches the output.
    invalid = applySecretResponsePaths(parsed, secretPaths, ctx);
    if (invalid.length > 0) {
      parsed = SECRET_RESPONSE_BODY_REDACTED;
      if (ok) failureReason = `secret_response_paths did not resolve to a non-empty string: ${invalid.join(', ')}`;
    }
  }
  const shown = outputBody(parsed);
  const output = ctx.redactor.redactJson({
    status_code: response.status,
    response_headers: response.headers,
    response_body: shown.value,
    ...(shown.truncated ? { response_body_truncated: true } : {}),
    request_method: method,
    request_url: url,
    request_headers: headers,
    request_body: body.forOutput,
    headers: response.headers,
    body: shown.value,
    url,
  });
  logger.info({ status: response.status, bytes: response.body.byteLength }, 'http_request answered');
  if (failureReason) return failed(output, failureReason);
  if (!ok) {
    const preview = typeof output.response_body === 'string' ? output.response_body : JSON.stringify(output.response_body);
    return failed(output, `HTTP ${response.status}: ${(preview ?? '').slice(0, 500)}`);
  }
  return completed(output);
}
