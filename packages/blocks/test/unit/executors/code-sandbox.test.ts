// The code block's sandbox: QuickJS in WebAssembly with time, memory and stack limits; outputs from
// top-level variables; no host access (process, require, fetch, import, prototype walks); host
// functions as the only bridge; console captured and redacted; ErrorCode surfaced.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeCode, runSandboxedCode } from '@petrel/blocks';
import type { SandboxResult } from '@petrel/blocks';
import { isPetrelError } from '@petrel/protocol';

function failure(result: SandboxResult) {
  if (result.ok) assert.fail(`expected a failure, got ${JSON.stringify(result)}`);
  return result.failure;
}

function output(result: SandboxResult): unknown {
  if (!result.ok) assert.fail(`expected success, got ${JSON.stringify(result)}`);
  return result.output;
}

test('top-level variables are the output; functions and undefined are left out; top-level await works', async () => {
  const result = await runSandboxedCode({
    code: `
      const total = 40 + 2;
      let { a, b: [first] } = { a: 'x', b: [7] };
      var nested = { list: [1, 2, { ok: true }], when: new Date(0) };
      const waited = await Promise.resolve('done');
      const fn = () => 1;
      let nothing;
      function helper() { return 3 }
      const fromHelper = helper();
    `,
  });
  assert.deepEqual(output(result), {
    total: 42,
    a: 'x',
    first: 7,
    nested: { list: [1, 2, { ok: true }], when: '1970-01-01T00:00:00.000Z' },
    waited: 'done',
    fromHelper: 3,
  });
});

test('a top-level return value is the output instead', async () => {
  assert.deepEqual(output(await runSandboxedCode({ code: 'const x = 2; return { doubled: x * 2 }' })), { doubled: 4 });
  assert.deepEqual(output(await runSandboxedCode({ code: 'return [1, "two"]' })), [1, 'two']);
});

test('globals are JSON copies of the parameters', async () => {
  const globals = { invoice: { id: 'INV-1', lines: [{ amount: 2.5 }, { amount: 4 }] }, rate: 0.2 };
  const result = await runSandboxedCode({
    code: `
      invoice.lines.push({ amount: 100 });
      const sum = invoice.lines.reduce((s, l) => s + l.amount, 0);
      const tax = Math.round(sum * rate * 100) / 100;
    `,
    globals,
  });
  assert.deepEqual(output(result), { sum: 106.5, tax: 21.3 });
  assert.equal(globals.invoice.lines.length, 2, 'the host object was not touched');
});

test('an infinite loop is stopped by the time limit', async () => {
  const started = Date.now();
  const result = await runSandboxedCode({ code: 'let i = 0; while (true) { i++ }', limits: { timeoutMs: 300 } });
  const f = failure(result);
  assert.equal(f.kind, 'timeout');
  assert.ok(Date.now() - started < 10_000, 'stopped promptly');
});

test('a busy loop does not stall the event loop of the process', async () => {
  let ticks = 0;
  const interval = setInterval(() => ticks++, 20);
  try {
    const result = await runSandboxedCode({ code: 'while (true) {}', limits: { timeoutMs: 600 } });
    assert.equal(failure(result).kind, 'timeout');
  } finally {
    clearInterval(interval);
  }
  assert.ok(ticks >= 5, `the main thread kept running timers (${ticks} ticks)`);
});

test('a loop that catches the interrupt is still stopped', async () => {
  const result = await runSandboxedCode({ code: 'for (;;) { try { for (;;) {} } catch (e) {} }', limits: { timeoutMs: 300 } });
  assert.equal(failure(result).kind, 'timeout');
});

test('an async loop of microtasks is stopped by the time limit', async () => {
  const result = await runSandboxedCode({ code: 'for (;;) { await null }', limits: { timeoutMs: 300 } });
  assert.equal(failure(result).kind, 'timeout');
});

test('a memory bomb is stopped by the memory limit', async () => {
  const result = await runSandboxedCode({
    code: 'const hoard = []; for (;;) hoard.push({ index: hoard.length, text: "abcdefgh" + hoard.length });',
    limits: { memoryLimitBytes: 16 * 1024 * 1024, timeoutMs: 60_000 },
  });
  const f = failure(result);
  assert.equal(f.kind, 'memory');
  assert.match(f.message, /out of memory/);
});

test('one huge allocation is refused by the memory limit', async () => {
  const result = await runSandboxedCode({ code: 'const a = new Array(1e9).fill(0)', limits: { memoryLimitBytes: 16 * 1024 * 1024 } });
  assert.equal(failure(result).kind, 'memory');
});

test('unbounded recursion is stopped by the stack limit, and the process survives', async () => {
  const result = await runSandboxedCode({ code: 'function down(n) { return down(n + 1) + 1 } down(0)' });
  assert.equal(failure(result).kind, 'stack');
  // A following run gets a fresh instance.
  assert.deepEqual(output(await runSandboxedCode({ code: 'const fine = 1' })), { fine: 1 });
});

test('no process, require, fetch, module loading or timers from the host', async () => {
  const result = await runSandboxedCode({
    code: `
      const kinds = [typeof process, typeof require, typeof fetch, typeof globalThis.Buffer, typeof setTimeout, typeof XMLHttpRequest, typeof WebAssembly];
      const names = Object.getOwnPropertyNames(globalThis).filter((n) => /^(process|require|module|fetch|Buffer)$|__petrel/.test(n));
    `,
  });
  assert.deepEqual(output(result), { kinds: Array(7).fill('undefined'), names: [] });
});

test('import statements and import() are refused before running, with the line', async () => {
  await assert.rejects(runSandboxedCode({ code: 'import fs from "node:fs"' }), (error: unknown) => {
    assert.ok(isPetrelError(error));
    assert.equal(error.code, 'VALIDATION_FAILED');
    assert.match(error.message, /no modules/);
    return true;
  });
  await assert.rejects(runSandboxedCode({ code: 'const x = 1;\nconst fs = await import("node:fs")' }), (error: unknown) => {
    assert.ok(isPetrelError(error));
    assert.deepEqual((error.details as { line?: number }).line, 2);
    return true;
  });
  // Built through eval, import() still finds no loader.
  const result = await runSandboxedCode({ code: 'const m = await eval("imp" + "ort(\'node:fs\')")' });
  assert.equal(result.ok, false);
});

test('prototype and constructor walks end inside the VM', async () => {
  const result = await runSandboxedCode({
    code: `
      const viaObject = ({}).constructor.constructor('return typeof process')();
      const viaHost = page.goto.constructor('return typeof process')();
      const viaHostProto = Object.getPrototypeOf(page.goto).constructor('return typeof require')();
      const viaError = (() => { try { null.x } catch (e) { return e.constructor.constructor('return typeof process')() } })();
      const globalOfFunction = Function('return this')() === globalThis;
      const viaConsole = console.log.constructor('return typeof process')();
    `,
    hostFunctions: { 'page.goto': async () => 'ok' },
  });
  assert.deepEqual(output(result), {
    viaObject: 'undefined',
    viaHost: 'undefined',
    viaHostProto: 'undefined',
    viaError: 'undefined',
    globalOfFunction: true,
    viaConsole: 'undefined',
  });
});

test('host functions receive JSON arguments and resolve to JSON values; their errors are thrown in the VM', async () => {
  const calls: unknown[][] = [];
  const result = await runSandboxedCode({
    code: `
      const title = await page.title();
      const echoed = await page.goto('http://example.test/a', { waitUntil: 'load' });
      let message;
      try { await page.click('#missing') } catch (e) { message = e.message }
    `,
    hostFunctions: {
      'page.title': async () => 'Orders',
      'page.goto': async (args) => {
        calls.push(args);
        return { url: args[0], status: 200 };
      },
      'page.click': async () => {
        throw new Error('no element matches #missing (token s3cr3t-value)');
      },
    },
    redact: (text) => text.replaceAll('s3cr3t-value', '[redacted]'),
  });
  assert.deepEqual(output(result), {
    title: 'Orders',
    echoed: { url: 'http://example.test/a', status: 200 },
    message: 'no element matches #missing (token [redacted])',
  });
  assert.deepEqual(calls, [['http://example.test/a', { waitUntil: 'load' }]]);
});

test('host functions are added to existing object globals (credentials with otp)', async () => {
  const result = await runSandboxedCode({
    code: 'const user = login.username; const code = await login.otp(); const keys = Object.keys(login);',
    globals: { login: { username: 'dana', password: 'pw' } },
    hostFunctions: { 'login.otp': async () => '123456' },
  });
  assert.deepEqual(output(result), { user: 'dana', code: '123456', keys: ['username', 'password'] });
});

test('ErrorCode throws surface the code and the reasoning', async () => {
  const f = failure(await runSandboxedCode({ code: 'const rows = [];\nif (rows.length === 0) throw new ErrorCode("NO_ROWS", "the report was empty");' }));
  assert.equal(f.kind, 'error_code');
  assert.equal(f.errorCode, 'NO_ROWS');
  assert.equal(f.reasoning, 'the report was empty');
  assert.equal(f.line, 2);
});

test('ordinary throws surface name, message and line', async () => {
  const f = failure(await runSandboxedCode({ code: 'const a = 1;\nconst b = a.missing.deeper;' }));
  assert.equal(f.kind, 'error');
  assert.equal(f.name, 'TypeError');
  assert.equal(f.line, 2);
});

test('console output is captured, redacted and capped', async () => {
  const result = await runSandboxedCode({
    code: 'console.log("token", "hunter2", { n: 1 }); console.warn("careful"); for (let i = 0; i < 100; i++) console.log("x".repeat(100));',
    redact: (text) => text.replaceAll('hunter2', '***'),
    limits: { maxLogBytes: 1000 },
  });
  assert.equal(result.ok, true);
  assert.deepEqual(result.logs.slice(0, 2), [
    { level: 'log', message: 'token *** {"n":1}' },
    { level: 'warn', message: 'careful' },
  ]);
  assert.ok(result.logs.length < 20);
  assert.ok(result.droppedLogLines > 80);
});

test('outputs that are too large or not JSON fail as output errors', async () => {
  assert.equal(failure(await runSandboxedCode({ code: 'const big = "x".repeat(2000)', limits: { maxOutputBytes: 1000 } })).kind, 'output');
  const f = failure(await runSandboxedCode({ code: 'const n = 10n' }));
  assert.equal(f.kind, 'output');
  assert.match(f.message, /not JSON-serialisable/);
  assert.equal(failure(await runSandboxedCode({ code: 'const loop = {}; loop.self = loop;' })).kind, 'output');
});

test('awaiting a promise that can never settle fails at once instead of hanging', async () => {
  const f = failure(await runSandboxedCode({ code: 'await new Promise(() => {})', limits: { timeoutMs: 60_000 } }));
  assert.equal(f.kind, 'deadlock');
});

test('an abort stops running code and a pending host call', async () => {
  const controller = new AbortController();
  const running = runSandboxedCode({ code: 'while (true) {}', signal: controller.signal, limits: { timeoutMs: 60_000 } });
  setTimeout(() => controller.abort(), 100);
  assert.equal(failure(await running).kind, 'canceled');

  const second = new AbortController();
  let hostSignal: AbortSignal | undefined;
  const waiting = runSandboxedCode({
    code: 'await page.waitFor("#never")',
    signal: second.signal,
    hostFunctions: {
      'page.waitFor': (_args, { signal }) => {
        hostSignal = signal;
        setTimeout(() => second.abort(), 20);
        return new Promise(() => {});
      },
    },
    limits: { timeoutMs: 60_000 },
  });
  assert.equal(failure(await waiting).kind, 'canceled');
  assert.equal(hostSignal?.aborted, true);
});

test('sleep waits inside the time limit', async () => {
  const result = await runSandboxedCode({ code: 'const before = Date.now(); await sleep(50); const slept = Date.now() - before >= 40;' });
  assert.deepEqual(output(result), { before: (output(result) as { before: number }).before, slept: true });
  const f = failure(await runSandboxedCode({ code: 'await sleep(60000); const after = 1;', limits: { timeoutMs: 200 } }));
  assert.equal(f.kind, 'timeout');
});

test('syntax errors are validation errors with line and column', async () => {
  await assert.rejects(runSandboxedCode({ code: 'const a = 1;\nconst = 2;' }), (error: unknown) => {
    assert.ok(isPetrelError(error));
    assert.equal(error.code, 'VALIDATION_FAILED');
    assert.deepEqual(error.details, { field: 'code', line: 2, column: 7 });
    return true;
  });
  assert.deepEqual(analyzeCode('const a = 1, { b, c: [d] } = {}; let e; var f; if (x) { var g }').variables, ['a', 'b', 'd', 'e', 'f']);
});

test('limits are validated', async () => {
  await assert.rejects(runSandboxedCode({ code: 'const a = 1', limits: { maxStackSizeBytes: 4 * 1024 * 1024 } }), /maxStackSizeBytes/);
  await assert.rejects(runSandboxedCode({ code: 'const a = 1', limits: { timeoutMs: 0 } }), /timeoutMs/);
});
