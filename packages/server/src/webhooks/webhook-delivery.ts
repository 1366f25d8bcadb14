// Webhook delivery as a durable engine workflow (`petrel-webhook-delivery`, one instance per final
// state of a run, in the run's namespace). Its steps: build the payload through the run-kind registry
// (the run response, or the kind's registered builder) and freeze it; deliver it, one signed attempt
// per step attempt, every attempt logged in `webhook_deliveries`, retried by the engine with the
// retry policy's delay — exponential backoff with full jitter, or the receiver's `Retry-After` when
// longer — handed over as `retryAfterMs` on the error to a dynamic `retries.delay`; record the outcome
// on the run (`webhook_failure_reason`: `''` after a success, the last error otherwise). A crash
// between attempts loses nothing: the wait is a durable retry delay and the next worker goes on.
//
// `replayWebhook` is `POST /v1/runs/{id}/retry_webhook`: one synchronous signed attempt, logged, whose
// outcome is the answer.
import { NonRetryableError, defineWorkflow } from '@petrel/engine';
import type { StepContext, WorkflowDefinition } from '@petrel/engine';
import { PetrelError, isPetrelError } from '@petrel/protocol';
import type { Logger, RunWebhookReplayResponse } from '@petrel/protocol';
import type { ServerMetrics } from '../observability/metrics.ts';
import type { OutboundFetch } from '../outbound/outbound-fetch.ts';
import type { RunService } from '../runs/run-service.ts';
import type { RunRow } from '../store/run-store.ts';
import type { ServerStore } from '../store/server-store.ts';
import type { Vault } from '../vault/vault.ts';
import { DEFAULT_WEBHOOK_RETRY_POLICY, backoffDelay, decideWebhookRetry } from './retry-policy.ts';
import type { WebhookRetryPolicy } from './retry-policy.ts';
import { recordWebhookAttempt, sendWebhook } from './send-webhook.ts';
import type { WebhookAttempt } from './send-webhook.ts';
import { getWebhookSecret } from './webhook-secrets.ts';

/** The engine workflow name of webhook deliveries (engine names allow no dots: `petrel-webhook-delivery`). */
export const WEBHOOK_DELIVERY_WORKFLOW = 'petrel-webhook-delivery';

/** What a delivery instance is created with. */
export type WebhookDeliveryParams = {
  /** The run whose final state is delivered. */
  runId: string;
  /** The outbox event that made the run final (for the log). */
  eventSeq?: number;
};

/** What a delivery instance ends with. */
export type WebhookDeliveryOutcome =
  | { delivered: true; attempts: number; status_code: number | null; url: string }
  | { delivered: false; skipped: true; reason: string }
  | { delivered: false; skipped?: false; failure_reason: string };

/** What the delivery workflow and `replayWebhook` need. */
export type WebhookDeliveryDeps = {
  store: ServerStore;
  vault: Vault;
  outboundFetch: OutboundFetch;
  runs: RunService;
  metrics?: ServerMetrics | undefined;
  logger: Logger;
  /** Retry policy. Default `DEFAULT_WEBHOOK_RETRY_POLICY` (5 attempts, 1 s base, 60 s cap, `Retry-After` up to 5 min). */
  policy?: WebhookRetryPolicy;
  /** Time limit of one attempt, in ms. Default 30 000. */
  attemptTimeoutMs?: number;
  now?: () => Date;
};

/** The JSON text of a payload, compact (the exact bytes that are signed and sent). */
export function serializeWebhookBody(payload: unknown): string {
  return JSON.stringify(payload);
}

function failureReason(attempt: WebhookAttempt): string {
  return attempt.error ?? (attempt.statusCode === null ? 'no answer' : `the receiver answered HTTP ${attempt.statusCode}`);
}

function countFailure(metrics: ServerMetrics | undefined, attempt: WebhookAttempt): void {
  if (attempt.outcome.kind === 'response' && attempt.outcome.status >= 200 && attempt.outcome.status < 300) return;
  try {
    metrics?.webhookFailures.inc({ reason: attempt.outcome.kind === 'response' ? 'http_status' : attempt.outcome.kind });
  } catch {
    // Metrics are best effort.
  }
}

/** Builds the `petrel-webhook-delivery` workflow over the server's dependencies. */
export function createWebhookDeliveryWorkflow(deps: WebhookDeliveryDeps): WorkflowDefinition<WebhookDeliveryParams, WebhookDeliveryOutcome> {
  const policy = deps.policy ?? DEFAULT_WEBHOOK_RETRY_POLICY;
  const now = deps.now ?? (() => new Date());
  return defineWorkflow<WebhookDeliveryParams, WebhookDeliveryOutcome>({
    name: WEBHOOK_DELIVERY_WORKFLOW,
    // One key for the code: every process registers the same version, whatever its closure holds.
    versionKey: 'petrel-webhook-delivery/v1',
    className: 'PetrelWebhookDelivery',
    retention: { successRetention: '7 days', errorRetention: '30 days' },
    async run(event, step) {
      const organizationId = event.namespace;
      const { runId } = event.payload;
      const recordFailure = async (reason: string): Promise<WebhookDeliveryOutcome> => {
        await step.do('record failure', async () => {
          await deps.store.runs.setWebhookFailure(organizationId, runId, reason);
          try {
            deps.metrics?.webhookDeliveries.inc({ outcome: 'failed' });
          } catch {
            // Metrics are best effort.
          }
          return true;
        });
        deps.logger.warn({ run_id: runId, namespace: organizationId }, 'webhooks: delivery failed for good');
        return { delivered: false, failure_reason: reason };
      };
      let prepared: { url: string; body: string } | null;
      try {
        prepared = await step.do('build payload', { retries: { limit: 3, delay: 1000, backoff: 'exponential' }, sensitive: 'output' }, async () => {
          const row = await deps.store.runs.find(organizationId, runId);
          if (row === undefined) return null;
          if (row.webhook_url === null || row.webhook_url === '') return null;
          return { url: row.webhook_url, body: serializeWebhookBody(await deps.runs.webhookPayload(row)) };
        });
      } catch (error) {
        return recordFailure(`webhooks.deliver: could not build the payload: ${(error instanceof Error ? error.message : String(error)).slice(0, 1000)}`);
      }
      if (prepared === null) return { delivered: false, skipped: true, reason: 'the run has no webhook_url (or is gone)' };
      const target = prepared;

      const attemptStep = async (ctx: StepContext): Promise<{ status_code: number | null; attempts: number }> => {
        const { secret } = await getWebhookSecret(deps.store, deps.vault, organizationId, now());
        const attempt = await sendWebhook(target.url, target.body, {
          secret,
          fetch: deps.outboundFetch,
          signal: ctx.signal,
          ...(deps.attemptTimeoutMs === undefined ? {} : { timeoutMs: deps.attemptTimeoutMs }),
        });
        await recordWebhookAttempt(deps.store, organizationId, runId, ctx.attempt, attempt, now());
        countFailure(deps.metrics, attempt);
        const decision = decideWebhookRetry(ctx.attempt, attempt.outcome, { policy, now: Date.now(), random: Math.random() });
        if (!decision.retry && decision.reason === 'delivered') return { status_code: attempt.statusCode, attempts: ctx.attempt };
        const message = `webhooks.deliver: attempt ${ctx.attempt} of at most ${policy.maxAttempts} failed: ${failureReason(attempt)}`;
        if (!decision.retry) throw new NonRetryableError(message);
        throw new PetrelError('WEBHOOK_DELIVERY_FAILED', message, { retryAfterMs: decision.delayMs });
      };

      try {
        const result = await step.do(
          'deliver',
          {
            retries: {
              limit: Math.max(0, policy.maxAttempts - 1),
              // The attempt decided its own wait (backoff with jitter, or Retry-After); this only reads it.
              delay: ({ ctx, error }) => (isPetrelError(error) && error.retryAfterMs !== undefined ? error.retryAfterMs : backoffDelay(ctx.attempt, policy, Math.random())),
              backoff: 'constant',
            },
            timeout: (deps.attemptTimeoutMs ?? 30_000) + 30_000,
          },
          attemptStep,
        );
        await step.do('record outcome', async () => {
          await deps.store.runs.setWebhookFailure(organizationId, runId, '');
          try {
            deps.metrics?.webhookDeliveries.inc({ outcome: 'delivered' });
          } catch {
            // Metrics are best effort.
          }
          return true;
        });
        return { delivered: true, attempts: result.attempts, status_code: result.status_code, url: target.url };
      } catch (error) {
        return recordFailure((error instanceof Error ? error.message : String(error)).slice(0, 2000));
      }
    },
  });
}

/**
 * `POST /v1/runs/{id}/retry_webhook`: rebuilds the run's payload, signs it and sends it once, now;
 * logs the attempt (`source: retry_webhook`) and records its outcome on the run. `INVALID_INPUT`
 * when neither the request nor the run has a URL.
 */
export async function replayWebhook(deps: WebhookDeliveryDeps, row: RunRow, targetUrl: string | null | undefined): Promise<RunWebhookReplayResponse> {
  const now = deps.now ?? (() => new Date());
  const url = targetUrl ?? row.webhook_url;
  if (url === null || url === undefined || url === '') {
    throw new PetrelError('INVALID_INPUT', `runs.retry_webhook: run ${row.run_id} has no webhook_url; send one in the body`);
  }
  const body = serializeWebhookBody(await deps.runs.webhookPayload(row));
  const { secret } = await getWebhookSecret(deps.store, deps.vault, row.organization_id, now());
  const attempt = await sendWebhook(url, body, { secret, fetch: deps.outboundFetch, ...(deps.attemptTimeoutMs === undefined ? {} : { timeoutMs: deps.attemptTimeoutMs }) });
  const previous = await deps.store.webhookDeliveries.listForRun(row.organization_id, row.run_id);
  await recordWebhookAttempt(deps.store, row.organization_id, row.run_id, previous.length + 1, attempt, now(), 'retry_webhook');
  countFailure(deps.metrics, attempt);
  await deps.store.runs.setWebhookFailure(row.organization_id, row.run_id, attempt.error === null ? '' : failureReason(attempt));
  return {
    run_id: row.run_id,
    run_type: row.run_type,
    default_webhook_url: row.webhook_url,
    target_webhook_url: url,
    payload: body,
    headers: attempt.headers,
    status_code: attempt.statusCode,
    latency_ms: attempt.durationMs,
    response_body: attempt.responseExcerpt,
    error: attempt.error,
  };
}
