// A code workflow for the Workflows API, written as Cloudflare writes one: a `WorkflowEntrypoint`
// class whose `run` uses durable steps. Serve it with
//
//   npm run serve -- --workflows examples/workflows-api/
//
// and drive it with curl or the `cloudflare` client (see the README, "Workflows API"). The class is
// registered as the workflow `OrderWorkflow` in the default organization; `PUT …/workflows/<name>`
// with `{"class_name":"OrderWorkflow"}` binds any other name to it. Code written for Cloudflare
// can import from `cloudflare:workers` / `cloudflare:workflows` instead: both resolve to Petrel's.
import { NonRetryableError, WorkflowEntrypoint } from '@petrel/engine';
import type { WorkflowEvent, WorkflowStep } from '@petrel/engine';

/** What an order is created with (`params`). */
export type OrderParams = { orderId: string; amount: number };

export class OrderWorkflow extends WorkflowEntrypoint<unknown, OrderParams> {
  async run(event: WorkflowEvent<OrderParams>, step: WorkflowStep) {
    const order = await step.do('validate order', async () => {
      const { orderId, amount } = event.payload;
      if (typeof orderId !== 'string' || !(amount > 0)) throw new NonRetryableError('an order needs an orderId and a positive amount');
      return { orderId, amount };
    });

    // Retried with backoff; its output (a payment id) is redacted on every read surface; if the
    // order is terminated with rollback (or fails later), the refund handler runs.
    const payment = await step.do(
      'charge card',
      { retries: { limit: 3, delay: '1 second', backoff: 'exponential' }, timeout: '30 seconds', sensitive: 'output' },
      async (ctx) => {
        if (ctx.attempt === 1) throw new Error('payment gateway timed out');
        return { paymentId: `pay_${order.orderId}`, amount: order.amount };
      },
      {
        rollback: async ({ output }) => {
          console.log(`refunding ${output?.paymentId ?? 'nothing'}`);
        },
      },
    );

    // A durable sleep: the instance holds no worker while it waits, and survives a restart.
    await step.sleep('wait for the warehouse', '2 seconds');

    // Parks the instance until someone sends an `approval` event (or an hour passes).
    const approval = await step.waitForEvent<{ approved: boolean; by: string }>('manager approval', { type: 'approval', timeout: '1 hour' });
    if (!approval.payload.approved) throw new NonRetryableError(`order rejected by ${approval.payload.by}`);

    const shipment = await step.do('ship', async () => ({ tracking: `TRK-${order.orderId.toUpperCase()}` }));
    return { orderId: order.orderId, charged: payment.amount, approvedBy: approval.payload.by, tracking: shipment.tracking };
  }
}
