// Picks the engine's store from a database URL: none means the embedded SQLite file under the data
// directory (the default), `postgres://` or `postgresql://` means PostgreSQL. Entry points read the
// URL from their configuration (`PETREL_DATABASE_URL`) and pass it here; this module reads no env.
import { PetrelError } from '@petrel/protocol';
import { createPostgresStore } from './postgres-store.ts';
import { createSqliteStore } from './sqlite-store.ts';
import type { Store } from './store.ts';

/** Options of `openStore`. */
export type OpenStoreOptions = {
  /** Data directory of the SQLite default (`<dataDir>/petrel.db`). Required when there is no URL. */
  dataDir?: string;
  /** PostgreSQL schema of the engine's tables (created when missing). Default: the connection's current schema. */
  schema?: string;
  /** PostgreSQL connections of this process's pool. Default 10. */
  poolSize?: number;
  /** `application_name` of the PostgreSQL connections. Default `"petrel-engine"`. */
  applicationName?: string;
};

/** True when `url` names a PostgreSQL database. */
export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//i.test(url);
}

/** Opens the store a URL names: PostgreSQL for `postgres://…`, SQLite under `dataDir` when the URL is undefined or empty. */
export async function openStore(url: string | undefined, options: OpenStoreOptions = {}): Promise<Store> {
  if (url === undefined || url.trim() === '') {
    if (options.dataDir === undefined) throw new PetrelError('INVALID_CONFIG', 'openStore: without a database URL, a dataDir is required for SQLite');
    return createSqliteStore({ dataDir: options.dataDir });
  }
  if (!isPostgresUrl(url)) throw new PetrelError('INVALID_CONFIG', 'openStore: the database URL must start with postgres:// or postgresql://');
  return createPostgresStore({
    url,
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
    ...(options.applicationName === undefined ? {} : { applicationName: options.applicationName }),
  });
}
