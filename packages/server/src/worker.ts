// `startWorker`: a process that only runs workflow instances (`petrel worker --workflows DIR`): the
// database, the engine host with its worker, cron scheduler and retention sweep, and no API. With a
// metrics port it serves `/healthz`, `/readyz` and `/metrics` there. It shares the database with the
// servers (SQLite file or PostgreSQL), registers its code in every organization that bound a
// workflow to one of its classes, and advertises those classes so `PUT workflow` can tell.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { PetrelError } from '@petrel/protocol';
import type { Logger } from '@petrel/protocol';
import type { ServerConfig } from './config/server-config.ts';
import type { EngineHost } from './engine/engine-host.ts';
import { startEngineHost } from './engine/engine-setup.ts';
import type { EngineWiringOptions } from './engine/engine-setup.ts';
import { createServerLogger } from './observability/logger.ts';
import { createServerMetrics } from './observability/metrics.ts';
import { openDatabase } from './store/database.ts';
import { createServerStore } from './store/server-store.ts';

/** Options of `startWorker`. */
export type StartWorkerOptions = {
  /** The configuration (`loadServerConfig`): data dir or database URL, `workflowsDir`, `workerSlots`, `workerId`, `metricsPort`. */
  config: ServerConfig;
  /** Logger. Default pino JSON on stdout at `config.logLevel`. */
  logger?: Logger;
  /** What to plug into the engine. */
  engine?: EngineWiringOptions;
};

/** A running worker. Dispose it (or `close`) to stop: no new claims, in-flight instances get the shutdown timeout, leases are released. */
export type RunningWorker = {
  /** The engine host. */
  readonly engine: EngineHost;
  /** `http://host:port` of the metrics listener, when one was asked for. */
  readonly metricsUrl: string | undefined;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
};

/** Starts a worker process's engine; resolves once it runs. */
export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const { config } = options;
  const logger = options.logger ?? createServerLogger({ level: config.logLevel });
  if (config.workerSlots === 0) throw new PetrelError('INVALID_CONFIG', 'config: a worker needs PETREL_WORKER_SLOTS (--slots) of at least 1');
  const database = await openDatabase(config.databaseUrl === undefined ? { sqlitePath: join(config.dataDir, 'petrel.db') } : { postgresUrl: config.databaseUrl });
  let host: EngineHost | undefined;
  try {
    await database.migrate();
    const metrics = createServerMetrics();
    host = await startEngineHost({ config, serverStore: createServerStore(database), logger, metrics, ...(options.engine === undefined ? {} : { options: options.engine }) });
    const engineHost = host;
    let draining = false;
    let server: ReturnType<typeof serve> | undefined;
    let metricsUrl: string | undefined;
    if (config.metricsPort !== undefined) {
      const app = new Hono();
      app.get('/healthz', (c) => c.json({ status: 'ok' }));
      app.get('/readyz', async (c) => {
        if (draining) return c.json({ status: 'draining' }, 503);
        try {
          await database.ping();
          return c.json({ status: 'ready' });
        } catch {
          return c.json({ status: 'unavailable' }, 503);
        }
      });
      app.get('/metrics', async (c) => {
        await metrics.collect();
        return c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType });
      });
      server = serve({ fetch: app.fetch, hostname: config.host, port: config.metricsPort });
      try {
        await once(server, 'listening');
      } catch (error) {
        throw new PetrelError('UNAVAILABLE', `worker.start: cannot listen on ${config.host}:${config.metricsPort}`, { cause: error });
      }
      const address = server.address() as AddressInfo;
      metricsUrl = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
    }
    logger.info({ worker_id: engineHost.workerId, slots: engineHost.slots, classes: engineHost.workflows.units.map((u) => u.className), metrics: metricsUrl ?? null }, 'petrel worker running');

    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        draining = true;
        if (server !== undefined) {
          const listener = server;
          await new Promise<void>((resolve) => {
            listener.close(() => resolve());
            if ('closeAllConnections' in listener) listener.closeAllConnections();
          });
        }
        try {
          await engineHost.close({ graceMs: config.shutdownTimeoutMs });
        } catch (error) {
          logger.error({ err: error }, 'the engine failed to shut down');
        }
        await database.close();
        logger.info({ worker_id: engineHost.workerId }, 'petrel worker stopped');
        (logger as { flush?: () => void }).flush?.();
      })();
      return closing;
    };
    return { engine: engineHost, metricsUrl, close, [Symbol.asyncDispose]: close };
  } catch (error) {
    await host?.close().catch(() => {});
    await database.close();
    throw error;
  }
}
