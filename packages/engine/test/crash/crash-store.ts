// Opens the store the crash test runs against: a SQLite file in the run's data directory, or a
// PostgreSQL schema of its own in the test database (`npm run test:crash -- --store postgres`;
// @petrel/testing's URL), dropped after the run.
import { createPostgresStore, createSqliteStore } from '@petrel/engine';
import type { Store } from '@petrel/engine';
import { POSTGRES_URL } from '@petrel/testing';

/** Store kinds the harness knows. */
export const CRASH_STORES = ['sqlite', 'postgres'] as const;

/** Where a run keeps its data: a directory (effects log, SQLite file) and, for PostgreSQL, a schema. */
export type CrashTarget = { kind: string; dataDir: string; schema?: string };

/** Opens a store of the target's kind. */
export async function openCrashStore(target: CrashTarget, poolSize = 4): Promise<Store> {
  switch (target.kind) {
    case 'sqlite':
      return createSqliteStore({ dataDir: target.dataDir });
    case 'postgres':
      if (!target.schema) throw new Error('crash test: a PostgreSQL run needs a schema');
      return createPostgresStore({ url: POSTGRES_URL, schema: target.schema, poolSize, applicationName: 'petrel-crash-test' });
    default:
      throw new Error(`crash test: store "${target.kind}" is not available (known: ${CRASH_STORES.join(', ')})`);
  }
}
