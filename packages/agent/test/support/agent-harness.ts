// Everything an agent integration test runs against, all real and on loopback: the fixture portal, the
// fake model speaking OpenAI's chat protocol (answering from the prompt through a policy), headless
// Chromium through a browser pool, and the engine on a SQLite file in a temporary folder. Logs are
// captured so tests can search them; `scanForSecrets` greps every stored byte.
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { unzipSync } from 'fflate';
import { createBrowserPool, createDiskBlobStore, findChromium } from '@petrel/browser';
import type { BrowserPool } from '@petrel/browser';
import { createEngine, createSqliteStore } from '@petrel/engine';
import type { Engine, Store, StepExtension, WorkflowDefinition } from '@petrel/engine';
import { startFakeModel } from '@petrel/fake-model';
import type { FakeModel, FakeResponder } from '@petrel/fake-model';
import { startPortal } from '@petrel/fixture-portal';
import type { Portal, PortalOptions } from '@petrel/fixture-portal';
import type { Logger } from '@petrel/protocol';
import {
  createAgentRuntime,
  createMemoryArtifactSink,
  createMemoryCredentialResolver,
  createMemoryPushedTotpSource,
  createRunBrowserManager,
  createTaskService,
} from '@petrel/agent';
import type { AgentRuntime, AgentRuntimeOptions, MemoryArtifactSink, MemoryCredentialResolver, MemoryPushedTotpSource, RunBrowserManager, TaskService } from '@petrel/agent';

/** `{ skip }` for suites that need Chromium: a reason outside CI when it is missing; in CI they run (and fail). */
export const skipWithoutChromium: { skip: string | false } = {
  skip: findChromium() || process.env.CI === 'true' ? false : 'Chromium is not installed (run npm run setup)',
};

/** The date the tests pretend it is: "last month" is then June 2026, the portal's latest month. */
export const TEST_NOW = Date.parse('2026-07-15T10:00:00.000Z');

/** A log line as captured. */
export type LogLine = { level: string; fields: Record<string, unknown>; message?: string };

/** A logger that keeps every line (children included) in `lines`. */
export function captureLogger(lines: LogLine[], bound: Record<string, unknown> = {}): Logger {
  const write = (level: string) => (fields: Record<string, unknown>, message?: string) => {
    lines.push({ level, fields: { ...bound, ...fields }, ...(message === undefined ? {} : { message }) });
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'), child: (fields) => captureLogger(lines, { ...bound, ...fields }) };
}

/** Options of `startHarness`. */
export type HarnessOptions = {
  respond: FakeResponder;
  portal?: PortalOptions;
  /** Extra runtime options (the model, clock, logger and ports are set by the harness). */
  runtime?: Partial<AgentRuntimeOptions>;
  /** No model configuration at all. */
  noModel?: boolean;
  /** Code workflows to register besides the task workflow. */
  workflows?: WorkflowDefinition[];
  /** Step extensions built from the runtime. */
  stepExtensions?: (runtime: AgentRuntime) => Record<string, StepExtension>;
  /** Service option: check the model at runTask; default true. */
  requireModel?: boolean;
};

/** A running harness. */
export type Harness = {
  portal: Portal;
  fake: FakeModel;
  pool: BrowserPool;
  browsers: RunBrowserManager;
  runtime: AgentRuntime;
  engine: Engine;
  store: Store;
  service: TaskService;
  sink: MemoryArtifactSink;
  credentials: MemoryCredentialResolver;
  pushed: MemoryPushedTotpSource;
  logs: LogLine[];
  /** The temporary folder holding blobs, downloads and the SQLite file. */
  root: string;
  namespace: string;
  /** Stops and removes everything. */
  close: () => Promise<void>;
};

/** Starts a harness; `close` it when done (or pass a test context to have it closed after the test). */
export async function startHarness(options: HarnessOptions, t?: TestContext): Promise<Harness> {
  const root = await mkdtemp(join(tmpdir(), 'petrel-agent-test-'));
  const portal = await startPortal({ cookieBanner: false, ...options.portal });
  const fake = await startFakeModel({ respond: options.respond });
  const blobStore = createDiskBlobStore({ root: join(root, 'blobs') });
  const pool = createBrowserPool({
    blobStore,
    downloadsRoot: join(root, 'downloads'),
    maxContexts: 4,
    contextDefaults: { video: 'off', trace: true, screenshots: 'action', html: true, settle: { quietMs: 40, capMs: 3000 } },
  });
  const browsers = createRunBrowserManager({ pool });
  const sink = createMemoryArtifactSink();
  const credentials = createMemoryCredentialResolver();
  const pushed = createMemoryPushedTotpSource();
  const logs: LogLine[] = [];
  const startedAt = Date.now();
  const runtime = createAgentRuntime({
    browsers,
    ...(options.noModel
      ? {}
      : { model: { provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.openaiBaseUrl, supportsStructuredOutputs: true, maxRetries: 0, timeoutMs: 60_000 } }),
    credentials,
    pushedTotp: pushed,
    artifacts: sink,
    now: () => TEST_NOW + (Date.now() - startedAt),
    logger: captureLogger(logs),
    retryDelayMs: 100,
    maxRetriesPerStep: 2,
    ...options.runtime,
  });
  const store = await createSqliteStore({ dataDir: join(root, 'engine') });
  const engine = await createEngine({
    store,
    slots: 4,
    logger: captureLogger(logs, { component: 'engine' }),
    workflows: options.workflows ?? [],
    ...(options.stepExtensions ? { stepExtensions: options.stepExtensions(runtime) } : {}),
  });
  const service = createTaskService({ engine, runtime, requireModel: options.requireModel ?? true });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await engine.close({ graceMs: 1000 });
      await store.close();
      await browsers.close();
      await pool.close();
      await fake.close();
      await portal.close();
      await rm(root, { recursive: true, force: true });
    })());
  t?.after(close);
  return { portal, fake, pool, browsers, runtime, engine, store, service, sink, credentials, pushed, logs, root, namespace: 'default', close };
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

/** Where each needle was found: every file under `root` (zip archives opened), every log line, every request the fake model received. */
export async function scanForSecrets(h: Harness, needles: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  const check = (where: string, text: string) => {
    for (const needle of needles) if (text.includes(needle)) found.push(`${where} contains ${needle.slice(0, 4)}…`);
  };
  let files = 0;
  for (const path of await filesUnder(h.root)) {
    if (!(await stat(path)).isFile()) continue;
    files++;
    const bytes = await readFile(path);
    check(path, bytes.toString('latin1'));
    if (bytes.subarray(0, 2).toString() === 'PK') {
      for (const [name, entry] of Object.entries(unzipSync(new Uint8Array(bytes)))) check(`${path}!${name}`, Buffer.from(entry).toString('latin1'));
    }
  }
  if (files === 0) found.push('no files were scanned');
  for (const line of h.logs) check('log', JSON.stringify(line));
  for (const request of h.fake.requests) check(`model request ${request.seq}`, JSON.stringify(request.body));
  return found;
}

/** Waits until `check` holds (polling), failing after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
