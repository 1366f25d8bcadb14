// The child process of the crash test: an engine with a worker over the shared store. The parent
// SIGKILLs it at random points and starts a new one; a SIGTERM ends it cleanly.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEngine } from '@petrel/engine';
import { openCrashStore } from './crash-store.ts';
import { crashCronWorkflow, crashWorkflow } from './crash-workflow.ts';

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite' },
    'data-dir': { type: 'string' },
    schema: { type: 'string' },
    'worker-id': { type: 'string' },
    cron: { type: 'string' },
  },
});
const dataDir = values['data-dir'];
if (!dataDir) throw new Error('crash-worker: --data-dir is required');

const store = await openCrashStore({ kind: values.store, dataDir, ...(values.schema === undefined ? {} : { schema: values.schema }) });
const effects = join(dataDir, 'effects.log');
const engine = await createEngine({
  store,
  workflows: [crashWorkflow(effects), ...(values.cron === undefined ? [] : [crashCronWorkflow(values.cron)])],
  slots: 8,
  leaseMs: 1000,
  pollIntervalMs: 100,
  inlineWaitMs: 20,
  startedMarkerMs: 15,
  stepDefaults: { retries: { limit: 20, delay: 10, backoff: 'constant' } },
  ...(values['worker-id'] === undefined ? {} : { workerId: values['worker-id'] }),
});
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void engine
    .close()
    .then(() => store.close())
    .then(() => process.exit(0));
});
