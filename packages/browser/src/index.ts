// @petrel/browser: Chromium through playwright-core — pool, run contexts, persistent sessions,
// profiles, checkpoints, page observation, actions with replay descriptors, artifacts and blob storage.

// Chromium discovery and video support
export { findChromium, getChromium, findPlaywrightChromium, SYSTEM_CHROMIUM_PATHS, CHROMIUM_INSTALL_HINT } from './chromium/discover-chromium.ts';
export type { ChromiumLocation, FindChromiumOptions } from './chromium/discover-chromium.ts';
export { DEFAULT_CHROMIUM_ARGS } from './chromium/launch-args.ts';
export { ensureVideoSupport, findPlaywrightFfmpegPath, SYSTEM_FFMPEG_PATHS } from './chromium/video-support.ts';
export type { VideoSupport } from './chromium/video-support.ts';
export { findMarkedProcesses } from './chromium/process-tracker.ts';

// Pool and run contexts
export { createBrowserPool } from './pool/browser-pool.ts';
export type { BrowserPool, BrowserPoolOptions, NewContextOptions, PoolStats } from './pool/browser-pool.ts';
export type { RunContextOptions, SettleOptions, StorageState } from './context/context-options.ts';
export type { RunContext, ActionResult, ActionChanges, ActOptions, ReplayOptions, DownloadRecord, RunSummary } from './context/run-context.ts';

// Observation
export { serializeObservation, elementLine } from './observe/serialize.ts';
export type { TextPiece, TextHeader, SerializeOptions } from './observe/serialize.ts';
export { countTokens } from './observe/tokens.ts';
export type { ObserveOptions } from './observe/observer.ts';
export type {
  Observation,
  ObservedElement,
  ObservedFrame,
  ObservedTab,
  PendingDialog,
  ElementAttributes,
  SelectOption,
  Bounds,
  ScrollState,
} from './observe/observation.ts';

// Actions and replay
export { browserActionSchema, BROWSER_ACTION_TYPES } from './actions/browser-action.ts';
export type { BrowserAction, BrowserActionType } from './actions/browser-action.ts';
export { replayToPlaywrightCode, candidateCode } from './actions/replay-descriptor.ts';
export type { ReplayDescriptor, ReplayTarget, ReplayAction, SelectorCandidate, FrameHop } from './actions/replay-descriptor.ts';

// Artifacts and blob storage
export { ARTIFACT_TYPES, createArtifactRecorder } from './artifacts/artifact-recorder.ts';
export { redactText as redactArtifactText, redactZip as redactTraceZip } from './artifacts/redact.ts';
export type { ArtifactRecord, ArtifactType, ArtifactRecorder, ArtifactRecorderOptions } from './artifacts/artifact-recorder.ts';
export { createDiskBlobStore } from './storage/disk-blob-store.ts';
export type { DiskBlobStore, DiskBlobStoreOptions } from './storage/disk-blob-store.ts';
export { createS3BlobStore } from './storage/s3-blob-store.ts';
export type { S3BlobStoreOptions } from './storage/s3-blob-store.ts';
export { checkBlobKey } from './storage/blob-store.ts';
export type { BlobStore, BlobInfo, BlobBody, BlobPutOptions, BlobRange, BlobStream } from './storage/blob-store.ts';

// Sessions, profiles, checkpoints
export { createSessionManager, BROWSER_SESSION_STATUSES } from './sessions/session-manager.ts';
export type { SessionManager, SessionManagerOptions, BrowserSession, BrowserSessionStatus, BrowserSessionEvent, CreateSessionOptions } from './sessions/session-manager.ts';
export { createProfileStore } from './profiles/profile-store.ts';
export type { ProfileStore, BrowserProfile } from './profiles/profile-store.ts';
export { checkpoint, restore, loadCheckpoint } from './checkpoint/checkpoint.ts';
export type { BrowserCheckpoint, BrowserCheckpointState, CheckpointOptions } from './checkpoint/checkpoint.ts';
