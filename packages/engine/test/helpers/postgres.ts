// PostgreSQL for the engine's tests: the server at 127.0.0.1:5432 (database `test`; override with
// PETREL_TEST_POSTGRES_URL), a fresh schema per store, dropped afterwards. Tests skip with a reason
// when PostgreSQL is not reachable, except under CI=true, where they must run.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** URL of the test database. */
export const POSTGRES_URL = process.env.PETREL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<string | undefined> | undefined;

/** Undefined when PostgreSQL answers; otherwise why not (a skip reason). Under CI=true an unreachable server throws. */
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

/** A fresh schema name for one store (`test_engine_<label>_<random>`). */
export function freshSchema(label = 'store'): string {
  return `test_engine_${label}_${randomBytes(5).toString('hex')}`;
}

/** Drops schemas (and everything in them). */
export async function dropSchemas(schemas: Iterable<string>): Promise<void> {
  const names = [...schemas];
  if (names.length === 0) return;
  const client = new Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    for (const name of names) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  } finally {
    await client.end();
  }
}
