// The consumer of the engine outbox that keeps runs in step with their instances: for each lifecycle
// event (`workflow_*`) of an instance that backs a run it refreshes the run's status snapshot
// through the run's kind, and when the run reaches a final state it starts a webhook delivery (an
// instance of `petrel-webhook-delivery` in the run's namespace, id `whd-<run>-<seq>`, so a retried
// batch or a second process creating it again is a no-op). Its position is a durable outbox cursor
// (`outbox.ack`), so a restart resumes where it stopped; several processes may run it at once.
// Instances of run workflows that have no row yet are indexed here through their kind (`adopt`).
import type { OutboxEvent, WorkflowDefinition } from '@petrel/engine';
import type { Logger } from '@petrel/protocol';
import type { EngineHost } from '../engine/engine-host.ts';
import type { RunRow } from '../store/run-store.ts';
import type { ServerStore } from '../store/server-store.ts';
import { WEBHOOK_DELIVERY_WORKFLOW } from '../webhooks/webhook-delivery.ts';
import type { WebhookDeliveryParams } from '../webhooks/webhook-delivery.ts';
import type { RunService } from './run-service.ts';

/** The durable cursor name of the consumer. */
export const RUN_EVENTS_CONSUMER = 'petrel-run-events';

const FINAL_KINDS = new Set(['workflow_completed', 'workflow_errored', 'workflow_terminated']);

/** Options of `startRunEventsConsumer`. */
export type RunEventsConsumerOptions = {
  host: EngineHost;
  store: ServerStore;
  runs: RunService;
  /** The delivery workflow (`createWebhookDeliveryWorkflow`). */
  delivery: WorkflowDefinition;
  logger: Logger;
  /** Events read per batch. Default 200. */
  batchSize?: number;
  /** Longest wait for new events before looking again, in ms. Default 30 000. */
  idleWaitMs?: number;
  /** Called once per final lifecycle event of a run (frees its browser session); errors are logged. Default none. */
  onRunFinal?: (row: RunRow) => Promise<void>;
};

/** A running consumer. */
export type RunEventsConsumer = AsyncDisposable & {
  /** Resolves once every event up to the outbox's current end is handled (tests, shutdown). */
  drain(timeoutMs?: number): Promise<void>;
  /** Stops after the batch in hand. */
  stop(): Promise<void>;
};

/** The id of the delivery instance for a run's final event. */
export function deliveryInstanceId(runId: string, seq: number): string {
  return `whd-${runId}-${seq}`.slice(0, 100);
}

/** Starts the consumer loop. */
export function startRunEventsConsumer(options: RunEventsConsumerOptions): RunEventsConsumer {
  const { host, store, runs, logger } = options;
  const engine = host.engine;
  const batchSize = options.batchSize ?? 200;
  const idleWaitMs = options.idleWaitMs ?? 30_000;
  const abort = new AbortController();
  const registered = new Set<string>();
  let handled = 0;

  const ensureRegistered = async (namespace: string): Promise<void> => {
    if (registered.has(namespace)) return;
    await host.register(options.delivery, { namespace });
    registered.add(namespace);
  };

  const startDelivery = async (row: RunRow, event: OutboxEvent): Promise<void> => {
    await ensureRegistered(row.organization_id);
    const params: WebhookDeliveryParams = { runId: row.run_id, eventSeq: event.seq };
    try {
      await engine.instances.create({ namespace: row.organization_id, workflow: WEBHOOK_DELIVERY_WORKFLOW, id: deliveryInstanceId(row.run_id, event.seq), params });
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code !== 'ALREADY_EXISTS') throw error;
    }
  };

  const handle = async (events: readonly OutboxEvent[]): Promise<void> => {
    const lifecycle = events.filter((e) => e.kind.startsWith('workflow_') && e.workflowName !== WEBHOOK_DELIVERY_WORKFLOW);
    const byNamespace = new Map<string, OutboxEvent[]>();
    for (const event of lifecycle) byNamespace.set(event.namespace, [...(byNamespace.get(event.namespace) ?? []), event]);
    for (const [namespace, group] of byNamespace) {
      const instances = group.map((e) => ({ workflow: e.workflowName, instanceId: e.instanceId }));
      const rows = await store.runs.findByInstances(namespace, instances);
      // Instances of run workflows with no row: a crash between creating an instance and indexing it,
      // or a run the engine started itself (a child task, a triggered workflow). Their kind indexes them.
      const missing = instances.filter((i, index) => instances.findIndex((j) => j.workflow === i.workflow && j.instanceId === i.instanceId) === index
        && !rows.some((row) => row.engine_workflow === i.workflow && row.engine_instance_id === i.instanceId));
      if (missing.length > 0) rows.push(...(await runs.adoptInstances(namespace, missing)));
      if (rows.length === 0) continue;
      for (const row of rows) {
        const mine = group.filter((e) => e.workflowName === row.engine_workflow && e.instanceId === row.engine_instance_id);
        try {
          await runs.refreshStatus(row);
        } catch (error) {
          logger.warn({ err: error, run_id: row.run_id }, 'runs: could not refresh a run status snapshot');
        }
        for (const event of mine) {
          if (!FINAL_KINDS.has(event.kind)) continue;
          if (row.webhook_url !== null && row.webhook_url !== '') await startDelivery(row, event);
          await options.onRunFinal?.(row).catch((error: unknown) => logger.warn({ err: error, run_id: row.run_id }, 'runs: the end-of-run hook failed'));
        }
      }
    }
  };

  const loop = (async () => {
    let backoff = 500;
    let cursor: number | undefined;
    while (!abort.signal.aborted) {
      try {
        cursor ??= (await engine.outbox.cursor(RUN_EVENTS_CONSUMER)) ?? 0;
        const events = await engine.outbox.read({ afterSeq: cursor, limit: batchSize });
        if (events.length === 0) {
          await engine.outbox.wait({ afterSeq: cursor, timeoutMs: idleWaitMs, signal: abort.signal });
          continue;
        }
        await handle(events);
        const last = events.at(-1)!.seq;
        await engine.outbox.ack(RUN_EVENTS_CONSUMER, last);
        cursor = last;
        handled += events.length;
        backoff = 500;
      } catch (error) {
        if (abort.signal.aborted) break;
        logger.warn({ err: error }, 'runs: the outbox consumer failed; retrying');
        // The cursor is reread: a batch that failed halfway is handled again (every step is idempotent).
        cursor = undefined;
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, backoff);
          abort.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve(undefined);
          }, { once: true });
        });
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  })();

  const stop = async (): Promise<void> => {
    abort.abort();
    await loop;
  };
  return {
    async drain(timeoutMs = 10_000) {
      const target = await engine.outbox.latestSeq();
      const deadline = Date.now() + timeoutMs;
      while (((await engine.outbox.cursor(RUN_EVENTS_CONSUMER)) ?? 0) < target) {
        if (Date.now() > deadline) throw new Error(`runs: the outbox consumer did not reach seq ${target} within ${timeoutMs} ms (handled ${handled})`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
