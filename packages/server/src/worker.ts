// `startWorker`: a process that only runs workflow instances (`petrel worker --workflows DIR`): the
// database, the vault, the blob store and a browser pool for runs, the engine host with its worker,
// cron scheduler and retention sweep, the webhook delivery workflow and the run events consumer,
// and no API. With a
// metrics port it serves `/healthz`, `/readyz` and `/metrics` there. It shares the database with the
// servers (SQLite file or PostgreSQL), registers its code in every organization that bound a
// workflow to one of its classes, and advertises those classes so `PUT workflow` can tell.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { PetrelError, newId } from '@petrel/protocol';
import type { Logger } from '@petrel/protocol';
import { createServerAgent } from './agent/server-agent.ts';
import type { ServerAgentOptions } from './agent/server-agent.ts';
import type { AppDeps } from './app-deps.ts';
import { createConfiguredBrowserPool } from './browsers/browser-pool-setup.ts';
import type { ServerConfig } from './config/server-config.ts';
import type { EngineHost } from './engine/engine-host.ts';
import { startEngineHost } from './engine/engine-setup.ts';
import type { EngineWiringOptions } from './engine/engine-setup.ts';
import { createConfiguredBlobStore } from './files/blob-setup.ts';
import { deriveUrlSigningKey } from './files/signed-urls.ts';
import { createServerLogger } from './observability/logger.ts';
import { createServerMetrics } from './observability/metrics.ts';
import { createOutboundFetch } from './outbound/outbound-fetch.ts';
import type { RunEventsConsumer } from './runs/run-events-consumer.ts';
import { attachRunServices, createDeferredResolver } from './runs/run-services.ts';
import { createDeliveryWiring, startRunInfrastructure } from './runs/run-wiring.ts';
import { createServerDeps } from './server-deps.ts';
import { openDatabase } from './store/database.ts';
import { loadMasterKey } from './vault/master-key.ts';
import { checkVaultKeys } from './vault/rotate-master-key.ts';
import { createVault } from './vault/vault.ts';

/** Options of `startWorker`. */
export type StartWorkerOptions = {
  /** The configuration (`loadServerConfig`): data dir or database URL, `workflowsDir`, `workerSlots`, `workerId`, `metricsPort`. */
  config: ServerConfig;
  /** Logger. Default pino JSON on stdout at `config.logLevel`. */
  logger?: Logger;
  /** What to plug into the engine. */
  engine?: EngineWiringOptions;
  /**
   * Builds components the worker owns and disposes after the engine has stopped (run services
   * register their run kinds on `deps.runs` here). Called before the engine starts. Default none.
   */
  components?: (deps: AppDeps) => Promise<AsyncDisposable[]> | AsyncDisposable[];
  /** Start no Chromium (no browser pool). Default false. */
  noBrowsers?: boolean;
  /** Settings of the agent runtime over the config's model (tests: a model factory, shorter retries). Default the agent's. */
  agent?: Pick<ServerAgentOptions, 'createModel' | 'runtime'>;
};

/** A running worker. Dispose it (or `close`) to stop: no new claims, in-flight instances get the shutdown timeout, leases are released. */
export type RunningWorker = {
  /** The engine host. */
  readonly engine: EngineHost;
  /** The services runs use here (runs index, blob store, artifact sink, browser pool, sessions by reference). */
  readonly deps: AppDeps;
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
  const masterKey = loadMasterKey({ envKey: config.masterKey, dataDir: config.dataDir });
  const vault = createVault({ key: masterKey.key, previousKeys: masterKey.pendingKey === undefined ? [] : [masterKey.pendingKey] });
  const database = await openDatabase(config.databaseUrl === undefined ? { sqlitePath: join(config.dataDir, 'petrel.db') } : { postgresUrl: config.databaseUrl });
  let host: EngineHost | undefined;
  let consumer: RunEventsConsumer | undefined;
  // Disposed in reverse order after the engine has stopped.
  const owned: AsyncDisposable[] = [];
  const disposeOwned = async (): Promise<void> => {
    for (const disposable of owned.toReversed()) {
      try {
        await disposable[Symbol.asyncDispose]();
      } catch (error) {
        logger.error({ err: error }, 'a component failed to shut down');
      }
    }
    owned.length = 0;
  };
  try {
    await database.migrate();
    await checkVaultKeys(database, vault);
    const metrics = createServerMetrics();
    const outboundFetch = createOutboundFetch({ blockPrivateNetworks: config.outboundBlockPrivate });
    owned.push(outboundFetch);
    const blobStore = createConfiguredBlobStore(config.blobStore);
    owned.push(blobStore);
    const browserPool = options.noBrowsers === true ? undefined : createConfiguredBrowserPool(config, blobStore, logger);
    if (browserPool !== undefined) owned.push(browserPool);
    const deps = createServerDeps({
      database,
      vault,
      logger,
      metrics,
      outboundFetch,
      blobStore,
      urlSigningKey: deriveUrlSigningKey(masterKey.key),
      signedUrlTtlSeconds: config.signedUrlTtlSeconds,
      // Links in webhook payloads made here point at the API servers: set PETREL_PUBLIC_URL on workers.
      baseUrl: () => config.publicUrl ?? `http://${config.host}:${config.port}`,
      sessionsReadOnly: true,
      sessionOwner: config.workerId ?? newId('worker'),
      ...(browserPool === undefined ? {} : { browserPool }),
    });
    const sessions = deps.browserSessions;
    if (sessions !== undefined) owned.push({ [Symbol.asyncDispose]: () => sessions.shutdown() });
    // Disposed after the engine (steps in flight use its browsers) and before the pool.
    const agent = browserPool === undefined
      ? undefined
      : createServerAgent(deps, { browserPool, model: config.llm, allowedModels: config.llmAllowedModels, ...options.agent });
    if (agent !== undefined) {
      owned.push(agent);
      deps.agent = agent.runtime;
    }
    if (options.components !== undefined) owned.push(...(await options.components(deps)));
    const delivery = createDeliveryWiring(deps);
    const blockWorkflows = createDeferredResolver();
    const wiring = options.engine ?? {};
    host = await startEngineHost({
      config,
      serverStore: deps.store,
      logger,
      metrics,
      options: {
        ...wiring,
        ...(agent === undefined ? {} : { agentRuntime: agent.runtime }),
        resolvers: [delivery.resolver, ...(agent === undefined ? [] : [agent.resolver]), blockWorkflows.resolver, ...(wiring.resolvers ?? [])],
      },
    });
    deps.engine = host;
    const services = attachRunServices(deps, host, { runtime: agent?.runtime, requireModel: true, deferredResolver: blockWorkflows, smtp: config.smtp, publicBaseUrl: config.publicUrl });
    consumer = startRunInfrastructure(deps, host, delivery);
    const runEvents = consumer;
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
        await runEvents?.stop();
        try {
          await services[Symbol.asyncDispose]();
        } catch (error) {
          logger.error({ err: error }, 'the run services failed to stop');
        }
        try {
          await engineHost.close({ graceMs: config.shutdownTimeoutMs });
        } catch (error) {
          logger.error({ err: error }, 'the engine failed to shut down');
        }
        await disposeOwned();
        await database.close();
        logger.info({ worker_id: engineHost.workerId }, 'petrel worker stopped');
        (logger as { flush?: () => void }).flush?.();
      })();
      return closing;
    };
    return { engine: engineHost, deps, metricsUrl, close, [Symbol.asyncDispose]: close };
  } catch (error) {
    await consumer?.stop().catch(() => {});
    await host?.close().catch(() => {});
    await disposeOwned();
    await database.close();
    throw error;
  }
}
