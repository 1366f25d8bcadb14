// The worker thread of the code sandbox: runs one program in a fresh QuickJS WebAssembly instance and
// talks to its parent only through messages (see code-sandbox.ts for the design and the protocol).
// Everything here runs off the main thread, so a busy loop in user code never stalls the process's
// event loop, and the parent can end the thread at any moment.
import { parentPort, workerData } from 'node:worker_threads';
import variant from '@jitl/quickjs-wasmfile-release-sync';
import { newQuickJSWASMModuleFromVariant } from 'quickjs-emscripten-core';
import type { QuickJSContext, QuickJSDeferredPromise, QuickJSHandle, QuickJSRuntime, QuickJSSyncVariant } from 'quickjs-emscripten-core';
import type { SandboxFailure, SandboxFailureKind, SandboxLimits, SandboxLogLine, WorkerInput, WorkerMessage, ParentMessage } from './code-sandbox.ts';

const HOST = '__petrel_host';
const LOG = '__petrel_log';
const LOG_LEVELS = new Set(['log', 'info', 'warn', 'error', 'debug']);

// The prelude runs first in the VM: it takes the two bridge functions out of the global scope into
// its closure, and defines console, ErrorCode, sleep and a binder for host functions.
const PRELUDE = `(() => {
  const host = globalThis.${HOST};
  const log = globalThis.${LOG};
  delete globalThis.${HOST};
  delete globalThis.${LOG};
  const format = (value) => {
    if (typeof value === 'string') return value;
    if (value instanceof Error) return value.name + ': ' + value.message;
    try { const text = JSON.stringify(value); return text === undefined ? String(value) : text; } catch { return String(value); }
  };
  const writer = (level) => (...args) => { log(level, args.map(format).join(' ')); };
  globalThis.console = Object.freeze({ log: writer('log'), info: writer('info'), warn: writer('warn'), error: writer('error'), debug: writer('debug') });
  class ErrorCode extends Error {
    constructor(code, reasoning) {
      super(reasoning === undefined || reasoning === null ? String(code) : String(reasoning));
      this.name = 'ErrorCode';
      this.code = String(code);
      this.reasoning = reasoning === undefined || reasoning === null ? '' : String(reasoning);
    }
  }
  globalThis.ErrorCode = ErrorCode;
  const call = async (name, args) => {
    const text = await host(name, JSON.stringify(args));
    return text === undefined ? undefined : JSON.parse(text);
  };
  globalThis.__petrel_bind = (path) => {
    const parts = path.split('.');
    let target = globalThis;
    for (const part of parts.slice(0, -1)) {
      if (typeof target[part] !== 'object' || target[part] === null) target[part] = {};
      target = target[part];
    }
    const name = parts[parts.length - 1];
    Object.defineProperty(target, name, { value: (...args) => call(path, args), enumerable: false, configurable: false, writable: false });
  };
  globalThis.sleep = (ms) => call('sleep', [ms]);
})();`;

// Serialises the output inside the VM, so what leaves it is one string of bounded size.
const SERIALISE = `(value) => {
  const vars = value !== null && typeof value === 'object' && Object.hasOwn(value, '__petrel_vars') && Object.keys(value).length === 1 ? value.__petrel_vars : undefined;
  const output = vars === undefined ? value : Object.fromEntries(Object.entries(vars).filter(([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol'));
  try {
    return JSON.stringify(output === undefined ? null : output);
  } catch (error) {
    throw new TypeError('the output is not JSON-serialisable: ' + error.message);
  }
}`;

type ErrorInfo = { name: string; message: string; code?: string; reasoning?: string; line?: number; column?: number };
type Outcome = { ok: true; outputJson: string } | { ok: false; failure: SandboxFailure };

function post(message: WorkerMessage): void {
  // oxlint-disable-next-line unicorn/require-post-message-target-origin -- a worker port, not a window
  parentPort?.postMessage(message);
}

function readString(vm: QuickJSContext, handle: QuickJSHandle, key: string): string | undefined {
  const value = vm.getProp(handle, key);
  try {
    return vm.typeof(value) === 'string' ? vm.getString(value) : undefined;
  } finally {
    value.dispose();
  }
}

function errorInfo(vm: QuickJSContext, handle: QuickJSHandle): ErrorInfo {
  if (vm.typeof(handle) !== 'object') {
    let shown: string;
    try {
      shown = JSON.stringify(vm.dump(handle)) ?? 'undefined';
    } catch {
      shown = 'a value';
    }
    return { name: 'Error', message: `the code threw ${shown.slice(0, 300)}` };
  }
  const name = readString(vm, handle, 'name') ?? 'Error';
  const message = readString(vm, handle, 'message') ?? '';
  const stack = readString(vm, handle, 'stack') ?? '';
  const code = name === 'ErrorCode' ? readString(vm, handle, 'code') : undefined;
  const where = /code\.js:(\d+)(?::(\d+))?/.exec(stack);
  return {
    name,
    message,
    ...(code !== undefined ? { code, reasoning: readString(vm, handle, 'reasoning') ?? '' } : {}),
    ...(where?.[1] ? { line: Number(where[1]) } : {}),
    ...(where?.[2] ? { column: Number(where[2]) } : {}),
  };
}

function toFailure(info: ErrorInfo, interrupted: boolean): SandboxFailure {
  let kind: SandboxFailureKind = 'error';
  if (interrupted && info.name === 'InternalError' && info.message === 'interrupted') kind = 'timeout';
  else if (info.code !== undefined) kind = 'error_code';
  else if (info.name === 'InternalError' && /out of memory/i.test(info.message)) kind = 'memory';
  else if ((info.name === 'InternalError' || info.name === 'RangeError') && /stack overflow/i.test(info.message)) kind = 'stack';
  const { code, reasoning, ...rest } = info;
  return { kind, ...rest, ...(code !== undefined ? { errorCode: code, reasoning: reasoning ?? '' } : {}) };
}

function timeoutFailure(limits: SandboxLimits): SandboxFailure {
  return { kind: 'timeout', name: 'TimeoutError', message: `the code ran longer than ${limits.timeoutMs} ms` };
}

async function run(input: WorkerInput): Promise<Outcome> {
  const { limits, deadline } = input;
  let logBytes = 0;
  let inflight = 0;
  let nextCallId = 1;
  let interrupted = false;
  let wake: (() => void) | undefined;
  let woken = false;
  const pendingCalls = new Map<number, QuickJSDeferredPromise>();

  const module = await newQuickJSWASMModuleFromVariant(variant as unknown as QuickJSSyncVariant);
  const runtime: QuickJSRuntime = module.newRuntime({ memoryLimitBytes: limits.memoryLimitBytes, maxStackSizeBytes: limits.maxStackSizeBytes });
  runtime.setInterruptHandler(() => {
    if (Date.now() > deadline) interrupted = true;
    return interrupted;
  });
  const vm = runtime.newContext();

  parentPort?.on('message', (message: ParentMessage) => {
    const deferred = pendingCalls.get(message.id);
    if (!deferred) return;
    pendingCalls.delete(message.id);
    inflight--;
    if (deferred.alive) {
      if (message.ok) {
        if (message.json === undefined) deferred.resolve(vm.undefined);
        else {
          const handle = vm.newString(message.json);
          deferred.resolve(handle);
          handle.dispose();
        }
      } else {
        const handle = vm.newError({ name: message.name, message: message.message });
        deferred.reject(handle);
        handle.dispose();
      }
      deferred.dispose();
    }
    woken = true;
    wake?.();
  });

  const logFn = vm.newFunction(LOG, (levelHandle, messageHandle) => {
    const level = vm.getString(levelHandle);
    const text = vm.getString(messageHandle);
    const size = Buffer.byteLength(text);
    if (logBytes + size > limits.maxLogBytes) {
      post({ type: 'log-dropped' });
      return;
    }
    logBytes += size;
    post({ type: 'log', level: (LOG_LEVELS.has(level) ? level : 'log') as SandboxLogLine['level'], message: text });
  });
  vm.setProp(vm.global, LOG, logFn);
  logFn.dispose();

  const hostFn = vm.newFunction(HOST, (nameHandle, argsHandle) => {
    const name = vm.getString(nameHandle);
    const argsJson = vm.getString(argsHandle);
    const deferred = vm.newPromise();
    const id = nextCallId++;
    pendingCalls.set(id, deferred);
    inflight++;
    post({ type: 'call', id, name, argsJson });
    return deferred.handle;
  });
  vm.setProp(vm.global, HOST, hostFn);
  hostFn.dispose();

  vm.unwrapResult(vm.evalCode(PRELUDE, 'prelude.js')).dispose();
  const parsedGlobals = vm.unwrapResult(vm.evalCode(`(${input.globalsJson})`, 'globals.js'));
  for (const name of input.globalNames) {
    const value = vm.getProp(parsedGlobals, name);
    vm.setProp(vm.global, name, value);
    value.dispose();
  }
  parsedGlobals.dispose();
  const bind = vm.getProp(vm.global, '__petrel_bind');
  for (const path of input.hostPaths) {
    const pathHandle = vm.newString(path);
    vm.unwrapResult(vm.callFunction(bind, vm.undefined, pathHandle)).dispose();
    pathHandle.dispose();
  }
  bind.dispose();
  vm.unwrapResult(vm.evalCode('delete globalThis.__petrel_bind', 'prelude.js')).dispose();

  const evaluated = vm.evalCode(input.wrapped, input.filename);
  if (evaluated.error) {
    const info = errorInfo(vm, evaluated.error);
    evaluated.error.dispose();
    return { ok: false, failure: toFailure(info, interrupted) };
  }
  const promise = evaluated.value;
  for (;;) {
    const jobs = runtime.executePendingJobs();
    if (jobs.error) {
      const info = errorInfo(vm, jobs.error);
      jobs.error.dispose();
      return { ok: false, failure: toFailure(info, interrupted) };
    }
    const state = vm.getPromiseState(promise);
    if (state.type === 'fulfilled') return serialise(vm, state.value, limits);
    if (state.type === 'rejected') {
      const info = errorInfo(vm, state.error);
      state.error.dispose();
      return { ok: false, failure: toFailure(info, interrupted) };
    }
    if (Date.now() > deadline) return { ok: false, failure: timeoutFailure(limits) };
    if (inflight === 0 && !runtime.hasPendingJob()) {
      return { ok: false, failure: { kind: 'deadlock', name: 'Error', message: 'the code awaits a promise that never settles' } };
    }
    if (inflight > 0 && !woken) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(1, Math.min(deadline - Date.now() + 1, 1000)));
        function done(): void {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      });
    }
    woken = false;
  }
}

function serialise(vm: QuickJSContext, value: QuickJSHandle, limits: SandboxLimits): Outcome {
  const serialiser = vm.unwrapResult(vm.evalCode(SERIALISE, 'output.js'));
  try {
    const called = vm.callFunction(serialiser, vm.undefined, value);
    if (called.error) {
      const info = errorInfo(vm, called.error);
      called.error.dispose();
      return { ok: false, failure: { kind: 'output', name: info.name, message: info.message } };
    }
    const text = vm.getString(called.value);
    called.value.dispose();
    if (Buffer.byteLength(text) > limits.maxOutputBytes) {
      return { ok: false, failure: { kind: 'output', name: 'RangeError', message: `the output is larger than ${limits.maxOutputBytes} bytes of JSON` } };
    }
    return { ok: true, outputJson: text };
  } finally {
    serialiser.dispose();
    value.dispose();
  }
}

// The instance is never disposed: the thread ends right after, and freeing a VM stopped at its
// memory limit can fail; the whole WebAssembly memory goes with the thread.
run(workerData as WorkerInput).then(
  (outcome) => post({ type: 'done', outcome }),
  (error: unknown) => {
    const stackOverflow = error instanceof RangeError;
    post({
      type: 'done',
      outcome: {
        ok: false,
        failure: stackOverflow
          ? { kind: 'stack', name: 'RangeError', message: 'the code nested calls too deeply' }
          : { kind: 'error', name: 'SandboxError', message: error instanceof Error ? error.message : String(error) },
      },
    });
  },
);
