// In-process checks of the CLI's parts: help for every command, error lines and exit codes, option
// parsers, the config keys against the server's variables, and the live view on a terminal (a
// redrawn line with step count, action, URL, elapsed) versus one line per event.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Command } from 'commander';
import { LLM_ENV, S3_ENV, SERVER_ENV, SMTP_ENV } from '@petrel/server';
import { ApiError, ConnectionError, NotFoundError, TimeoutError } from '@petrel/sdk';
import type { GetRunResponse, Petrel, RunEvent, WaitForCompletionOptions } from '@petrel/sdk';
import { CommandContext, SERVER_CONFIG_ENV, createProgram, describeError, formatErrorLine, runCli } from '@petrel/cli';
import type { CliIo } from '@petrel/cli';
import { PetrelError } from '@petrel/protocol';
import { watchRun } from '../../src/run-watch.ts';
import { parseDurationMs, parseKeyValue } from '../../src/option-parsers.ts';

function captureStream(isTTY = false): { write(chunk: string): boolean; isTTY: boolean; columns: number; text: string } {
  return {
    isTTY,
    columns: 200,
    text: '',
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

function io(overrides: Partial<CliIo> = {}): CliIo & { stdout: ReturnType<typeof captureStream>; stderr: ReturnType<typeof captureStream> } {
  return {
    stdin: process.stdin,
    stdout: captureStream(),
    stderr: captureStream(),
    env: { HOME: '/nonexistent', XDG_CONFIG_HOME: '/nonexistent' },
    cwd: '/nonexistent',
    homedir: '/nonexistent',
    interrupt: new AbortController().signal,
    ...overrides,
  } as CliIo & { stdout: ReturnType<typeof captureStream>; stderr: ReturnType<typeof captureStream> };
}

function leafCommands(command: Command, path: string[] = []): string[][] {
  const children = command.commands.filter((child) => child.name() !== 'help');
  if (children.length === 0) return [path];
  return [...(path.length === 0 ? [] : [path]), ...children.flatMap((child) => leafCommands(child, [...path, child.name()]))];
}

test('every command has help: usage, a description, and its options; exit 0', async () => {
  const program = createProgram(io(), () => {});
  const paths = leafCommands(program);
  assert.ok(paths.length >= 45, `${paths.length} commands`);
  for (const path of [[], ...paths]) {
    const streams = io();
    const code = await runCli([...path, '--help'], streams);
    assert.equal(code, 0, path.join(' '));
    assert.match(streams.stdout.text, new RegExp(`^Usage: petrel${path.length === 0 ? '' : ` ${path.join(' ')}`}`), path.join(' '));
    const description = path.reduce<Command | undefined>((current, name) => current?.commands.find((child) => child.name() === name), program)?.description() ?? '';
    assert.ok(description.length > 10, `${path.join(' ')} has a description`);
    assert.ok(streams.stdout.text.includes(description.slice(0, 40)), path.join(' '));
  }
});

test('config keys cover exactly the server\'s environment variables', () => {
  const server = new Set([...Object.values(SERVER_ENV), ...Object.values(S3_ENV), ...Object.values(LLM_ENV), ...Object.values(SMTP_ENV)]);
  assert.deepEqual([...SERVER_CONFIG_ENV].sort(), [...server].sort());
});

test('errors: one line with the command, the code and the request id, and the exit code of their kind', () => {
  const notFound = describeError(new NotFoundError('getRun: GET /v1/runs/{run_id} answered 404', { statusCode: 404, body: { detail: 'runs.get: run wr_123 not found', code: 'RUN_NOT_FOUND' }, requestId: 'req_1' }));
  assert.equal(notFound.exitCode, 3);
  assert.equal(formatErrorLine('runs get', notFound), 'petrel: runs get: run wr_123 not found (RUN_NOT_FOUND, request req_1)');
  const serverError = describeError(new ApiError('x', { statusCode: 500, body: { detail: 'Internal error', code: 'INTERNAL' }, requestId: 'req_2' }));
  assert.equal(serverError.exitCode, 4);
  assert.equal(formatErrorLine('runs list', serverError), 'petrel: runs list: Internal error (INTERNAL, request req_2)');
  const refused = new ConnectionError('getRuns: cannot reach http://127.0.0.1:9', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
  assert.equal(describeError(refused).exitCode, 4);
  assert.match(formatErrorLine('runs list', describeError(refused)), /^petrel: runs list: cannot reach http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\); is `petrel serve` running/);
  assert.equal(describeError(new TimeoutError('getRun: no answer within 60000 ms', { timeoutMs: 60_000 })).exitCode, 5);
  assert.equal(describeError(new PetrelError('INVALID_CONFIG', 'config: PETREL_PORT must be …')).exitCode, 2);
  assert.equal(describeError(new PetrelError('STORE_UNAVAILABLE', 'database.open: cannot reach PostgreSQL')).exitCode, 4);
  const multiline = formatErrorLine('x', { ...describeError(new Error('first\n  second')), code: undefined });
  assert.equal(multiline, 'petrel: x: first second');
});

test('option parsers: durations (bare numbers are seconds), key=value pairs kept as text', () => {
  assert.equal(parseDurationMs('90'), 90_000);
  assert.equal(parseDurationMs('30 seconds'), 30_000);
  assert.equal(parseDurationMs('10m'), 600_000);
  assert.equal(parseDurationMs('1 hour'), 3_600_000);
  assert.equal(parseDurationMs('250ms'), 250);
  assert.equal(parseDurationMs('1.5 s'), 1500);
  assert.throws(() => parseDurationMs('soon'), /not a duration/);
  assert.throws(() => parseDurationMs('5 fortnights'), /not a duration/);
  assert.deepEqual(parseKeyValue('url=https://a.example/?q=1', '--param'), ['url', 'https://a.example/?q=1']);
  assert.deepEqual(parseKeyValue('times=3', '--param'), ['times', '3']);
  assert.throws(() => parseKeyValue('novalue', '--param'), /expected key=value/);
});

/** A client whose `waitForCompletion` replays events, then answers `finished`. */
function replayingClient(events: Array<Partial<RunEvent>>, finished: Partial<GetRunResponse>): Petrel {
  return {
    async waitForCompletion(_runId: string, options: WaitForCompletionOptions = {}) {
      for (const event of events) {
        options.onEvent?.({ runId: 'tsk_1', seq: 1, at: '', id: undefined, type: 'status', ...event });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return { runId: 'tsk_1', status: 'completed', failureReason: null, ...finished } as GetRunResponse;
    },
  } as unknown as Petrel;
}

const EVENTS: Array<Partial<RunEvent>> = [
  { type: 'snapshot', status: 'running', run: { status: 'running', stepCount: 0, createdAt: new Date().toISOString() } },
  { type: 'agent_step', stepNumber: 1, status: 'running' },
  { type: 'agent_step', stepNumber: 1, status: 'completed', url: 'http://127.0.0.1:1/jobs', endUrl: 'http://127.0.0.1:1/jobs/JOB-2001', outcome: 'continue' },
  { type: 'action', stepNumber: 1, actionType: 'click', target: 'link "Data Engineer"', ok: true, url: 'http://127.0.0.1:1/jobs/JOB-2001' },
  { type: 'agent_step', stepNumber: 2, status: 'running' },
];

test('live view on a terminal: one status line redrawn in place with step count, current action, URL and elapsed time', async () => {
  const streams = io({ stderr: captureStream(true) });
  const ctx = new CommandContext(streams, { json: false, quiet: false, apiKey: undefined, baseUrl: undefined, config: undefined, field: undefined }, 'runs watch');
  const run = await watchRun(ctx, replayingClient(EVENTS, {}), 'tsk_1');
  assert.equal(run.status, 'completed');
  const frames = streams.stderr.text.split('\r\u001b[2K').filter((frame) => frame !== '');
  assert.ok(!streams.stderr.text.includes('\n'), 'no line feeds: the line is redrawn');
  assert.ok(frames.some((frame) => /tsk_1 · running · step 2 · step 2: deciding · 127\.0\.0\.1:1\/jobs\/JOB-2001 · \d+ ms/.test(frame)), frames.join('\n'));
  assert.ok(frames.some((frame) => frame.includes('step 1 · click link "Data Engineer"')), frames.join('\n'));
  assert.ok(streams.stderr.text.endsWith('\r\u001b[2K'), 'the line is cleared at the end');
});

test('live view without a terminal: one line per event, a step\'s actions before its end, the final status last', async () => {
  const streams = io();
  const ctx = new CommandContext(streams, { json: false, quiet: false, apiKey: undefined, baseUrl: undefined, config: undefined, field: undefined }, 'runs watch');
  await watchRun(ctx, replayingClient(EVENTS, { status: 'failed', failureReason: 'Reached the maximum steps (2)' }), 'tsk_1');
  const lines = streams.stderr.text.trimEnd().split('\n').map((line) => line.replace(/^\[\s*[\d.]+ m?s\] /, ''));
  assert.deepEqual(lines, [
    'run tsk_1 running',
    'step 1 started',
    'step 1: click link "Data Engineer" → http://127.0.0.1:1/jobs/JOB-2001',
    'step 1 done at http://127.0.0.1:1/jobs/JOB-2001',
    'step 2 started',
    'run tsk_1 failed: Reached the maximum steps (2)',
  ]);
});
