// The ports the agent needs from the outside, which the server implements (vault, pushed 2FA codes,
// artifact index, persistent sessions), and their in-memory twins so the agent runs standalone in
// tests, examples and benchmarks.
import { PetrelError } from '@petrel/protocol';
import type { ArtifactRecord } from '@petrel/browser';
import type { CredentialValues } from '../secrets/secret-redactor.ts';

/** Finds a stored credential's values (the vault lives in the server). */
export type CredentialResolver = {
  /** The credential's fields, TOTP seed included; throws `NOT_FOUND` when the namespace has no such credential. */
  get(namespace: string, credentialId: string): Promise<CredentialValues>;
};

/** A 2FA code pushed to `POST /v1/credentials/totp`. */
export type PushedTotpCode = { code: string; createdAt: Date };

/** Codes pushed for an identifier (the server's `totp_codes` table). */
export type PushedTotpSource = {
  /** The newest unexpired code pushed for `identifier` at or after `since`, or undefined. */
  find(namespace: string, identifier: string, since: Date): Promise<PushedTotpCode | undefined>;
};

/** Where an artifact came from. */
export type ArtifactOrigin = {
  namespace: string;
  /** The run (`tsk_…`, or the instance id of a code workflow). */
  runId: string;
  /** The agent step (1-based) the artifact belongs to; absent for run-level artifacts (trace, recording). */
  step?: number;
};

/** Receives the metadata of every stored artifact (bytes are already in the BlobStore); the server indexes them. */
export type ArtifactSink = {
  record(origin: ArtifactOrigin, artifact: ArtifactRecord): void | Promise<void>;
};

/** A persistent browser session a run may run in. */
export type BrowserSessionInfo = { browserSessionId: string; browserAddress: string };

/** Finds persistent browser sessions (`pbs_…`) for runs that name one. */
export type BrowserSessionResolver = {
  /** The session's CDP address; throws `BROWSER_SESSION_NOT_FOUND` when there is none. */
  get(namespace: string, browserSessionId: string): Promise<BrowserSessionInfo>;
};

/** An in-memory vault: credentials by namespace and id. */
export type MemoryCredentialResolver = CredentialResolver & {
  /** Stores a credential and returns its id (`cred_…` given or made up). */
  set(namespace: string, credentialId: string, values: CredentialValues): void;
};

/** Creates an in-memory `CredentialResolver`. */
export function createMemoryCredentialResolver(): MemoryCredentialResolver {
  const byKey = new Map<string, CredentialValues>();
  return {
    set(namespace, credentialId, values) {
      byKey.set(`${namespace}\u0000${credentialId}`, values);
    },
    get(namespace, credentialId) {
      const found = byKey.get(`${namespace}\u0000${credentialId}`);
      if (!found) return Promise.reject(new PetrelError('NOT_FOUND', `credentials.get: no credential ${credentialId}`, { details: { credential_id: credentialId } }));
      return Promise.resolve(found);
    },
  };
}

/** In-memory pushed codes. */
export type MemoryPushedTotpSource = PushedTotpSource & {
  /** Records a pushed code (valid 10 minutes). */
  push(namespace: string, identifier: string, code: string, at?: Date): void;
};

/** Creates an in-memory `PushedTotpSource`. */
export function createMemoryPushedTotpSource(): MemoryPushedTotpSource {
  const codes: Array<{ namespace: string; identifier: string; code: string; createdAt: Date }> = [];
  return {
    push(namespace, identifier, code, at = new Date()) {
      codes.push({ namespace, identifier, code, createdAt: at });
    },
    find(namespace, identifier, since) {
      const now = Date.now();
      const found = codes
        .filter((c) => c.namespace === namespace && c.identifier === identifier && c.createdAt >= since && now - c.createdAt.getTime() < 10 * 60_000)
        .at(-1);
      return Promise.resolve(found ? { code: found.code, createdAt: found.createdAt } : undefined);
    },
  };
}

/** An artifact sink that keeps every record in memory. */
export type MemoryArtifactSink = ArtifactSink & {
  readonly records: ReadonlyArray<{ origin: ArtifactOrigin; artifact: ArtifactRecord }>;
  /** The records of one run, oldest first. */
  forRun(runId: string): ArtifactRecord[];
};

/** Creates an in-memory `ArtifactSink`. */
export function createMemoryArtifactSink(): MemoryArtifactSink {
  const records: Array<{ origin: ArtifactOrigin; artifact: ArtifactRecord }> = [];
  return {
    records,
    record(origin, artifact) {
      records.push({ origin, artifact });
    },
    forRun(runId) {
      return records.filter((r) => r.origin.runId === runId).map((r) => r.artifact);
    },
  };
}
