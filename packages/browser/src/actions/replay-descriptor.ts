// Replay descriptors: what an action did, in a form that runs again without an observation or an
// LLM. The target is a ranked list of selectors (role+name, label, placeholder, test id, text, CSS,
// XPath; unique ones first) plus the chain of iframes to reach its frame. Replay tries each selector
// in that frame path and uses the first that matches exactly one element (or the recorded nth match
// when the recording found several). Descriptors are plain JSON so code mode can store them and
// print them as a Playwright script (`replayToPlaywrightCode`).
import type { FrameLocator, Locator, Page } from 'playwright-core';
import type { BrowserAction } from './browser-action.ts';

/** One way to find the target element. `nth` is set when the selector matched several elements at record time. */
export type SelectorCandidate =
  | { kind: 'role'; role: string; name: string; nth?: number }
  | { kind: 'label'; text: string; nth?: number }
  | { kind: 'placeholder'; text: string; nth?: number }
  | { kind: 'testId'; attribute: string; value: string; nth?: number }
  | { kind: 'text'; text: string; nth?: number }
  | { kind: 'css'; selector: string; nth?: number }
  | { kind: 'xpath'; selector: string; nth?: number };

/** One step into an iframe: a CSS selector for the iframe element in its parent frame. */
export type FrameHop = { selector: string; name?: string; src?: string };

/** The element an action worked on. */
export type ReplayTarget = {
  /** iframes from the main frame down to the element's frame (empty for the main frame). */
  framePath: FrameHop[];
  /** Ranked selectors, best first. */
  selectors: SelectorCandidate[];
  tag: string;
  role: string;
  name: string;
};

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An action without its element id (the target says where), with sensitive text removed. */
export type ReplayAction = DistributiveOmit<BrowserAction, 'elementId'>;

/** A recorded action that `replay` can execute later. */
export type ReplayDescriptor = {
  version: 1;
  action: ReplayAction;
  /** Absent for page-level actions (goto_url, go_back, keypress without element, …). */
  target?: ReplayTarget;
  /** The active tab's index when the action ran. */
  tab: number;
  /** The active tab's URL before the action ran. */
  url: string;
};

/** What the page script reports about an element for its descriptor. */
export type DescribedElement = {
  tag: string;
  role: string;
  name: string;
  inShadow: boolean;
  candidates: (SelectorCandidate & { count: number; nth: number })[];
};

const RANK: Record<SelectorCandidate['kind'], number> = { role: 0, label: 1, placeholder: 2, testId: 3, text: 4, css: 5, xpath: 6 };
const ROLES_PLAYWRIGHT_KNOWS = new Set([
  'button', 'link', 'checkbox', 'radio', 'switch', 'tab', 'menuitem', 'menuitemcheckbox', 'menuitemradio', 'option',
  'combobox', 'textbox', 'searchbox', 'slider', 'spinbutton', 'listbox', 'treeitem', 'gridcell', 'heading', 'img',
  'row', 'cell', 'dialog', 'navigation', 'tabpanel', 'menu', 'tree', 'grid',
]);

/** Orders the page script's candidates: unique ones in the documented order, then ambiguous ones with their `nth`. */
export function rankCandidates(described: DescribedElement): SelectorCandidate[] {
  const usable = described.candidates.filter((c) => c.count >= 1 && c.nth >= 0 && (c.kind !== 'role' || ROLES_PLAYWRIGHT_KNOWS.has(c.role)));
  const unique = usable.filter((c) => c.count === 1).sort((a, b) => RANK[a.kind] - RANK[b.kind]);
  const ambiguous = usable.filter((c) => c.count > 1).sort((a, b) => RANK[a.kind] - RANK[b.kind]);
  const strip = (c: SelectorCandidate & { count: number; nth: number }, keepNth: boolean): SelectorCandidate => {
    const { count: _count, nth, ...rest } = c;
    const candidate: SelectorCandidate = rest;
    return keepNth ? { ...candidate, nth } : candidate;
  };
  return [...unique.map((c) => strip(c, false)), ...ambiguous.map((c) => strip(c, true))];
}

/** The Playwright locator of one candidate inside `root` (a page or a frame locator chain). */
export function candidateLocator(root: Page | FrameLocator, candidate: SelectorCandidate): Locator {
  let locator: Locator;
  switch (candidate.kind) {
    case 'role':
      locator = root.getByRole(candidate.role as Parameters<Page['getByRole']>[0], { name: candidate.name, exact: true });
      break;
    case 'label':
      locator = root.getByLabel(candidate.text, { exact: true });
      break;
    case 'placeholder':
      locator = root.getByPlaceholder(candidate.text, { exact: true });
      break;
    case 'testId':
      locator = root.locator(`[${candidate.attribute}=${JSON.stringify(candidate.value)}]`);
      break;
    case 'text':
      locator = root.getByText(candidate.text, { exact: true });
      break;
    case 'css':
      locator = root.locator(candidate.selector);
      break;
    case 'xpath':
      locator = root.locator(`xpath=${candidate.selector}`);
      break;
    default: {
      const unreachable: never = candidate;
      throw new Error(`unknown selector kind ${JSON.stringify(unreachable)}`);
    }
  }
  return candidate.nth === undefined ? locator : locator.nth(candidate.nth);
}

/** The frame locator chain of a frame path (undefined for the main frame). */
export function frameRoot(page: Page, framePath: readonly FrameHop[]): Page | FrameLocator {
  let root: Page | FrameLocator = page;
  for (const hop of framePath) root = root.frameLocator(hop.selector);
  return root;
}

/**
 * Finds the target's element: tries each candidate in order and returns the first locator that
 * matches exactly one element, polling until `timeoutMs` while the page is still building.
 */
export async function locateTarget(page: Page, target: ReplayTarget, options: { timeoutMs: number; signal?: AbortSignal }): Promise<{ locator: Locator; candidate: SelectorCandidate } | undefined> {
  const deadline = Date.now() + options.timeoutMs;
  const root = frameRoot(page, target.framePath);
  for (;;) {
    for (const candidate of target.selectors) {
      const locator = candidateLocator(root, candidate);
      const count = await locator.count().catch(() => 0);
      if (count === 1) return { locator, candidate };
    }
    if (Date.now() >= deadline || options.signal?.aborted) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function literal(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** The Playwright TypeScript expression of a candidate, e.g. `page.getByRole('button', { name: 'Sign in', exact: true })`. */
export function candidateCode(framePath: readonly FrameHop[], candidate: SelectorCandidate): string {
  let root = 'page';
  for (const hop of framePath) root += `.frameLocator(${literal(hop.selector)})`;
  let code: string;
  switch (candidate.kind) {
    case 'role':
      code = `${root}.getByRole(${literal(candidate.role)}, { name: ${literal(candidate.name)}, exact: true })`;
      break;
    case 'label':
      code = `${root}.getByLabel(${literal(candidate.text)}, { exact: true })`;
      break;
    case 'placeholder':
      code = `${root}.getByPlaceholder(${literal(candidate.text)}, { exact: true })`;
      break;
    case 'testId':
      code = `${root}.locator(${literal(`[${candidate.attribute}=${JSON.stringify(candidate.value)}]`)})`;
      break;
    case 'text':
      code = `${root}.getByText(${literal(candidate.text)}, { exact: true })`;
      break;
    case 'css':
      code = `${root}.locator(${literal(candidate.selector)})`;
      break;
    case 'xpath':
      code = `${root}.locator(${literal(`xpath=${candidate.selector}`)})`;
      break;
    default: {
      const unreachable: never = candidate;
      throw new Error(`unknown selector kind ${JSON.stringify(unreachable)}`);
    }
  }
  return candidate.nth === undefined ? code : `${code}.nth(${candidate.nth})`;
}

/**
 * One Playwright TypeScript statement for a descriptor, using its best selector; a starting point
 * for code mode's script export (sensitive text becomes a `secret` placeholder).
 */
export function replayToPlaywrightCode(descriptor: ReplayDescriptor): string {
  const action = descriptor.action;
  const best = descriptor.target?.selectors[0];
  const el = best && descriptor.target ? candidateCode(descriptor.target.framePath, best) : 'page.locator(\'body\')';
  switch (action.type) {
    case 'click':
      return `await ${el}.${action.double ? 'dblclick' : 'click'}(${action.button && action.button !== 'left' ? `{ button: ${literal(action.button)} }` : ''});`;
    case 'input_text':
      return `await ${el}.fill(${action.sensitive ? 'secret' : literal(action.text)});${action.pressEnter ? `\nawait ${el}.press('Enter');` : ''}`;
    case 'select_option':
      return `await ${el}.selectOption(${literal(action.option)});`;
    case 'check':
      return `await ${el}.check();`;
    case 'uncheck':
      return `await ${el}.uncheck();`;
    case 'upload_file':
      return `await ${el}.setInputFiles(${JSON.stringify(action.files)});`;
    case 'download':
      return `const download = await Promise.all([page.waitForEvent('download'), ${el}.click()]).then(([d]) => d);`;
    case 'keypress':
      return best ? `await ${el}.press(${literal(action.keys)});` : `await page.keyboard.press(${literal(action.keys)});`;
    case 'scroll':
      return action.text ? `await page.getByText(${literal(action.text)}).first().scrollIntoViewIfNeeded();` : best ? `await ${el}.scrollIntoViewIfNeeded();` : `await page.mouse.wheel(0, ${action.direction === 'up' ? -600 : 600});`;
    case 'hover':
      return `await ${el}.hover();`;
    case 'goto_url':
      return `await page.goto(${literal(action.url)});`;
    case 'go_back':
      return 'await page.goBack();';
    case 'go_forward':
      return 'await page.goForward();';
    case 'reload':
      return 'await page.reload();';
    case 'wait':
      return action.text ? `await page.getByText(${literal(action.text)}).first().waitFor();` : `await page.waitForTimeout(${action.ms ?? 1000});`;
    case 'new_tab':
      return `page = await context.newPage();${action.url ? `\nawait page.goto(${literal(action.url)});` : ''}`;
    case 'switch_tab':
      return `page = context.pages()[${action.index}];`;
    case 'close_tab':
      return `await context.pages()[${action.index ?? 0}].close();`;
    case 'accept_dialog':
      return `page.once('dialog', (dialog) => dialog.accept(${action.promptText ? literal(action.promptText) : ''}));`;
    case 'dismiss_dialog':
      return "page.once('dialog', (dialog) => dialog.dismiss());";
    case 'read_text':
      return `const text = await ${el}.innerText();`;
    case 'read_html':
      return `const html = await ${best ? `${el}.evaluate((e) => e.outerHTML)` : 'page.content()'};`;
    default: {
      const unreachable: never = action;
      throw new Error(`unknown action ${JSON.stringify(unreachable)}`);
    }
  }
}
