// The `code` block: JavaScript (Skyvern runs Python; Petrel runs JavaScript) in the QuickJS sandbox.
// Globals: the parameters named in `parameter_keys` (all parameters when there are none) with their
// secrets revealed, as Skyvern gives code real credential values; a credential with a TOTP seed gets
// an `otp()` function instead of the seed; `page` (the run's browser, opened on first use); `console`;
// `ErrorCode`; `sleep`. Output: the top-level variables (or the value of a top-level `return`), with
// secrets turned back into placeholders. `throw new ErrorCode('CODE', 'why')` fails the block with
// that error code.
import type { RunContext } from '@petrel/browser';
import type { CodeBlock, RunError } from '@petrel/protocol';
import { PetrelError } from '@petrel/protocol';
import { analyzeCode, runSandboxedCode } from '../integrations/code-sandbox.ts';
import type { SandboxFailure, SandboxHostFunction } from '../integrations/code-sandbox.ts';
import { createCodePageFunctions } from './code-page.ts';
import { completed, loggerOf, revealJson, throwIfCanceled } from './executor-context.ts';
import type { ExecutorContext } from './executor-context.ts';
import type { BlockResult } from '../interpreter/block-executor.ts';
import { getParameter } from './file-references.ts';

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const RESERVED = new Set(['page', 'console', 'ErrorCode', 'sleep', 'globalThis']);
const OPERATION = 'code';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeFailure(failure: SandboxFailure): string {
  const where = failure.line ? ` (line ${failure.line})` : '';
  switch (failure.kind) {
    case 'timeout':
      return `the code ran out of time: ${failure.message}`;
    case 'memory':
      return `the code ran out of memory: ${failure.message}`;
    case 'stack':
      return `the code nested calls too deeply: ${failure.message}${where}`;
    case 'output':
      return `the code's output cannot be stored: ${failure.message}`;
    case 'deadlock':
      return `the code never finished: ${failure.message}`;
    case 'error_code':
      return `${failure.errorCode}: ${failure.reasoning ?? failure.message}`;
    case 'canceled':
      return 'the run was canceled';
    case 'syntax':
    case 'error':
      return `${failure.name}: ${failure.message}${where}`;
    default: {
      const unknownKind: never = failure.kind;
      return `${String(unknownKind)}: ${failure.message}`;
    }
  }
}

/** Runs a `code` block. */
export async function executeCodeBlock(block: CodeBlock, ctx: ExecutorContext): Promise<BlockResult> {
  throwIfCanceled(ctx, OPERATION);
  if (typeof block.code !== 'string' || block.code.trim() === '') {
    throw new PetrelError('VALIDATION_FAILED', 'code: code is required', { details: { field: 'code' } });
  }
  analyzeCode(block.code);
  const logger = loggerOf(ctx);

  const keys = block.parameter_keys ?? Object.keys(ctx.parameters);
  const globals: Record<string, unknown> = {};
  const hostFunctions: Record<string, SandboxHostFunction> = {};
  for (const [index, key] of keys.entries()) {
    const explicit = block.parameter_keys !== undefined && block.parameter_keys !== null;
    if (!IDENTIFIER.test(key) || RESERVED.has(key)) {
      if (explicit) throw new PetrelError('VALIDATION_FAILED', `code: parameter_keys[${index}] (${key}) cannot be a JavaScript global name`, { details: { field: `parameter_keys[${index}]` } });
      continue;
    }
    const value = explicit ? getParameter(ctx, key, `parameter_keys[${index}]`, OPERATION) : ctx.parameters[key];
    // A credential's TOTP seed stays out of the VM; `otp()` answers the current code instead.
    if (isRecord(value) && typeof value['totp'] === 'string' && ctx.redactor.hasPlaceholder(value['totp'])) {
      const placeholder = value['totp'];
      const { totp: _seed, ...rest } = value;
      globals[key] = revealJson(ctx.redactor, rest);
      hostFunctions[`${key}.otp`] = async () => ctx.redactor.reveal(placeholder);
      continue;
    }
    globals[key] = revealJson(ctx.redactor, value);
  }
  // The browser opens on the first page call; downloads it makes during the block are reported.
  let opened: { context: RunContext; downloadsBefore: number } | undefined;
  if (ctx.browser) {
    const open = ctx.browser;
    const browser = async () => {
      const context = await open();
      opened ??= { context, downloadsBefore: context.downloads.length };
      return context;
    };
    Object.assign(hostFunctions, createCodePageFunctions({ browser, isSecret: (value) => ctx.redactor.redact(value) !== value }));
  }

  const result = await runSandboxedCode({
    code: block.code,
    globals,
    hostFunctions,
    signal: ctx.signal,
    redact: (text) => ctx.redactor.redact(text),
    ...(ctx.codeLimits ? { limits: ctx.codeLimits } : {}),
  });

  if (result.logs.length > 0 && ctx.recordArtifact) {
    const text = result.logs.map((line) => `[${line.level}] ${line.message}`).join('\n') + (result.droppedLogLines > 0 ? `\n… ${result.droppedLogLines} more lines dropped` : '');
    await ctx.recordArtifact('console_log', text, { contentType: 'text/plain; charset=utf-8', name: `${ctx.label}-console.log` }).catch(() => undefined);
  }
  logger.debug({ durationMs: result.durationMs, ok: result.ok, logLines: result.logs.length }, 'code block finished');

  const downloads = opened ? opened.context.downloads.slice(opened.downloadsBefore) : [];
  const downloadedFiles = downloads.map((d) => ({ filename: d.fileName, size: d.size, sha256: d.sha256, artifactId: d.artifactId ?? null, sourceUrl: ctx.redactor.redact(d.url) }));
  const extras = downloadedFiles.length > 0 ? { downloadedFiles } : {};

  if (result.ok) return { ...completed(ctx.redactor.redactJson(result.output)), ...extras };

  const failure = result.failure;
  if (failure.kind === 'canceled') throw new PetrelError('CANCELED', 'code: the run was canceled');
  const reason = ctx.redactor.redact(describeFailure(failure));
  const output = { error: reason, console: result.logs.slice(-20).map((line) => line.message) };
  if (failure.kind === 'error_code' && failure.errorCode !== undefined) {
    const mapped = block.error_code_mapping?.[failure.errorCode];
    const error: RunError = {
      error_code: failure.errorCode,
      reasoning: ctx.redactor.redact(failure.reasoning || mapped || failure.message),
      confidence_float: 1,
      error_type: 'USER_DEFINED_ERROR',
    };
    return { status: 'failed', output, failureReason: reason, errorCodes: [error], ...extras };
  }
  return { status: failure.kind === 'timeout' ? 'timed_out' : 'failed', output, failureReason: reason, ...extras };
}
