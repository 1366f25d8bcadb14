// A worker process's main loop: an engine with slots over a shared store, running until a signal
// aborts. Any number of workers on any number of hosts may share one PostgreSQL store: claims,
// leases, cron firings and wake-ups are coordinated by the database. The process entry (the
// `petrel worker` CLI, `npm run worker` until then) opens the store and loads the workflow code.
import { PetrelError } from '@petrel/protocol';
import { createEngine } from './engine.ts';
import type { Engine, EngineOptions } from './engine.ts';

/** Options of `runWorker`: those of `createEngine`, plus how the worker stops. */
export type RunWorkerOptions = Omit<EngineOptions, 'slots'> & {
  /** Instances run at once. Default 10. */
  slots?: number;
  /** Aborting it stops the worker: no new claims, in-flight invocations get `graceMs`, then their leases are released. */
  signal: AbortSignal;
  /** How long in-flight invocations may run after the signal before they are aborted (their steps see `ctx.signal`), in ms. Default 10 000. */
  graceMs?: number;
  /** Called once the workflows are registered and the worker claims work. */
  onReady?: (engine: Engine) => void;
};

/** Runs a worker until `options.signal` aborts, then shuts it down cleanly; the store stays open. */
export async function runWorker(options: RunWorkerOptions): Promise<void> {
  const { signal, graceMs = 10_000, onReady, slots = 10, ...engineOptions } = options;
  if (!(signal instanceof AbortSignal)) throw new PetrelError('VALIDATION_FAILED', 'runWorker: a signal is required (abort it to stop the worker)');
  if (slots < 1) throw new PetrelError('VALIDATION_FAILED', 'runWorker: a worker needs at least one slot');
  if (signal.aborted) return;
  const engine = await createEngine({ ...engineOptions, slots });
  const logger = engineOptions.logger;
  logger?.info(
    { worker: engine.workerId, slots, store: engine.store.dialect, workflows: (engineOptions.workflows ?? []).map((w) => w.name) },
    'engine: worker started',
  );
  try {
    onReady?.(engine);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    logger?.info({ worker: engine.workerId, graceMs }, 'engine: worker stopping');
    await engine.close({ graceMs });
    logger?.info({ worker: engine.workerId }, 'engine: worker stopped');
  }
}
