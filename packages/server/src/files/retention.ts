// Retention of stored bytes: artifacts older than the configured number of days, and uploaded files
// past their `retention_days`, lose their bytes and then their rows. A blob that cannot be deleted
// keeps its row so the next pass tries again; a blob already gone is fine. Several processes may run
// the sweep at once: deletes are idempotent.
import type { BlobStore } from '@petrel/browser';
import type { Logger } from '@petrel/protocol';
import type { ServerStore } from '../store/server-store.ts';

/** Options of the retention sweep. */
export type RetentionOptions = {
  store: ServerStore;
  blobStore: BlobStore;
  /** Artifacts older than this many days go; 0 keeps them. */
  artifactRetentionDays: number;
  logger: Logger;
  /** Clock. Default `() => new Date()`. */
  now?: () => Date;
};

/** What one pass deleted. */
export type RetentionResult = { artifacts: number; files: number; bytes: number };

const BATCH = 200;

async function deleteBlobs(blobStore: BlobStore, rows: ReadonlyArray<{ id: string; key: string; size: number }>, logger: Logger): Promise<{ ids: string[]; bytes: number }> {
  const ids: string[] = [];
  let bytes = 0;
  for (const row of rows) {
    try {
      await blobStore.delete(row.key);
      ids.push(row.id);
      bytes += row.size;
    } catch (error) {
      logger.warn({ err: error, id: row.id }, 'retention: could not delete stored bytes; will try again');
    }
  }
  return { ids, bytes };
}

/** Runs one retention pass (all organizations). */
export async function purgeExpired(options: RetentionOptions): Promise<RetentionResult> {
  const now = (options.now ?? (() => new Date()))();
  const result: RetentionResult = { artifacts: 0, files: 0, bytes: 0 };
  if (options.artifactRetentionDays > 0) {
    const before = new Date(now.getTime() - options.artifactRetentionDays * 86_400_000).toISOString();
    for (;;) {
      const rows = await options.store.artifacts.listExpired(before, BATCH);
      if (rows.length === 0) break;
      const done = await deleteBlobs(options.blobStore, rows.map((r) => ({ id: r.artifact_id, key: r.blob_key, size: r.size })), options.logger);
      result.artifacts += await options.store.artifacts.deleteMany(done.ids);
      result.bytes += done.bytes;
      if (rows.length < BATCH || done.ids.length === 0) break;
    }
  }
  for (;;) {
    const rows = await options.store.files.listExpired(now.toISOString(), BATCH);
    if (rows.length === 0) break;
    const done = await deleteBlobs(options.blobStore, rows.map((r) => ({ id: r.file_id, key: r.blob_key, size: r.size })), options.logger);
    result.files += await options.store.files.deleteMany(done.ids);
    result.bytes += done.bytes;
    if (rows.length < BATCH || done.ids.length === 0) break;
  }
  return result;
}

/** Runs `purgeExpired` every `intervalMs` (first pass after one interval); dispose to stop. */
export function startRetentionSweeper(options: RetentionOptions & { intervalMs?: number }): AsyncDisposable {
  const intervalMs = options.intervalMs ?? 10 * 60_000;
  let running: Promise<void> | undefined;
  let stopped = false;
  const timer = setInterval(() => {
    if (running !== undefined || stopped) return;
    running = purgeExpired(options)
      .then((result) => {
        if (result.artifacts + result.files > 0) options.logger.info(result, 'retention: deleted expired artifacts and files');
      })
      .catch((error: unknown) => options.logger.warn({ err: error }, 'retention: the sweep failed'))
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();
  return {
    async [Symbol.asyncDispose]() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
