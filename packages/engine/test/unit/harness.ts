// Shared test helpers: an engine over an in-memory SQLite store, latches, and condition polling.
import type { TestContext } from 'node:test';
import { createEngine, createSqliteStore } from '@petrel/engine';
import type { Engine, EngineOptions, Store } from '@petrel/engine';

/** An engine over a fresh in-memory store, closed when the test ends. Fast defaults: 5 ms retry delay, 20 ms poll. */
export async function startEngine(t: TestContext, options: Partial<EngineOptions> = {}): Promise<{ engine: Engine; store: Store }> {
  const store = options.store ?? (await createSqliteStore({ path: ':memory:' }));
  const engine = await createEngine({
    pollIntervalMs: 20,
    leaseMs: 5000,
    ...options,
    stepDefaults: { retries: { limit: 5, delay: 5, backoff: 'constant' }, ...options.stepDefaults },
    store,
  });
  t.after(async () => {
    await engine.close();
    if (!options.store) await store.close();
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
