// PostgreSQL for tests: the server at 127.0.0.1:5432 (database `test`; override with
// PETREL_TEST_POSTGRES_URL), a fresh schema per store or database, dropped afterwards. Tests skip
// with a reason when PostgreSQL is not reachable, except under CI=true, where they must run.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** URL of the test database. */
export const POSTGRES_URL = process.env.PETREL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<string | undefined> | undefined;

/** Undefined when PostgreSQL answers; otherwise why not (a skip reason). Under CI=true an unreachable server rejects instead. */
export function postgresSkipReason(): Promise<string | undefined> {
  reachable ??= (async () => {
    const client = new Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
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

/** A fresh schema name, `test_<label>_<random>` (label: lowercase letters, digits and `_`). */
export function freshSchema(label = 'schema'): string {
  return `test_${label}_${randomBytes(5).toString('hex')}`;
}

/** Drops schemas and everything in them. */
export async function dropSchemas(schemas: Iterable<string>): Promise<void> {
  const names = [...schemas];
  if (names.length === 0) return;
  const client = new Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    for (const name of names) await client.query(`DROP SCHEMA IF EXISTS "${name.replaceAll('"', '""')}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** A fresh schema of the test database and a URL whose connections use it (`search_path`). */
export type TestSchema = {
  schema: string;
  url: string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
};

/**
 * Creates a fresh schema (`test_<label>_<random>`) for one test and returns it with its URL, or the
 * reason to skip when PostgreSQL is not reachable (rejects instead under CI=true).
 */
export async function createTestSchema(label = 'schema'): Promise<TestSchema | string> {
  const skip = await postgresSkipReason();
  if (skip !== undefined) return skip;
  const schema = freshSchema(label);
  const client = new Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA "${schema}"`);
  } finally {
    await client.end();
  }
  let dropped: Promise<void> | undefined;
  const drop = (): Promise<void> => (dropped ??= dropSchemas([schema]));
  return { schema, url: `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`, drop, [Symbol.asyncDispose]: drop };
}
