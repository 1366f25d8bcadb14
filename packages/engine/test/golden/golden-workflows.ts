// Workflows whose histories are recorded in `histories/` and replayed by `golden.test.ts`. Their
// version keys are explicit, so a history keeps pointing at the same version however the engine
// changes. Change a workflow's behaviour only together with a new version key and re-recorded files.
import { defineWorkflow, NonRetryableError } from '@petrel/engine';
import type { WorkflowDefinition } from '@petrel/engine';

/** Step executions seen in this process, per instance id: the golden test asserts recorded steps never run again. */
export const executions = new Map<string, string[]>();

function ran(instanceId: string, step: string): void {
  executions.set(instanceId, [...(executions.get(instanceId) ?? []), step]);
}

/** Gates that a recording holds closed to stop a run at a chosen point. */
export const gates = new Map<string, Promise<void>>();

/** An order: steps, a retried step, a sensitive step, a caught NonRetryableError, a sleep, an event, parallel steps. */
export const goldenOrder = defineWorkflow<{ items: string[]; total: number }>({
  name: 'golden-order',
  versionKey: 'golden-order@1',
  async run(event, step) {
    const id = event.instanceId;
    const order = await step.do('create order', async () => {
      ran(id, 'create order');
      return { orderId: `ord-${event.payload.total}`, items: event.payload.items.length };
    });
    const charge = await step.do('charge card', { retries: { limit: 3, delay: 5, backoff: 'constant' } }, async (ctx) => {
      ran(id, `charge card #${ctx.attempt}`);
      if (ctx.attempt < 2) throw new Error('gateway timeout');
      return { chargeId: 'ch_1', amount: event.payload.total };
    });
    const token = await step.do('issue token', { sensitive: 'output' }, async () => {
      ran(id, 'issue token');
      return 'tok_secret';
    });
    let coupon = 'none';
    try {
      await step.do('apply coupon', async () => {
        ran(id, 'apply coupon');
        throw new NonRetryableError('coupon expired');
      });
    } catch (error) {
      coupon = (error as Error).message;
    }
    await step.sleep('cool off', 20);
    const approval = await step.waitForEvent<{ by: string }>('approval', { type: 'approved', timeout: '1 day' });
    const [label, mail] = await Promise.all([
      step.do('print label', async () => {
        ran(id, 'print label');
        return `label for ${order.orderId}`;
      }),
      step.do('send mail', async () => {
        ran(id, 'send mail');
        return `mail to buyer of ${order.items} items`;
      }),
    ]);
    return { order, charge, tokenLength: token.length, coupon, approvedBy: approval.payload.by, label, mail };
  },
});

/** A saga whose last step fails; rollbacks undo the earlier steps in reverse order. */
export const goldenSaga = defineWorkflow({
  name: 'golden-saga',
  versionKey: 'golden-saga@1',
  async run(event, step) {
    const id = event.instanceId;
    for (const name of ['reserve', 'debit', 'ship']) {
      await step.do(
        name,
        { retries: { limit: 0 } },
        async () => {
          ran(id, name);
          if (name === 'ship') throw new Error('carrier down');
          return `${name} ok`;
        },
        {
          rollback: async ({ output }) => {
            ran(id, `undo ${name}`);
            await gates.get(`${id}:undo ${name}`);
            return void output;
          },
        },
      );
    }
    return 'shipped';
  },
});

/** Every golden workflow. */
export const goldenWorkflows: WorkflowDefinition[] = [goldenOrder, goldenSaga];
