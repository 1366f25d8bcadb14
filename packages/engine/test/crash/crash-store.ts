// Opens the store the crash test runs against. The store kind is a parameter so that the
// PostgreSQL adapter (next issue) runs the same harness: `npm run test:crash -- --store postgres`.
import { createSqliteStore } from '@petrel/engine';
import type { Store } from '@petrel/engine';

/** Store kinds the harness knows. */
export const CRASH_STORES = ['sqlite'] as const;

/** Opens a store of `kind` whose data lives in `dataDir`. */
export async function openCrashStore(kind: string, dataDir: string): Promise<Store> {
  switch (kind) {
    case 'sqlite':
      return createSqliteStore({ dataDir });
    default:
      throw new Error(`crash test: store "${kind}" is not available yet (known: ${CRASH_STORES.join(', ')})`);
  }
}
