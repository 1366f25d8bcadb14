// Artifacts of a run: screenshots, HTML, trace, video, console log, downloads, written through the
// BlobStore with type, size, sha256 and time. Capture is best effort: a failure is logged and the
// artifact skipped, and it never fails the action or the run that it records.
import { newId, type Logger } from '@petrel/protocol';
import type { BlobBody, BlobStore } from '../storage/blob-store.ts';

/** Artifact types, named as Skyvern names them where it has the type. */
export const ARTIFACT_TYPES = [
  'screenshot_action',
  'screenshot_final',
  'html',
  'trace',
  'recording',
  'console_log',
  'download',
  'llm_request',
  'llm_response',
  'visible_elements_tree',
] as const;

/** A kind of artifact. */
export type ArtifactType = (typeof ARTIFACT_TYPES)[number];

/** One stored artifact. */
export type ArtifactRecord = {
  /** `a_…` id. */
  artifactId: string;
  runId: string;
  type: ArtifactType;
  /** BlobStore key of the bytes. */
  key: string;
  contentType: string;
  size: number;
  sha256: string;
  createdAt: string;
  /** A file name for people (the download's suggested name, `trace.zip`, …). */
  name?: string;
};

/** Records the artifacts of one run. */
export type ArtifactRecorder = {
  readonly runId: string;
  readonly blobStore: BlobStore;
  /** Every artifact recorded so far, in order. */
  readonly records: readonly ArtifactRecord[];
  /** Stores one artifact; returns undefined (after logging) when storing failed. */
  record(type: ArtifactType, body: BlobBody | (() => Promise<BlobBody>), options: { contentType: string; name?: string }): Promise<ArtifactRecord | undefined>;
};

/** Options of `createArtifactRecorder`. */
export type ArtifactRecorderOptions = {
  runId: string;
  blobStore: BlobStore;
  /** Called after each stored artifact (the server persists the record from here); errors are logged. */
  onArtifact?: (record: ArtifactRecord) => void | Promise<void>;
  logger: Logger;
};

const UNSAFE = /[^A-Za-z0-9._~@=+,-]+/g;

/** A key segment made from a file name: unsafe characters become `_`, at most 100 characters. */
export function safeKeySegment(name: string): string {
  const cleaned = name.replace(UNSAFE, '_').replace(/^\.+/, '_').slice(0, 100);
  return cleaned.length > 0 && cleaned !== '.' && cleaned !== '..' ? cleaned : 'file';
}

/** Creates the artifact recorder of one run; keys are `runs/<runId>/<artifactId>-<name>`. */
export function createArtifactRecorder(options: ArtifactRecorderOptions): ArtifactRecorder {
  const records: ArtifactRecord[] = [];
  return {
    runId: options.runId,
    blobStore: options.blobStore,
    records,
    async record(type, body, recordOptions) {
      const artifactId = newId('artifact');
      const name = recordOptions.name ?? defaultName(type, recordOptions.contentType);
      const key = `runs/${safeKeySegment(options.runId)}/${artifactId}-${safeKeySegment(name)}`;
      try {
        const bytes = typeof body === 'function' ? await body() : body;
        const info = await options.blobStore.put(key, bytes, { contentType: recordOptions.contentType });
        const record: ArtifactRecord = {
          artifactId,
          runId: options.runId,
          type,
          key,
          contentType: info.contentType,
          size: info.size,
          sha256: info.sha256,
          createdAt: info.createdAt,
          ...(recordOptions.name ? { name: recordOptions.name } : {}),
        };
        records.push(record);
        if (options.onArtifact) {
          try {
            await options.onArtifact(record);
          } catch (error) {
            options.logger.warn({ err: error, artifactId, type }, 'artifacts: onArtifact hook failed');
          }
        }
        return record;
      } catch (error) {
        options.logger.warn({ err: error, runId: options.runId, type }, 'artifacts: capture failed; continuing without it');
        return undefined;
      }
    },
  };
}

function defaultName(type: ArtifactType, contentType: string): string {
  const ext = contentType.includes('png')
    ? 'png'
    : contentType.includes('jpeg')
      ? 'jpg'
      : contentType.includes('html')
        ? 'html'
        : contentType.includes('zip')
          ? 'zip'
          : contentType.includes('webm')
            ? 'webm'
            : contentType.includes('json')
              ? 'json'
              : 'txt';
  return `${type}.${ext}`;
}
