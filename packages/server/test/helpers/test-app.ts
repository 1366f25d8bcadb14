// An in-process app for HTTP tests: a migrated database, a vault with a random key, the
// bootstrap organization and its key, and a second organization for isolation tests.
import { Writable } from 'node:stream';
import {
  createApp,
  createOrganization,
  createServerDeps,
  createServerLogger,
  createVault,
  ensureBootstrap,
  generateMasterKey,
} from '@petrel/server';
import type { AppDeps, PetrelApp } from '@petrel/server';
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
};

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
    call(path, init = {}) {
      const { json, key, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (key !== null) headers.set('x-api-key', key ?? boot.apiKey.api_key);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return Promise.resolve(app.request(path, { ...rest, headers, ...(json === undefined ? {} : { body: JSON.stringify(json) }) }));
    },
    async [Symbol.asyncDispose]() {
      await deps.outboundFetch[Symbol.asyncDispose]();
      await database.close();
    },
  };
}
