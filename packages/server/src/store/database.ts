// Opens the server's database: SQLite (better-sqlite3, one file, WAL) by default, PostgreSQL (pg)
// when a URL is given. Both are reached through one Kysely instance typed with the server's tables;
// vendor types stay in this file.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { Pool } from 'pg';
import { PetrelError } from '@petrel/protocol';
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE, serverMigrationProvider } from './migrations.ts';
import type { ServerTables } from './schema.ts';

/** Which SQL engine a database runs on. */
export type DatabaseDialect = 'sqlite' | 'postgres';

/** Options of `openDatabase`. Give `sqlitePath` or `postgresUrl`. */
export type DatabaseOptions = {
  /** SQLite file path (its directory is created), or `:memory:`. */
  sqlitePath?: string;
  /** PostgreSQL connection URL. */
  postgresUrl?: string;
  /** PostgreSQL schema to use (set as `search_path`; created if missing). Default: the server's default. */
  postgresSchema?: string;
  /** Most PostgreSQL connections in the pool. Default 10. */
  postgresPoolSize?: number;
  /** How long SQLite waits for a lock held by another connection, in ms. Default 5000. */
  sqliteBusyTimeoutMs?: number;
};

/** The server's open database: Kysely plus migration and readiness helpers. Dispose to close it. */
export type ServerDatabase = {
  /** The query builder, typed with the server's tables. */
  readonly db: Kysely<ServerTables>;
  /** The SQL engine in use. */
  readonly dialect: DatabaseDialect;
  /** Applies pending migrations; throws `STORE_UNAVAILABLE` when one fails. */
  migrate(): Promise<void>;
  /** Names of migrations not applied yet (empty when up to date). */
  pendingMigrations(): Promise<string[]>;
  /** Runs `select 1`; throws `STORE_UNAVAILABLE` when the database does not answer. */
  ping(): Promise<void>;
  /** Closes every connection. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
};

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * True for PostgreSQL's "schema does not exist" (3F000). Kysely's migrator introspects the tables of
 * every schema; a sibling schema dropped meanwhile (another deployment, a test) fails that look-up,
 * and looking again succeeds. Our own schema exists: it was created or checked at open.
 */
function isSiblingSchemaRace(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '3F000';
}

/** Opens the database and returns it unmigrated; call `migrate()` before use. */
export async function openDatabase(options: DatabaseOptions): Promise<ServerDatabase> {
  if ((options.sqlitePath === undefined) === (options.postgresUrl === undefined)) {
    throw new PetrelError('INVALID_CONFIG', 'database.open: give exactly one of sqlitePath and postgresUrl');
  }
  let db: Kysely<ServerTables>;
  let dialect: DatabaseDialect;
  let migrationSchema: string | undefined;
  if (options.sqlitePath !== undefined) {
    const path = options.sqlitePath;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    let handle: BetterSqlite3.Database;
    try {
      handle = new BetterSqlite3(path);
      handle.pragma(`busy_timeout = ${Math.trunc(options.sqliteBusyTimeoutMs ?? 5000)}`);
      handle.pragma('journal_mode = WAL');
      handle.pragma('synchronous = NORMAL');
      handle.pragma('foreign_keys = ON');
    } catch (error) {
      throw new PetrelError('STORE_UNAVAILABLE', `database.open: cannot open SQLite file ${path}`, { cause: error });
    }
    db = new Kysely<ServerTables>({ dialect: new SqliteDialect({ database: handle }) });
    dialect = 'sqlite';
  } else {
    const schema = options.postgresSchema;
    if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
      throw new PetrelError('INVALID_CONFIG', 'database.open: postgresSchema must be a lowercase identifier');
    }
    const pool = new Pool({
      connectionString: options.postgresUrl,
      max: options.postgresPoolSize ?? 10,
      ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    });
    // An idle client that loses its connection emits 'error' on the pool; without a listener that
    // would crash the process. The next query reports the failure instead.
    pool.on('error', () => {});
    db = new Kysely<ServerTables>({ dialect: new PostgresDialect({ pool }) });
    dialect = 'postgres';
    try {
      if (schema !== undefined) await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
      // Kysely looks for its bookkeeping tables in every schema unless told which one; another
      // deployment (or test) in a sibling schema would otherwise be taken for ours.
      const current = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
      migrationSchema = current.rows[0]?.schema ?? undefined;
    } catch (error) {
      await db.destroy();
      throw new PetrelError('STORE_UNAVAILABLE', 'database.open: cannot reach PostgreSQL', { cause: error });
    }
    if (migrationSchema === undefined) {
      await db.destroy();
      throw new PetrelError('INVALID_CONFIG', 'database.open: PostgreSQL has no current schema (check search_path)');
    }
  }

  const migrator = new Migrator({
    db,
    provider: serverMigrationProvider,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    ...(migrationSchema === undefined ? {} : { migrationTableSchema: migrationSchema }),
  });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await db.destroy();
  };

  return {
    db,
    dialect,
    async migrate() {
      for (let attempt = 1; ; attempt++) {
        const { error, results } = await migrator.migrateToLatest();
        if (error === undefined) return;
        if (attempt < 5 && isSiblingSchemaRace(error)) continue;
        const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
        throw new PetrelError('STORE_UNAVAILABLE', `database.migrate: migration ${failed} failed`, { cause: error });
      }
    },
    async pendingMigrations() {
      for (let attempt = 1; ; attempt++) {
        try {
          const all = await migrator.getMigrations();
          return all.filter((migration) => migration.executedAt === undefined).map((migration) => migration.name);
        } catch (error) {
          if (attempt >= 5 || !isSiblingSchemaRace(error)) throw error;
        }
      }
    },
    async ping() {
      try {
        await sql`select 1`.execute(db);
      } catch (error) {
        throw new PetrelError('STORE_UNAVAILABLE', 'database.ping: the database does not answer', { cause: error });
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
