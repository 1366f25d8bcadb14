// Everything a block workflow needs, in one process and on loopback: the fixture portal, the fake
// model (answering with the portal policy, or pointed at a real model), headless Chromium through a
// browser pool, the engine on a SQLite file, an in-memory credential vault and workflow repository,
// a mailer, and the workflow service wired to all of them. The examples, their runner and the
// block tests start it; `close()` stops and removes everything.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBrowserPool, createDiskBlobStore, createProfileStore } from '@petrel/browser';
import type { BlobStore, BrowserPool, ProfileStore } from '@petrel/browser';
import { createEngine, createSqliteStore } from '@petrel/engine';
import type { Engine, Store } from '@petrel/engine';
import { startFakeModel } from '@petrel/fake-model';
import type { FakeModel, FakeResponder } from '@petrel/fake-model';
import { DEMO_USER, startPortal } from '@petrel/fixture-portal';
import type { Portal, PortalOptions } from '@petrel/fixture-portal';
import { createAgentRuntime, createMemoryArtifactSink, createMemoryCredentialResolver, createRunBrowserManager } from '@petrel/agent';
import type { AgentRuntime, AgentRuntimeOptions, MemoryArtifactSink, MemoryCredentialResolver, ModelConfig } from '@petrel/agent';
import { createMemoryMailer, createMemoryWorkflowRepository, createWorkflowService } from '@petrel/blocks';
import type { Mailer, WorkflowRepository, WorkflowService, WorkflowServiceOptions } from '@petrel/blocks';
import type { Logger } from '@petrel/protocol';
import { portalPolicy } from '@petrel/testing';

/** The date the examples pretend it is (the portal's data runs January to June 2026). */
export const EXAMPLE_NOW = Date.parse('2026-07-15T10:00:00.000Z');

/** Options of `startLocalPetrel`. */
export type LocalPetrelOptions = {
  /** The fake model's answers; default the portal policy. Ignored with `model`. */
  respond?: FakeResponder;
  /** A real model instead of the fake (PETREL_LLM_* in the examples). */
  model?: ModelConfig;
  /** Use this running portal instead of starting one. */
  portalUrl?: string;
  portal?: PortalOptions;
  /** Use this running fake model (its OpenAI base URL) instead of starting one. */
  modelBaseUrl?: string;
  /** Folder of the SQLite file, blobs and downloads; default a temporary folder removed on close. */
  dataDir?: string;
  /** The mailer of send_email and human_interaction; default an in-memory one (`mailer.sent`). */
  mailer?: Mailer;
  /** More service options (publicBaseUrl, fetch, s3, …). */
  service?: Partial<WorkflowServiceOptions>;
  /** More agent runtime options. */
  runtime?: Partial<AgentRuntimeOptions>;
  /** The repository; default in memory. */
  repository?: WorkflowRepository;
  /** Instances run at once by this process (0: none, API only). Default 4. */
  slots?: number;
  /** A stable worker id (crash tests). */
  workerId?: string;
  /** Engine lease in ms; default 30 s. */
  leaseMs?: number;
  logger?: Logger;
};

/** A running local Petrel for block workflows. */
export type LocalPetrel = AsyncDisposable & {
  namespace: string;
  portal: { url: string; instance?: Portal };
  fake: FakeModel | undefined;
  pool: BrowserPool;
  blobStore: BlobStore;
  profiles: ProfileStore;
  runtime: AgentRuntime;
  engine: Engine;
  store: Store;
  repository: WorkflowRepository;
  service: WorkflowService;
  credentials: MemoryCredentialResolver;
  artifacts: MemoryArtifactSink;
  mailer: Mailer;
  /** The demo user's stored credential (password and TOTP seed): `cred_demo`. */
  demoCredentialId: string;
  dataDir: string;
  close(): Promise<void>;
};

/** Starts a local Petrel (see the file header). */
export async function startLocalPetrel(options: LocalPetrelOptions = {}): Promise<LocalPetrel> {
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'petrel-workflows-')));
  const portal = options.portalUrl ? undefined : await startPortal({ cookieBanner: false, ...options.portal });
  const portalUrl = options.portalUrl ?? (portal as Portal).url;
  const fake = options.model || options.modelBaseUrl ? undefined : await startFakeModel({ respond: options.respond ?? portalPolicy() });
  const blobStore = createDiskBlobStore({ root: join(dataDir, 'blobs') });
  const pool = createBrowserPool({
    blobStore,
    downloadsRoot: join(dataDir, 'downloads'),
    maxContexts: 4,
    contextDefaults: { video: 'off', trace: true, screenshots: 'final', html: true, settle: { quietMs: 40, capMs: 3000 } },
  });
  const browsers = createRunBrowserManager({ pool });
  const credentials = createMemoryCredentialResolver();
  const artifacts = createMemoryArtifactSink();
  const namespace = 'default';
  const demoCredentialId = 'cred_demo';
  credentials.set(namespace, demoCredentialId, { credential_type: 'password', username: DEMO_USER.email, password: DEMO_USER.password, totp: DEMO_USER.totpSecret });
  const startedAt = Date.now();
  const model: ModelConfig = options.model ?? {
    provider: 'openai-compatible',
    model: 'fake-model',
    baseUrl: options.modelBaseUrl ?? (fake as FakeModel).openaiBaseUrl,
    supportsStructuredOutputs: true,
    maxRetries: 0,
    timeoutMs: 60_000,
  };
  const runtime = createAgentRuntime({
    browsers,
    model,
    credentials,
    artifacts,
    now: () => EXAMPLE_NOW + (Date.now() - startedAt),
    retryDelayMs: 100,
    maxRetriesPerStep: 2,
    ...(options.logger ? { logger: options.logger } : {}),
    ...options.runtime,
  });
  const profiles = createProfileStore({ blobStore });
  const store = await createSqliteStore({ dataDir: join(dataDir, 'engine') });
  const repository = options.repository ?? createMemoryWorkflowRepository();
  const mailer = options.mailer ?? createMemoryMailer();
  let resolver: WorkflowService['resolveWorkflow'] | undefined;
  const engine = await createEngine({
    store,
    slots: options.slots ?? 4,
    ...(options.workerId ? { workerId: options.workerId } : {}),
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    resolveWorkflow: (ref) => (resolver ? resolver(ref) : Promise.resolve(undefined)),
  });
  const service = createWorkflowService({
    engine,
    repository,
    runtime,
    blobStore,
    mailer,
    loadBrowserProfile: async (_namespace: string, id: string) => profiles.loadState(id),
    ...(options.logger ? { logger: options.logger } : {}),
    ...options.service,
  });
  resolver = service.resolveWorkflow;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await engine.close({ graceMs: 1000 });
      await store.close();
      await browsers.close();
      await pool.close();
      await fake?.close();
      await portal?.close();
      if (temporary) await rm(dataDir, { recursive: true, force: true });
    })());
  return {
    namespace,
    portal: { url: portalUrl, ...(portal ? { instance: portal } : {}) },
    fake,
    pool,
    blobStore,
    profiles,
    runtime,
    engine,
    store,
    repository,
    service,
    credentials,
    artifacts,
    mailer,
    demoCredentialId,
    dataDir,
    close,
    [Symbol.asyncDispose]: close,
  };
}
