// An in-process app for HTTP tests: a migrated database, a vault with a random key, the
// bootstrap organization and its key, and a second organization for isolation tests.
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createSqliteStore } from '@petrel/engine';
import {
  createApp,
  createEngineHost,
  loadWorkflowModules,
  createOrganization,
  createServerDeps,
  createServerLogger,
  createVault,
  ensureBootstrap,
  generateMasterKey,
} from '@petrel/server';
import type { AppDeps, EngineHost, EngineHostOptions, PetrelApp } from '@petrel/server';
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
  const deps = createServerDeps({
    database,
    vault,
    logger: createServerLogger({ level: 'info', destination: logs.stream }),
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const boot = await ensureBootstrap(deps.store, vault);
  if (boot === undefined) throw new Error('bootstrap did not run on a fresh database');
  const other = await createOrganization(deps.store, vault, { name: 'other', keyName: 'other', now: new Date() });
  const host = options.engine === undefined ? undefined : await startTestEngineHost(database, deps, options.engine);
  if (host !== undefined) deps.engine = host;
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
    call(path, init = {}) {
      const { json, key, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (key !== null) headers.set('x-api-key', key ?? boot.apiKey.api_key);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return Promise.resolve(app.request(path, { ...rest, headers, ...(json === undefined ? {} : { body: JSON.stringify(json) }) }));
    },
    async [Symbol.asyncDispose]() {
      await host?.close();
      await deps.outboundFetch[Symbol.asyncDispose]();
      await database.close();
    },
  };
}
