// An in-process app for HTTP tests: a migrated database, a vault with a random key, the
// bootstrap organization and its key, and a second organization for isolation tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createBrowserPool, createDiskBlobStore } from '@petrel/browser';
import type { BlobStore, BrowserPool, SessionManager } from '@petrel/browser';
import type { ModelConfig } from '@petrel/agent';
import type { Mailer } from '@petrel/blocks';
import { createSqliteStore } from '@petrel/engine';
import {
  attachRunServices,
  createDeferredResolver,
  createApp,
  createEngineHost,
  createServerAgent,
  loadWorkflowModules,
  createOrganization,
  createServerDeps,
  createServerLogger,
  createVault,
  createDeliveryWiring,
  ensureBootstrap,
  generateMasterKey,
  startRunInfrastructure,
} from '@petrel/server';
import type { AppDeps, EngineHost, EngineHostOptions, PetrelApp, RunEventsConsumer, ServerAgent, ServerAgentOptions, WebhookRetryPolicy } from '@petrel/server';
import { openSqliteTestDatabase } from './databases.ts';
import type { TestDatabase } from './databases.ts';

/** A line-collecting log destination. */
export type LogCapture = { lines: string[]; text(): string; stream: Writable };

/** A writable stream that keeps every log line. */
export function captureLogs(): LogCapture {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
      callback();
    },
  });
  return { lines, text: () => lines.join('\n'), stream };
}

/** An app under test. */
export type TestApp = {
  app: PetrelApp;
  deps: AppDeps;
  database: TestDatabase;
  /** The bootstrap organization and its key. */
  organizationId: string;
  apiKey: string;
  /** A second organization and its key. */
  otherOrganizationId: string;
  otherApiKey: string;
  logs: LogCapture;
  /** The engine host, when the app was built with `engine`. */
  host: EngineHost | undefined;
  /** The blob store: a disk store in a temp folder unless one was given. */
  blobStore: BlobStore;
  /** The run events consumer, when the app was built with `engine` and `runs`. */
  consumer: RunEventsConsumer | undefined;
  /** Aborts like a server shutdown (event streams end). */
  shutdown: AbortController;
  /** The agent, when the app was built with `agent`. */
  agent: ServerAgent | undefined;
  /** `app.request` with the bootstrap key (`x-api-key`) unless `key` is given (`null` sends none). */
  call(path: string, init?: RequestInit & { json?: unknown; key?: string | null }): Promise<Response>;
  [Symbol.asyncDispose](): Promise<void>;
};

/** Options of `createTestApp`. */
export type TestAppOptions = {
  /** Database to use; default a fresh SQLite file. */
  database?: TestDatabase;
  /** Largest body. Default 64 KiB (small, to test the limit cheaply). */
  maxBodyBytes?: number;
  /** Clock. */
  now?: () => Date;
  /** Run an engine over the same SQLite file: its slots, the workflows directory (`true`: the test fixtures) and host options. */
  engine?: { workflows?: string | true; slots?: number } & Partial<Omit<EngineHostOptions, 'store' | 'serverStore' | 'workflows' | 'slots'>>;
  /** With `engine`: wire the webhook delivery workflow (with this retry policy) and the run events consumer. */
  runs?: { policy?: WebhookRetryPolicy; attemptTimeoutMs?: number };
  /** Largest upload. Default 1 MiB. */
  maxUploadBytes?: number;
  /** A session manager for `/v1/browser_sessions`; without one the session service serves reads only. */
  sessionManager?: SessionManager;
  /** Heartbeat of event streams, in ms. */
  sseHeartbeatMs?: number;
  /** The blob store. Default a disk store in a temp folder. */
  blobStore?: BlobStore;
  /**
   * With `engine`: the agent runtime over a (lazy) browser pool, the task workflow, `step.browser` /
   * `step.task`, and the run services (task kind, `deps.tasks`). `model` defaults to an
   * `openai-compatible` model at an unreachable loopback port (runs start; steps would fail).
   */
  agent?: { model?: ModelConfig | null; allowedModels?: string[]; requireModel?: boolean; mailer?: Mailer; publicBaseUrl?: string; scheduler?: boolean } & Pick<ServerAgentOptions, 'createModel' | 'runtime'>;
};

/** The fixture workflows (`test/fixtures/workflows`). */
export const FIXTURE_WORKFLOWS = fileURLToPath(new URL('../fixtures/workflows', import.meta.url));
/** Fixture workflows only a later worker loads (`test/fixtures/late-workflows`). */
export const LATE_WORKFLOWS = fileURLToPath(new URL('../fixtures/late-workflows', import.meta.url));

/** Starts an engine host over a test database's SQLite file (another "process" sharing it). */
export async function startTestEngineHost(
  database: TestDatabase,
  deps: AppDeps,
  options: NonNullable<TestAppOptions['engine']>,
): Promise<EngineHost> {
  if (database.sqlitePath === undefined) throw new Error('engine test hosts need the SQLite test database');
  const { workflows, ...rest } = options;
  const dir = workflows === true ? FIXTURE_WORKFLOWS : workflows;
  return createEngineHost({
    store: await createSqliteStore({ path: database.sqlitePath }),
    closeStore: true,
    serverStore: deps.store,
    metrics: deps.metrics,
    slots: 4,
    pollIntervalMs: 50,
    codeRetryMs: 200,
    ...rest,
    ...(dir === undefined ? {} : { workflows: await loadWorkflowModules(dir) }),
  });
}

/** Builds the app over a fresh database with two organizations. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await openSqliteTestDatabase());
  const logs = captureLogs();
  const vault = createVault({ key: generateMasterKey() });
  const blobDir = mkdtempSync(join(tmpdir(), 'petrel-blobs-'));
  const blobStore = options.blobStore ?? createDiskBlobStore({ root: blobDir });
  const deps = createServerDeps({
    database,
    vault,
    logger: createServerLogger({ level: 'info', destination: logs.stream }),
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,
    maxUploadBytes: options.maxUploadBytes ?? 1024 * 1024,
    blobStore,
    baseUrl: () => 'http://petrel.test',
    sessionsReadOnly: true,
    ...(options.sessionManager === undefined ? {} : { sessionManager: options.sessionManager }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const shutdown = new AbortController();
  deps.shutdownSignal = shutdown.signal;
  if (options.sseHeartbeatMs !== undefined) deps.sseHeartbeatMs = options.sseHeartbeatMs;
  const boot = await ensureBootstrap(deps.store, vault);
  if (boot === undefined) throw new Error('bootstrap did not run on a fresh database');
  const other = await createOrganization(deps.store, vault, { name: 'other', keyName: 'other', now: new Date() });
  const delivery = options.engine !== undefined && options.runs !== undefined ? createDeliveryWiring(deps, options.runs) : undefined;
  let pool: BrowserPool | undefined;
  let agent: ServerAgent | undefined;
  if (options.engine !== undefined && options.agent !== undefined) {
    pool = createBrowserPool({ blobStore, downloadsRoot: join(blobDir, 'downloads'), maxContexts: 2, ...(process.env.PETREL_CHROMIUM_PATH ? { executablePath: process.env.PETREL_CHROMIUM_PATH } : {}) });
    deps.browserPool = pool;
    const { model, allowedModels, createModel, runtime } = options.agent;
    agent = createServerAgent(deps, {
      browserPool: pool,
      model: model === null ? undefined : (model ?? { provider: 'openai-compatible', model: 'test-model', baseUrl: 'http://127.0.0.1:9/v1' }),
      ...(allowedModels === undefined ? {} : { allowedModels }),
      ...(createModel === undefined ? {} : { createModel }),
      ...(runtime === undefined ? {} : { runtime }),
    });
    deps.agent = agent.runtime;
  }
  const blockWorkflows = createDeferredResolver();
  const resolvers = [...(delivery === undefined ? [] : [delivery.resolver]), ...(agent === undefined ? [] : [agent.resolver]), blockWorkflows.resolver, ...(options.engine?.resolvers ?? [])];
  const host =
    options.engine === undefined
      ? undefined
      : await startTestEngineHost(database, deps, { ...options.engine, resolvers, ...(agent === undefined ? {} : { agentRuntime: agent.runtime }) });
  if (host !== undefined) deps.engine = host;
  const services =
    host !== undefined && agent !== undefined
      ? attachRunServices(deps, host, {
          runtime: agent.runtime,
          requireModel: options.agent?.requireModel ?? true,
          deferredResolver: blockWorkflows,
          ...(options.agent?.mailer === undefined ? {} : { mailer: options.agent.mailer }),
          ...(options.agent?.publicBaseUrl === undefined ? {} : { publicBaseUrl: options.agent.publicBaseUrl }),
          scheduler: options.agent?.scheduler ?? false,
        })
      : undefined;
  if (services === undefined) blockWorkflows.set(undefined);
  const consumer = host !== undefined && delivery !== undefined ? startRunInfrastructure(deps, host, delivery) : undefined;
  const app = createApp(deps);
  return {
    app,
    deps,
    database,
    organizationId: boot.organizationId,
    apiKey: boot.apiKey.api_key,
    otherOrganizationId: other.organizationId,
    otherApiKey: other.apiKey.api_key,
    logs,
    host,
    blobStore,
    consumer,
    shutdown,
    agent,
    call(path, init = {}) {
      const { json, key, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (key !== null) headers.set('x-api-key', key ?? boot.apiKey.api_key);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return Promise.resolve(app.request(path, { ...rest, headers, ...(json === undefined ? {} : { body: JSON.stringify(json) }) }));
    },
    async [Symbol.asyncDispose]() {
      shutdown.abort();
      await consumer?.stop();
      await services?.[Symbol.asyncDispose]();
      await host?.close();
      await agent?.[Symbol.asyncDispose]();
      await pool?.close();
      await deps.browserSessions?.shutdown();
      await deps.outboundFetch[Symbol.asyncDispose]();
      await database.close();
      rmSync(blobDir, { recursive: true, force: true });
    },
  };
}
