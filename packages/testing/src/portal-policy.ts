// A scripted "model" for the fixture portal: the `respond` function of the fake model server. It reads
// each real request — the agent's action prompt, the completion check, an extraction, error
// classification, a plan, a block's condition, validation, text_prompt or file-parser question — and
// answers as a capable model would, finding element ids by role and name in the page text. It knows
// nothing of Petrel's internals: everything it decides comes from the HTTP request the fake received,
// so a test that passes with it shows the prompts carry what a model needs.
//
// What it can do on the portal, chosen from the goal:
// - sign in (email and password typed as the credential's placeholders, then the one-time code from
//   the credential, a ready verification code, or `get_verification_code`);
// - download the invoice of an order; filter the orders of a date range (the dates in the goal, or
//   last month from the prompt's date) and, when the goal asks for totals, read them page by page
//   with `extract`; open the first job; search jobs; open and fill a job application; open reports;
//   click one named element ("one action, then complete");
// - stop on a mapped error shown on the page (terminate with its code);
// - markers for client tests: `[terminate]` in the goal terminates ("the site refuses access", with
//   the mapped code that says so), `[slow]` answers only after `slowMs`; "unicorn" scrolls forever.
// Anything else terminates, or completes with `fallback: 'complete'`.
import { sampleFromSchema } from '@petrel/fake-model';
import type { FakeModelRequest, FakeResponder, FakeTurn } from '@petrel/fake-model';
import { credentialIn, findElement, lastMonth, ordersOnPage, pageElements, pageOf, parsePrompt, promptSection } from './portal-prompt.ts';
import type { PageElement, ParsedPrompt, PortalOrder } from './portal-prompt.ts';

/** What the policy saw, one entry per request it answered. `kind`: action, verify, extract, errors, plan, conditions, validation, structured, unknown. */
export type PolicyLogEntry = { kind: string; goal: string; url: string; tools: string[] };

/** Options of `portalPolicy`. */
export type PortalPolicyOptions = {
  /** Claim `complete` once on the 2FA page before typing the code (exercises the completion check). Default false. */
  claimEarly?: boolean;
  /** A delay for the answer to an action step (1-based count of action steps); default none. */
  delayMs?: (prompt: ParsedPrompt, actionStep: number) => number;
  /** How long a `[slow]` goal waits before answering, in ms. Default 30 000. */
  slowMs?: number;
  /** What an action step does when no skill applies: `terminate` (default) or `complete`. */
  fallback?: 'terminate' | 'complete';
  /** Called with every request the policy answers. */
  onRequest?: (entry: PolicyLogEntry, request: FakeModelRequest) => void;
};

type Call = { name: string; input: unknown };

/** Tool calls that name an element use the argument name the offered `click` tool declares (`id` or `elementId`). */
function elementKeyOf(request: FakeModelRequest): string {
  const click = request.tools.find((t) => t.name === 'click');
  const properties = (click?.inputSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
  return 'elementId' in properties ? 'elementId' : 'id';
}

type ActionContext = {
  prompt: ParsedPrompt;
  goal: string;
  request: FakeModelRequest;
  options: PortalPolicyOptions;
  state: { claimed: boolean };
  key: string;
};

function act(ctx: ActionContext, name: string, input: Record<string, unknown> = {}): Call {
  if ('element' in input) {
    const { element, ...rest } = input;
    return { name, input: { ...rest, [ctx.key]: (element as PageElement).id } };
  }
  return { name, input };
}

const turn = (...toolCalls: Call[]): FakeTurn => ({ toolCalls });
const done = (reasoning: string): FakeTurn => turn({ name: 'complete', input: { reasoning } });
const stop = (reasoning: string, extra: Record<string, unknown> = {}): FakeTurn => turn({ name: 'terminate', input: { reasoning, ...extra } });

/** Goals about signing in only, not signing in on the way to other work ("log in, filter last month's orders …"). */
function isLoginGoal(goal: string): boolean {
  return /\blog ?in\b/.test(goal) && !/\b(filter|download|search|extract|give me|apply|fill)\b/.test(goal);
}

/** The two dates of an order filter: the first two in the goal, or last month from the prompt's date. */
function orderRange(prompt: ParsedPrompt, goal: string): { start: string; end: string } | undefined {
  const dates = [...prompt.goal.matchAll(/\d{4}-\d{2}-\d{2}/g)].map((m) => m[0]);
  if (dates.length >= 2) return { start: dates[0] ?? '', end: dates[1] ?? '' };
  if (/last month/.test(goal) && prompt.date !== '') return lastMonth(prompt.date);
  return undefined;
}

function signInSkill(ctx: ActionContext): FakeTurn | undefined {
  const { prompt, goal, options, state } = ctx;
  const { elements, path } = prompt;
  const credential = credentialIn(prompt.parameters);
  if (path.startsWith('/login/totp')) {
    if (options.claimEarly && !state.claimed) {
      state.claimed = true;
      return done('I am logged in.');
    }
    const field = findElement(elements, 'textbox', /^Verification code$/);
    const verify = findElement(elements, 'button', /^Verify$/);
    if (!field || !verify) return stop('The verification page has no code field or Verify button.');
    const code = credential?.totp ?? prompt.verificationCode;
    if (code) return turn(act(ctx, 'input_text', { element: field, text: code }), act(ctx, 'click', { element: verify }));
    if (ctx.request.tools.some((t) => t.name === 'get_verification_code')) return turn(act(ctx, 'get_verification_code'));
    return stop('I have no one-time code to type.');
  }
  if (path.startsWith('/login')) {
    const email = findElement(elements, 'textbox', /^Email address$/);
    const password = findElement(elements, 'textbox', /^Password$/);
    const button = findElement(elements, 'button', /^Sign in$/);
    if (credential && email && password && button) {
      return turn(
        act(ctx, 'input_text', { element: email, text: credential.username }),
        act(ctx, 'input_text', { element: password, text: credential.password }),
        act(ctx, 'click', { element: button }),
      );
    }
    // A goal about signing in needs a credential; any other goal may just be about this page.
    if (/\blog ?in\b/.test(goal)) return stop('No credential was given for the login form.');
  }
  return undefined;
}

function invoiceSkill(ctx: ActionContext): FakeTurn | undefined {
  const { prompt, goal } = ctx;
  if (!/invoice/.test(goal) || !/download/.test(goal)) return undefined;
  if (prompt.history.some((h) => h.includes('downloaded'))) return done('The invoice was downloaded.');
  const order = /(ORD-\d+)/.exec(prompt.goal)?.[1];
  if (order && !prompt.path.startsWith(`/orders/${order}`)) {
    const link = findElement(prompt.elements, 'link', new RegExp(`^${order}\\b`));
    return turn(link ? act(ctx, 'click', { element: link }) : act(ctx, 'goto_url', { url: `/orders/${order}` }));
  }
  const link = findElement(prompt.elements, 'link', /^Download invoice$/);
  return link ? turn(act(ctx, 'download', { element: link })) : undefined;
}

function ordersSkill(ctx: ActionContext): FakeTurn | undefined {
  const { prompt, goal } = ctx;
  if (!/order/.test(goal) || !/filter/.test(goal)) return undefined;
  const range = orderRange(prompt, goal);
  if (!range) return undefined;
  const { elements, path } = prompt;
  if (!path.startsWith('/orders')) {
    const link = findElement(elements, 'link', /^Orders$/);
    return turn(link ? act(ctx, 'click', { element: link }) : act(ctx, 'goto_url', { url: '/orders' }));
  }
  if (!path.includes(`start=${range.start}`)) {
    const start = findElement(elements, 'textbox', /^Start date$/);
    const end = findElement(elements, 'textbox', /^End date$/);
    const filter = findElement(elements, 'button', /^Filter$/);
    if (start && end && filter) {
      return turn(act(ctx, 'input_text', { element: start, text: range.start }), act(ctx, 'input_text', { element: end, text: range.end }), act(ctx, 'click', { element: filter }));
    }
  }
  // Totals need every page: extract this one, then go on.
  if (/\b(give me|totals?)\b/.test(goal)) {
    const next = findElement(elements, 'link', /^Next$/);
    if (next) return turn(act(ctx, 'extract'), act(ctx, 'click', { element: next }));
    return done(`All orders from ${range.start} to ${range.end} were listed page by page.`);
  }
  return done(`The orders from ${range.start} to ${range.end} are listed.`);
}

/** Answers for a job application found in the goal text (`"label": "answer"` pairs), by label. */
function answersIn(goal: string): Record<string, string> {
  const answers: Record<string, string> = {};
  for (const match of goal.matchAll(/\\?"([^"\\]{3,200}\?|[^"\\]{3,200}\.)\\?"\s*:\s*\\?"([^"\\]{1,500})\\?"/g)) answers[match[1] ?? ''] = match[2] ?? '';
  return answers;
}

function stringParameter(parameters: Record<string, unknown>, pattern: RegExp): string | undefined {
  for (const [key, value] of Object.entries(parameters)) if (pattern.test(key) && typeof value === 'string') return value;
  return undefined;
}

function jobsSkill(ctx: ActionContext): FakeTurn | undefined {
  const { prompt, goal } = ctx;
  const { elements, path, page } = prompt;
  if (/first job/.test(goal)) {
    if (/^\/jobs\/JOB-\d+/.test(path)) return done('The job page is open.');
    const link = elements.find((e) => e.role === 'link' && /^\/jobs\/JOB-\d+/.test(e.attrs));
    if (link) return turn(act(ctx, 'click', { element: link }));
  }
  if (/search for/.test(goal) && /job/.test(goal)) {
    if (!path.startsWith('/jobs')) {
      const careers = findElement(elements, 'link', /^Careers$/);
      return turn(careers ? act(ctx, 'click', { element: careers }) : act(ctx, 'goto_url', { url: '/jobs' }));
    }
    if (path.includes('q=')) return done('The search results are shown.');
    const keyword = /keyword[s]? "?([A-Za-z ]+?)"?(?:[.,]|$)/i.exec(prompt.goal)?.[1] ?? /\b(engineer|designer|analyst|writer)\b/i.exec(prompt.goal)?.[1] ?? 'engineer';
    const box = findElement(elements, 'searchbox', /^Keywords$/);
    const search = findElement(elements, 'button', /^Search$/);
    if (box && search) return turn(act(ctx, 'input_text', { element: box, text: keyword }), act(ctx, 'click', { element: search }));
  }
  if (/apply button/.test(goal) || /click apply/.test(goal)) {
    const apply = findElement(elements, 'button', /^Apply$/);
    if (apply && !apply.attrs.includes('expanded')) return turn(act(ctx, 'click', { element: apply }), act(ctx, 'complete', { reasoning: 'The application form is open.' }));
    if (findElement(elements, 'button', /^Submit application$/)) return done('The application form is visible.');
  }
  if (/fill out/.test(goal) && /form/.test(goal)) {
    if (/Application submitted/.test(page)) return done('The application was submitted.');
    const submit = findElement(elements, 'button', /^Submit application$/);
    if (submit) {
      const answers = answersIn(prompt.goal);
      const calls: Call[] = [];
      for (const element of elements) {
        if (element.role !== 'textbox') continue;
        let value: string;
        if (/^Full name$/.test(element.name)) value = stringParameter(prompt.parameters, /name/) ?? 'Dana Demo';
        else if (/^Email$/.test(element.name)) value = stringParameter(prompt.parameters, /email/) ?? 'dana@petrel.test';
        else if (element.attrs.includes('url')) value = 'https://example.com/dana';
        else value = answers[element.name] ?? Object.entries(answers).find(([label]) => element.name.startsWith(label.slice(0, 20)))?.[1] ?? `Answer: ${element.name.replace(/\?$/, '')} — yes, with pleasure.`;
        calls.push(act(ctx, 'input_text', { element, text: value }));
      }
      calls.push(act(ctx, 'click', { element: submit }));
      return turn(...calls);
    }
    const apply = findElement(elements, 'button', /^Apply$/);
    if (apply) return turn(act(ctx, 'click', { element: apply }));
  }
  return undefined;
}

function actionTurn(ctx: ActionContext): FakeTurn {
  const { prompt, goal, options } = ctx;
  const { elements, page, path } = prompt;
  if (/\[slow\]/.test(goal)) return { delayMs: options.slowMs ?? 30_000, toolCalls: [{ name: 'complete', input: { reasoning: 'late' } }] };
  if (/\[terminate\]/.test(goal)) {
    const code = Object.entries(prompt.errorCodes).find(([, meaning]) => /refuse|denied|access/i.test(meaning))?.[0];
    return stop('The site refuses access.', code === undefined ? {} : { error_code: code, confidence: 0.9 });
  }
  // A mapped error shown on the page: stop with its code.
  for (const [code, meaning] of Object.entries(prompt.errorCodes)) {
    if (meaning !== '' && page.toLowerCase().includes(meaning.toLowerCase())) return stop(`The page says "${meaning}".`, { error_code: code, confidence: 0.95 });
  }
  // A goal no page reaches.
  if (/unicorn/.test(goal)) return turn(act(ctx, 'scroll', { direction: 'down' }));
  const login = signInSkill(ctx);
  if (login) return login;
  // Signed in from here on. The cookie banner first (it posts a form, so it is its own step).
  const banner = findElement(elements, 'button', /^Accept all cookies$/);
  if (banner && !/\blog ?in\b/.test(goal) && !prompt.history.some((h) => h.includes('Accept all cookies'))) return turn(act(ctx, 'click', { element: banner }));
  if (isLoginGoal(goal) && findElement(elements, 'button', /^Sign out$/)) return done('The dashboard shows the account and a Sign out button.');
  const skill = invoiceSkill(ctx) ?? ordersSkill(ctx) ?? jobsSkill(ctx);
  if (skill) return skill;
  if (/report/.test(goal) && path.startsWith('/reports')) return done('The report page is open.');
  if (/one action, then complete/.test(goal)) {
    const name = /click (?:the )?"?([^".]+)"?/i.exec(prompt.goal)?.[1]?.trim();
    const target = name ? elements.find((e) => e.name.toLowerCase() === name.toLowerCase()) : undefined;
    if (target) return turn(act(ctx, 'click', { element: target }), act(ctx, 'complete', { reasoning: `Clicked ${target.name}.` }));
  }
  if (options.fallback === 'complete') return done('The page is open.');
  return stop(`I do not know what to do on ${path || 'this page'} for: ${prompt.goal.slice(0, 80)}`);
}

function verifyTurn(prompt: ParsedPrompt): FakeTurn {
  const goal = prompt.goal.toLowerCase();
  const { page, path } = prompt;
  const order = /invoice/.test(goal) ? /(ORD-\d+)/i.exec(prompt.goal)?.[1]?.toUpperCase() : undefined;
  let achieved = true;
  if (order) achieved = path.startsWith(`/orders/${order}`);
  else if (isLoginGoal(goal)) achieved = /\[e\d+ button\] Sign out/.test(page);
  else if (/order/.test(goal) && /filter/.test(goal)) achieved = /\/orders\?start=/.test(page);
  else if (/search for/.test(goal)) achieved = /\/jobs\?q=/.test(page);
  else if (/fill out/.test(goal)) achieved = /Application submitted/.test(page);
  else if (/first job/.test(goal)) achieved = /^\/jobs\/JOB-\d+/.test(path);
  return { object: { user_goal_achieved: achieved, reasoning: achieved ? 'The page shows it.' : 'The page does not show it yet.' } };
}

/** Keeps only what a schema asks for (a model answering a strict schema does not add properties). */
function fitTo(schema: unknown, value: unknown): unknown {
  if (typeof schema !== 'object' || schema === null) return value;
  const node = schema as { properties?: Record<string, unknown>; items?: unknown; anyOf?: unknown[] };
  // A nullable value (`anyOf: [T, null]`) is fitted to its non-null branch.
  const option = node.anyOf?.find((o) => typeof o === 'object' && o !== null && (o as { type?: unknown }).type !== 'null');
  if (option) return fitTo(option, value);
  if (Array.isArray(value)) return node.items ? value.map((item) => fitTo(node.items, item)) : value;
  if (typeof value === 'object' && value !== null && node.properties) {
    const out: Record<string, unknown> = {};
    for (const [key, sub] of Object.entries(node.properties)) if (key in value) out[key] = fitTo(sub, (value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** The JSON schema a request asks its answer to follow, if any. */
function schemaOf(request: FakeModelRequest): { properties?: Record<string, { type?: unknown; description?: string }>; required?: string[] } | undefined {
  return request.responseFormat?.type === 'json_schema' ? (request.responseFormat.schema as { properties?: Record<string, { type?: unknown; description?: string }> }) : undefined;
}

/**
 * Shapes an answer for the requested schema: a plain object (only the asked properties, and a
 * value for every required one, as strict structured output always has), a `{ value }` wrapper, or
 * `{ data: "<json>" }`.
 */
function shaped(request: FakeModelRequest, value: unknown): FakeTurn {
  const schema = schemaOf(request);
  const keys = Object.keys(schema?.properties ?? {});
  if (keys.length === 1 && keys[0] === 'data' && /JSON-encoded string/.test(schema?.properties?.['data']?.description ?? '')) return { object: { data: JSON.stringify(value) } };
  if (keys.length === 1 && keys[0] === 'value' && (typeof value !== 'object' || value === null || Array.isArray(value))) return { object: { value } };
  const fitted = fitTo(schema, value);
  if (schema?.required && typeof fitted === 'object' && fitted !== null && !Array.isArray(fitted)) {
    const missing = schema.required.filter((key) => !(key in fitted));
    if (missing.length > 0) {
      const sample = sampleFromSchema(schema) as Record<string, unknown>;
      for (const key of missing) (fitted as Record<string, unknown>)[key] = sample[key];
    }
  }
  return { object: fitted };
}

/** What any page tells about itself, for the fields a schema may ask. */
function pageFacts(prompt: ParsedPrompt): Record<string, unknown> {
  const title = prompt.title;
  return {
    title,
    site_name: title.includes(' - ') ? title.slice(title.lastIndexOf(' - ') + 3) : title,
    portal_host: /^https?:\/\/([^/]+)/.exec(prompt.url)?.[1] ?? null,
    page_path: prompt.path || null,
    job_id: /\/jobs\/(JOB-\d+)/.exec(prompt.path)?.[1] ?? /JOB-\d+/.exec(prompt.page)?.[0] ?? null,
  };
}

function extractionTurn(request: FakeModelRequest): FakeTurn {
  const text = request.lastUserText;
  const prompt = parsePrompt(text);
  const goal = `${prompt.goal} ${promptSection(text, 'EXTRACT')}`.toLowerCase();
  const page = prompt.page;
  const schema = schemaOf(request);
  const wants = JSON.stringify(schema ?? {});
  if (/loop_values/.test(wants)) {
    const links = pageElements(page).filter((e) => e.role === 'link' && /^\/(jobs|orders)\/[A-Z]+-\d+/.test(e.attrs));
    return { object: { loop_values: links.map((e) => e.attrs) } };
  }
  if (/order/.test(goal) && (schema === undefined || /\borders\b/.test(wants))) {
    // Earlier pages' orders first, then what this page adds.
    const previous = /^ALREADY EXTRACTED[^:]*: (.*)$/m.exec(text)?.[1];
    const orders: PortalOrder[] = previous ? [...((JSON.parse(previous) as { orders?: PortalOrder[] } | null)?.orders ?? [])] : [];
    for (const order of ordersOnPage(page)) if (!orders.some((o) => o.order_id === order.order_id)) orders.push(order);
    const grandTotal = Math.round(orders.reduce((sum, o) => sum + o.total * 100, 0)) / 100;
    return shaped(request, { orders, order_count: orders.length, grand_total: grandTotal });
  }
  if (/job profiles|jobs/.test(goal) && /\bjobs\b/.test(wants)) {
    const found: Array<Record<string, string>> = [];
    const lines = page.split('\n');
    lines.forEach((line, index) => {
      const match = /^### \[(e\d+) link \/jobs\/(JOB-\d+)\] (.+)$/.exec(line.trim());
      if (!match) return;
      const [employer = '', location = '', type = ''] = (lines[index + 1] ?? '').split(' · ').map((part) => part.trim());
      found.push({ job_page_url: match[1] ?? '', title: match[3] ?? '', employer, location, type });
    });
    return shaped(request, { jobs: found.slice(0, 2) });
  }
  if (/question/.test(goal)) {
    const questions = pageElements(page)
      .filter((e) => e.role === 'textbox' && !/^(Full name|Email)$/.test(e.name))
      .map((e) => e.name);
    return shaped(request, { questions });
  }
  const after = (label: string): string => new RegExp(`^${label}\\n(.+)$`, 'm').exec(page)?.[1] ?? '';
  if (/every detail about the job|job role/.test(goal)) {
    return shaped(request, { title: /^# (.+)$/m.exec(page)?.[1] ?? '', employer: after('Company'), location: after('Location'), type: after('Employment type'), salary: after('Salary') });
  }
  if (/status/.test(goal) && /report/.test(goal + page)) return shaped(request, { status: /Report status: (\w+)/.exec(page)?.[1]?.toLowerCase() ?? 'unknown' });
  if (/report id|row count/.test(goal)) return shaped(request, { report_id: after('Report ID'), generated_at: after('Generated at'), row_count: Number(after('Row count')) || 0 });
  return shaped(request, schema?.properties ? pageFacts(prompt) : { title: prompt.title });
}

/** text_prompt and file-parser prompts (they end with "Respond with JSON matching this JSON Schema"). */
function structuredTurn(request: FakeModelRequest): FakeTurn {
  const text = request.lastUserText;
  const invoiceId = /Invoice ID:\s*(\S+)/.exec(text)?.[1];
  if (invoiceId) {
    const amount = Number(/Amount due \(USD\):\s*([\d.]+)/.exec(text)?.[1] ?? 0);
    const date = /Invoice date:\s*(\d{4}-\d{2}-\d{2})/.exec(text)?.[1] ?? '';
    const order = /(ORD-\d+)/.exec(text)?.[1] ?? '';
    return shaped(request, { invoice_id: invoiceId, order_id: order, amount, date });
  }
  const file = /File content:\n```\n([\s\S]*?)\n```/.exec(text)?.[1];
  if (file !== undefined) {
    const lines = file
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    return shaped(request, { output: { name: lines[0] ?? '', headline: lines[1] ?? '', details: lines.slice(2) } });
  }
  if (/application form questions/i.test(text)) {
    const questions = [...text.matchAll(/"questions":\s*\[([^\]]*)\]/g)].flatMap((m) => [...(m[1] ?? '').matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((q) => q[1] ?? ''));
    const answers = Object.fromEntries(questions.map((q) => [q, `I would love to: ${q.replace(/\?$/, '').slice(0, 60).toLowerCase()} is exactly what I have done for five years.`]));
    return { object: { llm_response: JSON.stringify(answers) } };
  }
  return { object: { llm_response: 'OK' } };
}

function conditionsTurn(text: string): FakeTurn {
  const page = pageOf(text);
  const results = text
    .split('\n')
    .filter((line) => /^\d+: /.test(line))
    .map((line) => {
      const index = Number(line.slice(0, line.indexOf(':')));
      const statement = line.slice(line.indexOf(':') + 1).toLowerCase();
      let result = false;
      if (/failed|cannot be generated/.test(statement)) result = /status: failed/i.test(page);
      else if (/ready/.test(statement)) result = /Report status: Ready/.test(page);
      else if (/signed in|logged in/.test(statement)) result = /\[e\d+ button\] Sign out/.test(page);
      return { index, result, reasoning: result ? 'The page shows it.' : 'The page does not show it.' };
    });
  return { object: { results } };
}

function validationTurn(text: string): FakeTurn {
  const complete = promptSection(text, 'COMPLETE WHEN').toLowerCase();
  const page = pageOf(text);
  let holds = true;
  if (/signed in|logged in|dashboard/.test(complete)) holds = /\[e\d+ button\] Sign out/.test(page);
  if (/application/.test(complete)) holds = /Application submitted/.test(page);
  return { object: { decision: holds ? 'complete' : 'terminate', reasoning: holds ? 'The page shows it.' : 'The page does not show it.', error_code: null } };
}

function errorsTurn(text: string): FakeTurn {
  const prompt = parsePrompt(text);
  const page = prompt.page.toLowerCase();
  const errors = Object.entries(prompt.errorCodes)
    .filter(([, meaning]) => meaning !== '' && page.includes(meaning.toLowerCase()))
    .map(([code, meaning]) => ({ error_code: code, reasoning: `The page says "${meaning}".`, confidence_float: 0.9 }));
  return { object: { errors } };
}

/** The fake model's `respond` for the fixture portal (see the file header). */
export function portalPolicy(options: PortalPolicyOptions = {}): FakeResponder {
  const state = { claimed: false };
  let actionSteps = 0;
  return (request) => {
    const system = request.system;
    const text = request.lastUserText;
    const log = (kind: string): void =>
      options.onRequest?.({ kind, goal: promptSection(text, 'GOAL'), url: /^url: (.*)$/m.exec(text)?.[1] ?? '', tools: request.tools.map((t) => t.name) }, request);
    if (request.tools.some((t) => t.name === 'complete')) {
      log('action');
      actionSteps++;
      const prompt = parsePrompt(text);
      const answer = actionTurn({ prompt, goal: prompt.goal.toLowerCase(), request, options, state, key: elementKeyOf(request) });
      const delay = options.delayMs?.(prompt, actionSteps) ?? 0;
      return delay > 0 ? { ...answer, delayMs: delay } : answer;
    }
    if (system.startsWith('You check whether')) {
      log('verify');
      return verifyTurn(parsePrompt(text));
    }
    if (system.startsWith('You extract data')) {
      log('extract');
      return extractionTurn(request);
    }
    if (system.startsWith('A browser task did not succeed')) {
      log('errors');
      return errorsTurn(text);
    }
    if (system.startsWith('You plan browser tasks')) {
      log('plan');
      return { object: { plan: ['Sign in', 'Open the page the goal is about', 'Do what the goal says', 'Check the result'] } };
    }
    if (system.startsWith('You evaluate conditions')) {
      log('conditions');
      return conditionsTurn(text);
    }
    if (system.startsWith('You validate')) {
      log('validation');
      return validationTurn(text);
    }
    if (/Respond with JSON matching this JSON Schema/.test(text)) {
      log('structured');
      return structuredTurn(request);
    }
    log('unknown');
    return undefined;
  };
}
