// `npm run bench:engine [-- --quick] [-- --json]`: the cost of a durable step on SQLite, against the
// floor of one bare SQLite transaction with the same durability settings, plus throughput and the
// wake-up lag of many sleepers. Prints a table, writes bench/results/engine.json, and with --json
// prints that JSON as the last line. Not a test: numbers on a shared 2-core machine are noisy.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { applyPragmas, createEngine, createSqliteStore, defineWorkflow } from '@petrel/engine';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
const quick = values.quick;
const config = quick
  ? { floorTx: 3000, overheadInstances: 10, throughputInstances: 20, steps: 100, sleepers: 2000, windowMs: 3000, slots: 64 }
  : { floorTx: 20_000, overheadInstances: 20, throughputInstances: 50, steps: 200, sleepers: 10_000, windowMs: 10_000, slots: 64 };
const root = mkdtempSync(join(tmpdir(), 'petrel-bench-engine-'));
const started = Date.now();

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
const round = (n: number, digits = 4): number => Number(n.toFixed(digits));

// 1. The floor: one bare transaction per step, same file settings (WAL, synchronous=NORMAL).
function measureFloor(): number[] {
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

// 2. Step overhead and throughput: trivial steps (`step.do(name, () => i)`).
async function measureSteps(): Promise<{ overhead: number[]; stepsPerSec: number }> {
  const store = await createSqliteStore({ dataDir: join(root, 'steps') });
  const samples: number[] = [];
  let recording = false;
  const flow = defineWorkflow<{ steps: number }>({
    name: 'trivial',
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
  const engine = await createEngine({ store, workflows: [flow], slots: config.throughputInstances, pollIntervalMs: 1000 });
  // Warm-up.
  await engine.instances.create({ workflow: 'trivial', id: 'warm', params: { steps: 200 } });
  await engine.instances.waitForStatus({ workflow: 'trivial', id: 'warm' });
  // Overhead: instances one at a time, so a step's latency is the engine's own cost.
  recording = true;
  for (let i = 0; i < config.overheadInstances; i++) {
    await engine.instances.create({ workflow: 'trivial', id: `o${i}`, params: { steps: config.steps } });
    await engine.instances.waitForStatus({ workflow: 'trivial', id: `o${i}` }, { timeoutMs: 120_000 });
  }
  recording = false;
  // Throughput: N instances at once, one slot each.
  const t0 = performance.now();
  const ids = Array.from({ length: config.throughputInstances }, (_, i) => `t${i}`);
  for (let i = 0; i < ids.length; i += 100) {
    await engine.instances.createBatch({ workflow: 'trivial', items: ids.slice(i, i + 100).map((id) => ({ id, params: { steps: config.steps } })) });
  }
  for (const id of ids) {
    const done = await engine.instances.waitForStatus({ workflow: 'trivial', id }, { timeoutMs: 300_000 });
    if (done.status !== 'complete') throw new Error(`bench: ${id} ended ${done.status}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  await engine.close();
  await store.close();
  return { overhead: samples, stepsPerSec: (config.throughputInstances * config.steps) / seconds };
}

// 3. Sleepers: S instances asleep at once, then due over a window.
/** Heap in use after a full GC (needs --expose-gc, which `npm run bench:engine` passes), in MB. */
function heapAfterGcMb(): number | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return null;
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

async function measureSleepers(): Promise<{ lags: number[]; rssMb: number; heapBeforeMb: number | null; heapAsleepMb: number | null; asleepMs: number; overrunMs: number }> {
  const store = await createSqliteStore({ dataDir: join(root, 'sleepers') });
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
  const setupBudgetMs = 3000 + config.sleepers * 0.6;
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
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const asleepAt = Date.now();
  const rssMb = process.memoryUsage().rss / 1024 / 1024;
  const heapAsleepMb = heapAfterGcMb();
  const deadline = base + config.windowMs + 120_000;
  for (;;) {
    const info = await engine.workflows.get({ workflow: 'sleeper' });
    if ((info.instances.complete ?? 0) === config.sleepers) break;
    if (Date.now() > deadline) throw new Error('bench: sleepers did not all wake');
    await new Promise((resolve) => setTimeout(resolve, 200));
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

const floor = measureFloor();
const steps = await measureSteps();
const sleepers = await measureSleepers();
rmSync(root, { recursive: true, force: true });

const floorP50 = percentile(floor, 50);
const overheadP50 = percentile(steps.overhead, 50);
const result = {
  quick,
  node: process.version,
  cores: availableParallelism(),
  durability: 'SQLite WAL, synchronous=NORMAL (engine and floor)',
  floor_definition: 'one INSERT in its own IMMEDIATE transaction through a prepared statement, measured around the call',
  step_definition: 'time of `await step.do(name, () => i)` in a running instance (one step record + outbox events + lease check in one transaction), instances run one at a time',
  throughput_definition: `${config.throughputInstances} instances x ${config.steps} trivial steps at once, ${config.throughputInstances} slots, from first create to last completion`,
  sleepers_definition: `${config.sleepers} instances in sleepUntil; due times uniformly spaced over ${config.windowMs} ms; lag = time the next step ran - due time`,
  floor_ms_p50: round(floorP50),
  floor_ms_p99: round(percentile(floor, 99)),
  step_overhead_ms_p50: round(overheadP50),
  step_overhead_ms_p99: round(percentile(steps.overhead, 99)),
  overhead_ratio: round(overheadP50 / floorP50, 2),
  steps_per_sec: Math.round(steps.stepsPerSec),
  sleepers: config.sleepers,
  sleepers_due_window_ms: config.windowMs,
  sleepers_asleep_after_ms: sleepers.asleepMs,
  sleepers_setup_overrun_ms: sleepers.overrunMs,
  sleepers_rss_mb: round(sleepers.rssMb, 1),
  sleepers_rss_definition: 'RSS of the whole benchmark process (engine, SQLite page cache, earlier phases) with all sleepers asleep',
  sleepers_heap_mb_before: sleepers.heapBeforeMb === null ? null : round(sleepers.heapBeforeMb, 1),
  sleepers_heap_mb_asleep: sleepers.heapAsleepMb === null ? null : round(sleepers.heapAsleepMb, 1),
  sleepers_wake_lag_ms_p50: percentile(sleepers.lags, 50),
  sleepers_wake_lag_ms_p99: percentile(sleepers.lags, 99),
  sleepers_wake_lag_ms_max: Math.max(...sleepers.lags),
  targets: { overhead_ratio: '<= 3', steps_per_sec: '>= 5000', sleepers_wake_lag_ms_p99: '<= 1000' },
  duration_s: round((Date.now() - started) / 1000, 1),
};

const rows: Array<[string, string, string]> = [
  ['floor (bare SQLite tx) p50 / p99', `${result.floor_ms_p50} / ${result.floor_ms_p99} ms`, ''],
  ['step overhead p50 / p99', `${result.step_overhead_ms_p50} / ${result.step_overhead_ms_p99} ms`, ''],
  ['overhead ratio (p50 / floor p50)', String(result.overhead_ratio), '<= 3'],
  [`throughput (${config.throughputInstances} x ${config.steps} steps)`, `${result.steps_per_sec} steps/s`, '>= 5000'],
  [`sleepers asleep at once`, `${result.sleepers} (after ${result.sleepers_asleep_after_ms} ms)`, ''],
  ['sleepers RSS (whole process)', `${result.sleepers_rss_mb} MB`, ''],
  ['JS heap after GC: before / all asleep', `${result.sleepers_heap_mb_before ?? '?'} / ${result.sleepers_heap_mb_asleep ?? '?'} MB`, ''],
  [`wake lag p50 / p99 / max (${config.windowMs} ms window)`, `${result.sleepers_wake_lag_ms_p50} / ${result.sleepers_wake_lag_ms_p99} / ${result.sleepers_wake_lag_ms_max} ms`, '<= 1000 (p99)'],
];
const width = Math.max(...rows.map((r) => r[0].length));
console.log(`engine benchmark${quick ? ' (quick)' : ''}: node ${process.version}, ${result.cores} cores, ${result.durability}`);
for (const [name, value, target] of rows) console.log(`  ${name.padEnd(width)}  ${value.padEnd(28)}${target ? `target ${target}` : ''}`);
const out = join(dirname(new URL(import.meta.url).pathname), 'results', 'engine.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`  wrote ${out}`);
if (values.json) console.log(JSON.stringify(result));
