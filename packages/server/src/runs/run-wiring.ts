// What every process with an engine adds for runs: the webhook delivery workflow (as a resolver, so
// any worker runs delivery instances, and registered per organization on first use), and — in
// processes whose engine runs instances — the outbox consumer that keeps run snapshots in step and
// starts deliveries.
import type { WorkflowResolver } from '@petrel/engine';
import type { AppDeps } from '../app-deps.ts';
import type { EngineHost } from '../engine/engine-host.ts';
import { WEBHOOK_DELIVERY_WORKFLOW, createWebhookDeliveryWorkflow } from '../webhooks/webhook-delivery.ts';
import type { WebhookDeliveryDeps } from '../webhooks/webhook-delivery.ts';
import { startRunEventsConsumer } from './run-events-consumer.ts';
import type { RunEventsConsumer } from './run-events-consumer.ts';
import { releaseRunSession } from './session-occupancy.ts';

/** The delivery workflow over the deps, and the engine resolver that serves it. */
export function createDeliveryWiring(deps: AppDeps, options: Pick<WebhookDeliveryDeps, 'policy' | 'attemptTimeoutMs'> = {}) {
  const definition = createWebhookDeliveryWorkflow({
    store: deps.store,
    vault: deps.vault,
    outboundFetch: deps.outboundFetch,
    runs: deps.runs,
    metrics: deps.metrics,
    logger: deps.logger,
    ...(deps.now === undefined ? {} : { now: deps.now }),
    ...options,
  });
  const resolver: WorkflowResolver = (ref) => Promise.resolve(ref.workflowName === WEBHOOK_DELIVERY_WORKFLOW ? definition : undefined);
  return { definition, resolver };
}

/** Starts the run events consumer when the host runs instances (slots > 0); undefined otherwise. */
export function startRunInfrastructure(deps: AppDeps, host: EngineHost, delivery: ReturnType<typeof createDeliveryWiring>): RunEventsConsumer | undefined {
  if (host.slots === 0) return undefined;
  return startRunEventsConsumer({ host, store: deps.store, runs: deps.runs, delivery: delivery.definition, logger: deps.logger, onRunFinal: (row) => releaseRunSession(deps, row) });
}
