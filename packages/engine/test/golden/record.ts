// Re-records the golden histories: `node packages/engine/test/golden/record.ts`. Each scenario runs
// a golden workflow to a chosen point, exports the instance (the store's snapshot format), then lets
// the same run finish and writes down what came out. `golden.test.ts` loads each snapshot into a
// fresh store and checks that the engine of today finishes it the same way.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createEngine, createSqliteStore } from '@petrel/engine';
import type { Engine, EngineOptions, InstanceSnapshot } from '@petrel/engine';
import type { GoldenHistory } from './golden-format.ts';
import { executions, gates, goldenWorkflows } from './golden-workflows.ts';

const here = dirname(new URL(import.meta.url).pathname);
const engineVersion = (JSON.parse(readFileSync(join(here, '../../package.json'), 'utf8')) as { version: string }).version;

/** Engine options shared by recording and replay. */
export const GOLDEN_OPTIONS: Partial<EngineOptions> = { pollIntervalMs: 20, stepDefaults: { retries: { limit: 3, delay: 5, backoff: 'constant' } } };

type Scenario = {
  scenario: string;
  description: string;
  workflow: string;
  params: unknown;
  options?: Partial<EngineOptions>;
  /** Runs until the point to record; returns when the snapshot may be taken. */
  until: (engine: Engine, ref: { workflow: string; id: string }) => Promise<void>;
  /** Close the engine before exporting (as a crash would leave things). */
  closeBeforeExport?: boolean;
  events: Array<{ type: string; payload: unknown }>;
  beforeFinish?: () => void;
};

let openGate: () => void = () => {};

const scenarios: Scenario[] = [
  {
    scenario: 'order-waiting-for-event',
    description: 'An order suspended in waitForEvent after a retried step, a sensitive step, a caught NonRetryableError and a sleep.',
    workflow: 'golden-order',
    params: { items: ['book', 'pen'], total: 42 },
    until: async (engine, ref) => void (await engine.instances.waitForStatus(ref, { statuses: ['waiting'] })),
    events: [{ type: 'approved', payload: { by: 'ana' } }],
  },
  {
    scenario: 'order-sleeping-event-buffered',
    description: 'An order suspended in its sleep; the approval arrives before the wait and is buffered.',
    workflow: 'golden-order',
    params: { items: ['lamp'], total: 7 },
    options: { inlineWaitMs: 0 },
    until: async (engine, ref) => void (await engine.instances.waitForStatus(ref, { statuses: ['waiting'] })),
    events: [{ type: 'approved', payload: { by: 'bo' } }],
  },
  {
    scenario: 'order-complete',
    description: 'A finished order: loading it must change nothing.',
    workflow: 'golden-order',
    params: { items: [], total: 0 },
    until: async (engine, ref) => {
      await engine.instances.waitForStatus(ref, { statuses: ['waiting'] });
      await engine.instances.sendEvent({ ...ref, type: 'approved', payload: { by: 'cy' } });
      await engine.instances.waitForStatus(ref);
    },
    events: [],
  },
  {
    scenario: 'saga-mid-rollback',
    description: 'A saga whose worker died during its rollback phase, with one handler done and one in flight.',
    workflow: 'golden-saga',
    params: {},
    options: { startedMarkerMs: 0 },
    until: async (_engine, ref) => {
      gates.set(`${ref.id}:undo debit`, new Promise<void>((resolve) => (openGate = resolve)));
      for (let i = 0; i < 500 && !(executions.get(ref.id) ?? []).includes('undo debit'); i++) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 50));
    },
    closeBeforeExport: true,
    events: [],
    beforeFinish: () => openGate(),
  },
];

async function record(s: Scenario): Promise<GoldenHistory> {
  const store = await createSqliteStore({ path: ':memory:' });
  const options = { ...GOLDEN_OPTIONS, ...s.options, store, workflows: goldenWorkflows };
  let engine = await createEngine(options);
  const ref = { workflow: s.workflow, id: `${s.scenario}-1` };
  await engine.instances.create({ ...ref, params: s.params });
  await s.until(engine, ref);
  if (s.closeBeforeExport) await engine.close();
  const snapshot = (await store.exportInstance({ namespace: 'default', workflowName: ref.workflow, instanceId: ref.id })) as InstanceSnapshot;
  const seen = (executions.get(ref.id) ?? []).length;
  s.beforeFinish?.();
  if (s.closeBeforeExport) engine = await createEngine(options);
  for (const event of s.events) await engine.instances.sendEvent({ ...ref, ...event });
  const done = await engine.instances.waitForStatus(ref);
  await engine.close();
  await store.close();
  const definition = goldenWorkflows.find((w) => w.name === s.workflow)!;
  return {
    recordedBy: `@petrel/engine ${engineVersion}`,
    scenario: s.scenario,
    description: s.description,
    workflow: s.workflow,
    versionKey: definition.versionKey,
    snapshot,
    events: s.events,
    expected: {
      status: done.status,
      output: done.output,
      error: done.error,
      rollback: done.rollback,
      steps: done.steps.map((step) => `${step.type}:${step.displayName}`),
      executions: (executions.get(ref.id) ?? []).slice(seen),
    },
  };
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  for (const scenario of scenarios) {
    const history = await record(scenario);
    const file = join(here, 'histories', `${scenario.scenario}.json`);
    writeFileSync(file, `${JSON.stringify(history, null, 2)}\n`);
    console.log(`recorded ${file}: ${history.snapshot.instance.status} -> ${history.expected.status}`);
  }
}
