// `npm run test:crash [-- --store sqlite --kills 50 --instances 16 --steps 24]`: starts a worker
// process over a fresh store, SIGKILLs it at random points at least `--kills` times, restarting it
// each time, then lets one run to the end. Checks: every instance completes with the right output,
// every step's result was recorded exactly once (one row, one step_completed event), every event
// was consumed once. Prints how often side effects ran more than once (allowed: at least once).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEngine } from '@petrel/engine';
import type { OutboxEvent } from '@petrel/engine';
import { openCrashStore } from './crash-store.ts';
import { crashWorkflow, expectedOutput } from './crash-workflow.ts';
import type { CrashParams } from './crash-workflow.ts';

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite' },
    kills: { type: 'string', default: '50' },
    instances: { type: 'string', default: '32' },
    steps: { type: 'string', default: '36' },
    seed: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const kills = Number(values.kills);
const instanceCount = Number(values.instances);
const stepCount = Number(values.steps);
let seed = Number(values.seed ?? Date.now() % 1_000_000);
const random = (): number => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};
const started = Date.now();
const here = dirname(new URL(import.meta.url).pathname);
const dataDir = mkdtempSync(join(tmpdir(), 'petrel-crash-'));
const log = (message: string): void => console.log(`[crash ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
log(`store=${values.store} kills=${kills} instances=${instanceCount} steps=${stepCount} seed=${values.seed ?? seed} dir=${dataDir}`);

const store = await openCrashStore(values.store, dataDir);
const api = await createEngine({ store, slots: 0, workflows: [crashWorkflow(join(dataDir, 'effects.log'))] });
const ids = Array.from({ length: instanceCount }, (_, i) => `crash-${i}`);
const params = new Map<string, CrashParams>(ids.map((id, i) => [id, { k: i + 1, steps: stepCount }]));
// Instances arrive in waves over the first 70% of the rounds, and each gets its event a few rounds
// later, so that kills keep landing on work in flight until the end.
const createRound = new Map(ids.map((id, i) => [id, Math.floor((i * kills * 0.7) / instanceCount)]));
const eventRound = new Map(ids.map((id) => [id, Math.min(kills - 1, createRound.get(id)! + 2 + Math.floor(random() * 6))]));
const goPayload = (id: string): number => 1000 + Number(id.split('-')[1]);
let killsInFlight = 0;

let child: ChildProcess | undefined;
const spawnWorker = (): ChildProcess => {
  const proc = spawn(process.execPath, [join(here, 'crash-worker.ts'), '--store', values.store, '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString().trim();
    if (text) log(`worker stderr: ${text.slice(0, 500)}`);
  });
  return proc;
};
const exited = (proc: ChildProcess): Promise<void> => new Promise((resolve) => (proc.exitCode !== null || proc.signalCode !== null ? resolve() : proc.once('exit', () => resolve())));

let failure: string | undefined;
try {
  for (let round = 0; round < kills; round++) {
    const wave = ids.filter((id) => createRound.get(id) === round);
    if (wave.length > 0) {
      const created = await api.instances.createBatch({ workflow: 'crash-flow', items: wave.map((id) => ({ id, params: params.get(id) })) });
      if (!created.every((r) => r.ok)) throw new Error('crash test: could not create the instances');
    }
    child = spawnWorker();
    // Random kill points: during startup and migrations, mid-step, mid-commit, during sleeps.
    await new Promise((resolve) => setTimeout(resolve, 40 + random() * 900));
    child.kill('SIGKILL');
    await exited(child);
    if ((await api.instances.list({ workflow: 'crash-flow', status: ['running', 'waitingForPause', 'rollingBack'], perPage: 1 })).total > 0) killsInFlight++;
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
  log(`${kills} kills done (${killsInFlight} of them with instances running); running the worker to the end`);
  child = spawnWorker();
  const deadline = Date.now() + 120_000;
  for (;;) {
    const page = await api.instances.list({ workflow: 'crash-flow', perPage: 1000 });
    if (page.instances.every((i) => i.status === 'complete' || i.status === 'errored' || i.status === 'terminated')) break;
    if (Date.now() > deadline) throw new Error(`not finished after 120 s: ${page.instances.filter((i) => i.status !== 'complete').map((i) => `${i.id}=${i.status}`).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGTERM');
  await exited(child);

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
  const effects = existsSync(join(dataDir, 'effects.log')) ? readFileSync(join(dataDir, 'effects.log'), 'utf8').trim().split('\n') : [];
  const perStep = new Set(effects.map((line) => line.split('\t').slice(0, 2).join('|')));
  const perAttempt = new Set(effects);
  const interrupted = events.filter((e) => e.kind === 'attempt_errored' && (e.payload.error as { code?: string } | undefined)?.code === 'ATTEMPT_INTERRUPTED').length;
  log(
    `verified ${ids.length} instances, ${recorded} step records; step bodies ran ${effects.length} times for ${perStep.size} steps: ` +
      `${effects.length - perAttempt.size} re-ran an attempt whose start was never recorded, ${interrupted} attempts were recorded as interrupted by a kill (side effects: at least once)`,
  );
  if (problems.length > 0) failure = `${problems.length} problem(s):\n  ${problems.slice(0, 30).join('\n  ')}`;
} catch (error) {
  failure = (error as Error).stack ?? String(error);
} finally {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited(child);
  }
  await api.close();
  await store.close();
  if (!values.keep) rmSync(dataDir, { recursive: true, force: true });
}
if (failure) {
  log(`FAILED: ${failure}`);
  process.exitCode = 1;
} else {
  log(`PASSED: ${kills} SIGKILLs (${killsInFlight} mid-run), every instance complete, every recorded step result written exactly once, outputs right (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
