// `npm run test:crash [-- --store sqlite|postgres --workers N --kills N --instances N --steps N]`:
// starts worker processes over a fresh store (SQLite: 1 worker; PostgreSQL: 4 workers sharing the
// database), SIGKILLs a random worker at random points at least `--kills` times, restarting it each
// time, then lets the workers run to the end. Checks: every instance completes with the right
// output, every step's result was recorded exactly once (one row, one step_completed event), every
// event was consumed once, and every due time of a cron schedule (fired by all workers at once)
// produced exactly one instance. Prints how often side effects ran more than once (allowed: at
// least once). Without PostgreSQL a postgres run is skipped with the reason (it fails under CI=true).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEngine, nextCronRun } from '@petrel/engine';
import type { OutboxEvent } from '@petrel/engine';
import { dropSchemas, freshSchema, postgresSkipReason } from '@petrel/testing';
import { openCrashStore } from './crash-store.ts';
import type { CrashTarget } from './crash-store.ts';
import { crashCronWorkflow, crashWorkflow, expectedOutput } from './crash-workflow.ts';
import type { CrashParams } from './crash-workflow.ts';

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite' },
    workers: { type: 'string' },
    kills: { type: 'string' },
    instances: { type: 'string' },
    steps: { type: 'string' },
    seed: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const postgres = values.store === 'postgres';
const workerCount = Number(values.workers ?? (postgres ? 4 : 1));
const kills = Number(values.kills ?? (postgres ? 40 : 50));
const instanceCount = Number(values.instances ?? (postgres ? 200 : 32));
const stepCount = Number(values.steps ?? (postgres ? 24 : 36));
// Every 2 s on every worker at once; a firing missed while all workers are down is not owed (only the
// latest missed one runs), so the gap check needs more than one worker.
const cronSchedule = '*/2 * * * * *';
let seed = Number(values.seed ?? Date.now() % 1_000_000);
const random = (): number => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};
const started = Date.now();
const here = dirname(new URL(import.meta.url).pathname);
const log = (message: string): void => console.log(`[crash ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);

if (postgres) {
  // Under CI=true an unreachable PostgreSQL rejects: the PostgreSQL crash test must run there.
  const unreachable = await postgresSkipReason().catch((error: unknown) => {
    log(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
  if (unreachable !== undefined) {
    log(`SKIPPED: ${unreachable}`);
    process.exit(0);
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'petrel-crash-'));
const target: CrashTarget = { kind: values.store, dataDir, ...(postgres ? { schema: freshSchema('engine_crash') } : {}) };
log(
  `store=${values.store}${target.schema ? ` schema=${target.schema}` : ''} workers=${workerCount} kills=${kills} instances=${instanceCount} steps=${stepCount} ` +
    `cron="${cronSchedule}" seed=${values.seed ?? seed} dir=${dataDir}`,
);

const store = await openCrashStore(target);
const api = await createEngine({ store, slots: 0, workflows: [crashWorkflow(join(dataDir, 'effects.log')), crashCronWorkflow(cronSchedule)] });
const ids = Array.from({ length: instanceCount }, (_, i) => `crash-${i}`);
const params = new Map<string, CrashParams>(ids.map((id, i) => [id, { k: i + 1, steps: stepCount }]));
// Instances arrive in waves over the first 70% of the rounds, and each gets its event a few rounds
// later, so that kills keep landing on work in flight until the end.
const createRound = new Map(ids.map((id, i) => [id, Math.floor((i * kills * 0.7) / instanceCount)]));
const eventRound = new Map(ids.map((id) => [id, Math.min(kills - 1, createRound.get(id)! + 2 + Math.floor(random() * 6))]));
const goPayload = (id: string): number => 1000 + Number(id.split('-')[1]);
let killsInFlight = 0;
let generation = 0;

type Worker = { proc: ChildProcess; id: string; ready: Promise<boolean> };
const spawnWorker = (slot: number): Worker => {
  const id = `w${slot}-g${generation++}`;
  const args = [join(here, 'crash-worker.ts'), '--store', values.store, '--data-dir', dataDir, '--worker-id', id, '--cron', cronSchedule];
  if (target.schema) args.push('--schema', target.schema);
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString().trim();
    if (text) log(`worker ${id} stderr: ${text.slice(0, 500)}`);
  });
  // A worker is ready once it registered its workflows (which also (re)writes the cron schedule).
  const ready = new Promise<boolean>((resolve) => {
    proc.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(true);
    });
    proc.once('exit', () => resolve(false));
  });
  return { proc, id, ready };
};
const exited = (proc: ChildProcess): Promise<void> => new Promise((resolve) => (proc.exitCode !== null || proc.signalCode !== null ? resolve() : proc.once('exit', () => resolve())));
const workers: Array<Worker | undefined> = [];
const activeOwners = async (): Promise<Map<string, number>> => {
  const { rows } = await store.listInstances({ namespace: 'default', workflowName: 'crash-flow', statuses: ['running', 'waitingForPause', 'rollingBack'], direction: 'asc', limit: 1000 });
  const owners = new Map<string, number>();
  for (const row of rows) if (row.leaseOwner) owners.set(row.leaseOwner, (owners.get(row.leaseOwner) ?? 0) + 1);
  return owners;
};

let failure: string | undefined;
let cronStoppedAt = 0;
try {
  // A single worker (SQLite) runs only between its kills; several (PostgreSQL) keep running while
  // one at a time is killed and restarted.
  if (workerCount > 1) for (let slot = 0; slot < workerCount; slot++) workers[slot] = spawnWorker(slot);
  for (let round = 0; round < kills; round++) {
    const wave = ids.filter((id) => createRound.get(id) === round);
    if (wave.length > 0) {
      for (let i = 0; i < wave.length; i += 100) {
        const created = await api.instances.createBatch({ workflow: 'crash-flow', items: wave.slice(i, i + 100).map((id) => ({ id, params: params.get(id) })) });
        if (!created.every((r) => r.ok)) throw new Error('crash test: could not create the instances');
      }
    }
    const slot = Math.floor(random() * workerCount);
    if (workerCount === 1) workers[0] = spawnWorker(0);
    // Random kill points: during startup and migrations, mid-step, mid-commit, during sleeps.
    await new Promise((resolve) => setTimeout(resolve, (workerCount > 1 ? 100 : 40) + random() * 900));
    const victim = workers[slot]!;
    victim.proc.kill('SIGKILL');
    await exited(victim.proc);
    if ((await activeOwners()).has(victim.id)) killsInFlight++;
    if (workerCount > 1) workers[slot] = spawnWorker(slot);
    for (const id of ids) {
      if (eventRound.get(id) === round) await api.instances.sendEvent({ workflow: 'crash-flow', id, type: 'go', payload: goPayload(id) });
    }
    if (round % 10 === 9) {
      const page = await api.instances.list({ workflow: 'crash-flow', perPage: 1000 });
      const counts: Record<string, number> = {};
      for (const i of page.instances) counts[i.status] = (counts[i.status] ?? 0) + 1;
      log(`after ${round + 1} kills: ${JSON.stringify(counts)}`);
    }
  }
  log(`${kills} kills done (${killsInFlight} of them with instances running on the killed worker); running the workers to the end`);
  if (workerCount === 1) workers[0] = spawnWorker(0);
  // A single worker was rarely up long enough for a firing: give the schedule a few seconds.
  for (const until = Date.now() + 10_000; Date.now() < until; ) {
    if ((await api.instances.list({ workflow: 'crash-cron', perPage: 1 })).total >= 2) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // No more cron firings from here on, so that "everything finished" is a fixed point (after the
  // workers registered, since registering writes the schedule again).
  await Promise.all(workers.map((w) => w?.ready ?? Promise.resolve(false)));
  await api.workflows.update({ workflow: 'crash-cron' }, { schedules: [] });
  cronStoppedAt = Date.now();
  const deadline = Date.now() + 180_000;
  for (let quiet = 0; quiet < 2; ) {
    const pages = [await api.instances.list({ workflow: 'crash-flow', perPage: 1000 }), await api.instances.list({ workflow: 'crash-cron', perPage: 1000 })];
    const open = pages.flatMap((p) => p.instances).filter((i) => i.status !== 'complete' && i.status !== 'errored' && i.status !== 'terminated');
    quiet = open.length === 0 ? quiet + 1 : 0;
    if (Date.now() > deadline) throw new Error(`not finished after 180 s: ${open.map((i) => `${i.id}=${i.status}`).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, quiet > 0 ? 1500 : 200));
  }
  for (const worker of workers) worker?.proc.kill('SIGTERM');
  await Promise.all(workers.map((w) => (w ? exited(w.proc) : Promise.resolve())));

  // Verification ---------------------------------------------------------------------------
  const problems: string[] = [];
  const events: OutboxEvent[] = [];
  for (let after = 0; ; ) {
    const batch = await api.outbox.read({ afterSeq: after, limit: 5000 });
    if (batch.length === 0) break;
    events.push(...batch);
    after = batch.at(-1)!.seq;
  }
  const completions = new Map<string, number>();
  for (const e of events) {
    if (e.kind !== 'step_completed' && e.kind !== 'wait_completed' && e.kind !== 'sleep_completed') continue;
    const stepRef = e.payload.step as { name: string; count: number };
    const key = `${e.instanceId}|${e.kind}|${stepRef.name}|${stepRef.count}`;
    completions.set(key, (completions.get(key) ?? 0) + 1);
  }
  let recorded = 0;
  for (const id of ids) {
    const details = await api.instances.get({ workflow: 'crash-flow', id });
    const p = params.get(id)!;
    if (details.status !== 'complete') {
      problems.push(`${id} is ${details.status}: ${JSON.stringify(details.error)}`);
      continue;
    }
    const expected = expectedOutput(p, goPayload(id));
    if (JSON.stringify(details.output) !== JSON.stringify(expected)) problems.push(`${id}: output ${JSON.stringify(details.output)} != ${JSON.stringify(expected)}`);
    const expectedSteps = stepCount + Math.floor(stepCount / 6) + 1 + 2 + 1;
    if (details.steps.length !== expectedSteps) problems.push(`${id}: ${details.steps.length} step records, expected ${expectedSteps}`);
    for (const s of details.steps) {
      if (s.status !== 'complete') problems.push(`${id}: step ${s.displayName} is ${s.status}`);
      const kind = s.type === 'do' ? 'step_completed' : s.type === 'sleep' ? 'sleep_completed' : 'wait_completed';
      const written = completions.get(`${id}|${kind}|${s.name}|${s.count}`) ?? 0;
      if (written !== 1) problems.push(`${id}: step ${s.displayName} result was written ${written} times`);
      recorded++;
    }
    const consumed = events.filter((e) => e.instanceId === id && e.kind === 'event_received').length;
    if (consumed !== 1) problems.push(`${id}: ${consumed} go events received`);
  }

  // Cron: one instance per due time, and (with several workers, so that one was always up) no due
  // time missed between the first firing and the moment the schedule was removed.
  const cronInstances = (await api.instances.list({ workflow: 'crash-cron', perPage: 1000, direction: 'asc' })).instances;
  const perDueTime = new Map<number, number>();
  for (const summary of cronInstances) {
    const details = await api.instances.get({ workflow: 'crash-cron', id: summary.id });
    const due = details.schedule?.scheduledTime;
    if (due === undefined || details.status !== 'complete' || details.output !== due) problems.push(`cron ${summary.id}: ${details.status}, output ${JSON.stringify(details.output)}`);
    if (due !== undefined) perDueTime.set(due, (perDueTime.get(due) ?? 0) + 1);
  }
  for (const [due, count] of perDueTime) if (count !== 1) problems.push(`cron due time ${new Date(due).toISOString()} produced ${count} instances`);
  const dueTimes = [...perDueTime.keys()].sort((a, b) => a - b);
  let missed = 0;
  if (dueTimes.length === 0) problems.push('cron never fired');
  else if (workerCount > 1) {
    for (let due = nextCronRun(cronSchedule, dueTimes[0]!); due !== undefined && due < cronStoppedAt - 2500; due = nextCronRun(cronSchedule, due)) {
      if (!perDueTime.has(due)) {
        missed++;
        problems.push(`cron due time ${new Date(due).toISOString()} produced no instance`);
      }
    }
  }

  const effects = existsSync(join(dataDir, 'effects.log')) ? readFileSync(join(dataDir, 'effects.log'), 'utf8').trim().split('\n') : [];
  const perStep = new Set(effects.map((line) => line.split('\t').slice(0, 2).join('|')));
  const perAttempt = new Set(effects);
  const interrupted = events.filter((e) => e.kind === 'attempt_errored' && (e.payload.error as { code?: string } | undefined)?.code === 'ATTEMPT_INTERRUPTED').length;
  log(
    `verified ${ids.length} instances, ${recorded} step records; step bodies ran ${effects.length} times for ${perStep.size} steps: ` +
      `${effects.length - perAttempt.size} re-ran an attempt whose start was never recorded, ${interrupted} attempts were recorded as interrupted by a kill (side effects: at least once)`,
  );
  log(`cron: ${dueTimes.length} due times, ${cronInstances.length} instances, ${missed} due times missed`);
  if (problems.length > 0) failure = `${problems.length} problem(s):\n  ${problems.slice(0, 30).join('\n  ')}`;
} catch (error) {
  failure = (error as Error).stack ?? String(error);
} finally {
  for (const worker of workers) {
    if (worker && worker.proc.exitCode === null && worker.proc.signalCode === null) {
      worker.proc.kill('SIGKILL');
      await exited(worker.proc);
    }
  }
  await api.close();
  await store.close();
  if (!values.keep) {
    rmSync(dataDir, { recursive: true, force: true });
    if (target.schema) await dropSchemas([target.schema]).catch((error: unknown) => log(`could not drop schema ${target.schema}: ${String(error)}`));
  }
}
if (failure) {
  log(`FAILED: ${failure}`);
  process.exitCode = 1;
} else {
  log(
    `PASSED: ${kills} SIGKILLs of ${workerCount} worker(s) (${killsInFlight} with instances running), ${instanceCount} instances complete, ` +
      `every recorded step result written exactly once, outputs right, one instance per cron due time (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
}
