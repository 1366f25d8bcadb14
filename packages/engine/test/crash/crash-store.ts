// Opens the store the crash test runs against: a SQLite file in the run's data directory, or a
// PostgreSQL schema of its own (`npm run test:crash -- --store postgres`), dropped after the run.
import { Client } from 'pg';
import { createPostgresStore, createSqliteStore } from '@petrel/engine';
import type { Store } from '@petrel/engine';

/** Store kinds the harness knows. */
export const CRASH_STORES = ['sqlite', 'postgres'] as const;

/** URL of the PostgreSQL the crash test uses (override with PETREL_TEST_POSTGRES_URL). */
export const CRASH_POSTGRES_URL = process.env.PETREL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Where a run keeps its data: a directory (effects log, SQLite file) and, for PostgreSQL, a schema. */
export type CrashTarget = { kind: string; dataDir: string; schema?: string };

/** Opens a store of the target's kind. */
export async function openCrashStore(target: CrashTarget, poolSize = 4): Promise<Store> {
  switch (target.kind) {
    case 'sqlite':
      return createSqliteStore({ dataDir: target.dataDir });
    case 'postgres':
      if (!target.schema) throw new Error('crash test: a PostgreSQL run needs a schema');
      return createPostgresStore({ url: CRASH_POSTGRES_URL, schema: target.schema, poolSize, applicationName: 'petrel-crash-test' });
    default:
      throw new Error(`crash test: store "${target.kind}" is not available (known: ${CRASH_STORES.join(', ')})`);
  }
}

/** Undefined when PostgreSQL answers, otherwise why not. */
export async function postgresUnreachable(): Promise<string | undefined> {
  const client = new Client({ connectionString: CRASH_POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL not reachable at ${CRASH_POSTGRES_URL} (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Drops a run's schema. */
export async function dropCrashSchema(schema: string): Promise<void> {
  const client = new Client({ connectionString: CRASH_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
