// The sandbox of the `code` block: user JavaScript runs in QuickJS compiled to WebAssembly
// (quickjs-emscripten), never in Node's own V8, inside a worker thread of its own. Each run gets a
// fresh thread and WebAssembly instance, so nothing survives from one run to the next, a busy loop
// never stalls the process's event loop (leases keep being renewed), and an abort or a missed
// deadline ends the thread outright.
//
// What the code can reach is exactly what is put into the VM: JSON copies of `globals`, `console`
// (captured), `ErrorCode`, `sleep`, and the async `hostFunctions` given by the caller (e.g.
// `page.goto`), each a bridge that passes JSON in and out. No Node object ever enters the VM, so
// prototype walks (`this.constructor.constructor('return process')()`) end at the VM's own globals;
// there is no `require`, `process`, `fetch` or module loader.
//
// Limits: a wall-clock deadline (QuickJS's interrupt handler stops running code; waits on host calls
// race the deadline too; the parent ends the thread if it overruns by a grace period), a memory
// limit on the VM's allocator (and V8 heap limits on the thread), a stack limit (kept well under the
// thread's native stack, because QuickJS frames run on it), and caps on the output and the log.
//
// Protocol: the parent starts the thread with the wrapped source, the globals as JSON, the host
// function paths and the limits. The thread posts `log` lines, `call`s of host functions (answered
// by the parent with `result`s), and one final `done`. Redaction happens in the parent.
//
// Output: the code is wrapped in an async function so top-level `await` works; the wrapper returns
// the top-level variables (found with acorn) whose values are JSON-serialisable, or the value of a
// top-level `return` when the code returns one.
import { parse } from 'acorn';
import type { Node as AcornNode, Pattern, Program } from 'acorn';
import { Worker } from 'node:worker_threads';
import { PetrelError } from '@petrel/protocol';

/** Resource limits of one sandboxed run. */
export type SandboxLimits = {
  /** Wall-clock limit of the whole run, host calls included; default 300 000 ms (Skyvern's 300 s). */
  timeoutMs: number;
  /** Most bytes the VM may allocate; default 64 MiB. */
  memoryLimitBytes: number;
  /** Most bytes of VM stack; default 256 KiB, at most 384 KiB (QuickJS frames live on Node's stack). */
  maxStackSizeBytes: number;
  /** Largest output, as JSON text; default 1 MiB (a block output is a step result). */
  maxOutputBytes: number;
  /** Most captured `console` text; later lines are dropped and counted; default 256 KiB. */
  maxLogBytes: number;
};

/** Default limits of `runSandboxedCode`. */
export const DEFAULT_SANDBOX_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  timeoutMs: 300_000,
  memoryLimitBytes: 64 * 1024 * 1024,
  maxStackSizeBytes: 256 * 1024,
  maxOutputBytes: 1024 * 1024,
  maxLogBytes: 256 * 1024,
});

const MAX_STACK_BYTES = 384 * 1024;

/** An async function the code can call; it receives JSON arguments and returns a JSON-serialisable value. */
export type SandboxHostFunction = (args: unknown[], options: { signal: AbortSignal }) => Promise<unknown>;

/** Options of `runSandboxedCode`. */
export type SandboxRunOptions = {
  /** The JavaScript source (a script body; top-level `await` and `return` allowed). */
  code: string;
  /** Global variables, as JSON values (copied into the VM). */
  globals?: Record<string, unknown>;
  /**
   * Async host functions by dotted path (`page.goto`, `credentials.otp`): each becomes an async
   * function at that path in the VM, added to an existing object global or to a new one.
   */
  hostFunctions?: Record<string, SandboxHostFunction>;
  /** Limits over the defaults. */
  limits?: Partial<SandboxLimits>;
  /** Stops the code (and any host call in flight gets an aborted signal). */
  signal?: AbortSignal;
  /** Turns text that leaves the sandbox (log lines, error messages) into its safe form, e.g. a secret redactor; default identity. */
  redact?: (text: string) => string;
  /** The file name in stack traces; default `code.js`. */
  filename?: string;
};

/** One captured `console` call. */
export type SandboxLogLine = { level: 'log' | 'info' | 'warn' | 'error' | 'debug'; message: string };

/** Why the code did not finish. */
export type SandboxFailureKind = 'syntax' | 'error' | 'error_code' | 'timeout' | 'memory' | 'stack' | 'output' | 'canceled' | 'deadlock';

/** A failed run: what went wrong, with the error's name, message and line where known. */
export type SandboxFailure = {
  kind: SandboxFailureKind;
  name: string;
  message: string;
  /** `ErrorCode` throws: the code and the reasoning. */
  errorCode?: string;
  reasoning?: string;
  /** 1-based line in the user's code, when known. */
  line?: number;
  column?: number;
};

/** The outcome of one sandboxed run (user errors are an expected outcome, not a throw). */
export type SandboxResult =
  | { ok: true; output: unknown; logs: SandboxLogLine[]; droppedLogLines: number; durationMs: number }
  | { ok: false; failure: SandboxFailure; logs: SandboxLogLine[]; droppedLogLines: number; durationMs: number };

/** What a static look at the code found. */
export type CodeAnalysis = {
  /** Top-level declared variable names (`const`, `let`, `var`), in order. */
  variables: string[];
};

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function fail(message: string, field: string): PetrelError {
  return new PetrelError('VALIDATION_FAILED', `code.sandbox: ${message}`, { details: { field } });
}

/** Resolves and checks limits once. */
export function resolveSandboxLimits(limits: Partial<SandboxLimits> = {}): SandboxLimits {
  const out = { ...DEFAULT_SANDBOX_LIMITS, ...limits };
  const positive = (value: number, field: string, max = Number.MAX_SAFE_INTEGER) => {
    if (!Number.isInteger(value) || value <= 0 || value > max) throw fail(`${field} must be a positive integer${max < Number.MAX_SAFE_INTEGER ? ` up to ${max}` : ''}`, field);
  };
  positive(out.timeoutMs, 'timeoutMs');
  positive(out.memoryLimitBytes, 'memoryLimitBytes');
  positive(out.maxStackSizeBytes, 'maxStackSizeBytes', MAX_STACK_BYTES);
  positive(out.maxOutputBytes, 'maxOutputBytes');
  positive(out.maxLogBytes, 'maxLogBytes');
  if (out.memoryLimitBytes < 1024 * 1024) throw fail('memoryLimitBytes must be at least 1 MiB', 'memoryLimitBytes');
  return out;
}

function patternNames(pattern: Pattern | null, into: string[]): void {
  if (pattern === null) return;
  switch (pattern.type) {
    case 'Identifier':
      into.push(pattern.name);
      return;
    case 'ObjectPattern':
      for (const property of pattern.properties) patternNames(property.type === 'RestElement' ? property.argument : property.value, into);
      return;
    case 'ArrayPattern':
      for (const element of pattern.elements) patternNames(element, into);
      return;
    case 'RestElement':
      patternNames(pattern.argument, into);
      return;
    case 'AssignmentPattern':
      patternNames(pattern.left, into);
      return;
    case 'MemberExpression':
      // Only in assignment targets, never in declarations.
      return;
  }
}

function findNode(node: unknown, test: (node: AcornNode) => boolean, depth = 0): AcornNode | undefined {
  if (depth > 2000 || typeof node !== 'object' || node === null) return undefined;
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = findNode(item, test, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  const record = node as Record<string, unknown>;
  if (typeof record['type'] === 'string' && test(record as unknown as AcornNode)) return record as unknown as AcornNode;
  for (const [key, value] of Object.entries(record)) {
    if (key === 'loc' || key === 'start' || key === 'end' || key === 'range') continue;
    const found = findNode(value, test, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function parseProgram(source: string): Program {
  return parse(source, {
    ecmaVersion: 'latest',
    sourceType: 'script',
    allowAwaitOutsideFunction: true,
    allowReturnOutsideFunction: true,
    locations: true,
  });
}

/**
 * Parses the code and lists its top-level variables. Throws `VALIDATION_FAILED` (field `code`) with
 * line and column for a syntax error, and for `import` (there are no modules in the sandbox).
 */
export function analyzeCode(code: string): CodeAnalysis {
  if (typeof code !== 'string' || code.trim() === '') throw fail('code is empty', 'code');
  let program: Program;
  try {
    program = parseProgram(code);
  } catch (error) {
    const loc = (error as { loc?: { line: number; column: number } }).loc;
    const raw = error instanceof Error ? error.message.replace(/\s*\(\d+:\d+\)$/, '') : String(error);
    const message = /'import' and 'export'/.test(raw) ? 'import and export are not available: the code block has no modules' : raw;
    throw new PetrelError('VALIDATION_FAILED', `code.sandbox: ${message}${loc ? ` at line ${loc.line}, column ${loc.column + 1}` : ''}`, {
      details: { field: 'code', ...(loc ? { line: loc.line, column: loc.column + 1 } : {}) },
    });
  }
  const dynamicImport = findNode(program.body, (node) => node.type === 'ImportExpression' || (node.type === 'MetaProperty' && (node as { meta?: { name?: string } }).meta?.name === 'import'));
  if (dynamicImport) {
    const line = dynamicImport.loc?.start.line;
    throw new PetrelError('VALIDATION_FAILED', `code.sandbox: import() is not available: the code block has no modules${line ? ` (line ${line})` : ''}`, {
      details: { field: 'code', ...(line ? { line } : {}) },
    });
  }
  const variables: string[] = [];
  for (const statement of program.body) {
    if (statement.type !== 'VariableDeclaration') continue;
    for (const declarator of statement.declarations) patternNames(declarator.id, variables);
  }
  return { variables: [...new Set(variables)].filter((name) => IDENTIFIER.test(name)) };
}

/** The source run in the VM: the user's code as the body of an async function that returns its output as JSON. */
function wrapCode(code: string, variables: string[]): string {
  const collected = variables.map((name) => `${JSON.stringify(name)}: typeof ${name} === 'undefined' ? undefined : ${name}`).join(', ');
  // The user's code starts on line 1 of the wrapped source, so error lines need no shifting; the
  // newline before the epilogue keeps a trailing line comment from swallowing it.
  return `(async () => {${code}\nreturn { __petrel_vars: { ${collected} } };\n})()`;
}

function checkWrapped(wrapped: string, statements: number): void {
  // A valid program is a valid function body except in corner cases; make sure the wrapper kept its shape.
  const program = parseProgram(wrapped);
  const only = program.body[0];
  const call = only?.type === 'ExpressionStatement' ? only.expression : undefined;
  const fn = call?.type === 'CallExpression' ? call.callee : undefined;
  const body = fn?.type === 'ArrowFunctionExpression' && fn.body.type === 'BlockStatement' ? fn.body.body : undefined;
  if (program.body.length !== 1 || body === undefined || body.length !== statements + 1) {
    throw fail('the code cannot be run as a function body', 'code');
  }
}

/** What the parent hands the worker thread. @internal */
export type WorkerInput = {
  wrapped: string;
  globalsJson: string;
  globalNames: string[];
  hostPaths: string[];
  limits: SandboxLimits;
  /** Epoch ms after which the code is interrupted. */
  deadline: number;
  filename: string;
};

/** Messages from the worker thread. @internal */
export type WorkerMessage =
  | { type: 'log'; level: SandboxLogLine['level']; message: string }
  | { type: 'log-dropped' }
  | { type: 'call'; id: number; name: string; argsJson: string }
  | { type: 'done'; outcome: { ok: true; outputJson: string } | { ok: false; failure: SandboxFailure } };

/** Messages to the worker thread. @internal */
export type ParentMessage = { id: number; ok: true; json?: string } | { id: number; ok: false; name: string; message: string };

const WORKER_URL = new URL('./code-sandbox-worker.ts', import.meta.url);
/** How long past its deadline a thread may run before it is ended from outside. */
const GRACE_MS = 2_000;

/**
 * Runs JavaScript in a fresh QuickJS sandbox on a worker thread, with time, memory and stack limits.
 * Syntax errors and bad options throw `VALIDATION_FAILED`; everything the code itself does wrong (a
 * throw, an `ErrorCode`, a limit, an abort) comes back as `{ ok: false, failure }` with the log.
 */
export async function runSandboxedCode(options: SandboxRunOptions): Promise<SandboxResult> {
  const limits = resolveSandboxLimits(options.limits);
  const redact = options.redact ?? ((text: string) => text);
  const analysis = analyzeCode(options.code);
  const statements = parseProgram(options.code).body.length;
  const wrapped = wrapCode(options.code, analysis.variables);
  checkWrapped(wrapped, statements);
  const globals = options.globals ?? {};
  for (const name of Object.keys(globals)) if (!IDENTIFIER.test(name)) throw fail(`global ${JSON.stringify(name)} is not an identifier`, 'globals');
  const hostFunctions = options.hostFunctions ?? {};
  for (const path of Object.keys(hostFunctions)) {
    if (!path.split('.').every((part) => IDENTIFIER.test(part)) || path === 'sleep') {
      throw fail(`host function path ${JSON.stringify(path)} is not a dotted identifier`, 'hostFunctions');
    }
  }
  let globalsJson: string;
  try {
    globalsJson = JSON.stringify(globals);
  } catch (error) {
    throw fail(`globals must be JSON-serialisable (${error instanceof Error ? error.message : String(error)})`, 'globals');
  }

  const started = performance.now();
  const logs: SandboxLogLine[] = [];
  let droppedLogLines = 0;
  const finish = (outcome: { ok: true; output: unknown } | { ok: false; failure: SandboxFailure }): SandboxResult => ({
    ...outcome,
    logs,
    droppedLogLines,
    durationMs: Math.round(performance.now() - started),
  });
  const canceled: SandboxFailure = { kind: 'canceled', name: 'CanceledError', message: 'the run was canceled' };
  if (options.signal?.aborted) return finish({ ok: false, failure: canceled });

  const deadline = Date.now() + limits.timeoutMs;
  const input: WorkerInput = {
    wrapped,
    globalsJson,
    globalNames: Object.keys(globals),
    hostPaths: Object.keys(hostFunctions),
    limits,
    deadline,
    filename: options.filename ?? 'code.js',
  };
  const hostCalls = new AbortController();
  const worker = new Worker(WORKER_URL, {
    workerData: input,
    // The VM's own allocator is capped by memoryLimitBytes; these cap the thread's JavaScript heap.
    resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
    stdout: true,
    stderr: true,
  });
  // The thread prints nothing on purpose; whatever the engine might print is dropped, not mixed into our logs.
  worker.stdout.resume();
  worker.stderr.resume();

  try {
    return await new Promise<SandboxResult>((resolve) => {
      let settled = false;
      const settle = (outcome: { ok: true; output: unknown } | { ok: false; failure: SandboxFailure }) => {
        if (settled) return;
        settled = true;
        clearTimeout(watchdog);
        options.signal?.removeEventListener('abort', onAbort);
        resolve(finish(outcome));
      };
      const onAbort = () => settle({ ok: false, failure: canceled });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const watchdog = setTimeout(
        () => settle({ ok: false, failure: { kind: 'timeout', name: 'TimeoutError', message: `the code ran longer than ${limits.timeoutMs} ms` } }),
        limits.timeoutMs + GRACE_MS,
      );

      worker.on('message', (message: WorkerMessage) => {
        switch (message.type) {
          case 'log':
            logs.push({ level: message.level, message: redact(message.message) });
            return;
          case 'log-dropped':
            droppedLogLines++;
            return;
          case 'call':
            void answerCall(worker, message, hostFunctions, deadline, hostCalls.signal, redact);
            return;
          case 'done': {
            const outcome = message.outcome;
            if (!outcome.ok) {
              settle({ ok: false, failure: { ...outcome.failure, message: redact(outcome.failure.message), ...(outcome.failure.reasoning !== undefined ? { reasoning: redact(outcome.failure.reasoning) } : {}) } });
              return;
            }
            settle({ ok: true, output: JSON.parse(outcome.outputJson) as unknown });
            return;
          }
          default:
            return;
        }
      });
      worker.on('error', (error: Error & { code?: string }) => {
        if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') settle({ ok: false, failure: { kind: 'memory', name: 'RangeError', message: 'the code used more memory than allowed' } });
        else if (error instanceof RangeError) settle({ ok: false, failure: { kind: 'stack', name: 'RangeError', message: 'the code nested calls too deeply' } });
        else settle({ ok: false, failure: { kind: 'error', name: 'SandboxError', message: `the sandbox failed: ${error.message}` } });
      });
      worker.on('exit', (code) => {
        settle({ ok: false, failure: { kind: 'error', name: 'SandboxError', message: `the sandbox thread ended unexpectedly (exit code ${code})` } });
      });
    });
  } finally {
    hostCalls.abort();
    await worker.terminate();
  }
}

async function answerCall(
  worker: Worker,
  call: Extract<WorkerMessage, { type: 'call' }>,
  hostFunctions: Record<string, SandboxHostFunction>,
  deadline: number,
  signal: AbortSignal,
  redact: (text: string) => string,
): Promise<void> {
  let reply: ParentMessage;
  try {
    const fn = call.name === 'sleep' ? sleepHost(deadline) : Object.hasOwn(hostFunctions, call.name) ? hostFunctions[call.name] : undefined;
    if (!fn) throw new Error(`${call.name} is not available`);
    let args: unknown[] = [];
    try {
      const parsed = JSON.parse(call.argsJson) as unknown;
      if (Array.isArray(parsed)) args = parsed;
    } catch {
      // Arguments that are not JSON (undefined only) count as none.
    }
    const value = await fn(args, { signal });
    let json: string | undefined;
    try {
      json = value === undefined ? undefined : JSON.stringify(value);
    } catch {
      throw new Error(`${call.name} returned a value that is not JSON`);
    }
    reply = json === undefined ? { id: call.id, ok: true } : { id: call.id, ok: true, json };
  } catch (error) {
    const name = isPetrelErrorLike(error) ? error.code : 'Error';
    reply = { id: call.id, ok: false, name, message: redact(error instanceof Error ? error.message : String(error)) };
  }
  if (signal.aborted) return;
  try {
    // oxlint-disable-next-line unicorn/require-post-message-target-origin -- a worker port, not a window
    worker.postMessage(reply);
  } catch {
    // The thread is gone (finished, aborted or timed out); nobody waits for this answer.
  }
}

function isPetrelErrorLike(error: unknown): error is { code: string } {
  return error instanceof PetrelError;
}

function sleepHost(deadline: number): SandboxHostFunction {
  return (args, { signal }) => {
    const ms = Number(args[0]);
    if (!Number.isFinite(ms) || ms < 0) return Promise.reject(new Error('sleep(ms) needs a number of milliseconds'));
    // A sleep that would end past the time limit does not return: the run ends there as a timeout.
    // (Returning at the limit would let the code go on, and a short rest could finish before the
    // thread noticed the deadline.) The end of the run aborts the wait.
    const endsInTime = Date.now() + ms <= deadline;
    return new Promise((resolve) => {
      if (signal.aborted) {
        resolve(undefined);
        return;
      }
      const timer = endsInTime ? setTimeout(done, ms) : undefined;
      signal.addEventListener('abort', done, { once: true });
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve(undefined);
      }
    });
  };
}
