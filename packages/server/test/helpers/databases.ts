// Test databases: a SQLite file in a temp dir, or a fresh schema in PostgreSQL at 127.0.0.1:5432
// (database `test`), dropped afterwards. PostgreSQL tests skip with a reason when it is not
// reachable, except under CI=true, where they must run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { openDatabase } from '@petrel/server';
import type { ServerDatabase } from '@petrel/server';

/** PostgreSQL URL of the test database (override with PETREL_TEST_POSTGRES_URL). */
export const POSTGRES_URL = process.env.PETREL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<string | undefined> | undefined;

/** Undefined when PostgreSQL answers; otherwise why not (a skip reason). Under CI=true an unreachable server throws. */
export function postgresSkipReason(): Promise<string | undefined> {
  reachable ??= (async () => {
    const client = new Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return undefined;
    } catch (error) {
      if (process.env.CI === 'true') throw new Error(`PostgreSQL at ${POSTGRES_URL} is required under CI=true`, { cause: error });
      return `PostgreSQL not reachable at ${POSTGRES_URL} (${error instanceof Error ? error.message : String(error)})`;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return reachable;
}

/** A migrated test database that cleans up after itself. */
export type TestDatabase = ServerDatabase & {
  readonly label: string;
  /** The SQLite file, for tests that inspect it. */
  readonly sqlitePath: string | undefined;
};

/** Opens a migrated SQLite database in a fresh temp directory. */
export async function openSqliteTestDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-server-'));
  const sqlitePath = join(dir, 'petrel.db');
  const database = await openDatabase({ sqlitePath });
  await database.migrate();
  const close = async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { ...database, label: 'sqlite', sqlitePath, close, [Symbol.asyncDispose]: close };
}

/** Opens a migrated database in a fresh PostgreSQL schema, dropped on close. */
export async function openPostgresTestDatabase(): Promise<TestDatabase> {
  const schema = `test_server_${randomBytes(6).toString('hex')}`;
  const database = await openDatabase({ postgresUrl: POSTGRES_URL, postgresSchema: schema, postgresPoolSize: 4 });
  await database.migrate();
  const close = async () => {
    await database.close();
    const client = new Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      await client.query(`drop schema if exists ${schema} cascade`);
    } finally {
      await client.end();
    }
  };
  return { ...database, label: 'postgres', sqlitePath: undefined, close, [Symbol.asyncDispose]: close };
}

/** The dialects to run a suite against: SQLite always, PostgreSQL when reachable (skip reason otherwise). */
export const DIALECTS = [
  { name: 'sqlite', open: openSqliteTestDatabase, skip: () => Promise.resolve(undefined) },
  { name: 'postgres', open: openPostgresTestDatabase, skip: postgresSkipReason },
] as const;
