// A run context: one Playwright browser context per run, shared by the run's blocks. It keeps the
// tabs, pending dialogs, downloads, console log and in-flight requests; observes the active tab;
// executes actions (waiting for the page to settle) and replays their descriptors; and on close
// stores the final screenshot, HTML, console log, trace and video as artifacts. Artifact capture is
// best effort (see artifact-recorder.ts): it never fails an action or the close.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import type { BrowserContext, Dialog, Download, Frame, Locator, Page, Request } from 'playwright-core';
import { PetrelError, isPetrelError, type ErrorCode, type Logger } from '@petrel/protocol';
import { browserActionSchema, type BrowserAction } from '../actions/browser-action.ts';
import { locateTarget, rankCandidates, type DescribedElement, type FrameHop, type ReplayAction, type ReplayDescriptor, type SelectorCandidate } from '../actions/replay-descriptor.ts';
import { createArtifactRecorder, type ArtifactRecord, type ArtifactType } from '../artifacts/artifact-recorder.ts';
import { redactText, redactZip } from '../artifacts/redact.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { callPage, createObserver, type ElementRef, type ObserveOptions } from '../observe/observer.ts';
import { mutationTracker } from '../observe/page-script.ts';
import type { Observation, ObservedTab, PendingDialog } from '../observe/observation.ts';
import type { ResolvedContextOptions, StorageState } from './context-options.ts';

/** A file the run downloaded, saved in its downloads folder and stored as a `download` artifact. */
export type DownloadRecord = {
  /** The name the site suggested (made safe and unique in the folder). */
  fileName: string;
  /** Absolute path in the run's downloads folder. */
  path: string;
  size: number;
  sha256: string;
  /** The URL it came from. */
  url: string;
  /** The artifact holding the same bytes, when storing it succeeded. */
  artifactId?: string;
  createdAt: string;
};

/** What an action changed. */
export type ActionChanges = {
  /** The active tab's URL after the action, when it changed. */
  url?: string;
  /** True when the active tab navigated (a new document or a history change). */
  navigated: boolean;
  /** A tab the action opened; it became the active tab. */
  newTab?: { index: number; url: string };
  /** A file the action downloaded. */
  download?: DownloadRecord;
  /** A dialog the action opened (it is pending until accepted or dismissed). */
  dialog?: PendingDialog;
};

/** The outcome of one action. Expected failures (missing element, timeout) come back as `ok: false`, not as a throw. */
export type ActionResult = {
  ok: boolean;
  error?: { code: ErrorCode; message: string };
  changed: ActionChanges;
  /** How to run this action again without an observation. */
  replay: ReplayDescriptor;
  /** For replays: the selector that found the element. */
  matchedSelector?: SelectorCandidate;
  /** Text or HTML for `read_text` / `read_html`. */
  value?: string;
  /** The screenshot taken after the action, when screenshots are on. */
  screenshot?: ArtifactRecord;
  durationMs: number;
};

/** Options of one action. */
export type ActOptions = {
  /** Time limit (element wait included); default the context's `actionTimeoutMs`. */
  timeoutMs?: number;
  /** Abort the action; work already sent to the browser may still complete. */
  signal?: AbortSignal;
};

/** Options of one replay. */
export type ReplayOptions = ActOptions & {
  /** The text for an `input_text` descriptor recorded as sensitive (its value was not stored). */
  text?: string;
};

/** What a closed run context leaves behind. */
export type RunSummary = { runId: string; artifacts: ArtifactRecord[]; downloads: DownloadRecord[]; downloadsDir: string };

/** One run's browser context. */
export type RunContext = AsyncDisposable & {
  readonly runId: string;
  /** The Playwright context (for code that needs Playwright directly). */
  readonly context: BrowserContext;
  /** The active tab. */
  readonly page: Page;
  /** Where this run's downloads are saved. */
  readonly downloadsDir: string;
  /** Artifacts stored so far. */
  readonly artifacts: readonly ArtifactRecord[];
  /** Downloads saved so far. */
  readonly downloads: readonly DownloadRecord[];
  /** True after `close`. */
  readonly closed: boolean;
  /** The open tabs, in opening order. */
  tabs(): ObservedTab[];
  /**
   * Registers a value to keep out of stored artifacts: it is replaced by `********` in the trace, the
   * HTML snapshot and the console log. Values typed with `input_text` + `sensitive` are added by themselves.
   */
  redact(value: string): void;
  /** Dialogs waiting on the active tab. */
  pendingDialogs(): PendingDialog[];
  /** Observes the active tab. */
  observe(options?: ObserveOptions): Promise<Observation>;
  /** A frame-aware Playwright locator for an element id of the last observations; throws `ELEMENT_NOT_FOUND`. */
  locator(elementId: string): Locator;
  /** Executes an action, waits for the page to settle, and reports what changed. */
  act(action: BrowserAction, options?: ActOptions): Promise<ActionResult>;
  /** Executes a recorded descriptor on the active tab, without an observation. */
  replay(descriptor: ReplayDescriptor, options?: ReplayOptions): Promise<ActionResult>;
  /** Cookies, localStorage and IndexedDB of the context. */
  storageState(options?: { signal?: AbortSignal }): Promise<StorageState>;
  /** sessionStorage of each open tab's origin. */
  sessionStorage(): Promise<Record<string, Record<string, string>>>;
  /** A screenshot of the active tab. */
  screenshot(options?: { fullPage?: boolean }): Promise<Buffer>;
  /**
   * Stores an artifact of this run (e.g. `llm_request` / `llm_response` from the agent); best effort:
   * returns undefined when storing failed. Registered secrets are removed from string bodies.
   */
  recordArtifact(type: ArtifactType, body: string | Uint8Array, options: { contentType: string; name?: string }): Promise<ArtifactRecord | undefined>;
  /** Stores the final artifacts, closes the context (or detaches from a session) and frees its pool slot. Idempotent. */
  close(options?: { signal?: AbortSignal }): Promise<RunSummary>;
};

/** Everything the pool hands a new run context. */
export type RunContextInit = {
  context: BrowserContext;
  options: ResolvedContextOptions;
  blobStore: BlobStore;
  logger: Logger;
  downloadsDir: string;
  /** Whether closing the run closes the Playwright context (false for a session's default context). */
  ownsContext: boolean;
  /** Whether video was set up for the context. */
  video: boolean;
  /** Folder the context records video into; removed after close. */
  videoDir?: string;
  /** Called once after close (frees the pool slot, disconnects from a session). */
  onClose: () => Promise<void>;
};

const LONG_LIVED = new Set(['websocket', 'eventsource', 'media', 'manifest', 'ping', 'beacon']);
const ELEMENT_ACTIONS = new Set(['click', 'input_text', 'select_option', 'check', 'uncheck', 'upload_file', 'download', 'hover']);

type PageState = {
  requests: Map<Request, number>;
  navRequests: Set<Request>;
  navigations: number;
  dialogs: Dialog[];
  dialogWaiters: Set<(dialog: Dialog) => void>;
  /** Called whenever a request ends, the main frame navigates or the page closes. */
  changeWaiters: Set<() => void>;
};

/** Resolves when `done()` holds (checked at each change of the page), or at the deadline. */
function waitUntil(state: PageState, done: () => boolean, deadline: number): Promise<void> {
  if (done() || Date.now() >= deadline) return Promise.resolve();
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      state.changeWaiters.delete(check);
      resolve();
    };
    const check = () => {
      if (done()) finish();
    };
    const timer = setTimeout(finish, Math.max(0, deadline - Date.now()));
    state.changeWaiters.add(check);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  promise.catch(() => {});
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new PetrelError('TIMEOUT', `${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function fileDigest(path: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { size: (await stat(path)).size, sha256: hash.digest('hex') };
}

function dialogInfo(dialog: Dialog): PendingDialog {
  const type = dialog.type() as PendingDialog['type'];
  const value = dialog.defaultValue();
  return { type, message: dialog.message(), ...(type === 'prompt' && value ? { defaultValue: value } : {}) };
}

function errorOf(error: unknown): { code: ErrorCode; message: string } {
  if (isPetrelError(error)) return { code: error.code, message: error.message };
  const message = error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error);
  if (/Timeout \d+ms exceeded|timed out/i.test(message)) return { code: 'TIMEOUT', message };
  if (/aborted|AbortError/i.test(message)) return { code: 'CANCELED', message };
  return { code: 'ACTION_FAILED', message };
}

const CONTENT_TYPES: Record<string, string> = {
  '.pdf': 'application/pdf',
  '.csv': 'text/csv',
  '.txt': 'text/plain',
  '.json': 'application/json',
  '.zip': 'application/zip',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.xml': 'application/xml',
  '.html': 'text/html',
};

function contentTypeOf(fileName: string): string {
  return CONTENT_TYPES[extname(fileName).toLowerCase()] ?? 'application/octet-stream';
}

function stripForReplay(action: BrowserAction): ReplayAction {
  const { elementId: _elementId, ...rest } = action as BrowserAction & { elementId?: string };
  const replayable: ReplayAction = rest;
  if (replayable.type === 'input_text' && replayable.sensitive) return { ...replayable, text: '' };
  return replayable;
}

/** Picks a visible option of an open custom dropdown by its label. */
async function pickCustomOption(page: Page, frame: Frame | undefined, option: string, timeoutMs: number): Promise<void> {
  const scope = frame ?? page.mainFrame();
  const deadline = Date.now() + timeoutMs;
  const finders = [
    () => scope.getByRole('option', { name: option, exact: true }),
    () => scope.getByRole('menuitem', { name: option, exact: true }),
    () => scope.getByRole('treeitem', { name: option, exact: true }),
    () => scope.getByRole('option', { name: option }),
    () => scope.getByText(option, { exact: true }),
  ];
  for (;;) {
    for (const find of finders) {
      const locator = find();
      const count = await locator.count();
      for (let i = 0; i < count; i++) {
        const candidate = locator.nth(i);
        if (await candidate.isVisible()) {
          await candidate.click({ timeout: Math.max(1, deadline - Date.now()) });
          return;
        }
      }
    }
    if (Date.now() >= deadline) throw new PetrelError('ELEMENT_NOT_FOUND', 'browser.select_option: no visible option with that label', { details: { option } });
    await sleep(100);
  }
}

/** Clicks; when something covers the element, clicks through it (force), then dispatches a DOM click. */
async function clickWithFallback(locator: Locator, attempt: (force: boolean) => Promise<void>): Promise<void> {
  try {
    await attempt(false);
  } catch (error) {
    // A styled control often hides the real input under a label or overlay; click through it once.
    const message = error instanceof Error ? error.message : '';
    if (!/intercepts pointer events|not visible|outside of the viewport|Timeout/i.test(message)) throw error;
    try {
      await attempt(true);
    } catch {
      await locator.dispatchEvent('click');
    }
  }
}

/** Opens a run context over a Playwright context (called by the pool). */
export async function openRunContext(init: RunContextInit): Promise<RunContext> {
  const { context, options, logger } = init;
  const log = logger.child({ runId: options.runId });
  const observer = createObserver();
  const recorder = createArtifactRecorder({
    runId: options.runId,
    blobStore: init.blobStore,
    logger: log,
    ...(options.raw.onArtifact ? { onArtifact: options.raw.onArtifact } : {}),
  });
  const pages: Page[] = [];
  const states = new WeakMap<Page, PageState>();
  const downloads: DownloadRecord[] = [];
  const downloadTasks: Promise<DownloadRecord | undefined>[] = [];
  const downloadOf = new WeakMap<Download, Promise<DownloadRecord | undefined>>();
  const consoleLines: string[] = [];
  const framePaths = new WeakMap<Frame, FrameHop[]>();
  const usedNames = new Set<string>();
  // Values typed as sensitive, kept in memory only, removed from the trace, HTML and console log.
  const secrets = new Set<string>(options.raw.secrets ?? []);
  const redact = (text: string) => redactText(text, [...secrets]);
  let active: Page | undefined;
  let closed = false;
  let closing: Promise<RunSummary> | undefined;

  await mkdir(init.downloadsDir, { recursive: true });
  context.setDefaultTimeout(options.actionTimeoutMs);
  context.setDefaultNavigationTimeout(options.navigationTimeoutMs);

  const stateOf = (page: Page): PageState => {
    let state = states.get(page);
    if (!state) {
      state = { requests: new Map(), navRequests: new Set(), navigations: 0, dialogs: [], dialogWaiters: new Set(), changeWaiters: new Set() };
      states.set(page, state);
    }
    return state;
  };

  function uniqueFileName(suggested: string): string {
    const clean = basename(suggested).replace(/[^A-Za-z0-9._ ()+,=@-]+/g, '_').replace(/^\.+/, '_').slice(0, 150) || 'download';
    let name = clean;
    const ext = extname(clean);
    for (let n = 1; usedNames.has(name); n++) name = `${clean.slice(0, clean.length - ext.length)} (${n})${ext}`;
    usedNames.add(name);
    return name;
  }

  async function saveDownload(download: Download): Promise<DownloadRecord | undefined> {
    const fileName = uniqueFileName(download.suggestedFilename());
    const path = join(init.downloadsDir, fileName);
    try {
      await download.saveAs(path);
      const { size, sha256 } = await fileDigest(path);
      const artifact = await recorder.record('download', () => Promise.resolve(createReadStream(path)), {
        contentType: contentTypeOf(fileName),
        name: fileName,
      });
      const record: DownloadRecord = {
        fileName,
        path,
        size,
        sha256,
        url: download.url(),
        ...(artifact ? { artifactId: artifact.artifactId } : {}),
        createdAt: new Date().toISOString(),
      };
      downloads.push(record);
      return record;
    } catch (error) {
      log.warn({ err: error, url: download.url() }, 'browser: download failed');
      return undefined;
    }
  }

  function attach(page: Page): void {
    if (pages.includes(page)) return;
    pages.push(page);
    const state = stateOf(page);
    page.on('request', (request) => {
      state.requests.set(request, Date.now());
      if (request.isNavigationRequest() && request.frame() === page.mainFrame()) state.navRequests.add(request);
    });
    const changed = () => {
      for (const waiter of state.changeWaiters) waiter();
    };
    const done = (request: Request) => {
      state.requests.delete(request);
      state.navRequests.delete(request);
      changed();
    };
    page.on('requestfinished', done);
    page.on('requestfailed', done);
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) {
        state.navigations += 1;
        changed();
      }
    });
    page.on('dialog', (dialog) => {
      if (options.dialogs === 'accept') {
        dialog.accept().catch(() => {});
        return;
      }
      if (options.dialogs === 'dismiss' || dialog.type() === 'beforeunload') {
        dialog.dismiss().catch(() => {});
        return;
      }
      state.dialogs.push(dialog);
      for (const waiter of state.dialogWaiters) waiter(dialog);
    });
    page.on('download', (download) => {
      const task = saveDownload(download);
      downloadOf.set(download, task);
      downloadTasks.push(task);
    });
    page.on('console', (message) => {
      if (consoleLines.length < 5000) consoleLines.push(`${new Date().toISOString()} ${message.type()} ${message.text().slice(0, 2000)}`);
    });
    page.on('pageerror', (error) => {
      if (consoleLines.length < 5000) consoleLines.push(`${new Date().toISOString()} pageerror ${error.message.slice(0, 2000)}`);
    });
    page.on('close', () => {
      changed();
      const index = pages.indexOf(page);
      if (index >= 0) pages.splice(index, 1);
      if (active === page) active = pages[pages.length - 1];
    });
  }

  context.on('page', attach);
  for (const page of context.pages()) attach(page);
  // Documents from now on record when scripts last changed them (see mutationTracker).
  await context.addInitScript(mutationTracker);
  if (options.trace) {
    try {
      await context.tracing.start({ screenshots: true, snapshots: true, sources: false, title: options.runId });
    } catch (error) {
      log.warn({ err: error }, 'browser: could not start tracing; continuing without a trace');
    }
  }
  active = pages[0] ?? (await context.newPage());
  attach(active);

  const activePage = (): Page => {
    if (!active || active.isClosed()) {
      throw new PetrelError('BROWSER_ERROR', 'browser.act: the run context has no open tab', { nonRetryable: true });
    }
    return active;
  };

  const tabs = (): ObservedTab[] => pages.map((page, index) => ({ index, url: page.url(), title: '', active: page === active }));

  async function tabsWithTitles(): Promise<ObservedTab[]> {
    return Promise.all(
      pages.map(async (page, index) => ({
        index,
        url: page.url(),
        title: stateOf(page).dialogs.length > 0 ? '' : await withTimeout(page.title(), 1000, 'title').catch(() => ''),
        active: page === active,
      })),
    );
  }

  async function framePathOf(page: Page, frame: Frame): Promise<FrameHop[]> {
    if (frame === page.mainFrame()) return [];
    const cached = framePaths.get(frame);
    if (cached) return cached;
    const parent = frame.parentFrame();
    if (!parent) return [];
    const parentPath = await framePathOf(page, parent);
    const handle = await frame.frameElement();
    let hop: FrameHop;
    try {
      hop = await handle.evaluate<FrameHop>((node) => {
        const el = node as Element;
        const tag = el.localName;
        const id = el.getAttribute('id');
        const name = el.getAttribute('name');
        const title = el.getAttribute('title');
        const src = el.getAttribute('src');
        const root = el.getRootNode() as Document | ShadowRoot;
        const unique = (selector: string) => {
          try {
            return root.querySelectorAll(selector).length === 1;
          } catch {
            return false;
          }
        };
        // oxlint-disable-next-line unicorn/consistent-function-scoping -- this function runs in the page
        const q = (v: string) => JSON.stringify(v);
        let selector = '';
        if (id && unique(`#${CSS.escape(id)}`)) selector = `#${CSS.escape(id)}`;
        else if (name && unique(`${tag}[name=${q(name)}]`)) selector = `${tag}[name=${q(name)}]`;
        else if (title && unique(`${tag}[title=${q(title)}]`)) selector = `${tag}[title=${q(title)}]`;
        else if (src && unique(`${tag}[src=${q(src)}]`)) selector = `${tag}[src=${q(src)}]`;
        else {
          const all = Array.from(root.querySelectorAll(tag));
          selector = `${tag} >> nth=${all.indexOf(el)}`;
        }
        return { selector, ...(name ? { name } : {}), ...(src ? { src } : {}) };
      });
    } finally {
      void handle.dispose().catch(() => {});
    }
    const path = [...parentPath, hop];
    framePaths.set(frame, path);
    return path;
  }

  /** Waits for navigation, network and DOM to be quiet after an action, up to the settle cap. */
  /**
   * Waits (up to `capMs`) until the page has no pending navigation, no busy requests and a quiet DOM.
   * Returns whether the page tried to open a new tab meanwhile, so the caller can wait for that tab.
   */
  async function settle(page: Page, frame: Frame, navigationsBefore: number, capMs: number): Promise<{ popup: boolean }> {
    const deadline = Date.now() + capMs;
    let popup = false;
    const state = stateOf(page);
    const busy = () => {
      const now = Date.now();
      for (const [request, started] of state.requests) {
        if (!LONG_LIVED.has(request.resourceType()) && now - started < 10_000) return true;
      }
      return false;
    };
    await waitUntil(state, () => state.navRequests.size === 0 || page.isClosed(), deadline);
    if (page.isClosed()) return { popup };
    const navigated = state.navigations !== navigationsBefore;
    if (navigated) await page.waitForLoadState('domcontentloaded', { timeout: Math.max(1, deadline - Date.now()) }).catch(() => {});
    for (let round = 0; round < 10 && Date.now() < deadline; round++) {
      // Requests older than 10 s stop counting without an event, so re-check at least that often.
      await waitUntil(state, () => !busy() || page.isClosed(), Math.min(deadline, Date.now() + 10_000));
      if (page.isClosed() || state.dialogs.length > 0) return { popup };
      const target = navigated || frame.isDetached() ? page.mainFrame() : frame;
      const remaining = Math.max(1, deadline - Date.now());
      try {
        const waited = await callPage<{ quiet: boolean; popup: boolean } | null>(target, { op: 'settleWait', quietMs: options.settle.quietMs, capMs: remaining }, remaining + 500);
        popup ||= waited?.popup === true;
      } catch {
        // The document was replaced while waiting (a late navigation): wait for the new one.
        await page.waitForLoadState('domcontentloaded', { timeout: Math.max(1, deadline - Date.now()) }).catch(() => {});
        continue;
      }
      if (!busy() && state.navRequests.size === 0) return { popup };
    }
    return { popup };
  }

  /** Resolves when a page not in `before` has been attached to the context, or at the deadline. */
  function waitForNewPage(before: Set<Page>, deadline: number): Promise<void> {
    if (pages.some((p) => !before.has(p))) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        context.off('page', finish);
        resolve();
      };
      const timer = setTimeout(finish, Math.max(0, deadline - Date.now()));
      // `attach` (registered first) has already added the page when this listener runs.
      context.on('page', finish);
    });
  }

  /** Runs `work`; if the page opens a dialog first, returns that dialog instead (the work stays blocked until it is handled). */
  async function guardDialog<T>(page: Page, work: () => Promise<T>): Promise<{ value?: T; dialog?: Dialog }> {
    const state = stateOf(page);
    let onDialog: ((dialog: Dialog) => void) | undefined;
    const opened = new Promise<Dialog>((resolve) => {
      onDialog = resolve;
      state.dialogWaiters.add(resolve);
    });
    const running = work();
    running.catch(() => {});
    try {
      const winner = await Promise.race([running.then((result) => ({ value: result })), opened.then((dialog) => ({ dialog }))]);
      return winner;
    } finally {
      if (onDialog) state.dialogWaiters.delete(onDialog);
    }
  }

  type Target = { locator: Locator; frame: Frame | undefined; tag: string; role: string };

  /** Executes one action on the page (shared by `act` and `replay`). */
  async function perform(page: Page, action: ReplayAction, target: Target | undefined, timeoutMs: number, signal: AbortSignal | undefined): Promise<{ value?: string; download?: DownloadRecord }> {
    const base = { timeout: timeoutMs, ...(signal ? { signal } : {}) };
    const need = (): Target => {
      if (!target) throw new PetrelError('VALIDATION_FAILED', `browser.${action.type}: an element is required`, { details: { field: 'elementId' } });
      return target;
    };
    switch (action.type) {
      case 'click': {
        const t = need();
        const clickOptions = { ...base, ...(action.button ? { button: action.button } : {}), ...(action.modifiers ? { modifiers: action.modifiers } : {}) };
        await clickWithFallback(t.locator, (force) => (action.double ? t.locator.dblclick({ ...clickOptions, force }) : t.locator.click({ ...clickOptions, force })));
        return {};
      }
      case 'input_text': {
        const t = need();
        if (action.clear === false) {
          await t.locator.focus(base);
          await t.locator.press('End', base);
          await t.locator.pressSequentially(action.text, base);
        } else {
          await t.locator.fill(action.text, base);
        }
        if (action.pressEnter) await t.locator.press('Enter', base);
        return {};
      }
      case 'select_option': {
        const t = need();
        if (t.tag === 'select') {
          await t.locator.selectOption(action.option, base);
          return {};
        }
        if (t.tag === 'input' || t.role === 'combobox' && t.tag !== 'div' && t.tag !== 'button') {
          // An autocomplete field: type, then pick the suggestion.
          await t.locator.fill(action.option, base);
        } else {
          await clickWithFallback(t.locator, (force) => t.locator.click({ ...base, force }));
        }
        await pickCustomOption(page, t.frame, action.option, timeoutMs);
        return {};
      }
      case 'check':
      case 'uncheck': {
        const t = need();
        const wanted = action.type === 'check';
        try {
          await (wanted ? t.locator.check(base) : t.locator.uncheck(base));
        } catch (error) {
          const message = error instanceof Error ? error.message : '';
          if (!/intercepts pointer events|not visible|Timeout/i.test(message)) throw error;
          await (wanted ? t.locator.check({ ...base, force: true }) : t.locator.uncheck({ ...base, force: true }));
        }
        return {};
      }
      case 'upload_file': {
        const t = need();
        const isFileInput = t.tag === 'input' && (await t.locator.getAttribute('type', base)) === 'file';
        if (isFileInput) {
          await t.locator.setInputFiles(action.files, base);
        } else {
          const [chooser] = await Promise.all([page.waitForEvent('filechooser', base), t.locator.click(base)]);
          await chooser.setFiles(action.files, base);
        }
        return {};
      }
      case 'download': {
        const t = need();
        const wait = action.timeoutMs ?? timeoutMs;
        const started = page.waitForEvent('download', { timeout: wait, ...(signal ? { signal } : {}) });
        started.catch(() => {});
        await clickWithFallback(t.locator, (force) => t.locator.click({ ...base, force }));
        const download = await started;
        const record = await (downloadOf.get(download) ?? saveDownload(download));
        if (!record) throw new PetrelError('ACTION_FAILED', 'browser.download: the download failed', { details: { url: download.url() } });
        return { download: record };
      }
      case 'keypress':
        if (target) await target.locator.press(action.keys, base);
        else await page.keyboard.press(action.keys);
        return {};
      case 'scroll': {
        if (action.text) {
          for (const frame of page.frames()) {
            if (await callPage<boolean>(frame, { op: 'scrollToText', text: action.text }, timeoutMs).catch(() => false)) return {};
          }
          throw new PetrelError('ELEMENT_NOT_FOUND', 'browser.scroll: that text is not on the page');
        }
        const amount = action.pages ?? 1;
        if (target && !action.direction) {
          await target.locator.scrollIntoViewIfNeeded(base);
          return {};
        }
        const direction = action.direction ?? 'down';
        if (target) {
          const box = await target.locator.evaluate((el) => [el.clientWidth, el.clientHeight] as const, undefined, base);
          const dx = direction === 'left' ? -box[0] * amount : direction === 'right' ? box[0] * amount : 0;
          const dy = direction === 'up' ? -box[1] * amount : direction === 'down' ? box[1] * amount : 0;
          await target.locator.evaluate((el, [x, y]) => el.scrollBy({ left: x, top: y, behavior: 'instant' }), [dx, dy] as const, base);
          return {};
        }
        const viewport = page.viewportSize() ?? { width: 1280, height: 720 };
        const dx = direction === 'left' ? -viewport.width * amount : direction === 'right' ? viewport.width * amount : 0;
        const dy = direction === 'up' ? -viewport.height * 0.85 * amount : direction === 'down' ? viewport.height * 0.85 * amount : 0;
        await callPage(page.mainFrame(), { op: 'scrollPage', dx: Math.round(dx), dy: Math.round(dy) }, timeoutMs);
        return {};
      }
      case 'hover':
        await need().locator.hover(base);
        return {};
      case 'goto_url': {
        let url: URL;
        try {
          url = new URL(action.url, page.url() === 'about:blank' ? undefined : page.url());
        } catch {
          throw new PetrelError('VALIDATION_FAILED', 'browser.goto_url: not a URL', { details: { field: 'url' } });
        }
        if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.href !== 'about:blank') {
          throw new PetrelError('VALIDATION_FAILED', 'browser.goto_url: only http(s) URLs can be opened', { details: { field: 'url' } });
        }
        await page.goto(url.href, { waitUntil: 'domcontentloaded', timeout: Math.max(timeoutMs, options.navigationTimeoutMs) });
        return {};
      }
      case 'go_back':
        await page.goBack({ waitUntil: 'domcontentloaded', timeout: Math.max(timeoutMs, options.navigationTimeoutMs) });
        return {};
      case 'go_forward':
        await page.goForward({ waitUntil: 'domcontentloaded', timeout: Math.max(timeoutMs, options.navigationTimeoutMs) });
        return {};
      case 'reload':
        await page.reload({ waitUntil: 'domcontentloaded', timeout: Math.max(timeoutMs, options.navigationTimeoutMs) });
        return {};
      case 'wait': {
        if (action.ms !== undefined) {
          await sleep(Math.min(action.ms, 60_000));
          return {};
        }
        if (action.text) {
          const deadline = Date.now() + (action.timeoutMs ?? timeoutMs);
          for (;;) {
            for (const frame of page.frames()) {
              if (await callPage<boolean>(frame, { op: 'textVisible', text: action.text }, 2000).catch(() => false)) return {};
            }
            if (Date.now() >= deadline) throw new PetrelError('TIMEOUT', 'browser.wait: the text did not appear in time');
            await sleep(100);
          }
        }
        return {};
      }
      case 'new_tab': {
        const created = await context.newPage();
        attach(created);
        active = created;
        if (action.url) await perform(created, { type: 'goto_url', url: action.url }, undefined, timeoutMs, signal);
        return {};
      }
      case 'switch_tab': {
        const next = pages[action.index];
        if (!next) throw new PetrelError('VALIDATION_FAILED', `browser.switch_tab: there is no tab ${action.index}`, { details: { field: 'index', tabs: pages.length } });
        active = next;
        await next.bringToFront().catch(() => {});
        return {};
      }
      case 'close_tab': {
        const victim = action.index === undefined ? page : pages[action.index];
        if (!victim) throw new PetrelError('VALIDATION_FAILED', `browser.close_tab: there is no tab ${action.index}`, { details: { field: 'index', tabs: pages.length } });
        await victim.close();
        if (pages.length === 0) {
          active = await context.newPage();
          attach(active);
        } else if (active === victim || !active || active.isClosed()) {
          active = pages[pages.length - 1];
        }
        return {};
      }
      case 'accept_dialog':
      case 'dismiss_dialog': {
        const dialog = stateOf(page).dialogs.shift();
        if (!dialog) throw new PetrelError('INVALID_TRANSITION', `browser.${action.type}: no dialog is open`);
        if (action.type === 'accept_dialog') await dialog.accept(action.promptText);
        else await dialog.dismiss();
        return {};
      }
      case 'read_text': {
        const frame = target?.frame ?? page.mainFrame();
        const value = target ? await target.locator.innerText(base) : await callPage<string | null>(frame, { op: 'readText', max: 100_000 }, timeoutMs);
        return { value: (value ?? '').slice(0, 100_000) };
      }
      case 'read_html': {
        const value = target
          ? await target.locator.evaluate((el) => el.outerHTML.replace(/ data-petrel-id="[^"]*"/g, ''), undefined, base)
          : await callPage<string | null>(page.mainFrame(), { op: 'readHtml', max: 2_000_000 }, timeoutMs);
        return { value: (value ?? '').slice(0, 2_000_000) };
      }
      default: {
        const unreachable: never = action;
        throw new PetrelError('VALIDATION_FAILED', `browser.act: unknown action ${JSON.stringify(unreachable)}`);
      }
    }
  }

  async function screenshotArtifact(page: Page, type: 'screenshot_action' | 'screenshot_final'): Promise<ArtifactRecord | undefined> {
    if (page.isClosed() || stateOf(page).dialogs.length > 0) return undefined;
    const format = options.screenshotFormat;
    return recorder.record(
      type,
      () => page.screenshot({ type: format, timeout: 5000, ...(format === 'jpeg' ? { quality: 80 } : {}) }),
      { contentType: format === 'jpeg' ? 'image/jpeg' : 'image/png' },
    );
  }

  /** Runs an action (by id or replayed), then settles and collects what changed. */
  async function run(
    action: ReplayAction,
    descriptor: ReplayDescriptor,
    resolveTarget: (page: Page) => Promise<{ target: Target | undefined; frame: Frame; matched?: SelectorCandidate; replay?: ReplayDescriptor }>,
    actOptions: ActOptions,
  ): Promise<ActionResult> {
    const started = performance.now();
    const timeoutMs = actOptions.timeoutMs ?? options.actionTimeoutMs;
    const changed: ActionChanges = { navigated: false };
    let replay = descriptor;
    let matched: SelectorCandidate | undefined;
    const finish = (extra: Partial<ActionResult>): ActionResult => ({
      ok: true,
      changed,
      replay,
      ...(matched ? { matchedSelector: matched } : {}),
      ...extra,
      durationMs: Math.round(performance.now() - started),
    });
    if (closed) return finish({ ok: false, error: { code: 'INVALID_TRANSITION', message: `browser.${action.type}: the run context is closed` } });
    let page: Page;
    try {
      page = activePage();
    } catch (error) {
      return finish({ ok: false, error: errorOf(error) });
    }
    const state = stateOf(page);
    const urlBefore = page.url();
    const navigationsBefore = state.navigations;
    const pagesBefore = new Set(pages);
    const downloadsBefore = downloadTasks.length;
    let readValue: string | undefined;
    try {
      if (actOptions.signal?.aborted) throw new PetrelError('CANCELED', `browser.${action.type}: aborted`);
      if (state.dialogs.length > 0 && action.type !== 'accept_dialog' && action.type !== 'dismiss_dialog' && action.type !== 'switch_tab' && action.type !== 'close_tab' && action.type !== 'new_tab') {
        throw new PetrelError('INVALID_TRANSITION', `browser.${action.type}: a dialog is open; accept or dismiss it first`);
      }
      const resolved = await resolveTarget(page);
      if (resolved.replay) replay = resolved.replay;
      matched = resolved.matched;
      const outcome = await guardDialog(page, () => perform(page, action, resolved.target, timeoutMs, actOptions.signal));
      if (outcome.dialog) {
        changed.dialog = dialogInfo(outcome.dialog);
      } else {
        readValue = outcome.value?.value;
        if (outcome.value?.download) changed.download = outcome.value.download;
        const current = active && !active.isClosed() ? active : page;
        if (current === page) {
          const settled = await settle(page, resolved.frame, navigationsBefore, options.settle.capMs);
          // The browser announces a tab the page opened some time after the click returns.
          if (settled.popup) await waitForNewPage(pagesBefore, Date.now() + options.settle.capMs);
        }
      }
      // A tab the action opened becomes the active one, once its document is there.
      const opened = pages.find((p) => !pagesBefore.has(p));
      if (opened && action.type !== 'new_tab') {
        active = opened;
        await opened.waitForLoadState('domcontentloaded', { timeout: options.settle.capMs }).catch(() => {});
        changed.newTab = { index: pages.indexOf(opened), url: opened.url() };
      } else if (opened) {
        changed.newTab = { index: pages.indexOf(opened), url: opened.url() };
      }
      if (!changed.download && downloadTasks.length > downloadsBefore) {
        const record = await withTimeout(downloadTasks[downloadsBefore] as Promise<DownloadRecord | undefined>, 30_000, 'download').catch(() => undefined);
        if (record) changed.download = record;
      }
      const after = active && !active.isClosed() ? active : page;
      if (after === page) {
        changed.navigated = state.navigations !== navigationsBefore;
        if (page.url() !== urlBefore) changed.url = page.url();
      } else {
        changed.navigated = true;
        changed.url = after.url();
      }
      const shot = options.screenshots === 'action' && !changed.dialog ? await screenshotArtifact(after, 'screenshot_action') : undefined;
      return finish({ ...(readValue !== undefined ? { value: readValue } : {}), ...(shot ? { screenshot: shot } : {}) });
    } catch (error) {
      const failure = errorOf(error);
      log.debug({ action: action.type, code: failure.code }, 'browser: action failed');
      if (!page.isClosed()) {
        changed.navigated = state.navigations !== navigationsBefore;
        if (page.url() !== urlBefore) changed.url = page.url();
      }
      const shot = options.screenshots === 'action' && !page.isClosed() && state.dialogs.length === 0 ? await screenshotArtifact(page, 'screenshot_action') : undefined;
      return finish({ ok: false, error: failure, ...(shot ? { screenshot: shot } : {}) });
    }
  }

  function targetOf(ref: ElementRef): Target {
    return { locator: observer.locatorOf(ref), frame: ref.frame, tag: ref.element.tag, role: ref.element.role };
  }

  const runContext: RunContext = {
    runId: options.runId,
    context,
    get page() {
      return activePage();
    },
    downloadsDir: init.downloadsDir,
    artifacts: recorder.records,
    downloads,
    get closed() {
      return closed;
    },
    tabs,
    redact(value: string) {
      if (typeof value === 'string' && value.length > 0) secrets.add(value);
    },
    pendingDialogs() {
      return active ? stateOf(active).dialogs.map(dialogInfo) : [];
    },

    async observe(observeOptions = {}) {
      if (closed) throw new PetrelError('INVALID_TRANSITION', 'browser.observe: the run context is closed');
      const page = activePage();
      const dialogs = stateOf(page).dialogs.map(dialogInfo);
      return observer.observe(page, { tabs: await tabsWithTitles(), dialogs }, observeOptions);
    },

    locator(elementId: string) {
      const ref = observer.findElement(elementId);
      if (!ref) throw new PetrelError('ELEMENT_NOT_FOUND', `browser.locator: no element ${elementId} in the current page; observe again`, { details: { elementId } });
      return observer.locatorOf(ref);
    },

    async act(action, actOptions = {}) {
      const parsed = browserActionSchema.safeParse(action);
      if (!parsed.success) {
        throw new PetrelError('VALIDATION_FAILED', `browser.act: invalid action: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'action'}: ${i.message}`).join('; ')}`, {
          details: { issues: parsed.error.issues },
        });
      }
      const a = parsed.data;
      if (a.type === 'input_text' && a.sensitive && a.text) secrets.add(a.text);
      const base: ReplayDescriptor = { version: 1, action: stripForReplay(a), tab: active ? pages.indexOf(active) : 0, url: active?.url() ?? '' };
      const elementId = 'elementId' in a ? a.elementId : undefined;
      return run(
        a,
        base,
        async (page) => {
          if (!elementId) {
            if (ELEMENT_ACTIONS.has(a.type)) throw new PetrelError('VALIDATION_FAILED', `browser.${a.type}: elementId is required`, { details: { field: 'elementId' } });
            if (a.type === 'keypress' || a.type === 'scroll' || a.type === 'wait' || a.type === 'read_text') {
              await callPage(page.mainFrame(), { op: 'settleStart' }, 2000).catch(() => {});
            }
            return { target: undefined, frame: page.mainFrame() };
          }
          const ref = observer.findElement(elementId);
          if (!ref) throw new PetrelError('ELEMENT_NOT_FOUND', `browser.${a.type}: no element ${elementId} in the current page; observe again`, { details: { elementId } });
          if (ref.page !== page) throw new PetrelError('ELEMENT_NOT_FOUND', `browser.${a.type}: element ${elementId} is in another tab; switch_tab first`, { details: { elementId } });
          const [described, framePath] = await Promise.all([
            callPage<DescribedElement | null>(ref.frame, { op: 'describe', ref: ref.ref, settle: true }, options.actionTimeoutMs),
            framePathOf(page, ref.frame),
          ]);
          if (!described) throw new PetrelError('ELEMENT_NOT_FOUND', `browser.${a.type}: element ${elementId} is gone from the page; observe again`, { details: { elementId } });
          const replay: ReplayDescriptor = {
            ...base,
            target: { framePath, selectors: rankCandidates(described), tag: described.tag, role: described.role, name: described.name },
          };
          return { target: targetOf(ref), frame: ref.frame, replay };
        },
        actOptions,
      );
    },

    async replay(descriptor, replayOptions = {}) {
      if (descriptor?.version !== 1 || typeof descriptor.action?.type !== 'string') {
        throw new PetrelError('VALIDATION_FAILED', 'browser.replay: not a replay descriptor (version 1)', { details: { field: 'descriptor' } });
      }
      let action = descriptor.action;
      if (action.type === 'input_text' && action.sensitive) {
        if (replayOptions.text === undefined) {
          throw new PetrelError('VALIDATION_FAILED', 'browser.replay: this input_text was recorded as sensitive; pass its text', { details: { field: 'text' } });
        }
        action = { ...action, text: replayOptions.text };
        if (replayOptions.text) secrets.add(replayOptions.text);
      }
      const timeoutMs = replayOptions.timeoutMs ?? options.actionTimeoutMs;
      return run(
        action,
        descriptor,
        async (page) => {
          await callPage(page.mainFrame(), { op: 'settleStart' }, 2000).catch(() => {});
          if (!descriptor.target) return { target: undefined, frame: page.mainFrame() };
          const found = await locateTarget(page, descriptor.target, { timeoutMs, ...(replayOptions.signal ? { signal: replayOptions.signal } : {}) });
          if (!found) {
            throw new PetrelError('ELEMENT_NOT_FOUND', `browser.replay: none of the ${descriptor.target.selectors.length} recorded selectors matches one element`, {
              details: { name: descriptor.target.name, role: descriptor.target.role },
            });
          }
          let frame = page.mainFrame();
          if (descriptor.target.framePath.length > 0) {
            const handle = await found.locator.elementHandle({ timeout: timeoutMs });
            frame = (await handle?.ownerFrame()) ?? frame;
            void handle?.dispose().catch(() => {});
          }
          return {
            target: { locator: found.locator, frame, tag: descriptor.target.tag, role: descriptor.target.role },
            frame,
            matched: found.candidate,
          };
        },
        replayOptions,
      );
    },

    async storageState(stateOptions = {}) {
      if (stateOptions.signal?.aborted) throw new PetrelError('CANCELED', 'browser.storageState: aborted');
      return context.storageState({ indexedDB: true });
    },

    async sessionStorage() {
      const out: Record<string, Record<string, string>> = {};
      await Promise.all(
        pages.map(async (page) => {
          if (stateOf(page).dialogs.length > 0) return;
          try {
            const [origin, items] = await withTimeout(
              page.evaluate(() => {
                const entries: Record<string, string> = {};
                for (let i = 0; i < sessionStorage.length; i++) {
                  const key = sessionStorage.key(i);
                  if (key !== null) entries[key] = sessionStorage.getItem(key) ?? '';
                }
                return [location.origin, entries] as const;
              }),
              2000,
              'sessionStorage',
            );
            if (origin !== 'null' && Object.keys(items).length > 0) out[origin] = { ...out[origin], ...items };
          } catch {
            // A tab without a readable document has no sessionStorage to keep.
          }
        }),
      );
      return out;
    },

    recordArtifact(type, body, recordOptions) {
      return recorder.record(type, typeof body === 'string' ? redact(body) : body, recordOptions);
    },

    async screenshot(shotOptions = {}) {
      return activePage().screenshot({ fullPage: shotOptions.fullPage ?? false, timeout: 10_000 });
    },

    close(closeOptions = {}) {
      closing ??= (async () => {
        closed = true;
        const page = active && !active.isClosed() ? active : undefined;
        try {
          await withTimeout(Promise.allSettled(downloadTasks), 30_000, 'downloads').catch(() => {});
          if (page && options.screenshots !== 'off') await screenshotArtifact(page, 'screenshot_final');
          if (page && options.html && stateOf(page).dialogs.length === 0) {
            await recorder.record('html', async () => redact(await withTimeout(page.content(), 5000, 'html')), { contentType: 'text/html; charset=utf-8', name: 'page.html' });
          }
          if (consoleLines.length > 0) {
            await recorder.record('console_log', redact(consoleLines.join('\n') + '\n'), { contentType: 'text/plain; charset=utf-8', name: 'console.log' });
          }
          if (options.trace) {
            const dir = await mkdtemp(join(tmpdir(), 'petrel-trace-'));
            try {
              const path = join(dir, 'trace.zip');
              await withTimeout(context.tracing.stop({ path }), 30_000, 'trace');
              const body = secrets.size === 0 ? () => Promise.resolve(createReadStream(path)) : async () => redactZip(await readFile(path), [...secrets]).data;
              await recorder.record('trace', body, { contentType: 'application/zip', name: 'trace.zip' });
            } catch (error) {
              log.warn({ err: error }, 'browser: could not save the trace');
            } finally {
              await rm(dir, { recursive: true, force: true });
            }
          }
          const videos = init.video ? pages.map((p) => p.video()).filter((v) => v !== null) : [];
          if (init.ownsContext) {
            await withTimeout(context.close(), 30_000, 'context.close').catch((error: unknown) => log.warn({ err: error }, 'browser: context close failed'));
          }
          for (const video of videos) {
            try {
              const path = await withTimeout(video.path(), 10_000, 'video');
              await recorder.record('recording', () => Promise.resolve(createReadStream(path)), { contentType: 'video/webm', name: 'recording.webm' });
            } catch (error) {
              log.warn({ err: error }, 'browser: could not save the video');
            }
          }
          if (closeOptions.signal?.aborted) log.debug({}, 'browser: close was aborted; finished the essential steps');
        } finally {
          if (init.videoDir) await rm(init.videoDir, { recursive: true, force: true }).catch(() => {});
          await init.onClose().catch((error: unknown) => log.warn({ err: error }, 'browser: releasing the context failed'));
        }
        return { runId: options.runId, artifacts: [...recorder.records], downloads: [...downloads], downloadsDir: init.downloadsDir };
      })();
      return closing;
    },

    async [Symbol.asyncDispose]() {
      await runContext.close();
    },
  };
  return runContext;
}
