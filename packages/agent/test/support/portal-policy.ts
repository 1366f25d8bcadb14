// A scripted "model" for the fixture portal: a `respond` function for the fake model server that reads
// the agent's real prompt — the goal, the parameters (placeholders), the history, notes and the page
// text — finds element ids by role and name in the page, and answers with tool calls or structured
// output as a model would. It knows nothing of the agent's internals: everything it decides comes from
// the request the fake received over HTTP.
import type { FakeModelRequest, FakeResponder, FakeTurn } from '@petrel/fake-model';

/** One actionable element line of the page. */
export type PageElement = { id: string; role: string; attrs: string; name: string; line: string };

/** The parts of an action prompt. */
export type ParsedPrompt = {
  goal: string;
  parameters: Record<string, unknown>;
  date: string;
  history: string[];
  notes: string[];
  verificationCode?: string;
  errorCodes: Record<string, string>;
  url: string;
  page: string;
  elements: PageElement[];
};

const ELEMENT = /\[(e\d+) ([^\]]*?)\](?: ([^[\n]*))?/g;

/** The elements written `[eN role attrs] name` in a page text. */
export function pageElements(page: string): PageElement[] {
  const out: PageElement[] = [];
  for (const line of page.split('\n')) {
    for (const match of line.matchAll(ELEMENT)) {
      const [role = '', ...attrs] = (match[2] ?? '').split(' ');
      out.push({ id: match[1] ?? '', role, attrs: attrs.join(' '), name: (match[3] ?? '').trim(), line });
    }
  }
  return out;
}

function sectionLine(text: string, title: string): string | undefined {
  const match = new RegExp(`^${title}: (.*)$`, 'm').exec(text);
  return match?.[1];
}

/** Splits an action step's user message into its parts. */
export function parsePrompt(text: string): ParsedPrompt {
  const pageStart = text.indexOf('\nPAGE:\n');
  const head = pageStart >= 0 ? text.slice(0, pageStart) : text;
  const page = pageStart >= 0 ? text.slice(pageStart + 7) : '';
  const historyMatch = /^HISTORY:\n([\s\S]*?)(?=^[A-Z ]+:|$(?![\s\S]))/m.exec(head);
  const history = (historyMatch?.[1] ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^\d+\./.test(l));
  const notes = [...head.matchAll(/^NOTE: (.*)$/gm)].map((m) => m[1] ?? '');
  const codesBlock = /^ERROR CODES[^\n]*\n((?:[A-Z0-9_]+: .*\n)+)/m.exec(head)?.[1] ?? '';
  const errorCodes = Object.fromEntries(
    codesBlock
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
  );
  const params = sectionLine(head, 'PARAMETERS');
  const verification = /^VERIFICATION CODE: type (\S+)/m.exec(head)?.[1];
  return {
    goal: sectionLine(head, 'GOAL') ?? '',
    parameters: params ? (JSON.parse(params) as Record<string, unknown>) : {},
    date: (sectionLine(head, 'DATE') ?? '').slice(0, 10),
    history,
    notes,
    ...(verification ? { verificationCode: verification } : {}),
    errorCodes,
    url: /^url: (.*)$/m.exec(page)?.[1] ?? '',
    page,
    elements: pageElements(page),
  };
}

/** The first element with that role whose name matches. */
export function find(elements: readonly PageElement[], role: string, name: RegExp): PageElement | undefined {
  return elements.find((e) => e.role === role && name.test(e.name));
}

function must(elements: readonly PageElement[], role: string, name: RegExp, page: string): PageElement {
  const found = find(elements, role, name);
  if (!found) throw new Error(`portal policy: no ${role} ${String(name)} on the page:\n${page}`);
  return found;
}

/** A tool call. */
function call(name: string, input: Record<string, unknown> = {}): { name: string; input: unknown } {
  return { name, input };
}

/** The first and last day of the month before `date` (`2026-07-15` → `2026-06-01`, `2026-06-30`). */
export function lastMonth(date: string): { start: string; end: string } {
  const [y = 0, m = 1] = date.split('-').map(Number);
  const first = new Date(Date.UTC(y, m - 2, 1));
  const last = new Date(Date.UTC(y, m - 1, 0));
  return { start: first.toISOString().slice(0, 10), end: last.toISOString().slice(0, 10) };
}

/** An order as the policy reads it from a list page. */
export type ExtractedOrder = { order_id: string; date: string; status: string; total: number; url: string };

/** Orders of a list page: `[e52 link /orders/ORD-10240] ORD-10240 | 2026-06-29 | pending | 2 | $918.05`. */
export function ordersOnPage(page: string): ExtractedOrder[] {
  const orders: ExtractedOrder[] = [];
  for (const line of page.split('\n')) {
    const match = /^\[(e\d+) link \/orders\/(ORD-\d+)\] (ORD-\d+) \| (\d{4}-\d{2}-\d{2}) \| (\w+) \| \d+ \| \$([\d,]+\.\d\d)$/.exec(line.trim());
    if (!match) continue;
    orders.push({ order_id: match[3] ?? '', date: match[4] ?? '', status: match[5] ?? '', total: Number((match[6] ?? '0').replaceAll(',', '')), url: match[1] ?? '' });
  }
  return orders;
}

/** What the policy does in a scenario. */
export type PolicyOptions = {
  /** Claim completion once on the 2FA page before typing the code (to exercise verification). */
  claimEarly?: boolean;
  /** Answer action steps that match with this delay (cancel tests). */
  delayMs?: (prompt: ParsedPrompt, stepIndex: number) => number;
  /** Called with every request the policy answers (tests collect them). */
  onRequest?: (kind: string, request: FakeModelRequest) => void;
};

function credentialOf(parameters: Record<string, unknown>): Record<string, string> | undefined {
  for (const value of Object.values(parameters)) {
    if (value && typeof value === 'object' && 'password' in value) return value as Record<string, string>;
  }
  return undefined;
}

function actionTurn(prompt: ParsedPrompt, options: PolicyOptions, state: { claimed: boolean }): FakeTurn {
  const { elements, page, goal } = prompt;
  const path = prompt.url.replace(/^https?:\/\/[^/]+/, '');
  const goalLower = goal.toLowerCase();

  // A mapped error shown on the page: stop with its code.
  for (const [code, meaning] of Object.entries(prompt.errorCodes)) {
    if (page.includes(meaning)) return { toolCalls: [call('terminate', { reasoning: `The page says "${meaning}".`, error_code: code, confidence: 0.95 })] };
  }
  if (goalLower.includes('unicorn')) {
    return { toolCalls: [call('scroll', { direction: 'down' })] };
  }
  const banner = find(elements, 'button', /^Accept all cookies$/);
  if (path.startsWith('/login/totp')) {
    const credential = credentialOf(prompt.parameters);
    if (options.claimEarly && !state.claimed) {
      state.claimed = true;
      return { toolCalls: [call('complete', { reasoning: 'I am logged in.' })] };
    }
    const field = must(elements, 'textbox', /^Verification code$/, page);
    const verify = must(elements, 'button', /^Verify$/, page);
    const code = credential?.totp ?? prompt.verificationCode;
    if (!code) return { toolCalls: [call('get_verification_code')] };
    return { toolCalls: [call('input_text', { id: field.id, text: code }), call('click', { id: verify.id })] };
  }
  if (path.startsWith('/login')) {
    const credential = credentialOf(prompt.parameters);
    if (!credential) return { toolCalls: [call('terminate', { reasoning: 'No credential was given.' })] };
    const calls = [
      call('input_text', { id: must(elements, 'textbox', /^Email address$/, page).id, text: credential.username }),
      call('input_text', { id: must(elements, 'textbox', /^Password$/, page).id, text: credential.password }),
      call('click', { id: must(elements, 'button', /^Sign in$/, page).id }),
    ];
    return { toolCalls: calls };
  }
  // Signed in from here on. The cookie banner first (it posts a form, so it is its own step).
  if (banner && !goalLower.includes('log in')) return { toolCalls: [call('click', { id: banner.id })] };
  if (goalLower.includes('log in') && !goalLower.includes('order') && find(elements, 'button', /^Sign out$/)) {
    return { toolCalls: [call('complete', { reasoning: 'The dashboard shows the account and a Sign out button.' })] };
  }
  const invoice = /invoice of order (ORD-\d+)/i.exec(goal)?.[1];
  if (invoice) {
    if (path.startsWith(`/orders/${invoice}`)) {
      if (prompt.history.some((h) => h.includes('downloaded'))) return { toolCalls: [call('complete', { reasoning: 'The invoice was downloaded.' })] };
      return { toolCalls: [call('download', { id: must(elements, 'link', /^Download invoice$/, page).id })] };
    }
    const link = find(elements, 'link', new RegExp(`^${invoice}\\b`));
    return { toolCalls: [link ? call('click', { id: link.id }) : call('goto_url', { url: `/orders/${invoice}` })] };
  }
  if (goalLower.includes('order')) {
    const { start, end } = lastMonth(prompt.date);
    if (!path.startsWith('/orders')) return { toolCalls: [call('click', { id: must(elements, 'link', /^Orders$/, page).id })] };
    if (!path.includes(`start=${start}`)) {
      return {
        toolCalls: [
          call('input_text', { id: must(elements, 'textbox', /^Start date$/, page).id, text: start }),
          call('input_text', { id: must(elements, 'textbox', /^End date$/, page).id, text: end }),
          call('click', { id: must(elements, 'button', /^Filter$/, page).id }),
        ],
      };
    }
    const next = find(elements, 'link', /^Next$/);
    if (next) return { toolCalls: [call('extract'), call('click', { id: next.id })] };
    return { toolCalls: [call('complete', { reasoning: `All orders from ${start} to ${end} were listed page by page.` })] };
  }
  return { toolCalls: [call('terminate', { reasoning: 'I do not know this page.' })] };
}

function extractionTurn(text: string): FakeTurn {
  const previousMatch = /^ALREADY EXTRACTED[^:]*: (.*)$/m.exec(text);
  const previous = previousMatch ? (JSON.parse(previousMatch[1] ?? 'null') as { orders?: ExtractedOrder[] } | null) : null;
  const page = text.slice(text.indexOf('PAGE'));
  const byId = new Map<string, ExtractedOrder>();
  for (const order of previous?.orders ?? []) byId.set(order.order_id, order);
  for (const order of ordersOnPage(page)) if (!byId.has(order.order_id)) byId.set(order.order_id, order);
  const orders = [...byId.values()];
  const grand = Math.round(orders.reduce((sum, o) => sum + o.total * 100, 0)) / 100;
  return { object: { orders, order_count: orders.length, grand_total: grand } };
}

/** The fake model's `respond` for the portal scenarios. */
export function portalPolicy(options: PolicyOptions = {}): FakeResponder {
  const state = { claimed: false };
  let actionSteps = 0;
  return async (request) => {
    const system = request.system;
    const text = request.lastUserText;
    if (request.tools.some((t) => t.name === 'complete')) {
      actionSteps++;
      options.onRequest?.('action', request);
      const prompt = parsePrompt(text);
      const turn = actionTurn(prompt, options, state);
      const delay = options.delayMs?.(prompt, actionSteps) ?? 0;
      return delay > 0 ? { ...turn, delayMs: delay } : turn;
    }
    if (system.startsWith('You check whether')) {
      options.onRequest?.('verify', request);
      const page = text.slice(text.indexOf('PAGE:'));
      const goal = sectionLine(text, 'GOAL')?.toLowerCase() ?? '';
      const invoice = /invoice of order (ord-\d+)/.exec(goal)?.[1]?.toUpperCase();
      const achieved = invoice
        ? page.includes(`/orders/${invoice}\n`)
        : goal.includes('order')
          ? /\/orders\?start=/.test(page)
          : /\[e\d+ button\] Sign out/.test(page);
      return { object: { user_goal_achieved: achieved, reasoning: achieved ? 'The page shows it.' : 'The page still asks for the verification code; not signed in.' } };
    }
    if (system.startsWith('You extract data')) {
      options.onRequest?.('extract', request);
      return extractionTurn(text);
    }
    if (system.startsWith('A browser task did not succeed')) {
      options.onRequest?.('errors', request);
      const codes = /^ERROR CODES:\n((?:[A-Z0-9_]+: .*\n)+)/m.exec(text)?.[1] ?? '';
      const page = text.slice(text.indexOf('PAGE:'));
      const errors = codes
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => ({ code: l.slice(0, l.indexOf(':')), meaning: l.slice(l.indexOf(':') + 2) }))
        .filter((c) => page.includes(c.meaning))
        .map((c) => ({ error_code: c.code, reasoning: `The page says "${c.meaning}".`, confidence_float: 0.9 }));
      return { object: { errors } };
    }
    if (system.startsWith('You plan browser tasks')) {
      options.onRequest?.('plan', request);
      return { object: { plan: ['Sign in', 'Open the orders', 'Filter last month', 'Read the totals'] } };
    }
    return undefined;
  };
}
