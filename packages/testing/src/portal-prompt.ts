// Reading the agent's prompts as a model would: the sections of a user message (`GOAL:`,
// `PARAMETERS:`, `HISTORY:`, `PAGE:` …), the page's element lines (`[e12 button] Sign in`), and what
// the fixture portal shows on them (orders, jobs). Everything comes from the text the fake model
// received over HTTP; nothing here knows Petrel's insides.

/** One actionable element line of a page: `[e12 button] Sign in`, `[e52 link /orders/ORD-10240] ORD-10240 | …`. */
export type PageElement = { id: string; role: string; attrs: string; name: string; line: string };

/** An action, verification or extraction prompt, split into its parts. */
export type ParsedPrompt = {
  /** The `GOAL:` section (several lines when the goal has them). */
  goal: string;
  /** The `COMPLETE WHEN:` section, '' when there is none. */
  completeWhen: string;
  /** The `PARAMETERS:` JSON (secrets as placeholders). */
  parameters: Record<string, unknown>;
  /** The day of the `DATE:` line, `YYYY-MM-DD`. */
  date: string;
  /** The numbered lines of `HISTORY:` (or `ACTIONS:`). */
  history: string[];
  notes: string[];
  /** The placeholder of a verification code that is ready to be typed. */
  verificationCode?: string;
  /** `ERROR CODES` as code → meaning. */
  errorCodes: Record<string, string>;
  /** The page's `url:` line, and its path (`/orders?start=…`). */
  url: string;
  path: string;
  /** The page's `title:` line. */
  title: string;
  /** Everything after `PAGE:`. */
  page: string;
  elements: PageElement[];
};

const ELEMENT = /\[(e\d+) ([^\]]*?)\](?: ([^[\n]*))?/g;
const HEADERS = [
  'GOAL',
  'COMPLETE WHEN',
  'TERMINATE WHEN',
  'ERROR CODES',
  'PARAMETERS',
  'PLAN',
  'DATE',
  'STEP',
  'HISTORY',
  'NOTE',
  'VERIFICATION CODE',
  'PAGE',
  'EXTRACT',
  'ALREADY EXTRACTED',
  'THE AGENT SAYS',
  'ACTIONS',
  'WHAT HAPPENED',
  'START URL',
];

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

/** The text of a prompt section: `TITLE: …` up to the next known header ('' when absent). */
export function promptSection(text: string, title: string): string {
  const start = text.indexOf(`${title}:`);
  if (start < 0) return '';
  const rest = text.slice(start + title.length + 1);
  let end = rest.length;
  for (const header of HEADERS) {
    const at = rest.search(new RegExp(`\\n${header}[ :(]`));
    if (at >= 0 && at < end) end = at;
  }
  return rest.slice(0, end).trim();
}

/** The page part of a prompt: what follows `PAGE:` (or `PAGE (part n of m):`). */
export function pageOf(text: string): string {
  const match = /^PAGE(?: \([^)]*\))?:\n/m.exec(text);
  return match ? text.slice(match.index + match[0].length) : '';
}

/** Splits a prompt into its parts. */
export function parsePrompt(text: string): ParsedPrompt {
  const page = pageOf(text);
  const head = page === '' ? text : text.slice(0, text.length - page.length);
  const history = (/^(?:HISTORY|ACTIONS):\n([\s\S]*?)(?=^[A-Z ]+[:(]|$(?![\s\S]))/m.exec(head)?.[1] ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^\d+\./.test(l));
  // The code lines run from the ERROR CODES header to the next section header (which looks like a code line too).
  const codeLines: string[] = [];
  for (const line of (/^ERROR CODES[^\n]*\n([\s\S]*)/m.exec(head)?.[1] ?? '').split('\n')) {
    if (!/^[A-Z0-9_]+: /.test(line) || HEADERS.some((header) => line.startsWith(`${header}:`))) break;
    codeLines.push(line);
  }
  const errorCodes = Object.fromEntries(codeLines.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
  const params = /^PARAMETERS: (.*)$/m.exec(head)?.[1];
  const verification = /^VERIFICATION CODE: type (\S+)/m.exec(head)?.[1];
  const url = /^url: (.*)$/m.exec(page)?.[1] ?? '';
  return {
    goal: promptSection(head, 'GOAL'),
    completeWhen: promptSection(head, 'COMPLETE WHEN'),
    parameters: params ? (JSON.parse(params) as Record<string, unknown>) : {},
    date: (/^DATE: (\S+)/m.exec(head)?.[1] ?? '').slice(0, 10),
    history,
    notes: [...head.matchAll(/^NOTE: (.*)$/gm)].map((m) => m[1] ?? ''),
    ...(verification ? { verificationCode: verification } : {}),
    errorCodes,
    url,
    path: url.replace(/^https?:\/\/[^/]+/, ''),
    title: /^title: (.*)$/m.exec(page)?.[1] ?? '',
    page,
    elements: pageElements(page),
  };
}

/** The first element with that role (a name or a pattern) whose name matches. */
export function findElement(elements: readonly PageElement[], role: string | RegExp, name: RegExp): PageElement | undefined {
  return elements.find((e) => (typeof role === 'string' ? e.role === role : role.test(e.role)) && name.test(e.name));
}

/** The first parameter that is a login credential (an object with a password), as placeholders. */
export function credentialIn(parameters: Record<string, unknown>): Record<string, string> | undefined {
  for (const value of Object.values(parameters)) {
    if (value && typeof value === 'object' && 'password' in value) return value as Record<string, string>;
  }
  return undefined;
}

/** An order as a list page of the portal shows it; `url` is the element id of its link (the agent fills in the real URL). */
export type PortalOrder = { order_id: string; date: string; status: string; total: number; url: string };

/** The orders a page lists: `[e52 link /orders/ORD-10240] ORD-10240 | 2026-06-29 | pending | 2 | $918.05`. */
export function ordersOnPage(page: string): PortalOrder[] {
  const orders: PortalOrder[] = [];
  for (const m of page.matchAll(/\[(e\d+) link \/orders\/ORD-\d+\] (ORD-\d+) \| (\d{4}-\d{2}-\d{2}) \| (\w+) \| \d+ \| \$([\d,]+\.\d\d)/g)) {
    orders.push({ order_id: m[2] ?? '', date: m[3] ?? '', status: m[4] ?? '', total: Number((m[5] ?? '0').replaceAll(',', '')), url: m[1] ?? '' });
  }
  return orders;
}

/** The first and last day of the month before `date` (`2026-07-15` → `2026-06-01`, `2026-06-30`). */
export function lastMonth(date: string): { start: string; end: string } {
  const [y = 0, m = 1] = date.split('-').map(Number);
  const first = new Date(Date.UTC(y, m - 2, 1));
  const last = new Date(Date.UTC(y, m - 1, 0));
  return { start: first.toISOString().slice(0, 10), end: last.toISOString().slice(0, 10) };
}
