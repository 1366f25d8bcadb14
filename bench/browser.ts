// `npm run bench:browser [-- --quick] [-- --json]`: the browser runtime against the fixture portal.
// - observe_ms_p50_big / p95: repeated observations of /big (over 3,000 elements).
// - tokens_ratio_outerhtml / tokens_ratio_aria: tokens (o200k_base, one counter for all three) of our
//   compact text over the same page's outerHTML and Playwright's ariaSnapshot(), median over the
//   portal's pages, all taken from the same document in the same run.
// - action_overhead_ratio: a 20-action flow through `act()` over the same 20 actions written directly
//   in Playwright (locators + waitForURL), in alternating rounds; both without screenshots or trace.
//   Observations between our actions are not timed (the agent's LLM step sits there). Also reported:
//   with per-action screenshots, and replaying the recorded descriptors (code mode).
// - contexts_16_parallel_s: 16 runs of the act() flow at once (observations included), one pool.
// - rss_mb_per_context: Chromium memory (PSS when the kernel reports it) with 16 contexts open, minus
//   the idle browser, per context.
// Writes bench/results/browser.json; with --json prints that JSON as the last line.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startPortal, type Portal } from '@petrel/fixture-portal';
import {
  countTokens,
  createBrowserPool,
  createDiskBlobStore,
  findChromium,
  findMarkedProcesses,
  type BrowserAction,
  type BrowserPool,
  type Observation,
  type ReplayDescriptor,
  type RunContext,
} from '@petrel/browser';

const quick = process.argv.includes('--quick');
// `--flow-only`: just the action flow (for tuning); the other metrics are reported as null.
const flowOnly = process.argv.includes('--flow-only');
const json = process.argv.includes('--json');
const rounds = quick ? 2 : 5;
const observeRuns = quick ? 10 : 40;
const executablePath = process.env['PETREL_CHROMIUM_PATH'] ?? findChromium()?.path;
if (!executablePath) {
  console.error('bench: no Chromium found; run npm run setup');
  process.exit(1);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
};
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const log = (line: string) => {
  if (!json) console.error(line);
};

const work = await mkdtemp(join(tmpdir(), 'petrel-bench-'));
const portal: Portal = await startPortal({ cookieBanner: false });
const pool: BrowserPool = createBrowserPool({
  executablePath,
  maxContexts: 20,
  blobStore: createDiskBlobStore({ root: join(work, 'blobs') }),
  downloadsRoot: join(work, 'downloads'),
  contextDefaults: { trace: false, video: 'off', screenshots: 'off', html: false },
});

async function signedIn(): Promise<RunContext> {
  const ctx = await pool.newContext();
  await ctx.context.addCookies([portal.sessionCookie()]);
  return ctx;
}

// ---- observation speed on the big page ----
async function observeBig(): Promise<{ p50: number; p95: number; first: number; nodes: number; elements: number }> {
  await using ctx = await signedIn();
  await ctx.act({ type: 'goto_url', url: `${portal.url}/big` });
  const first = await ctx.observe();
  const times: number[] = [];
  let last: Observation = first;
  for (let i = 0; i < observeRuns; i++) {
    const started = performance.now();
    last = await ctx.observe();
    times.push(performance.now() - started);
  }
  return { p50: round(median(times), 1), p95: round(percentile(times, 95), 1), first: first.durationMs, nodes: last.nodeCount, elements: last.elements.length };
}

// ---- token ratios over the portal's pages ----
const TOKEN_PAGES = [
  '/login', '/dashboard', '/orders', '/orders/ORD-10001', '/account', '/documents', '/jobs', '/jobs/JOB-2001', '/reports',
  '/frames', '/shadow', '/dialogs', '/links', '/playground', '/help', '/big',
];

type TokenRow = { page: string; ours: number; outerHTML: number; aria: number; interactive: number; withId: number };

async function tokenRatios(): Promise<TokenRow[]> {
  const rows: TokenRow[] = [];
  await using signedOut = await pool.newContext();
  await using ctx = await signedIn();
  for (const path of TOKEN_PAGES) {
    const run = path === '/login' ? signedOut : ctx;
    await run.act({ type: 'goto_url', url: portal.url + path });
    // The same document for all three forms; outerHTML before our observer writes its attribute.
    const html = await run.page.evaluate(() => document.documentElement.outerHTML);
    const aria = await run.page.ariaSnapshot();
    const observation = await run.observe();
    const interactive = observation.elements.filter((e) => e.role !== 'iframe' && e.role !== 'scrollable');
    const withId = interactive.filter((e) => observation.text.includes(`[${e.id} `)).length;
    rows.push({
      page: path,
      ours: await countTokens(observation.text),
      outerHTML: await countTokens(html),
      aria: await countTokens(aria),
      interactive: interactive.length,
      withId,
    });
  }
  return rows;
}

// ---- the 20-action flow ----
type Find = (role: string, name: string | RegExp) => string;
type Step = { name: string; ours: (find: Find) => BrowserAction; direct: (page: Page) => Promise<unknown> };

function nav(page: Page, name: string) {
  return page.locator('nav').getByRole('link', { name, exact: true });
}

function flow(downloads: string): Step[] {
  return [
    { name: 'goto login', ours: () => ({ type: 'goto_url', url: `${portal.url}/login` }), direct: (p) => p.goto(`${portal.url}/login`) },
    { name: 'email', ours: (f) => ({ type: 'input_text', elementId: f('textbox', 'Email'), text: 'demo@petrel.test' }), direct: (p) => p.getByLabel('Email address').fill('demo@petrel.test') },
    { name: 'password', ours: (f) => ({ type: 'input_text', elementId: f('textbox', 'Password'), text: 'petrel-demo-2026', sensitive: true }), direct: (p) => p.getByLabel('Password', { exact: true }).fill('petrel-demo-2026') },
    {
      name: 'sign in',
      ours: (f) => ({ type: 'click', elementId: f('button', 'Sign in') }),
      direct: async (p) => {
        await p.getByRole('button', { name: 'Sign in' }).click();
        await p.waitForURL('**/login/totp');
      },
    },
    { name: 'code', ours: (f) => ({ type: 'input_text', elementId: f('textbox', 'Verification code'), text: portal.totp() }), direct: (p) => p.getByLabel('Verification code').fill(portal.totp()) },
    {
      name: 'verify',
      ours: (f) => ({ type: 'click', elementId: f('button', 'Verify') }),
      direct: async (p) => {
        await p.getByRole('button', { name: 'Verify' }).click();
        await p.waitForURL('**/dashboard');
      },
    },
    {
      name: 'orders',
      ours: (f) => ({ type: 'click', elementId: f('link', /^Orders$/) }),
      direct: async (p) => {
        await nav(p, 'Orders').click();
        await p.waitForURL('**/orders');
      },
    },
    { name: 'status', ours: (f) => ({ type: 'select_option', elementId: f('combobox', 'Status'), option: 'Shipped' }), direct: (p) => p.getByLabel('Status').selectOption({ label: 'Shipped' }) },
    {
      name: 'filter',
      ours: (f) => ({ type: 'click', elementId: f('button', 'Filter') }),
      direct: async (p) => {
        await p.getByRole('button', { name: 'Filter' }).click();
        await p.waitForURL(/status=shipped/);
      },
    },
    {
      name: 'open order',
      ours: (f) => ({ type: 'click', elementId: f('link', /^ORD-/) }),
      direct: async (p) => {
        await p.getByRole('link', { name: /^ORD-/ }).first().click();
        await p.waitForURL(/\/orders\/ORD-/);
      },
    },
    {
      name: 'download',
      ours: (f) => ({ type: 'download', elementId: f('link', 'Download invoice') }),
      direct: async (p) => {
        const [download] = await Promise.all([p.waitForEvent('download'), p.getByRole('link', { name: 'Download invoice' }).click()]);
        await download.saveAs(join(downloads, `${Math.random().toString(36).slice(2)}-${download.suggestedFilename()}`));
      },
    },
    { name: 'back', ours: () => ({ type: 'go_back' }), direct: (p) => p.goBack() },
    {
      name: 'account',
      ours: (f) => ({ type: 'click', elementId: f('link', /^Account$/) }),
      direct: async (p) => {
        await nav(p, 'Account').click();
        await p.waitForURL('**/account');
      },
    },
    { name: 'phone', ours: (f) => ({ type: 'input_text', elementId: f('textbox', 'Phone'), text: '+49 30 1234' }), direct: (p) => p.getByLabel('Phone', { exact: true }).fill('+49 30 1234') },
    { name: 'country', ours: (f) => ({ type: 'select_option', elementId: f('combobox', 'Country'), option: 'Germany' }), direct: (p) => p.getByLabel('Country').selectOption({ label: 'Germany' }) },
    { name: 'newsletter', ours: (f) => ({ type: 'check', elementId: f('checkbox', 'newsletter') }), direct: (p) => p.getByLabel('Send me the monthly newsletter').check() },
    { name: 'contact', ours: (f) => ({ type: 'check', elementId: f('radio', 'Text message') }), direct: (p) => p.getByLabel('Text message').check() },
    {
      name: 'save',
      ours: (f) => ({ type: 'click', elementId: f('button', 'Save changes') }),
      direct: async (p) => {
        await p.getByRole('button', { name: 'Save changes' }).click();
        await p.getByTestId('account-saved').waitFor();
      },
    },
    { name: 'dashboard', ours: () => ({ type: 'goto_url', url: `${portal.url}/dashboard` }), direct: (p) => p.goto(`${portal.url}/dashboard`) },
    {
      name: 'sign out',
      ours: (f) => ({ type: 'click', elementId: f('button', 'Sign out') }),
      direct: async (p) => {
        await p.getByRole('button', { name: 'Sign out' }).click();
        await p.waitForURL(/\/login\?signedOut=1$/);
      },
    },
  ];
}

/** Runs the flow through act(); returns the time spent in act() and the descriptors. */
async function runOurs(ctx: RunContext, steps: Step[]): Promise<{ actMs: number; totalMs: number; descriptors: ReplayDescriptor[]; stepMs: number[] }> {
  let observation: Observation | undefined;
  let actMs = 0;
  const stepMs: number[] = [];
  const descriptors: ReplayDescriptor[] = [];
  const started = performance.now();
  for (const step of steps) {
    // Called once with a placeholder to learn whether the step needs an element id.
    let action = step.ours(() => 'e0');
    if ('elementId' in action) {
      observation ??= await ctx.observe();
      const current = observation;
      action = step.ours((role, name) => {
        const found = current.elements.find((e) => e.role === role && (typeof name === 'string' ? e.name.includes(name) : name.test(e.name)));
        if (!found) throw new Error(`bench: step ${step.name}: no ${role} ${String(name)}`);
        return found.id;
      });
    }
    const t = performance.now();
    const result = await ctx.act(action);
    stepMs.push(performance.now() - t);
    actMs += performance.now() - t;
    if (!result.ok) throw new Error(`bench: step ${step.name} failed: ${result.error?.message}`);
    descriptors.push(result.replay);
    if (result.changed.navigated || result.changed.newTab || action.type === 'select_option' || action.type === 'click') observation = undefined;
  }
  return { actMs, totalMs: performance.now() - started, descriptors, stepMs };
}

async function runDirect(browser: Browser, steps: Step[], stepMs: number[] = []): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, acceptDownloads: true });
  try {
    const page = await context.newPage();
    const started = performance.now();
    for (const step of steps) {
      const t = performance.now();
      await step.direct(page);
      stepMs.push(performance.now() - t);
    }
    return performance.now() - started;
  } finally {
    await context.close();
  }
}

async function runReplay(descriptors: ReplayDescriptor[]): Promise<number> {
  await using ctx = await pool.newContext();
  const started = performance.now();
  for (const descriptor of descriptors) {
    if (descriptor.target?.name === 'Verification code') {
      const result = await ctx.replay({ ...descriptor, action: { type: 'input_text', text: portal.totp() } });
      if (!result.ok) throw new Error(`bench: replay failed: ${result.error?.message}`);
      continue;
    }
    const result = await ctx.replay(descriptor, { text: 'petrel-demo-2026' });
    if (!result.ok) throw new Error(`bench: replay of ${descriptor.action.type} failed: ${result.error?.message}`);
  }
  return performance.now() - started;
}

/** Memory of the pool's Chromium processes: PSS (shared pages split fairly) when the kernel reports it, else RSS. */
async function chromiumMemory(): Promise<{ kb: number; kind: 'pss' | 'rss' }> {
  let total = 0;
  let kind: 'pss' | 'rss' = 'pss';
  for (const pid of findMarkedProcesses(pool.marker)) {
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => undefined);
    const pss = rollup ? /^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] : undefined;
    if (pss) {
      total += Number(pss);
      continue;
    }
    kind = 'rss';
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    total += Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
  }
  return { kb: total, kind };
}

try {
  log('bench: observing /big');
  const big = flowOnly ? { p50: Number.NaN, p95: Number.NaN, first: Number.NaN, nodes: 0, elements: 0 } : await observeBig();

  log('bench: token counts over the portal pages');
  const tokens = flowOnly ? [] : await tokenRatios();
  const ratioHtml = median(tokens.map((r) => r.ours / r.outerHTML));
  const ratioAria = median(tokens.map((r) => r.ours / r.aria));
  const allWithIds = tokens.every((r) => r.withId === r.interactive);

  log('bench: 20-action flow, ours vs direct Playwright');
  const downloads = join(work, 'direct-downloads');
  await mkdir(downloads, { recursive: true });
  const steps = flow(downloads);
  const direct: Browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-dev-shm-usage'] });
  const ours: number[] = [];
  const oursTotal: number[] = [];
  const theirs: number[] = [];
  const oursShots: number[] = [];
  const replays: number[] = [];
  let descriptors: ReplayDescriptor[] = [];
  const oursSteps: number[][] = steps.map(() => []);
  const theirSteps: number[][] = steps.map(() => []);
  try {
    // One warm-up of each, untimed.
    {
      await using warm = await pool.newContext();
      descriptors = (await runOurs(warm, steps)).descriptors;
      await runDirect(direct, steps);
    }
    for (let i = 0; i < rounds; i++) {
      {
        await using ctx = await pool.newContext();
        const r = await runOurs(ctx, steps);
        ours.push(r.actMs);
        oursTotal.push(r.totalMs);
        r.stepMs.forEach((ms, index) => oursSteps[index]?.push(ms));
      }
      const directSteps: number[] = [];
      theirs.push(await runDirect(direct, steps, directSteps));
      directSteps.forEach((ms, index) => theirSteps[index]?.push(ms));
      {
        await using ctx = await pool.newContext({ screenshots: 'action' });
        oursShots.push((await runOurs(ctx, steps)).actMs);
      }
      replays.push(await runReplay(descriptors));
    }
  } finally {
    await direct.close();
  }
  const ratios = ours.map((o, i) => o / (theirs[i] as number));
  const shotRatios = oursShots.map((o, i) => o / (theirs[i] as number));
  const replayRatios = replays.map((o, i) => o / (theirs[i] as number));

  log('bench: 16 flows at once');
  const idle = await chromiumMemory();
  const contexts: RunContext[] = [];
  for (let i = 0; i < (flowOnly ? 0 : 16); i++) contexts.push(await pool.newContext());
  const parallelStarted = performance.now();
  await Promise.all(contexts.map((ctx) => runOurs(ctx, steps)));
  const parallelS = flowOnly ? Number.NaN : (performance.now() - parallelStarted) / 1000;
  const loaded = flowOnly ? idle : await chromiumMemory();
  await Promise.all(contexts.map((ctx) => ctx.close()));
  const perContextMb = (loaded.kb - idle.kb) / 16 / 1024;

  const result = {
    benchmark: 'browser',
    quick,
    chromium: executablePath,
    observe_ms_p50_big: big.p50,
    observe_ms_p95_big: big.p95,
    observe_ms_first_big: big.first,
    big_page_nodes: big.nodes,
    big_page_elements: big.elements,
    tokens_ratio_outerhtml: round(ratioHtml, 3),
    tokens_ratio_aria: round(ratioAria, 3),
    tokens_pages: tokens.length,
    every_interactive_element_has_id: allWithIds,
    action_overhead_ratio: round(median(ratios), 3),
    action_overhead_ratio_with_screenshots: round(median(shotRatios), 3),
    replay_overhead_ratio: round(median(replayRatios), 3),
    flow_actions: steps.length,
    flow_ms_ours_act_median: round(median(ours), 0),
    flow_ms_ours_with_observe_median: round(median(oursTotal), 0),
    flow_ms_direct_playwright_median: round(median(theirs), 0),
    flow_ms_ours_screenshots_median: round(median(oursShots), 0),
    flow_ms_replay_median: round(median(replays), 0),
    contexts_16_parallel_s: round(parallelS, 2),
    rss_mb_per_context: round(perContextMb, 1),
    memory_measure: loaded.kind,
    rounds,
    token_pages: tokens,
    measured_at: new Date().toISOString(),
  };

  const targets: [string, string, string, boolean | undefined][] = [
    ['observe_ms_p50_big', `${result.observe_ms_p50_big}`, '<= 50', result.observe_ms_p50_big <= 50],
    ['observe_ms_p95_big', `${result.observe_ms_p95_big}`, '', undefined],
    ['tokens_ratio_outerhtml', `${result.tokens_ratio_outerhtml}`, '<= 0.5', result.tokens_ratio_outerhtml <= 0.5],
    ['tokens_ratio_aria', `${result.tokens_ratio_aria}`, '<= 1.2', result.tokens_ratio_aria <= 1.2],
    ['every_interactive_element_has_id', `${allWithIds}`, 'true', allWithIds],
    ['action_overhead_ratio', `${result.action_overhead_ratio}`, '<= 1.2', result.action_overhead_ratio <= 1.2],
    ['action_overhead_ratio_with_screenshots', `${result.action_overhead_ratio_with_screenshots}`, '', undefined],
    ['replay_overhead_ratio', `${result.replay_overhead_ratio}`, '', undefined],
    ['contexts_16_parallel_s', `${result.contexts_16_parallel_s}`, '', undefined],
    ['rss_mb_per_context', `${result.rss_mb_per_context} (${loaded.kind})`, '', undefined],
  ];
  if (!json) {
    console.log('\n| metric | value | target | met |\n|---|---|---|---|');
    for (const [name, value, target, met] of targets) console.log(`| ${name} | ${value} | ${target} | ${met === undefined ? '' : met ? 'yes' : 'NO'} |`);
    console.log(
      `\nflow (${steps.length} actions, median of ${rounds}): act() ${result.flow_ms_ours_act_median} ms, direct Playwright ${result.flow_ms_direct_playwright_median} ms, ` +
        `act() with screenshots ${result.flow_ms_ours_screenshots_median} ms, replay ${result.flow_ms_replay_median} ms, act()+observe ${result.flow_ms_ours_with_observe_median} ms`,
    );
    if (process.argv.includes('--steps')) {
      console.log('\n| step | act() ms | Playwright ms |\n|---|---|---|');
      steps.forEach((step, i) => console.log(`| ${step.name} | ${round(median(oursSteps[i] ?? []), 0)} | ${round(median(theirSteps[i] ?? []), 0)} |`));
    }
    console.log('\n| page | ours | outerHTML | ariaSnapshot | ours/html | ours/aria | ids |\n|---|---|---|---|---|---|---|');
    for (const row of tokens) {
      console.log(`| ${row.page} | ${row.ours} | ${row.outerHTML} | ${row.aria} | ${round(row.ours / row.outerHTML, 2)} | ${round(row.ours / row.aria, 2)} | ${row.withId}/${row.interactive} |`);
    }
  }
  await mkdir(join(import.meta.dirname, 'results'), { recursive: true });
  if (!flowOnly) await writeFile(join(import.meta.dirname, 'results', 'browser.json'), `${JSON.stringify(result, null, 2)}\n`);
  if (json) console.log(JSON.stringify(result));
} finally {
  await pool.close();
  await portal.close();
  await rm(work, { recursive: true, force: true });
}
