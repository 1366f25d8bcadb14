// `npm run bench:engine [-- --store sqlite|postgres] [-- --quick] [-- --json]`: the cost of a durable
// step against the floor of one bare transaction of the same database with the same durability,
// throughput, and the wake-up lag of many sleepers.
// With `--store postgres` (PostgreSQL at PETREL_BENCH_POSTGRES_URL, default the test database; a
// schema per run, dropped after) it also measures throughput with 1, 2 and 4 worker processes, and
// the same workload (N instances x M trivial steps) on DBOS Transact against the same server, side
// by side in rounds (medians reported).
// Prints a table, writes bench/results/engine.json (SQLite) or engine-postgres.json, and with --json
// prints that JSON as the last line. Not a test: numbers on a shared 2-core machine are noisy.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { applyPragmas, createEngine, createPostgresStore, createSqliteStore, defineWorkflow } from '@petrel/engine';
import type { Engine, Store } from '@petrel/engine';
import { trivialFlow } from './engine-workflows.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    store: { type: 'string', default: 'sqlite' },
    rounds: { type: 'string' },
  },
});
const quick = values.quick;
const postgres = values.store === 'postgres';
if (!postgres && values.store !== 'sqlite') throw new Error(`bench: --store must be sqlite or postgres, not ${values.store}`);
const config = quick
  ? { floorTx: 3000, overheadInstances: 10, throughputInstances: 20, steps: 100, sleepers: 2000, windowMs: 3000, slots: 64, rounds: 1 }
  : { floorTx: 20_000, overheadInstances: 20, throughputInstances: 50, steps: 200, sleepers: 10_000, windowMs: 10_000, slots: 64, rounds: 3 };
if (values.rounds !== undefined) config.rounds = Number(values.rounds);
if (postgres) config.floorTx = Math.round(config.floorTx / 4);
const PG_URL = process.env.PETREL_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const POOL_SIZE = 10;
const root = mkdtempSync(join(tmpdir(), 'petrel-bench-engine-'));
const here = dirname(new URL(import.meta.url).pathname);
const started = Date.now();
const runId = randomBytes(4).toString('hex');
const schemas: string[] = [];

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
const median = (samples: number[]): number => percentile(samples, 50);
const round = (n: number, digits = 4): number => Number(n.toFixed(digits));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A fresh store for one phase: a SQLite file, or a PostgreSQL schema of its own. */
async function openPhaseStore(name: string): Promise<Store> {
  if (!postgres) return createSqliteStore({ dataDir: join(root, name) });
  const schema = `bench_${name}_${runId}`;
  schemas.push(schema);
  return createPostgresStore({ url: PG_URL, schema, poolSize: POOL_SIZE, applicationName: 'petrel-bench' });
}

async function pgClient(): Promise<Client> {
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  return client;
}

// 1. The floor: one bare transaction per step with the engine's durability settings.
function measureSqliteFloor(): number[] {
  const db = new Database(join(root, 'floor.db'));
  applyPragmas(db, 'NORMAL');
  db.exec('CREATE TABLE floor (id INTEGER PRIMARY KEY, k TEXT NOT NULL, v TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO floor (k, v) VALUES (?, ?)');
  const tx = db.transaction((i: number) => insert.run(`step-${i}`, '{"value":1}'));
  const samples: number[] = [];
  for (let i = 0; i < config.floorTx; i++) {
    const t0 = performance.now();
    tx.immediate(i);
    samples.push(performance.now() - t0);
  }
  db.close();
  return samples.slice(Math.floor(samples.length / 10));
}

/** One INSERT as its own transaction (autocommit, so BEGIN and COMMIT cost no round trips), prepared, through node-postgres. */
async function measurePostgresFloor(): Promise<number[]> {
  const client = await pgClient();
  const table = `bench_floor_${runId}`;
  try {
    await client.query(`CREATE TABLE ${table} (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, k TEXT NOT NULL, v TEXT NOT NULL)`);
    const samples: number[] = [];
    for (let i = 0; i < config.floorTx; i++) {
      const t0 = performance.now();
      await client.query({ name: 'floor', text: `INSERT INTO ${table} (k, v) VALUES ($1, $2)`, values: [`step-${i}`, '{"value":1}'] });
      samples.push(performance.now() - t0);
    }
    return samples.slice(Math.floor(samples.length / 10));
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await client.end();
  }
}

// 2. Step overhead: instances one at a time, so a step's latency is the engine's own cost.
async function measureOverhead(): Promise<number[]> {
  const store = await openPhaseStore('overhead');
  const samples: number[] = [];
  let recording = false;
  const timed = defineWorkflow<{ steps: number }>({
    name: 'timed',
    async run(event, step) {
      let sum = 0;
      for (let i = 0; i < event.payload.steps; i++) {
        const t0 = performance.now();
        sum += await step.do(`s${i}`, async () => i);
        if (recording) samples.push(performance.now() - t0);
      }
      return sum;
    },
  });
  const engine = await createEngine({ store, workflows: [timed], slots: 4, pollIntervalMs: 1000 });
  await engine.instances.create({ workflow: 'timed', id: 'warm', params: { steps: 200 } });
  await engine.instances.waitForStatus({ workflow: 'timed', id: 'warm' });
  recording = true;
  for (let i = 0; i < config.overheadInstances; i++) {
    await engine.instances.create({ workflow: 'timed', id: `o${i}`, params: { steps: config.steps } });
    await engine.instances.waitForStatus({ workflow: 'timed', id: `o${i}` }, { timeoutMs: 120_000 });
  }
  await engine.close();
  await store.close();
  return samples;
}

// 3. Throughput in this process: N instances at once, one slot each.
async function measureThroughputInProcess(label: string): Promise<number> {
  const store = await openPhaseStore(`tp_${label}`);
  const engine = await createEngine({ store, workflows: [trivialFlow], slots: config.throughputInstances, pollIntervalMs: 1000 });
  await engine.instances.create({ workflow: 'trivial', id: 'warm', params: { steps: 50 } });
  await engine.instances.waitForStatus({ workflow: 'trivial', id: 'warm' });
  // The warm-up instance counts among the completed ones; the workload's ids are checked by name.
  const perSec = await runWorkloadOnly(engine, 't');
  await engine.close();
  await store.close();
  return perSec;
}

/** Creates N instances x M trivial steps and waits for all to complete; returns steps per second. */
async function runWorkloadOnly(api: Engine, prefix: string, count = config.throughputInstances, steps = config.steps): Promise<number> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  const before = await api.store.describeInstances('default', 'trivial');
  const doneBefore = (before.counts.complete ?? 0) + (before.counts.errored ?? 0);
  const t0 = performance.now();
  for (let i = 0; i < ids.length; i += 100) {
    await api.instances.createBatch({ workflow: 'trivial', items: ids.slice(i, i + 100).map((id) => ({ id, params: { steps } })) });
  }
  // Completion is polled (one cheap query per 10 ms) the same way for every Petrel variant.
  for (;;) {
    const info = await api.store.describeInstances('default', 'trivial');
    if ((info.counts.complete ?? 0) + (info.counts.errored ?? 0) >= doneBefore + ids.length) break;
    await sleep(10);
  }
  const seconds = (performance.now() - t0) / 1000;
  for (const id of ids) {
    const details = await api.instances.get({ workflow: 'trivial', id }, { steps: false });
    if (details.status !== 'complete' || details.output !== (steps * (steps - 1)) / 2) throw new Error(`bench: ${id} ended ${details.status}`);
  }
  return (ids.length * steps) / seconds;
}

// 4. Throughput with worker processes sharing PostgreSQL: the same workload, slots split among them.
async function measureThroughputWorkers(workers: number, label: string): Promise<number> {
  const store = await openPhaseStore(`w${workers}_${label}`);
  const schema = schemas.at(-1)!;
  const api = await createEngine({ store, workflows: [trivialFlow], slots: 0 });
  const slots = Math.ceil(config.throughputInstances / workers);
  const procs: ChildProcess[] = [];
  try {
    const ready: Array<Promise<void>> = [];
    for (let w = 0; w < workers; w++) {
      const proc = spawn(process.execPath, [join(here, 'engine-worker.ts'), '--url', PG_URL, '--schema', schema, '--slots', String(slots)], { stdio: ['ignore', 'pipe', 'inherit'] });
      procs.push(proc);
      ready.push(
        new Promise<void>((resolve, reject) => {
          proc.stdout?.on('data', (chunk: Buffer) => {
            if (chunk.toString().includes('ready')) resolve();
          });
          proc.once('exit', (code) => reject(new Error(`bench worker exited with ${code}`)));
        }),
      );
    }
    await Promise.all(ready);
    // Fresh processes: warm their JIT up with a smaller run of the same workload first.
    await runWorkloadOnly(api, 'warm', Math.min(config.throughputInstances, 4 * workers), 100);
    return await runWorkloadOnly(api, 't');
  } finally {
    for (const proc of procs) proc.kill('SIGTERM');
    await Promise.all(procs.map((proc) => new Promise((resolve) => (proc.exitCode !== null ? resolve(null) : proc.once('exit', resolve)))));
    await api.close();
    await store.close();
  }
}

// 5. DBOS Transact: the same workload in this process, against the same PostgreSQL (its own schema).
type DbosRunner = { run: (label: string) => Promise<number>; close: () => Promise<void>; version: string; description: string };

async function startDbos(): Promise<DbosRunner> {
  const { DBOS } = await import('@dbos-inc/dbos-sdk');
  const version = (JSON.parse(readFileSync(join(here, '..', 'node_modules', '@dbos-inc', 'dbos-sdk', 'package.json'), 'utf8')) as { version: string }).version;
  const schema = `bench_dbos_${runId}`;
  schemas.push(schema);
  DBOS.setConfig({ name: 'petrel-bench', systemDatabaseUrl: PG_URL, systemDatabaseSchemaName: schema, systemDatabasePoolSize: POOL_SIZE, logLevel: 'error' });
  const workflow = DBOS.registerWorkflow(
    async (steps: number): Promise<number> => {
      let sum = 0;
      for (let i = 0; i < steps; i++) sum += await DBOS.runStep(async () => i, { name: `s${i}` });
      return sum;
    },
    { name: 'trivial' },
  );
  await DBOS.launch();
  const runBatch = async (prefix: string, count: number, steps: number): Promise<number> => {
    const t0 = performance.now();
    const handles = [];
    for (let i = 0; i < count; i++) handles.push(await DBOS.startWorkflow(workflow, { workflowID: `${prefix}-${i}` })(steps));
    for (const handle of handles) {
      const sum = await handle.getResult();
      if (sum !== (steps * (steps - 1)) / 2) throw new Error(`bench: DBOS workflow returned ${sum}`);
    }
    return (count * steps) / ((performance.now() - t0) / 1000);
  };
  await runBatch('warm', 1, 50);
  return {
    version,
    description: `DBOS Transact ${version}: DBOS.registerWorkflow + DBOS.runStep per step, workflows started with DBOS.startWorkflow and awaited with getResult, system database schema on the same server, pool ${POOL_SIZE}, default settings otherwise`,
    run: (label) => runBatch(`run-${label}`, config.throughputInstances, config.steps),
    close: () => DBOS.shutdown(),
  };
}

// 6. Sleepers: S instances asleep at once, then due over a window.
/** Heap in use after a full GC (needs --expose-gc, which `npm run bench:engine` passes), in MB. */
function heapAfterGcMb(): number | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return null;
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

async function measureSleepers(): Promise<{ lags: number[]; rssMb: number; heapBeforeMb: number | null; heapAsleepMb: number | null; asleepMs: number; overrunMs: number }> {
  const store = await openPhaseStore('sleepers');
  const flow = defineWorkflow<{ wakeAt: number }>({
    name: 'sleeper',
    async run(event, step) {
      await step.sleepUntil('nap', event.payload.wakeAt);
      return step.do('woke', async () => Date.now());
    },
  });
  const engine = await createEngine({ store, workflows: [flow], slots: config.slots, pollIntervalMs: 1000 });
  const heapBeforeMb = heapAfterGcMb();
  // Due times: uniformly spaced over `windowMs`, starting once all are expected to be asleep.
  const setupBudgetMs = 3000 + config.sleepers * (postgres ? 2.5 : 0.6);
  const base = Date.now() + setupBudgetMs;
  const t0 = Date.now();
  for (let i = 0; i < config.sleepers; i += 100) {
    const items = [];
    for (let j = i; j < Math.min(config.sleepers, i + 100); j++) items.push({ id: `z${j}`, params: { wakeAt: base + Math.floor((j / config.sleepers) * config.windowMs) } });
    await engine.instances.createBatch({ workflow: 'sleeper', items });
  }
  for (;;) {
    const info = await engine.workflows.get({ workflow: 'sleeper' });
    if ((info.instances.waiting ?? 0) === config.sleepers) break;
    if (Date.now() > base) break;
    await sleep(50);
  }
  const asleepAt = Date.now();
  const rssMb = process.memoryUsage().rss / 1024 / 1024;
  const heapAsleepMb = heapAfterGcMb();
  const deadline = base + config.windowMs + 120_000;
  for (;;) {
    const info = await engine.workflows.get({ workflow: 'sleeper' });
    if ((info.instances.complete ?? 0) === config.sleepers) break;
    if (Date.now() > deadline) throw new Error('bench: sleepers did not all wake');
    await sleep(200);
  }
  const lags: number[] = [];
  for (let after: string | undefined; ; ) {
    const page = await engine.instances.list({ workflow: 'sleeper', perPage: 1000, direction: 'asc', ...(after ? { cursor: after } : {}) });
    for (const summary of page.instances) {
      const details = await engine.instances.get({ workflow: 'sleeper', id: summary.id });
      const woke = details.output as number;
      const wakeAt = (details.params as { wakeAt: number }).wakeAt;
      lags.push(woke - wakeAt);
    }
    if (!page.cursor) break;
    after = page.cursor;
  }
  await engine.close();
  await store.close();
  return { lags, rssMb, heapBeforeMb, heapAsleepMb, asleepMs: asleepAt - t0, overrunMs: Math.max(0, asleepAt - base) };
}

async function dropSchemas(): Promise<void> {
  if (schemas.length === 0) return;
  const client = await pgClient();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

let result: Record<string, unknown>;
const rows: Array<[string, string, string]> = [];
try {
  const floor = postgres ? await measurePostgresFloor() : measureSqliteFloor();
  const overhead = await measureOverhead();
  // Throughput rounds: Petrel in process, then (PostgreSQL) DBOS right after it, so that both see the
  // same machine load; medians over the rounds.
  const inProcess: number[] = [];
  const dbosRuns: number[] = [];
  const perWorkers = new Map<number, number[]>([
    [1, []],
    [2, []],
    [4, []],
  ]);
  const dbos = postgres ? await startDbos() : undefined;
  try {
    for (let r = 0; r < config.rounds; r++) {
      inProcess.push(await measureThroughputInProcess(String(r)));
      if (dbos) dbosRuns.push(await dbos.run(String(r)));
      if (postgres) for (const [workers, runs] of perWorkers) runs.push(await measureThroughputWorkers(workers, String(r)));
    }
  } finally {
    await dbos?.close();
  }
  const sleepers = await measureSleepers();

  const floorP50 = percentile(floor, 50);
  const overheadP50 = percentile(overhead, 50);
  const stepsPerSec = median(inProcess);
  result = {
    quick,
    store: values.store,
    node: process.version,
    cores: availableParallelism(),
    durability: postgres ? 'PostgreSQL synchronous_commit=on, fsync=on (engine and floor)' : 'SQLite WAL, synchronous=NORMAL (engine and floor)',
    floor_definition: postgres
      ? 'one INSERT as its own (autocommit) transaction through a prepared statement of node-postgres, measured around the call'
      : 'one INSERT in its own IMMEDIATE transaction through a prepared statement, measured around the call',
    step_definition:
      'time of `await step.do(name, () => i)` in a running instance (one step record + outbox events + lease check in one transaction), instances run one at a time',
    throughput_definition: `${config.throughputInstances} instances x ${config.steps} trivial steps at once, ${config.throughputInstances} slots, from first create to last completion; median of ${config.rounds} round(s)`,
    sleepers_definition: `${config.sleepers} instances in sleepUntil; due times uniformly spaced over ${config.windowMs} ms; lag = time the next step ran - due time`,
    floor_ms_p50: round(floorP50),
    floor_ms_p99: round(percentile(floor, 99)),
    step_overhead_ms_p50: round(overheadP50),
    step_overhead_ms_p99: round(percentile(overhead, 99)),
    overhead_ratio: round(overheadP50 / floorP50, 2),
    steps_per_sec: Math.round(stepsPerSec),
    steps_per_sec_rounds: inProcess.map(Math.round),
    sleepers: config.sleepers,
    sleepers_due_window_ms: config.windowMs,
    sleepers_asleep_after_ms: sleepers.asleepMs,
    sleepers_setup_overrun_ms: sleepers.overrunMs,
    sleepers_rss_mb: round(sleepers.rssMb, 1),
    sleepers_rss_definition: `RSS of the whole benchmark process (engine, ${postgres ? 'node-postgres' : 'SQLite page cache'}, earlier phases) with all sleepers asleep`,
    sleepers_heap_mb_before: sleepers.heapBeforeMb === null ? null : round(sleepers.heapBeforeMb, 1),
    sleepers_heap_mb_asleep: sleepers.heapAsleepMb === null ? null : round(sleepers.heapAsleepMb, 1),
    sleepers_wake_lag_ms_p50: percentile(sleepers.lags, 50),
    sleepers_wake_lag_ms_p99: percentile(sleepers.lags, 99),
    sleepers_wake_lag_ms_max: Math.max(...sleepers.lags),
    targets: { overhead_ratio: '<= 3', steps_per_sec: '>= 5000', sleepers_wake_lag_ms_p99: '<= 1000', ...(postgres ? { ratio_vs_dbos: '>= 1.5' } : {}) },
    duration_s: 0,
  };
  if (postgres) {
    const workers = [...perWorkers].map(([count, runs]) => ({ workers: count, slots_per_worker: Math.ceil(config.throughputInstances / count), steps_per_sec: Math.round(median(runs)), rounds: runs.map(Math.round) }));
    const dbosPerSec = median(dbosRuns);
    Object.assign(result, {
      pool_size: POOL_SIZE,
      workers,
      workers_definition: `the same workload run by N worker processes (ceil(${config.throughputInstances}/N) slots each) sharing the database; instances created by this process`,
      dbos_steps_per_sec: Math.round(dbosPerSec),
      dbos_steps_per_sec_rounds: dbosRuns.map(Math.round),
      dbos_config: dbos?.description,
      ratio_vs_dbos: round(stepsPerSec / dbosPerSec, 2),
      ratio_vs_dbos_definition: 'steps_per_sec (Petrel, one process) / dbos_steps_per_sec (DBOS, one process), same workload, same PostgreSQL, measured in alternating rounds',
    });
  }
  result.duration_s = round((Date.now() - started) / 1000, 1);

  const database = postgres ? 'PostgreSQL' : 'SQLite';
  rows.push(
    [`floor (bare ${database} tx) p50 / p99`, `${String(result.floor_ms_p50)} / ${String(result.floor_ms_p99)} ms`, ''],
    ['step overhead p50 / p99', `${String(result.step_overhead_ms_p50)} / ${String(result.step_overhead_ms_p99)} ms`, ''],
    ['overhead ratio (p50 / floor p50)', String(result.overhead_ratio), '<= 3'],
    [`throughput (${config.throughputInstances} x ${config.steps} steps, 1 process)`, `${String(result.steps_per_sec)} steps/s`, '>= 5000'],
  );
  if (postgres) {
    for (const w of result.workers as Array<{ workers: number; steps_per_sec: number }>) rows.push([`throughput, ${w.workers} worker process(es)`, `${w.steps_per_sec} steps/s`, '']);
    rows.push([`DBOS Transact, same workload`, `${String(result.dbos_steps_per_sec)} steps/s`, ''], ['ratio vs DBOS (1 process each)', String(result.ratio_vs_dbos), '>= 1.5']);
  }
  rows.push(
    [`sleepers asleep at once`, `${config.sleepers} (after ${sleepers.asleepMs} ms)`, ''],
    ['sleepers RSS (whole process)', `${String(result.sleepers_rss_mb)} MB`, ''],
    ['JS heap after GC: before / all asleep', `${sleepers.heapBeforeMb === null ? '?' : round(sleepers.heapBeforeMb, 1)} / ${sleepers.heapAsleepMb === null ? '?' : round(sleepers.heapAsleepMb, 1)} MB`, ''],
    [
      `wake lag p50 / p99 / max (${config.windowMs} ms window)`,
      `${String(result.sleepers_wake_lag_ms_p50)} / ${String(result.sleepers_wake_lag_ms_p99)} / ${String(result.sleepers_wake_lag_ms_max)} ms`,
      '<= 1000 (p99)',
    ],
  );
} finally {
  rmSync(root, { recursive: true, force: true });
  if (postgres) await dropSchemas();
}

const width = Math.max(...rows.map((r) => r[0].length));
console.log(`engine benchmark${quick ? ' (quick)' : ''}: node ${process.version}, ${String(result.cores)} cores, ${String(result.durability)}`);
for (const [name, value, target] of rows) console.log(`  ${name.padEnd(width)}  ${value.padEnd(28)}${target ? `target ${target}` : ''}`);
const out = join(here, 'results', postgres ? 'engine-postgres.json' : 'engine.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`  wrote ${out}`);
if (values.json) console.log(JSON.stringify(result));
