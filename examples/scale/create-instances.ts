// Creates instances of `spread-demo` and shows which worker processes ran their steps.
//
//   PETREL_DATABASE_URL=postgres://postgres@127.0.0.1:5432/petrel node examples/scale/create-instances.ts [count]
//
// Start workers first (`npm run worker:engine -- --workflows examples/scale/workflows.ts`, twice); this
// process only creates instances and reads their results (an engine with no slots runs nothing).
import { resolve } from 'node:path';
import { createEngine, openStore } from '@petrel/engine';
import { spreadDemo } from './workflows.ts';

const count = Number(process.argv[2] ?? 20);
const store = await openStore(process.env.PETREL_DATABASE_URL, { dataDir: resolve(process.env.PETREL_DATA_DIR ?? './.petrel') });
const api = await createEngine({ store, slots: 0, workflows: [spreadDemo] });
const run = Date.now().toString(36);
const ids = Array.from({ length: count }, (_, i) => `demo-${run}-${i}`);
for (let i = 0; i < ids.length; i += 100) {
  await api.instances.createBatch({ workflow: 'spread-demo', items: ids.slice(i, i + 100).map((id) => ({ id, params: { steps: 4 } })) });
}
console.log(`created ${count} instances of spread-demo; waiting for the workers…`);

const perWorker = new Map<string, number>();
const movedBetweenWorkers: string[] = [];
for (const id of ids) {
  const done = await api.instances.waitForStatus({ workflow: 'spread-demo', id }, { timeoutMs: 300_000 });
  const ranOn = (done.output as { ranOn: string[] } | null)?.ranOn ?? [];
  for (const worker of ranOn) perWorker.set(worker, (perWorker.get(worker) ?? 0) + 1);
  if (new Set(ranOn).size > 1) movedBetweenWorkers.push(id);
}
console.log('steps run per worker process:');
for (const [worker, steps] of [...perWorker].sort((a, b) => a[0].localeCompare(b[0]))) console.log(`  ${worker.padEnd(32)} ${steps}`);
console.log(`${movedBetweenWorkers.length} of ${count} instances continued on another worker after their sleep`);
await api.close();
await store.close();
