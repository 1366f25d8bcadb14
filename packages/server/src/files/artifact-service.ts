// Artifacts as the server keeps them: the browser's recorder (or the agent) stores the bytes in the
// blob store, and the artifact sink records their metadata in the `artifacts` table, scoped by
// organization, with the step or block they belong to. Responses use Skyvern's `Artifact` shape
// with a fresh signed URL on every read. Recording metadata is best effort for the run (the
// recorder logs a failed hook and goes on) but a failure is logged here with the artifact id.
import type { ArtifactRecord } from '@petrel/browser';
import { ARTIFACT_TYPES, PetrelError } from '@petrel/protocol';
import type { Artifact, ArtifactKind, Logger } from '@petrel/protocol';
import type { ServerMetrics } from '../observability/metrics.ts';
import type { ServerStore } from '../store/server-store.ts';
import type { ArtifactRow } from '../store/run-store.ts';
import type { UrlSigner } from './signed-urls.ts';

/** Where an artifact came from: the organization (engine namespace), the run, and optionally its step or block. */
export type ArtifactOrigin = {
  /** The organization id (the engine namespace). */
  namespace: string;
  /** The run (`tsk_…`, `wr_…`, or a code workflow's instance id). */
  runId: string;
  /** The agent step (from 1) the artifact belongs to; absent for run-level artifacts. */
  step?: number;
  /** The block label (block workflows). */
  block?: string;
  /** The persistent session the run used. */
  browserSessionId?: string;
};

/** Receives the metadata of stored artifacts (the agent's `ArtifactSink` port). */
export type ArtifactSink = {
  /** Records one stored artifact. */
  record(origin: ArtifactOrigin, artifact: ArtifactRecord): Promise<void>;
  /** The `onArtifact` hook of a run context for one origin (`pool.newContext({ onArtifact })`). */
  hook(origin: ArtifactOrigin): (artifact: ArtifactRecord) => Promise<void>;
};

// The browser package calls the console log `console_log`; Skyvern's name is `browser_console_log`.
const TYPE_ALIASES: Record<string, ArtifactKind> = { console_log: 'browser_console_log' };

/** Skyvern's name of an artifact type recorded by the browser or the agent. */
export function toArtifactKind(type: string): ArtifactKind {
  const mapped = TYPE_ALIASES[type] ?? type;
  if (!(ARTIFACT_TYPES as readonly string[]).includes(mapped)) throw new PetrelError('VALIDATION_FAILED', `artifacts.record: unknown artifact type "${type.slice(0, 64)}"`);
  return mapped as ArtifactKind;
}

/** Options of `createArtifactSink`. */
export type ArtifactSinkOptions = {
  store: ServerStore;
  /** Counts stored bytes (`petrel_artifact_bytes_total`). Default none. */
  metrics?: ServerMetrics;
  logger: Logger;
};

/** Creates the server's artifact sink (writes `artifacts` rows). */
export function createArtifactSink(options: ArtifactSinkOptions): ArtifactSink {
  const record = async (origin: ArtifactOrigin, artifact: ArtifactRecord): Promise<void> => {
    const kind = toArtifactKind(artifact.type);
    const row: ArtifactRow = {
      artifact_id: artifact.artifactId,
      organization_id: origin.namespace,
      run_id: origin.runId,
      step_ref: origin.step === undefined ? null : `step-${origin.step}`,
      block_ref: origin.block ?? null,
      browser_session_id: origin.browserSessionId ?? null,
      artifact_type: kind,
      blob_key: artifact.key,
      content_type: artifact.contentType,
      size: artifact.size,
      sha256: artifact.sha256,
      name: artifact.name ?? null,
      created_at: artifact.createdAt,
    };
    try {
      await options.store.artifacts.insert(row);
    } catch (error) {
      options.logger.warn({ err: error, artifact_id: artifact.artifactId, run_id: origin.runId }, 'artifacts: could not record an artifact');
      throw error;
    }
    try {
      options.metrics?.artifactBytes.inc({ type: kind }, artifact.size);
    } catch {
      // Metrics are best effort.
    }
  };
  return { record, hook: (origin) => (artifact) => record(origin, artifact) };
}

/** An artifact row in Skyvern's `Artifact` shape, with a fresh signed URL. */
export function toArtifactResponse(row: ArtifactRow, urls: UrlSigner | undefined): Artifact {
  const runId = row.run_id;
  return {
    artifact_id: row.artifact_id,
    artifact_type: toArtifactKind(row.artifact_type),
    uri: `petrel://blobs/${row.blob_key}`,
    bundle_key: null,
    checksum: row.sha256,
    file_size: row.size,
    content_type: row.content_type,
    name: row.name,
    task_id: runId.startsWith('tsk_') ? runId : null,
    step_id: row.step_ref,
    workflow_run_id: runId.startsWith('wr_') ? runId : null,
    workflow_run_block_id: row.block_ref,
    run_id: runId,
    browser_session_id: row.browser_session_id,
    observer_cruise_id: null,
    observer_thought_id: null,
    ai_suggestion_id: null,
    signed_url: urls === undefined ? null : urls.artifactUrl(row.artifact_id),
    archived: false,
    organization_id: row.organization_id,
    created_at: row.created_at,
    modified_at: row.created_at,
  };
}
