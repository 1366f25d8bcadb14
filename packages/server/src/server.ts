// `startServer`: opens the database (SQLite in the data directory, or PostgreSQL), migrates it,
// loads the vault's master key, creates the first organization and key on the very first start,
// builds the blob store, the browser pool and the session manager, the engine host with the webhook
// delivery workflow and the run events consumer, and serves the app. Disposing it shuts down
// gracefully: `/readyz` turns 503 and event streams end, the listener stops accepting, requests in
// flight get until the deadline to finish, then remaining connections are closed; the owned
// components are disposed in reverse order — the retention sweep, the outbox consumer, the engine
// (it stops claiming; steps in flight finish or are cut at the deadline and their leases released),
// the sessions (every Chromium killed, rows marked), the browser pool, the blob store — and the
// database is closed.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { createSessionManager } from '@petrel/browser';
import { PetrelError, newId } from '@petrel/protocol';
import type { Logger } from '@petrel/protocol';
import { createApp } from './app.ts';
import type { PetrelApp } from './app.ts';
import type { AppDeps } from './app-deps.ts';
import { ensureBootstrap } from './auth/api-keys.ts';
import type { CreatedOrganization } from './auth/api-keys.ts';
import type { ServerConfig } from './config/server-config.ts';
import { startEngineHost } from './engine/engine-setup.ts';
import type { EngineWiringOptions } from './engine/engine-setup.ts';
import type { EngineHost } from './engine/engine-host.ts';
import { createConfiguredBrowserPool } from './browsers/browser-pool-setup.ts';
import { createConfiguredBlobStore } from './files/blob-setup.ts';
import { startRetentionSweeper } from './files/retention.ts';
import { deriveUrlSigningKey } from './files/signed-urls.ts';
import { createInFlightTracker } from './http/request-context.ts';
import { createServerAgent } from './agent/server-agent.ts';
import type { ServerAgentOptions } from './agent/server-agent.ts';
import { attachRunServices, createDeferredResolver } from './runs/run-services.ts';
import { createDeliveryWiring, startRunInfrastructure } from './runs/run-wiring.ts';
import { createServerLogger } from './observability/logger.ts';
import { createOutboundFetch } from './outbound/outbound-fetch.ts';
import { createServerDeps } from './server-deps.ts';
import { openDatabase } from './store/database.ts';
import type { ServerDatabase } from './store/database.ts';
import { loadMasterKey } from './vault/master-key.ts';
import { checkVaultKeys } from './vault/rotate-master-key.ts';
import { createVault } from './vault/vault.ts';

/** Options of `startServer`. */
export type StartServerOptions = {
  /** The configuration (`loadServerConfig`). */
  config: ServerConfig;
  /** Logger. Default pino JSON on stdout at `config.logLevel`. */
  logger?: Logger;
  /**
   * Builds components the server owns and disposes first after HTTP has drained. Called once the
   * deps are ready (the task and workflow services register their run kinds on `deps.runs` here).
   * Default none.
   */
  components?: (deps: AppDeps, database: ServerDatabase) => Promise<AsyncDisposable[]> | AsyncDisposable[];
  /**
   * The workflow engine: `false` runs none (the routes that need it answer 503); otherwise what to
   * plug into it (browser runtime, step extensions, resolvers of dynamic code). Default: an engine
   * with the config's slots and `--workflows` code.
   */
  engine?: false | EngineWiringOptions;
  /** Start no Chromium: no browser pool and no session manager (the session routes answer 503). Default false. */
  noBrowsers?: boolean;
  /** Settings of the agent runtime over the config's model (tests: a model factory, shorter retries). Default the agent's. */
  agent?: Pick<ServerAgentOptions, 'createModel' | 'runtime'>;
};

/** A running server. Dispose it (or call `close`) to shut down gracefully. */
export type RunningServer = {
  /** The base URL clients use (`config.publicUrl`, or the listening address). */
  readonly url: string;
  /** The port actually listened on. */
  readonly port: number;
  /** The HTTP app. */
  readonly app: PetrelApp;
  /** The app's dependencies. */
  readonly deps: AppDeps;
  /** The database. */
  readonly database: ServerDatabase;
  /** On the very first start: the organization and API key created (print the key once). */
  readonly bootstrap: CreatedOrganization | undefined;
  /** Requests being answered now (until their response is fully written). */
  readonly inFlight: { readonly count: number };
  /** True once shutdown has begun. */
  readonly draining: boolean;
  /** Where the master key came from (`env` or the key file path). */
  readonly masterKeySource: string;
  /** The engine host (`deps.engine`), unless started with `engine: false`. */
  readonly engine: EngineHost | undefined;
  /** Shuts down gracefully; resolves when everything is closed. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
};

/** Starts the server; resolves once it listens. */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config } = options;
  const logger = options.logger ?? createServerLogger({ level: config.logLevel });
  const masterKey = loadMasterKey({ envKey: config.masterKey, dataDir: config.dataDir });
  if (masterKey.created) logger.info({ path: masterKey.path }, 'generated a new master key file (mode 0600); back it up: without it stored credentials cannot be read');
  if (masterKey.pendingKey !== undefined) logger.warn({}, 'found master.key.next from an unfinished key rotation; run the rotation again to finish it');
  const vault = createVault({ key: masterKey.key, previousKeys: masterKey.pendingKey === undefined ? [] : [masterKey.pendingKey] });

  const database = await openDatabase(
    config.databaseUrl === undefined ? { sqlitePath: join(config.dataDir, 'petrel.db') } : { postgresUrl: config.databaseUrl },
  );
  const disposables: AsyncDisposable[] = [];
  let draining = false;
  try {
    await database.migrate();
    await checkVaultKeys(database, vault);
    const outboundFetch = createOutboundFetch({ blockPrivateNetworks: config.outboundBlockPrivate });
    disposables.push(outboundFetch);
    const blobStore = createConfiguredBlobStore(config.blobStore);
    disposables.push(blobStore);
    const owner = config.workerId ?? newId('worker');
    // Disposed after the engine (steps in flight may use them): every context closed, every Chromium gone.
    const browserPool = options.noBrowsers === true ? undefined : createConfiguredBrowserPool(config, blobStore, logger);
    if (browserPool !== undefined) disposables.push(browserPool);
    const sessionManager = options.noBrowsers === true || config.browserSessions === 0
      ? undefined
      : createSessionManager({ logger, maxSessions: config.browserSessions, ...(config.chromiumPath === undefined ? {} : { executablePath: config.chromiumPath }) });
    const inFlight = createInFlightTracker();
    const shutdown = new AbortController();
    let baseUrl = config.publicUrl ?? `http://${config.host}:${config.port}`;
    // With port 0 the URL is known only once the server listens (`baseUrl` is set then).
    let urlKnown = config.publicUrl !== undefined || config.port !== 0;
    // One object: services built inside keep a reference to it (the run service reads `deps.engine` later).
    const deps: AppDeps = createServerDeps({
      database,
      vault,
      logger,
      outboundFetch,
      maxBodyBytes: config.maxBodyBytes,
      maxUploadBytes: config.maxUploadBytes,
      blobStore,
      urlSigningKey: deriveUrlSigningKey(masterKey.key),
      signedUrlTtlSeconds: config.signedUrlTtlSeconds,
      baseUrl: () => baseUrl,
      sessionOwner: owner,
      sessionsReadOnly: true,
      ...(sessionManager === undefined ? {} : { sessionManager }),
      ...(browserPool === undefined ? {} : { browserPool }),
    });
    deps.isDraining = () => draining;
    deps.shutdownSignal = shutdown.signal;
    const sessions = deps.browserSessions;
    if (sessions !== undefined) disposables.push({ [Symbol.asyncDispose]: () => sessions.shutdown() });
    if (browserPool !== undefined) {
      const pool = browserPool;
      deps.metrics.addCollector(() => {
        const stats = pool.stats();
        deps.metrics.browserPool.set({ state: 'in_use' }, stats.active);
        deps.metrics.browserPool.set({ state: 'waiting' }, stats.waiting);
        deps.metrics.browserPool.set({ state: 'capacity' }, stats.maxContexts);
        return Promise.resolve();
      });
    }
    const bootstrap = await ensureBootstrap(deps.store, vault);
    // Disposed after the engine (steps in flight use its browsers) and before the pool.
    const agent = browserPool === undefined
      ? undefined
      : createServerAgent(deps, { browserPool, model: config.llm, allowedModels: config.llmAllowedModels, ...options.agent });
    if (agent !== undefined) {
      disposables.push(agent);
      deps.agent = agent.runtime;
    }
    let delivery: ReturnType<typeof createDeliveryWiring> | undefined;
    if (options.engine !== false) {
      const wiring = options.engine ?? {};
      delivery = createDeliveryWiring(deps);
      const blockWorkflows = createDeferredResolver();
      // After bootstrap: the default organization exists when the code registers.
      const host = await startEngineHost({
        config,
        serverStore: deps.store,
        logger,
        metrics: deps.metrics,
        options: {
          ...wiring,
          ...(agent === undefined ? {} : { agentRuntime: agent.runtime }),
          resolvers: [delivery.resolver, ...(agent === undefined ? [] : [agent.resolver]), blockWorkflows.resolver, ...(wiring.resolvers ?? [])],
        },
      });
      // Disposed after HTTP has drained: in-flight invocations get the shutdown timeout to finish.
      disposables.push({ [Symbol.asyncDispose]: () => host.close({ graceMs: config.shutdownTimeoutMs }) });
      deps.engine = host;
      // Before the components and the consumer: the run kinds must be there when the backlog is handled.
      disposables.push(
        attachRunServices(deps, host, {
          runtime: agent?.runtime,
          requireModel: config.llm !== undefined || host.slots > 0,
          deferredResolver: blockWorkflows,
          smtp: config.smtp,
          // Asked each time a link is made, so a server on port 0 links to the port it got.
          publicBaseUrl: () => (urlKnown ? baseUrl : undefined),
        }),
      );
    }
    disposables.push(startRetentionSweeper({ store: deps.store, blobStore, artifactRetentionDays: config.artifactRetentionDays, logger }));
    if (options.components !== undefined) disposables.push(...(await options.components(deps, database)));
    // After the components: the run kinds they register must be there when the backlog is handled.
    if (deps.engine !== undefined && delivery !== undefined) {
      const consumer = startRunInfrastructure(deps, deps.engine, delivery);
      if (consumer !== undefined) disposables.push(consumer);
    }
    const app = createApp(deps);

    const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port });
    // Counted at the socket level, until the response is fully written: the app's handler returns
    // before node has sent the bytes, and closing the connection then would cut the answer.
    server.on('request', (_request: unknown, response: { once(event: 'close', listener: () => void): unknown }) => {
      inFlight.enter();
      response.once('close', () => inFlight.leave());
    });
    try {
      // `once` rejects when the server emits 'error' first (e.g. EADDRINUSE).
      await once(server, 'listening');
    } catch (error) {
      throw new PetrelError('UNAVAILABLE', `server.start: cannot listen on ${config.host}:${config.port}`, { cause: error });
    }
    const address = server.address() as AddressInfo;
    const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = config.publicUrl ?? `http://${hostForUrl}:${address.port}`;
    baseUrl = url;
    urlKnown = true;
    logger.info({ url, database: database.dialect, master_key: masterKey.source }, 'petrel server listening');

    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        draining = true;
        // Long-lived answers (event streams) end now, so they do not hold the drain until the deadline.
        shutdown.abort();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        const closeIdle = (): void => {
          if ('closeIdleConnections' in server) server.closeIdleConnections();
        };
        closeIdle();
        // Keep-alive connections become idle as their last answer is written; close them as they do.
        const sweeper = setInterval(closeIdle, 50);
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), config.shutdownTimeoutMs);
        });
        try {
          const outcome = await Promise.race([inFlight.idle().then(() => 'drained' as const), deadline]);
          if (outcome === 'timeout') logger.warn({ in_flight: inFlight.count }, 'shutdown deadline reached; closing open connections');
        } finally {
          clearTimeout(timer);
          clearInterval(sweeper);
        }
        // Every answer is written (or the deadline passed): whatever is still open goes now.
        if ('closeAllConnections' in server) server.closeAllConnections();
        await stopped;
        for (const disposable of disposables.toReversed()) {
          try {
            await disposable[Symbol.asyncDispose]();
          } catch (error) {
            logger.error({ err: error }, 'a component failed to shut down');
          }
        }
        await database.close();
        logger.info({}, 'petrel server stopped');
        // pino writes asynchronously; flush so the last lines are not lost when the process exits.
        (logger as { flush?: () => void }).flush?.();
      })();
      return closing;
    };

    return {
      url,
      port: address.port,
      app,
      deps,
      database,
      bootstrap,
      inFlight,
      get draining() {
        return draining;
      },
      masterKeySource: masterKey.source === 'env' ? 'env' : (masterKey.path ?? 'file'),
      engine: deps.engine,
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (error) {
    for (const disposable of disposables.toReversed()) {
      try {
        await disposable[Symbol.asyncDispose]();
      } catch {
        // Start-up already failed; report that error, not this one.
      }
    }
    await database.close();
    throw error;
  }
}
