// The run's files as executors see them (`RunFiles`), over the BlobStore: every download the run's
// blocks recorded (their bytes are `download` artifacts, so a replay on another worker reads the
// same files), plus files a block saves itself (an HTTP response, a printed page), stored as
// `download` artifacts too. A block's new files are collected and go into its record.
import { PetrelError } from '@petrel/protocol';
import type { ArtifactRecorder, BlobStore } from '@petrel/browser';
import { safeFileName } from '../executors/executor-context.ts';
import type { RunFile, RunFiles, SavedRunFile } from '../executors/executor-context.ts';
import type { RunDownload } from './run-types.ts';

/** Finds the BlobStore key of a download (recorded, or under `runs/<runId>/<artifactId>-`). */
export async function downloadKey(blobStore: BlobStore, runId: string, file: RunDownload, signal?: AbortSignal): Promise<string> {
  if (file.key) return file.key;
  if (!file.artifactId) throw new PetrelError('NOT_FOUND', `runs.files: ${file.name} has no stored bytes`);
  const found = await blobStore.list(`runs/${runId}/${file.artifactId}-`, signal ? { signal } : {});
  const key = found[0]?.key;
  if (!key) throw new PetrelError('NOT_FOUND', `runs.files: the bytes of ${file.name} are gone from storage`);
  return key;
}

/** A name not yet taken: `name`, else `stem (1).ext`, `stem (2).ext`, … */
export function uniqueName(name: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name)) return name;
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  for (let n = 1; ; n++) {
    const candidate = `${stem} (${n})${ext}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** Options of `createRunFiles`. */
export type RunFilesOptions = {
  runId: string;
  blobStore: BlobStore;
  /** The run's files before this block, oldest first. */
  downloads: readonly RunDownload[];
  /** Stores new files as `download` artifacts. */
  recorder: ArtifactRecorder;
  /** Other references the server knows (an uploaded file's URL). */
  resolveFile?: (reference: string, options: { signal?: AbortSignal }) => Promise<RunFile | undefined>;
  now: () => number;
};

/** The run's files for one block, and what the block added. */
export type BlockRunFiles = RunFiles & { readonly added: RunDownload[] };

/** Creates the `RunFiles` of one block execution. */
export function createRunFiles(options: RunFilesOptions): BlockRunFiles {
  const added: RunDownload[] = [];
  const all = (): RunDownload[] => [...options.downloads, ...added];
  const toRunFile = (file: RunDownload): RunFile => ({
    name: file.name,
    size: file.size,
    ...(file.contentType ? { contentType: file.contentType } : {}),
    read: async (readOptions = {}) => {
      const key = await downloadKey(options.blobStore, options.runId, file, readOptions.signal);
      const { body } = await options.blobStore.get(key, readOptions.signal ? { signal: readOptions.signal } : {});
      return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    },
  });
  return {
    added,
    async listDownloads() {
      return all().map(toRunFile);
    },
    async saveDownload(name, body, saveOptions = {}): Promise<SavedRunFile> {
      const fileName = uniqueName(safeFileName(name, 'download'), new Set(all().map((file) => file.name)));
      const contentType = saveOptions.contentType ?? 'application/octet-stream';
      const record = await options.recorder.record('download', body, { contentType, name: fileName });
      if (!record) throw new PetrelError('UNAVAILABLE', `runs.files: ${fileName} could not be stored`);
      added.push({
        name: fileName,
        size: record.size,
        sha256: record.sha256,
        contentType,
        artifactId: record.artifactId,
        key: record.key,
        sourceUrl: null,
        createdAt: new Date(options.now()).toISOString(),
      });
      return { name: fileName, size: record.size, sha256: record.sha256, contentType, artifactId: record.artifactId };
    },
    async resolveFile(reference, resolveOptions = {}) {
      const known = all().find((file) => file.artifactId !== null && reference.includes(file.artifactId));
      if (known) return toRunFile(known);
      return options.resolveFile?.(reference, resolveOptions);
    },
  };
}
