// Drives Petrel's Workflows API with the official `cloudflare` npm client, unchanged: only the base
// URL and the token differ from a Cloudflare account.
//
//   npm run serve -- --workflows examples/workflows-api/            (prints an API key on first start)
//   PETREL_API_KEY=pk_… node examples/workflows-api/client/cloudflare-client.ts
//
// Env: PETREL_URL (default http://127.0.0.1:8000), PETREL_API_KEY (required). It binds the workflow
// `orders` to the `OrderWorkflow` class, starts two orders, lists them with the client's
// auto-pagination, approves one, terminates the other with rollback, restarts the first from its
// `ship` step, and prints what it saw.
import Cloudflare from 'cloudflare';

const apiToken = process.env.PETREL_API_KEY;
if (apiToken === undefined || apiToken === '') {
  console.error('set PETREL_API_KEY to the key `npm run serve` printed on its first start');
  process.exit(1);
}
const client = new Cloudflare({ apiToken, baseURL: `${process.env.PETREL_URL ?? 'http://127.0.0.1:8000'}/client/v4` });

// The key's organization is the one account it may use.
const account = (await client.accounts.list()).result[0];
if (account === undefined) throw new Error('no account');
const account_id = account.id;
const workflow_name = 'orders';

const workflow = await client.workflows.update(workflow_name, { account_id, class_name: 'OrderWorkflow', script_name: 'order-workflow' });
console.log(`workflow ${workflow.name} -> class ${workflow.class_name}, version ${workflow.version_id}`);

const suffix = Date.now().toString(36);
const first = await client.workflows.instances.create(workflow_name, { account_id, instance_id: `order-a-${suffix}`, params: JSON.stringify({ orderId: `a-${suffix}`, amount: 42 }) });
const second = await client.workflows.instances.create(workflow_name, { account_id, instance_id: `order-b-${suffix}`, params: JSON.stringify({ orderId: `b-${suffix}`, amount: 7 }) });
console.log(`created ${first.id} and ${second.id}`);

type Status = Cloudflare.Workflows.Instances.InstanceGetResponse['status'];
async function until(id: string, statuses: Status[]): Promise<Cloudflare.Workflows.Instances.InstanceGetResponse> {
  for (;;) {
    const instance = await client.workflows.instances.get(id, { account_id, workflow_name });
    if (statuses.includes(instance.status)) return instance;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

await until(first.id, ['waiting']);
await until(second.id, ['waiting']);
const ids = [];
for await (const instance of client.workflows.instances.list(workflow_name, { account_id, per_page: 1 })) ids.push(`${instance.id}:${instance.status}`);
console.log(`listed (auto-paginated, 1 per page): ${ids.join(', ')}`);

await client.workflows.instances.events.create('approval', { account_id, workflow_name, instance_id: first.id, body: { approved: true, by: 'dana' } });
const approved = await until(first.id, ['complete', 'errored']);
console.log(`${first.id}: ${approved.status}, output ${JSON.stringify(approved.output)}`);
for (const step of approved.steps) {
  if (step.type === 'step') console.log(`  step ${step.name}: ${step.attempts.length} attempt(s), output ${step.output}`);
  else if (step.type === 'sleep' || step.type === 'waitForEvent') console.log(`  ${step.type} ${step.name}: finished ${step.finished}`);
}

await client.workflows.instances.status.edit(second.id, { account_id, workflow_name, status: 'terminate', rollback: true });
const terminated = await until(second.id, ['terminated']);
console.log(`${second.id}: ${terminated.status}, rollback ${JSON.stringify(terminated.rollback)}`);

await client.workflows.instances.status.edit(first.id, { account_id, workflow_name, status: 'restart', from: { name: 'ship' } });
const restarted = await until(first.id, ['complete', 'errored']);
console.log(`${first.id} restarted from "ship": ${restarted.status}`);

const graph = await client.workflows.versions.graph(workflow.version_id, { account_id, workflow_name });
const steps = (graph.graph?.workflow.nodes ?? []).flatMap((node) => ('name' in node ? [`${node.type} ${node.name}`] : [node.type]));
console.log(`graph: ${steps.join(' -> ')}`);
