// Test databases: a SQLite file in a temp dir, or a fresh schema in PostgreSQL at 127.0.0.1:5432
// (database `test`; @petrel/testing's helpers), dropped afterwards. PostgreSQL tests skip with a
// reason when it is not reachable, except under CI=true, where they must run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '@petrel/server';
import type { ServerDatabase } from '@petrel/server';
import { POSTGRES_URL, dropSchemas, freshSchema, postgresSkipReason } from '@petrel/testing';

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
  const schema = freshSchema('server');
  const database = await openDatabase({ postgresUrl: POSTGRES_URL, postgresSchema: schema, postgresPoolSize: 4 });
  await database.migrate();
  const close = async () => {
    await database.close();
    await dropSchemas([schema]);
  };
  return { ...database, label: 'postgres', sqlitePath: undefined, close, [Symbol.asyncDispose]: close };
}

/** The dialects to run a suite against: SQLite always, PostgreSQL when reachable (skip reason otherwise). */
export const DIALECTS = [
  { name: 'sqlite', open: openSqliteTestDatabase, skip: () => Promise.resolve(undefined) },
  { name: 'postgres', open: openPostgresTestDatabase, skip: postgresSkipReason },
] as const;
