// A worker process of the PostgreSQL throughput benchmark (`bench/engine.ts --store postgres`):
// runs the trivial workflow with `--slots` slots over the schema it is given until SIGTERM.
import { parseArgs } from 'node:util';
import { createEngine, createPostgresStore } from '@petrel/engine';
import { trivialFlow } from './engine-workflows.ts';

const { values } = parseArgs({ options: { url: { type: 'string' }, schema: { type: 'string' }, slots: { type: 'string', default: '10' } } });
if (!values.url || !values.schema) throw new Error('engine-worker: --url and --schema are required');
const store = await createPostgresStore({ url: values.url, schema: values.schema, poolSize: 10, applicationName: 'petrel-bench-worker' });
const engine = await createEngine({ store, workflows: [trivialFlow], slots: Number(values.slots), pollIntervalMs: 1000 });
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void engine
    .close()
    .then(() => store.close())
    .then(() => process.exit(0));
});
