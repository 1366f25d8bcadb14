// Shared test helpers: an engine over an in-memory SQLite store, latches, and condition polling.
// With PETREL_TEST_STORE=postgres the same tests run over PostgreSQL (a fresh schema per test,
// dropped after), which is how CI checks the engine's semantics on the second adapter.
import type { TestContext } from 'node:test';
import { createEngine, createPostgresStore, createSqliteStore } from '@petrel/engine';
import type { Engine, EngineOptions, Store } from '@petrel/engine';
import { POSTGRES_URL, dropSchemas, freshSchema } from '@petrel/testing';

/** The store a test gets when it brings none: in-memory SQLite, or a fresh PostgreSQL schema under PETREL_TEST_STORE=postgres. */
async function defaultStore(): Promise<{ store: Store; dispose: () => Promise<void> }> {
  if (process.env.PETREL_TEST_STORE !== 'postgres') {
    const store = await createSqliteStore({ path: ':memory:' });
    return { store, dispose: () => store.close() };
  }
  const schema = freshSchema('engine_unit');
  const store = await createPostgresStore({ url: POSTGRES_URL, schema, poolSize: 4 });
  return {
    store,
    dispose: async () => {
      await store.close();
      await dropSchemas([schema]);
    },
  };
}

/** An engine over a fresh in-memory store, closed when the test ends. Fast defaults: 5 ms retry delay, 20 ms poll. */
export async function startEngine(t: TestContext, options: Partial<EngineOptions> = {}): Promise<{ engine: Engine; store: Store }> {
  const own = options.store ? undefined : await defaultStore();
  const store = options.store ?? own!.store;
  const engine = await createEngine({
    pollIntervalMs: 20,
    leaseMs: 5000,
    ...options,
    stepDefaults: { retries: { limit: 5, delay: 5, backoff: 'constant' }, ...options.stepDefaults },
    store,
  });
  t.after(async () => {
    await engine.close();
    await own?.dispose();
  });
  return { engine, store };
}

/** A promise released by hand. */
export function latch<T = void>(): { promise: Promise<T>; release: (value: T) => void } {
  let release!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}

/** Polls `condition` until it returns a truthy value or `timeoutMs` passes. */
export async function waitUntil<T>(condition: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
