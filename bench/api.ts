// `npm run bench:api [-- --quick] [-- --json]`: the HTTP API under load, on loopback.
// - get_run_rps, get_run_p50_ms / p99: `GET /v1/runs/{id}` of a finished one-block workflow run,
//   closed loop with CONNECTIONS keep-alive connections for a while: the most requests per second.
// - get_run_p50_ms_at_500rps / p99: the same request sent at a fixed 500 per second (open loop);
//   latency counts from when each request was due, so a stall is not hidden (no coordinated omission).
// - create_run_rps, create_run_p50_ms / p99: `POST /v1/run/workflows` of a one-block `wait` workflow
//   (`wait_sec: 0`: no browser, no model), 4 at a time; the server's workers run the runs meanwhile.
//   All created runs are checked to complete.
// The server runs in a child process (`bench/api-server.ts`: `startServer` with the defaults, SQLite
// in a temp dir, request logs at `info`, discarded) and the load generator here (undici's Pool), so
// they do not share an event loop; both share the machine's cores. Writes bench/results/api.json and
// with --json prints that JSON as the last line. Not a test: the machine is shared and noisy.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
const quick = flags.quick;
const here = dirname(fileURLToPath(import.meta.url));
const CONNECTIONS = 16;
const RATE = 500;
const durations = quick ? { warmMs: 500, maxMs: 2000, rateMs: 3000, createMs: 2000 } : { warmMs: 2000, maxMs: 8000, rateMs: 10_000, createMs: 8000 };
const log = (line: string): void => {
  if (!flags.json) console.error(line);
};

const percentile = (values: number[], p: number): number => {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
};
const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;

// --- the server ---
const dir = mkdtempSync(join(tmpdir(), 'petrel-bench-api-'));
const child = spawn(process.execPath, [join(here, 'api-server.ts')], {
  env: { ...process.env, PETREL_DATA_DIR: dir, PETREL_LOG_LEVEL: process.env.PETREL_LOG_LEVEL ?? 'info' },
  stdio: ['ignore', 'ignore', 'pipe'],
});
const ready = await new Promise<{ url: string; apiKey: string }>((resolve, reject) => {
  const lines = createInterface({ input: child.stderr });
  lines.on('line', (line) => {
    if (line.startsWith('{"url"')) resolve(JSON.parse(line) as { url: string; apiKey: string });
    else log(`  server: ${line}`);
  });
  child.once('exit', (code) => reject(new Error(`bench: the server exited (${String(code)})`)));
});
const pool = new Pool(ready.url, { connections: CONNECTIONS, pipelining: 1, keepAliveTimeout: 60_000 });
const headers = { 'x-api-key': ready.apiKey, 'content-type': 'application/json' };

async function request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const response = await pool.request({ method, path, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.body.text();
  return { status: response.statusCode, json: text === '' ? null : JSON.parse(text) };
}

async function expectOk(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> {
  const { status, json } = await request(method, path, body);
  if (status !== 200) throw new Error(`bench: ${method} ${path} answered ${status}: ${JSON.stringify(json).slice(0, 300)}`);
  return json as Record<string, unknown>;
}

/** Closed loop: `concurrency` loops send `send()` back to back for `ms`; latencies in ms. */
async function closedLoop(concurrency: number, ms: number, send: () => Promise<void>): Promise<{ latencies: number[]; elapsedMs: number }> {
  const latencies: number[] = [];
  const started = performance.now();
  const end = started + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await send();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, elapsedMs: performance.now() - started };
}

/** Open loop: a request is due every 1000/rate ms; latency counts from when it was due. */
async function fixedRate(rate: number, ms: number, send: () => Promise<void>): Promise<{ latencies: number[]; sent: number; maxBehindMs: number }> {
  const interval = 1000 / rate;
  const total = Math.round((ms / 1000) * rate);
  const latencies: number[] = [];
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  let next = 0;
  let maxBehindMs = 0;
  while (next < total) {
    const now = performance.now();
    while (next < total && started + next * interval <= now) {
      const due = started + next * interval;
      maxBehindMs = Math.max(maxBehindMs, now - due);
      inFlight.push(send().then(() => void latencies.push(performance.now() - due)));
      next++;
    }
    const wait = started + next * interval - performance.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.floor(wait))));
  }
  await Promise.all(inFlight);
  return { latencies, sent: total, maxBehindMs };
}

let result: Record<string, unknown> = {};
try {
  // A one-block workflow that needs no browser and no model, and one finished run of it.
  const workflow = await expectOk('POST', '/v1/workflows', {
    json_definition: { title: 'bench wait', workflow_definition: { parameters: [], blocks: [{ block_type: 'wait', label: 'pause', wait_sec: 0 }] } },
  });
  const workflowId = String(workflow['workflow_permanent_id']);
  const first = await expectOk('POST', '/v1/run/workflows', { workflow_id: workflowId });
  const runId = String(first['run_id']);
  const finished = async (id: string): Promise<string> => {
    for (let i = 0; i < 600; i++) {
      const run = await expectOk('GET', `/v1/runs/${id}`);
      if (['completed', 'failed', 'terminated', 'canceled', 'timed_out'].includes(String(run['status']))) return String(run['status']);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`bench: run ${id} did not finish`);
  };
  const status = await finished(runId);
  if (status !== 'completed') throw new Error(`bench: the sample run ended ${status}`);

  const getRun = async (): Promise<void> => {
    const response = await pool.request({ method: 'GET', path: `/v1/runs/${runId}`, headers });
    await response.body.text();
    if (response.statusCode !== 200) throw new Error(`bench: GET /v1/runs/{id} answered ${response.statusCode}`);
  };
  log(`bench:api: server ${ready.url}, run ${runId}; warming up`);
  await closedLoop(CONNECTIONS, durations.warmMs, getRun);

  log(`  GET /v1/runs/{id}, ${CONNECTIONS} connections, closed loop, ${durations.maxMs} ms`);
  const max = await closedLoop(CONNECTIONS, durations.maxMs, getRun);
  log(`  GET /v1/runs/{id} at ${RATE}/s, ${durations.rateMs} ms`);
  const paced = await fixedRate(RATE, durations.rateMs, getRun);

  log(`  POST /v1/run/workflows, 4 at a time, ${durations.createMs} ms`);
  const created: string[] = [];
  const create = await closedLoop(4, durations.createMs, async () => {
    const run = await expectOk('POST', '/v1/run/workflows', { workflow_id: workflowId });
    created.push(String(run['run_id']));
  });
  let completed = 0;
  for (const id of created) if ((await finished(id)) === 'completed') completed++;

  result = {
    benchmark: 'api',
    node: process.version,
    cores: availableParallelism(),
    database: 'sqlite',
    log_level: process.env.PETREL_LOG_LEVEL ?? 'info',
    connections: CONNECTIONS,
    get_run_requests: max.latencies.length,
    get_run_rps: Math.round(max.latencies.length / (max.elapsedMs / 1000)),
    get_run_p50_ms: round(percentile(max.latencies, 50)),
    get_run_p99_ms: round(percentile(max.latencies, 99)),
    get_run_requests_at_500rps: paced.sent,
    get_run_p50_ms_at_500rps: round(percentile(paced.latencies, 50)),
    get_run_p99_ms_at_500rps: round(percentile(paced.latencies, 99)),
    get_run_max_ms_at_500rps: round(Math.max(...paced.latencies)),
    generator_max_behind_ms_at_500rps: round(paced.maxBehindMs),
    create_run_requests: create.latencies.length,
    create_run_rps: round(create.latencies.length / (create.elapsedMs / 1000), 1),
    create_run_p50_ms: round(percentile(create.latencies, 50)),
    create_run_p99_ms: round(percentile(create.latencies, 99)),
    created_runs_completed: `${completed}/${created.length}`,
    workload: 'GET: a finished one-block workflow run; create: POST /v1/run/workflows of a one-block wait (wait_sec 0) workflow',
  };
} finally {
  await pool.close();
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}

const rows: Array<[string, string, string]> = [
  [`GET /v1/runs/{id}, ${CONNECTIONS} connections`, `${String(result['get_run_rps'])} req/s, p50 ${String(result['get_run_p50_ms'])} ms, p99 ${String(result['get_run_p99_ms'])} ms`, ''],
  [`GET /v1/runs/{id} at ${RATE} req/s`, `p50 ${String(result['get_run_p50_ms_at_500rps'])} ms, p99 ${String(result['get_run_p99_ms_at_500rps'])} ms`, 'p99 <= 20 ms'],
  ['POST /v1/run/workflows, 4 at a time', `${String(result['create_run_rps'])} runs/s, p50 ${String(result['create_run_p50_ms'])} ms, p99 ${String(result['create_run_p99_ms'])} ms`, ''],
  ['created runs completed', String(result['created_runs_completed']), ''],
];
const width = Math.max(...rows.map((r) => r[0].length));
console.log(`api benchmark${quick ? ' (quick)' : ''}: node ${process.version}, ${String(result['cores'])} cores, SQLite, logs at ${String(result['log_level'])}`);
for (const [name, value, target] of rows) console.log(`  ${name.padEnd(width)}  ${value.padEnd(52)}${target ? `target ${target}` : ''}`);
const out = join(here, 'results', 'api.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`  wrote ${out}`);
if (flags.json) console.log(JSON.stringify(result));
