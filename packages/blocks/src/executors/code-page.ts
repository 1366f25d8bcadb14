// The `page` object of the code block: a small, explicit set of async functions over the run's
// Playwright page, handed to the sandbox as host functions (JSON in, JSON out). Selectors are
// Playwright selectors (CSS, `text=…`, `role=…`). Every call has a time limit inside the sandbox's;
// the browser is opened on the first call only, so code that never touches `page` needs none.
import type { RunContext } from '@petrel/browser';
import { PetrelError } from '@petrel/protocol';
import type { SandboxHostFunction } from '../integrations/code-sandbox.ts';

/** The functions of `page`, by name. */
export const CODE_PAGE_FUNCTIONS = [
  'goto',
  'url',
  'title',
  'content',
  'text',
  'texts',
  'attribute',
  'count',
  'click',
  'fill',
  'press',
  'select',
  'check',
  'uncheck',
  'waitFor',
  'download',
  'screenshot',
] as const;

/** Options of `createCodePageFunctions`. */
export type CodePageOptions = {
  /** Opens (or returns) the run's browser. */
  browser: () => Promise<RunContext>;
  /** Default time limit of one call; default 30 000 ms. */
  timeoutMs?: number;
  /** True for values that are secrets of the run (typed values are then kept out of artifacts). */
  isSecret?: (value: string) => boolean;
};

type Options = { timeoutMs?: number; state?: string; fullPage?: boolean };

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new PetrelError('VALIDATION_FAILED', `page: ${what} must be a non-empty string`);
  return value;
}

function optionsOf(value: unknown): Options {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
}

/** Host functions `page.<name>` for `runSandboxedCode`. */
export function createCodePageFunctions(options: CodePageOptions): Record<string, SandboxHostFunction> {
  const defaultTimeout = options.timeoutMs ?? 30_000;
  let opened: Promise<RunContext> | undefined;
  const run = () => (opened ??= options.browser());
  const timeoutOf = (value: unknown) => {
    const requested = optionsOf(value).timeoutMs;
    return typeof requested === 'number' && Number.isFinite(requested) && requested > 0 ? Math.min(requested, 300_000) : defaultTimeout;
  };
  // Playwright's messages carry call logs and selectors; keep the first line.
  const wrap =
    (fn: (page: RunContext['page'], context: RunContext, args: unknown[]) => Promise<unknown>): SandboxHostFunction =>
    async (args, { signal }) => {
      const context = await run();
      if (signal.aborted) throw new PetrelError('CANCELED', 'page: the run was canceled');
      try {
        return await fn(context.page, context, args);
      } catch (error) {
        if (error instanceof PetrelError) throw error;
        const first = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'failed';
        throw new Error(first.replace(/^\w+\.\w+: /, ''), { cause: error });
      }
    };

  const functions: Record<(typeof CODE_PAGE_FUNCTIONS)[number], SandboxHostFunction> = {
    goto: wrap(async (page, _context, [url, opts]) => {
      const response = await page.goto(text(url, 'url'), { timeout: timeoutOf(opts), waitUntil: 'load' });
      return { url: page.url(), status: response?.status() ?? null };
    }),
    url: wrap(async (page) => page.url()),
    title: wrap(async (page) => page.title()),
    content: wrap(async (page) => page.content()),
    text: wrap(async (page, _context, [selector, opts]) =>
      selector === undefined || selector === null ? page.locator('body').innerText({ timeout: timeoutOf(opts) }) : page.locator(text(selector, 'selector')).first().innerText({ timeout: timeoutOf(opts) }),
    ),
    texts: wrap(async (page, _context, [selector]) => page.locator(text(selector, 'selector')).allInnerTexts()),
    attribute: wrap(async (page, _context, [selector, name, opts]) => page.locator(text(selector, 'selector')).first().getAttribute(text(name, 'name'), { timeout: timeoutOf(opts) })),
    count: wrap(async (page, _context, [selector]) => page.locator(text(selector, 'selector')).count()),
    click: wrap(async (page, _context, [selector, opts]) => {
      await page.locator(text(selector, 'selector')).first().click({ timeout: timeoutOf(opts) });
      await page.waitForLoadState('load', { timeout: timeoutOf(opts) }).catch(() => {});
      return { url: page.url() };
    }),
    fill: wrap(async (page, context, [selector, value, opts]) => {
      if (typeof value !== 'string') throw new PetrelError('VALIDATION_FAILED', 'page.fill: value must be a string');
      if (options.isSecret?.(value)) context.redact(value);
      await page.locator(text(selector, 'selector')).first().fill(value, { timeout: timeoutOf(opts) });
    }),
    press: wrap(async (page, _context, [selector, key, opts]) => {
      await page.locator(text(selector, 'selector')).first().press(text(key, 'key'), { timeout: timeoutOf(opts) });
      await page.waitForLoadState('load', { timeout: timeoutOf(opts) }).catch(() => {});
    }),
    select: wrap(async (page, _context, [selector, values, opts]) => {
      const list = Array.isArray(values) ? values.map((v) => text(v, 'value')) : [text(values, 'value')];
      return page.locator(text(selector, 'selector')).first().selectOption(list, { timeout: timeoutOf(opts) });
    }),
    check: wrap(async (page, _context, [selector, opts]) => {
      await page.locator(text(selector, 'selector')).first().check({ timeout: timeoutOf(opts) });
    }),
    uncheck: wrap(async (page, _context, [selector, opts]) => {
      await page.locator(text(selector, 'selector')).first().uncheck({ timeout: timeoutOf(opts) });
    }),
    waitFor: wrap(async (page, _context, [selector, opts]) => {
      const state = optionsOf(opts).state;
      const allowed = ['attached', 'detached', 'visible', 'hidden'] as const;
      const wanted = allowed.find((s) => s === state) ?? 'visible';
      await page.locator(text(selector, 'selector')).first().waitFor({ state: wanted, timeout: timeoutOf(opts) });
    }),
    download: wrap(async (page, context, [selector, opts]) => {
      const timeout = timeoutOf(opts);
      const before = context.downloads.length;
      const [download] = await Promise.all([page.waitForEvent('download', { timeout }), page.locator(text(selector, 'selector')).first().click({ timeout })]);
      // The run context saves every download itself (folder and artifact); wait for its record.
      const deadline = Date.now() + timeout;
      for (;;) {
        const record = context.downloads.slice(before).find((d) => d.url === download.url());
        if (record) return { file_name: record.fileName, file_path: `SKYVERN_DOWNLOAD_DIRECTORY/${record.fileName}`, size: record.size, sha256: record.sha256 };
        if (Date.now() > deadline) throw new Error(`the download from ${selector as string} was not saved within ${timeout} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }),
    screenshot: wrap(async (_page, context, [opts]) => {
      const png = await context.screenshot({ fullPage: optionsOf(opts).fullPage === true });
      const record = await context.recordArtifact('screenshot_action', png, { contentType: 'image/png', name: 'code-block-screenshot.png' });
      return { artifact_id: record?.artifactId ?? null, size: png.byteLength };
    }),
  };
  return Object.fromEntries(Object.entries(functions).map(([name, fn]) => [`page.${name}`, fn]));
}
