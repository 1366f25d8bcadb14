// A scripted "model" for the workflow examples on the fixture portal: a `respond` function for the
// fake model server that reads each real request (the agent's action prompt, a completion check, an
// extraction, a conditional or validation question, a text_prompt or file-parser prompt) and answers
// as a capable model would, finding element ids by role and name in the page text. It knows nothing
// of Petrel's internals: everything it decides comes from the HTTP request the fake received.
import type { FakeModelRequest, FakeResponder, FakeTurn } from '@petrel/fake-model';

/** One actionable element line of a page: `[e12 button] Sign in`. */
type PageElement = { id: string; role: string; attrs: string; name: string };

const ELEMENT = /\[(e\d+) ([^\]]*?)\](?: ([^[\n]*))?/g;
const HEADERS = ['GOAL', 'COMPLETE WHEN', 'TERMINATE WHEN', 'ERROR CODES', 'PARAMETERS', 'PLAN', 'DATE', 'STEP', 'HISTORY', 'NOTE', 'VERIFICATION CODE', 'PAGE', 'EXTRACT', 'ALREADY EXTRACTED', 'THE AGENT SAYS', 'ACTIONS'];

function elementsOf(page: string): PageElement[] {
  const out: PageElement[] = [];
  for (const line of page.split('\n')) {
    for (const match of line.matchAll(ELEMENT)) {
      const [role = '', ...attrs] = (match[2] ?? '').split(' ');
      out.push({ id: match[1] ?? '', role, attrs: attrs.join(' '), name: (match[3] ?? '').trim() });
    }
  }
  return out;
}

/** The text of a prompt section (`GOAL: …` up to the next known header). */
function section(text: string, title: string): string {
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

function find(elements: readonly PageElement[], role: string | RegExp, name: RegExp): PageElement | undefined {
  return elements.find((e) => (typeof role === 'string' ? e.role === role : role.test(e.role)) && name.test(e.name));
}

let elementKeyName = 'elementId';

function call(name: string, input: Record<string, unknown> = {}): { name: string; input: unknown } {
  if ('elementId' in input && elementKeyName !== 'elementId') {
    const { elementId, ...rest } = input;
    return { name, input: { ...rest, [elementKeyName]: elementId } };
  }
  return { name, input };
}

function credentialOf(parameters: Record<string, unknown>): Record<string, string> | undefined {
  for (const value of Object.values(parameters)) {
    if (value && typeof value === 'object' && 'password' in value) return value as Record<string, string>;
  }
  return undefined;
}

function stringParameter(parameters: Record<string, unknown>, pattern: RegExp): string | undefined {
  for (const [key, value] of Object.entries(parameters)) if (pattern.test(key) && typeof value === 'string') return value;
  return undefined;
}

/** Answers for the job application form found in the goal text (`"label": "answer"` pairs), by label. */
function answersIn(goal: string): Record<string, string> {
  const answers: Record<string, string> = {};
  for (const match of goal.matchAll(/\\?"([^"\\]{3,200}\?|[^"\\]{3,200}\.)\\?"\s*:\s*\\?"([^"\\]{1,500})\\?"/g)) answers[match[1] ?? ''] = match[2] ?? '';
  return answers;
}

/** What the policy saw and did, for tests. */
export type PortalModelLog = { kind: string; goal: string; url: string; tools: string[] };

/** Options of the policy. */
export type PortalModelOptions = {
  /** Called with every request the policy answers. */
  onRequest?: (entry: PortalModelLog, request: FakeModelRequest) => void;
};

/** The name of the element-id argument the agent's tools take (read from the offered click tool). */
function elementKeyOf(request: FakeModelRequest): string {
  const click = request.tools.find((t) => t.name === 'click');
  const properties = (click?.inputSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
  return 'elementId' in properties ? 'elementId' : 'id';
}

function actionTurn(text: string, history: string[]): FakeTurn {
  const goal = section(text, 'GOAL');
  const goalLower = goal.toLowerCase();
  const parametersText = /^PARAMETERS: (.*)$/m.exec(text)?.[1];
  const parameters = parametersText ? (JSON.parse(parametersText) as Record<string, unknown>) : {};
  const page = text.slice(text.indexOf('\nPAGE:\n') + 7);
  const url = /^url: (.*)$/m.exec(page)?.[1] ?? '';
  const path = url.replace(/^https?:\/\/[^/]+/, '');
  const elements = elementsOf(page);
  const done = (reasoning: string): FakeTurn => ({ toolCalls: [call('complete', { reasoning })] });
  const codes = section(text, 'ERROR CODES');
  for (const line of codes.split('\n').slice(1)) {
    const [code, meaning] = [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)];
    if (meaning && page.toLowerCase().includes(meaning.toLowerCase().slice(0, 20))) {
      return { toolCalls: [call('terminate', { reasoning: `The page says "${meaning}".`, error_code: code, confidence: 0.9 })] };
    }
  }

  // Signing in.
  if (path.startsWith('/login/totp')) {
    const credential = credentialOf(parameters);
    const field = find(elements, 'textbox', /^Verification code$/);
    const verify = find(elements, 'button', /^Verify$/);
    if (!credential?.totp || !field || !verify) return { toolCalls: [call('terminate', { reasoning: 'I have no one-time code to type.' })] };
    return { toolCalls: [call('input_text', { elementId: field.id, text: credential.totp }), call('click', { elementId: verify.id })] };
  }
  if (path.startsWith('/login')) {
    const credential = credentialOf(parameters);
    const email = find(elements, 'textbox', /^Email address$/);
    const password = find(elements, 'textbox', /^Password$/);
    const signIn = find(elements, 'button', /^Sign in$/);
    if (!credential || !email || !password || !signIn) return { toolCalls: [call('terminate', { reasoning: 'No credential was given for the login form.' })] };
    return {
      toolCalls: [
        call('input_text', { elementId: email.id, text: credential.username }),
        call('input_text', { elementId: password.id, text: credential.password }),
        call('click', { elementId: signIn.id }),
      ],
    };
  }
  const banner = find(elements, 'button', /^Accept all cookies$/);
  if (banner && !history.some((h) => h.includes('Accept all cookies'))) return { toolCalls: [call('click', { elementId: banner.id })] };
  if (/\blog ?in\b/.test(goalLower) && find(elements, 'button', /^Sign out$/)) return done('The dashboard shows the account and a Sign out button.');

  // Invoices: open an order and download its invoice.
  if (/download invoice/.test(goalLower)) {
    if (history.some((h) => h.includes('downloaded'))) return done('The invoice was downloaded.');
    const order = /(ORD-\d+)/.exec(goal)?.[1];
    if (order && !path.startsWith(`/orders/${order}`)) {
      const orderLink = find(elements, 'link', new RegExp(`^${order}\\b`));
      return { toolCalls: [orderLink ? call('click', { elementId: orderLink.id }) : call('goto_url', { url: `/orders/${order}` })] };
    }
    const link = find(elements, 'link', /^Download invoice$/);
    if (link) return { toolCalls: [call('download', { elementId: link.id })] };
  }
  // Orders: filter a date range.
  const dates = [...goal.matchAll(/\d{4}-\d{2}-\d{2}/g)].map((m) => m[0]);
  if (/order/.test(goalLower) && /filter/.test(goalLower) && dates.length >= 2) {
    if (!path.startsWith('/orders')) {
      const orders = find(elements, 'link', /^Orders$/);
      return { toolCalls: [orders ? call('click', { elementId: orders.id }) : call('goto_url', { url: '/orders' })] };
    }
    if (!path.includes(`start=${dates[0]}`)) {
      const start = find(elements, 'textbox', /^Start date$/);
      const end = find(elements, 'textbox', /^End date$/);
      const filter = find(elements, 'button', /^Filter$/);
      if (start && end && filter) {
        return {
          toolCalls: [call('input_text', { elementId: start.id, text: dates[0] }), call('input_text', { elementId: end.id, text: dates[1] }), call('click', { elementId: filter.id })],
        };
      }
    }
    return done(`The orders from ${dates[0]} to ${dates[1]} are listed.`);
  }
  // Jobs: search.
  if (/search for/.test(goalLower) && /job/.test(goalLower)) {
    if (!path.startsWith('/jobs')) {
      const careers = find(elements, 'link', /^Careers$/);
      return { toolCalls: [careers ? call('click', { elementId: careers.id }) : call('goto_url', { url: '/jobs' })] };
    }
    if (path.includes('q=')) return done('The search results are shown.');
    const keyword = /keyword[s]? "?([A-Za-z ]+?)"?(?:[.,]|$)/i.exec(goal)?.[1] ?? /\b(engineer|designer|analyst|writer)\b/i.exec(goal)?.[1] ?? 'engineer';
    const box = find(elements, 'searchbox', /^Keywords$/);
    const search = find(elements, 'button', /^Search$/);
    if (box && search) return { toolCalls: [call('input_text', { elementId: box.id, text: keyword }), call('click', { elementId: search.id })] };
  }
  // Jobs: open the application form.
  if (/apply button/.test(goalLower) || /click apply/.test(goalLower)) {
    const apply = find(elements, 'button', /^Apply$/);
    if (apply && !apply.attrs.includes('expanded')) return { toolCalls: [call('click', { elementId: apply.id }), call('complete', { reasoning: 'The application form is open.' })] };
    if (find(elements, 'button', /^Submit application$/)) return done('The application form is visible.');
  }
  // Jobs: fill and submit the application.
  if (/fill out/.test(goalLower) && /form/.test(goalLower)) {
    if (/Application submitted/.test(page)) return done('The application was submitted.');
    const submit = find(elements, 'button', /^Submit application$/);
    if (submit) {
      const answers = answersIn(goal);
      const calls: Array<{ name: string; input: unknown }> = [];
      for (const element of elements) {
        if (element.role !== 'textbox') continue;
        let value: string;
        if (/^Full name$/.test(element.name)) value = stringParameter(parameters, /name/) ?? 'Dana Demo';
        else if (/^Email$/.test(element.name)) value = stringParameter(parameters, /email/) ?? 'dana@petrel.test';
        else if (element.attrs.includes('url')) value = 'https://example.com/dana';
        else value = answers[element.name] ?? Object.entries(answers).find(([label]) => element.name.startsWith(label.slice(0, 20)))?.[1] ?? `Answer: ${element.name.replace(/\?$/, '')} — yes, with pleasure.`;
        calls.push(call('input_text', { elementId: element.id, text: value }));
      }
      calls.push(call('click', { elementId: submit.id }));
      return { toolCalls: calls };
    }
    const apply = find(elements, 'button', /^Apply$/);
    if (apply) return { toolCalls: [call('click', { elementId: apply.id })] };
  }
  // Reports.
  if (/report/.test(goalLower) && path.startsWith('/reports')) return done('The report page is open.');
  if (/one action, then complete/.test(goalLower)) {
    const name = /click (?:the )?"?([^".]+)"?/i.exec(goal)?.[1]?.trim();
    const target = name ? elements.find((e) => e.name.toLowerCase() === name.toLowerCase()) : undefined;
    if (target) return { toolCalls: [call('click', { elementId: target.id }), call('complete', { reasoning: `Clicked ${target.name}.` })] };
  }
  return { toolCalls: [call('terminate', { reasoning: `I do not know what to do on ${path || 'this page'} for: ${goal.slice(0, 80)}` })] };
}

function verifyTurn(text: string): FakeTurn {
  const goal = section(text, 'GOAL').toLowerCase();
  const page = text.slice(text.indexOf('PAGE:'));
  let achieved = true;
  if (/\blog ?in\b/.test(goal) && !/order|report|job/.test(goal)) achieved = /\[e\d+ button\] Sign out/.test(page);
  else if (/filter/.test(goal) && /order/.test(goal)) achieved = /\/orders\?start=/.test(page);
  else if (/search for/.test(goal)) achieved = /\/jobs\?q=/.test(page);
  else if (/fill out/.test(goal)) achieved = /Application submitted/.test(page);
  return { object: { user_goal_achieved: achieved, reasoning: achieved ? 'The page shows it.' : 'The page does not show it yet.' } };
}

type Order = { order_id: string; date: string; status: string; total: number };

function ordersOn(page: string): Order[] {
  const orders: Order[] = [];
  for (const m of page.matchAll(/\[e\d+ link \/orders\/ORD-\d+\] (ORD-\d+) \| (\S+) \| (\w+) \| \d+ \| \$([\d,.]+)/g)) {
    orders.push({ order_id: m[1] ?? '', date: m[2] ?? '', status: m[3] ?? '', total: Number((m[4] ?? '0').replaceAll(',', '')) });
  }
  return orders;
}

/** Keeps only what a schema asks for (a model answering a strict schema does not add properties). */
function fitTo(schema: unknown, value: unknown): unknown {
  if (typeof schema !== 'object' || schema === null) return value;
  const node = schema as { properties?: Record<string, unknown>; items?: unknown; anyOf?: unknown[] };
  if (Array.isArray(value)) return node.items ? value.map((item) => fitTo(node.items, item)) : value;
  if (typeof value === 'object' && value !== null && node.properties) {
    const out: Record<string, unknown> = {};
    for (const [key, sub] of Object.entries(node.properties)) if (key in value) out[key] = fitTo(sub, (value as Record<string, unknown>)[key]);
    return out;
  }
  const options = node.anyOf?.find((option) => typeof option === 'object' && option !== null && (option as { type?: unknown }).type !== 'null');
  return options ? fitTo(options, value) : value;
}

/** Shapes an answer for the requested structured-output schema (plain object, `{ value }` wrapper, or `{ data: "<json>" }`). */
function shaped(request: FakeModelRequest, value: unknown): FakeTurn {
  const schema = request.responseFormat?.type === 'json_schema' ? (request.responseFormat.schema as { properties?: Record<string, { type?: unknown; description?: string }> }) : undefined;
  const keys = Object.keys(schema?.properties ?? {});
  if (keys.length === 1 && keys[0] === 'data' && /JSON-encoded string/.test(schema?.properties?.['data']?.description ?? '')) return { object: { data: JSON.stringify(value) } };
  if (keys.length === 1 && keys[0] === 'value' && (typeof value !== 'object' || value === null || Array.isArray(value))) return { object: { value } };
  return { object: fitTo(schema, value) };
}

function extractionTurn(request: FakeModelRequest): FakeTurn {
  const text = request.lastUserText;
  const goal = `${section(text, 'GOAL')} ${section(text, 'EXTRACT')}`.toLowerCase();
  const page = text.slice(text.indexOf('PAGE'));
  const wants = JSON.stringify(request.responseFormat?.type === 'json_schema' ? request.responseFormat.schema : {});
  if (/loop_values/.test(wants)) {
    const links = elementsOf(page).filter((e) => e.role === 'link' && /^\/(jobs|orders)\/[A-Z]+-\d+/.test(e.attrs));
    return { object: { loop_values: links.map((e) => e.attrs) } };
  }
  if (/order/.test(goal) && /\borders\b/.test(wants)) {
    const previous = /^ALREADY EXTRACTED[^:]*: (.*)$/m.exec(text)?.[1];
    const known = previous ? ((JSON.parse(previous) as { orders?: Order[] }).orders ?? []) : [];
    const orders = [...known];
    for (const order of ordersOn(page)) if (!orders.some((o) => o.order_id === order.order_id)) orders.push(order);
    return shaped(request, { orders });
  }
  if (/job profiles|jobs/.test(goal) && /\bjobs\b/.test(wants)) {
    const jobs: Array<Record<string, string>> = [];
    const lines = page.split('\n');
    lines.forEach((line, index) => {
      const match = /^### \[(e\d+) link \/jobs\/(JOB-\d+)\] (.+)$/.exec(line.trim());
      if (!match) return;
      const [employer = '', location = '', type = ''] = (lines[index + 1] ?? '').split(' · ').map((part) => part.trim());
      jobs.push({ job_page_url: match[1] ?? '', title: match[3] ?? '', employer, location, type });
    });
    return shaped(request, { jobs: jobs.slice(0, 2) });
  }
  if (/question/.test(goal)) {
    const questions = elementsOf(page)
      .filter((e) => e.role === 'textbox' && !/^(Full name|Email)$/.test(e.name))
      .map((e) => e.name);
    return shaped(request, { questions });
  }
  if (/every detail about the job|job role/.test(goal)) {
    const title = /^# (.+)$/m.exec(page)?.[1] ?? '';
    const after = (label: string) => new RegExp(`^${label}\\n(.+)$`, 'm').exec(page)?.[1] ?? '';
    return shaped(request, { title, employer: after('Company'), location: after('Location'), type: after('Employment type'), salary: after('Salary') });
  }
  if (/status/.test(goal) && /report/.test(goal + page)) {
    const status = /Report status: (\w+)/.exec(page)?.[1]?.toLowerCase() ?? 'unknown';
    return shaped(request, { status });
  }
  if (/report id|row count/.test(goal)) {
    const after = (label: string) => new RegExp(`^${label}\\n(.+)$`, 'm').exec(page)?.[1] ?? '';
    return shaped(request, { report_id: after('Report ID'), generated_at: after('Generated at'), row_count: Number(after('Row count')) || 0 });
  }
  const title = /^title: (.*)$/m.exec(page)?.[1] ?? '';
  return shaped(request, { title });
}

/** text_prompt and file-parser prompts (they end with "Respond with JSON matching this JSON Schema"). */
function structuredTurn(request: FakeModelRequest): FakeTurn {
  const text = request.lastUserText;
  const invoice = /Invoice ID:\s*(\S+)/.exec(text)?.[1];
  if (invoice) {
    const amount = Number(/Amount due \(USD\):\s*([\d.]+)/.exec(text)?.[1] ?? 0);
    const date = /Invoice date:\s*(\d{4}-\d{2}-\d{2})/.exec(text)?.[1] ?? '';
    const order = /(ORD-\d+)/.exec(text)?.[1] ?? '';
    return shaped(request, { invoice_id: invoice, order_id: order, amount, date });
  }
  const file = /File content:\n```\n([\s\S]*?)\n```/.exec(text)?.[1];
  if (file !== undefined) {
    const lines = file.split('\n').map((line) => line.trim()).filter(Boolean);
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
  const page = text.slice(text.indexOf('PAGE:'));
  const conditions = text.split('\n').filter((line) => /^\d+: /.test(line));
  const results = conditions.map((line) => {
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
  const complete = section(text, 'COMPLETE WHEN').toLowerCase();
  const page = text.slice(text.indexOf('PAGE:'));
  let holds = true;
  if (/signed in|logged in|dashboard/.test(complete)) holds = /\[e\d+ button\] Sign out/.test(page);
  if (/application/.test(complete)) holds = /Application submitted/.test(page);
  return { object: { decision: holds ? 'complete' : 'terminate', reasoning: holds ? 'The page shows it.' : 'The page does not show it.', error_code: null } };
}

/** The fake model's `respond` for the workflow examples on the portal. */
export function portalWorkflowModel(options: PortalModelOptions = {}): FakeResponder {
  return (request) => {
    const system = request.system;
    const text = request.lastUserText;
    const log = (kind: string): void =>
      options.onRequest?.({ kind, goal: section(text, 'GOAL'), url: /^url: (.*)$/m.exec(text)?.[1] ?? '', tools: request.tools.map((t) => t.name) }, request);
    if (request.tools.some((t) => t.name === 'complete')) {
      log('action');
      const history = section(text, 'HISTORY').split('\n');
      elementKeyName = elementKeyOf(request);
      return actionTurn(text, history);
    }
    if (system.startsWith('You check whether')) {
      log('verify');
      return verifyTurn(text);
    }
    if (system.startsWith('You extract data')) {
      log('extract');
      return extractionTurn(request);
    }
    if (system.startsWith('A browser task did not succeed')) {
      log('errors');
      return { object: { errors: [] } };
    }
    if (system.startsWith('You plan browser tasks')) {
      log('plan');
      return { object: { plan: ['Open the page', 'Do what the goal says', 'Check the result'] } };
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
