// A durable order workflow on the embedded engine: steps, a retried step, a sleep and an event.
//
//   node examples/engine/order-flow.ts            start the order (or continue it after a crash)
//   node examples/engine/order-flow.ts approve    send the approval event from a second terminal
//   node examples/engine/order-flow.ts reset      forget everything (deletes the data directory)
//
// Kill the first command at any time (Ctrl-C, or `kill -9`) and run it again: the same instance
// continues from its last recorded step, and finished steps do not run again. Without `approve`,
// the running process approves the order itself 20 seconds after it starts waiting.
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createEngine, createSqliteStore, defineWorkflow } from '@petrel/engine';
import type { InstanceDetails } from '@petrel/engine';

type Order = { orderId: string; items: Array<{ sku: string; qty: number; price: number }> };

const orderFlow = defineWorkflow<Order>({
  name: 'order-flow',
  async run(event, step) {
    const { orderId, items } = event.payload;
    const total = await step.do('price order', async () => {
      console.log(`  [step] pricing ${orderId}`);
      return items.reduce((sum, item) => sum + item.qty * item.price, 0);
    });
    // The payment gateway fails twice; the step is retried with exponential backoff (1 s, 2 s).
    const payment = await step.do('charge card', { retries: { limit: 4, delay: '1 second', backoff: 'exponential' }, timeout: '30 seconds' }, async (ctx) => {
      console.log(`  [step] charging ${total} (attempt ${ctx.attempt})`);
      if (ctx.attempt < 3) throw new Error('payment gateway timed out');
      return { paymentId: `pay_${orderId}`, amount: total };
    });
    // A durable sleep: kill the process now and the wait survives it.
    await step.sleep('wait for the warehouse', '10 seconds');
    const approval = await step.waitForEvent<{ by: string }>('manager approval', { type: 'approval', timeout: '1 hour' });
    const shipment = await step.do('ship', async () => {
      console.log(`  [step] shipping ${orderId}, approved by ${approval.payload.by}`);
      return { trackingNumber: `TRK-${orderId.toUpperCase()}` };
    });
    return { orderId, total, paymentId: payment.paymentId, approvedBy: approval.payload.by, tracking: shipment.trackingNumber };
  },
});

const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'data-dir': { type: 'string', default: '.petrel/examples/order-flow' } } });
const dataDir = values['data-dir'];
const command = positionals[0] ?? 'run';
const ref = { workflow: 'order-flow', id: 'order-1001' };

if (command === 'reset') {
  rmSync(dataDir, { recursive: true, force: true });
  console.log(`deleted ${dataDir}`);
  process.exit(0);
}

const store = await createSqliteStore({ dataDir });

if (command === 'approve') {
  // An API-only engine (no worker) in another process sends the event through the same database file.
  const api = await createEngine({ store, slots: 0 });
  await api.instances.sendEvent({ ...ref, type: 'approval', payload: { by: 'dana (from a second terminal)' } });
  console.log(`sent "approval" to ${ref.id}`);
  await api.close();
  await store.close();
  process.exit(0);
}

// A stable worker id: when this process is killed and restarted, it takes its instance back at once
// instead of waiting for the lease of the dead process to lapse (30 s).
const engine = await createEngine({ store, workflows: [orderFlow], workerId: 'order-flow-example', slots: 4 });

const existing = await engine.instances.find(ref);
if (!existing) {
  await engine.instances.create({ ...ref, params: { orderId: 'o1001', items: [{ sku: 'lamp', qty: 2, price: 30 }, { sku: 'bulb', qty: 4, price: 5 }] } });
  console.log(`created ${ref.id} in ${dataDir}/petrel.db`);
} else {
  console.log(`found ${ref.id} (${existing.status}) with ${existing.steps.length} recorded steps: continuing it`);
}

// Print lifecycle events of the instance as they happen (the outbox is what webhooks and live views read).
let seq = 0;
let autoApprove: NodeJS.Timeout | undefined;
for (;;) {
  const details = await engine.instances.get(ref);
  if (details.status === 'complete' || details.status === 'errored' || details.status === 'terminated') {
    printHistory(details);
    break;
  }
  const waitingForApproval = details.steps.some((s) => s.type === 'waitForEvent' && s.status === 'waiting');
  if (waitingForApproval && !autoApprove) {
    console.log('  waiting for approval: run `node examples/engine/order-flow.ts approve` in another terminal (auto-approves in 20 s)');
    autoApprove = setTimeout(() => {
      void engine.instances.sendEvent({ ...ref, type: 'approval', payload: { by: 'auto-approver' } }).catch(() => {});
    }, 20_000);
  }
  await engine.outbox.wait({ afterSeq: seq, timeoutMs: 1000 });
  for (const e of await engine.outbox.read({ afterSeq: seq, limit: 100 })) {
    seq = e.seq;
    if (e.instanceId !== ref.id) continue;
    const step = e.payload.step as { name: string; count: number } | undefined;
    console.log(`  [event #${e.seq}] ${e.kind}${step ? ` "${step.name}"` : ''}`);
  }
}
clearTimeout(autoApprove);
await engine.close();
await store.close();

function printHistory(details: InstanceDetails): void {
  console.log(`\n${details.id}: ${details.status}`);
  console.log(`output: ${JSON.stringify(details.output)}`);
  for (const s of details.steps) {
    const took = s.endedAt ? `${s.endedAt.getTime() - s.startedAt.getTime()} ms` : 'not finished';
    console.log(`  ${s.type.padEnd(12)} ${s.displayName.padEnd(28)} ${s.status.padEnd(9)} ${took}`);
    for (const a of s.attempts) console.log(`      attempt ${a.attempt}: ${a.success ? 'ok' : `failed (${a.error?.message ?? ''})`}${a.retryDelayMs ? `, retry in ${a.retryDelayMs} ms` : ''}`);
  }
}
