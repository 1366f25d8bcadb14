// Creates instances of `spread-demo` through the Workflows API and shows which worker processes ran
// their steps.
//
//   PETREL_API_KEY=pk_… [PETREL_BASE_URL=http://127.0.0.1:8000] node examples/scale/create-instances.ts [count]
//
// Start the API (`npx petrel serve --slots 0`) and workers first (`npx petrel worker --workflows
// examples/scale/workflows`, in two or more terminals), all on the same PETREL_DATABASE_URL (or the
// same SQLite data directory on one machine). This process only talks HTTP.
const baseUrl = (process.env.PETREL_BASE_URL ?? 'http://127.0.0.1:8000').replace(/\/+$/, '');
const apiKey = process.env.PETREL_API_KEY;
if (!apiKey) {
  console.error('set PETREL_API_KEY to the key `petrel serve` printed on its first start');
  process.exit(2);
}
const count = Number(process.argv[2] ?? 20);

type Envelope<T> = { success: boolean; errors: Array<{ message: string }>; result: T };

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}/client/v4${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const envelope = (await response.json()) as Envelope<T>;
  if (!envelope.success) throw new Error(`${method} ${path}: ${envelope.errors.map((error) => error.message).join('; ')}`);
  return envelope.result;
}

const [account] = await call<Array<{ id: string }>>('GET', '/accounts');
const instances = `/accounts/${account?.id ?? ''}/workflows/spread-demo/instances`;
const run = Date.now().toString(36);
const ids = Array.from({ length: count }, (_, i) => `demo-${run}-${i}`);
for (let i = 0; i < ids.length; i += 100) {
  await call('POST', `${instances}/batch`, ids.slice(i, i + 100).map((id) => ({ instance_id: id, params: { steps: 4 } })));
}
console.log(`created ${count} instances of spread-demo; waiting for the workers…`);

const perWorker = new Map<string, number>();
const movedBetweenWorkers: string[] = [];
const deadline = Date.now() + 300_000;
for (const id of ids) {
  for (;;) {
    const instance = await call<{ status: string; output: { ranOn?: string[] } | null }>('GET', `${instances}/${id}?simple=true`);
    if (instance.status === 'complete') {
      const ranOn = instance.output?.ranOn ?? [];
      for (const worker of ranOn) perWorker.set(worker, (perWorker.get(worker) ?? 0) + 1);
      if (new Set(ranOn).size > 1) movedBetweenWorkers.push(id);
      break;
    }
    if (['errored', 'terminated'].includes(instance.status)) throw new Error(`instance ${id} is ${instance.status}`);
    if (Date.now() > deadline) throw new Error(`instance ${id} is still ${instance.status} after 5 minutes: are workers running?`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
console.log('steps run per worker process:');
for (const [worker, steps] of [...perWorker].sort((a, b) => a[0].localeCompare(b[0]))) console.log(`  ${worker.padEnd(32)} ${steps}`);
console.log(`${movedBetweenWorkers.length} of ${count} instances continued on another worker after their sleep`);
