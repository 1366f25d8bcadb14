// Prometheus metrics, one registry per app so tests and several apps in one process stay apart.
// The names are fixed here; subsystems that land later (engine, browser pool, webhook delivery)
// set values through the handles below. Metrics are best effort: recording one never throws into
// the caller's path.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The server's metric handles and their registry. */
export type ServerMetrics = {
  /** The registry `/metrics` renders. */
  readonly registry: Registry;
  /** HTTP requests by method, route pattern and status. */
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  /** HTTP request durations in seconds by method and route pattern. */
  readonly httpDuration: Histogram<'method' | 'route'>;
  /** Runs by Skyvern status (set by the run layer). */
  readonly runsByStatus: Gauge<'status'>;
  /** Durations of engine steps in seconds, by step type. */
  readonly stepDuration: Histogram<'step_type'>;
  /** Instances waiting to be claimed by a worker. */
  readonly queueDepth: Gauge;
  /** Browser pool slots by state (`in_use`, `idle`). */
  readonly browserPool: Gauge<'state'>;
  /** Webhook delivery attempts that failed, by reason (`http_status`, `network_error`, `timeout`, `blocked`). */
  readonly webhookFailures: Counter<'reason'>;
  /** Webhook deliveries by final outcome (`delivered`, `failed`). */
  readonly webhookDeliveries: Counter<'outcome'>;
  /** Workflow instances by engine status, all organizations (set by the engine host at scrape time). */
  readonly instancesByStatus: Gauge<'status'>;
  /** Bytes of artifacts recorded, by artifact type. */
  readonly artifactBytes: Counter<'type'>;
  /** Bytes of files uploaded through `/v1/upload_file`. */
  readonly uploadBytes: Counter;
  /** Persistent browser sessions that are not over, by status (all processes; set at scrape time). */
  readonly browserSessions: Gauge<'status'>;
  /** Refreshes run before `/metrics` renders (best effort; a failing one is skipped). Returns the remover. */
  addCollector(collect: () => Promise<void>): () => void;
  /** Runs the collectors (the `/metrics` route calls it). */
  collect(): Promise<void>;
};

/** Options of `createServerMetrics`. */
export type ServerMetricsOptions = {
  /** Also collect Node process metrics (memory, CPU, event loop). Default true. */
  processMetrics?: boolean;
};

/** Builds a fresh registry with every Petrel metric defined. */
export function createServerMetrics(options: ServerMetricsOptions = {}): ServerMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'petrel_' });
  const registers = [registry];
  const collectors = new Set<() => Promise<void>>();
  return {
    registry,
    httpRequests: new Counter({
      name: 'petrel_http_requests_total',
      help: 'HTTP requests by method, route and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    httpDuration: new Histogram({
      name: 'petrel_http_request_duration_seconds',
      help: 'HTTP request durations in seconds.',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    runsByStatus: new Gauge({ name: 'petrel_runs', help: 'Runs by status.', labelNames: ['status'], registers }),
    stepDuration: new Histogram({
      name: 'petrel_step_duration_seconds',
      help: 'Durations of engine steps in seconds.',
      labelNames: ['step_type'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900],
      registers,
    }),
    queueDepth: new Gauge({ name: 'petrel_queue_depth', help: 'Workflow instances waiting for a worker.', registers }),
    browserPool: new Gauge({ name: 'petrel_browser_pool', help: 'Browser pool slots by state.', labelNames: ['state'], registers }),
    webhookFailures: new Counter({
      name: 'petrel_webhook_failures_total',
      help: 'Failed webhook delivery attempts by reason.',
      labelNames: ['reason'],
      registers,
    }),
    webhookDeliveries: new Counter({
      name: 'petrel_webhook_deliveries_total',
      help: 'Webhook deliveries by final outcome.',
      labelNames: ['outcome'],
      registers,
    }),
    instancesByStatus: new Gauge({ name: 'petrel_workflow_instances', help: 'Workflow instances by status.', labelNames: ['status'], registers }),
    artifactBytes: new Counter({ name: 'petrel_artifact_bytes_total', help: 'Bytes of artifacts recorded, by type.', labelNames: ['type'], registers }),
    uploadBytes: new Counter({ name: 'petrel_upload_bytes_total', help: 'Bytes of files uploaded.', registers }),
    browserSessions: new Gauge({ name: 'petrel_browser_sessions', help: 'Persistent browser sessions that are not over, by status.', labelNames: ['status'], registers }),
    addCollector(collect) {
      collectors.add(collect);
      return () => collectors.delete(collect);
    },
    async collect() {
      await Promise.all(
        [...collectors].map(async (collect) => {
          try {
            await collect();
          } catch {
            // Metrics are best effort: a failed refresh leaves the last values.
          }
        }),
      );
    },
  };
}
