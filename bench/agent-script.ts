// Bench-only: the fixed script the fake model follows for `npm run bench:agent` — "log in, filter last
// month's orders, give me the totals as JSON" on the fixture portal. Like a model, it reads the prompt
// the agent sent (the page's element lines, the parameters, the date) to choose element ids.
import type { FakeModelRequest, FakeResponder, FakeTurn } from '@petrel/fake-model';

type Element = { id: string; role: string; name: string };

function elements(page: string): Element[] {
  const out: Element[] = [];
  for (const line of page.split('\n')) {
    for (const match of line.matchAll(/\[(e\d+) ([a-z]+)[^\]]*\](?: ([^[\n]*))?/g)) out.push({ id: match[1] ?? '', role: match[2] ?? '', name: (match[3] ?? '').trim() });
  }
  return out;
}

function id(list: Element[], role: string, name: RegExp): string {
  const found = list.find((e) => e.role === role && name.test(e.name));
  if (!found) throw new Error(`bench script: no ${role} ${String(name)}`);
  return found.id;
}

function lastMonth(date: string): { start: string; end: string } {
  const [y = 0, m = 1] = date.split('-').map(Number);
  return { start: new Date(Date.UTC(y, m - 2, 1)).toISOString().slice(0, 10), end: new Date(Date.UTC(y, m - 1, 0)).toISOString().slice(0, 10) };
}

function call(name: string, input: Record<string, unknown> = {}): { name: string; input: unknown } {
  return { name, input };
}

function act(request: FakeModelRequest): FakeTurn {
  const text = request.lastUserText;
  const page = text.slice(text.indexOf('\nPAGE:\n') + 7);
  const url = /^url: (.*)$/m.exec(page)?.[1] ?? '';
  const path = url.replace(/^https?:\/\/[^/]+/, '');
  const list = elements(page);
  const params = JSON.parse(/^PARAMETERS: (.*)$/m.exec(text)?.[1] ?? '{}') as Record<string, Record<string, string>>;
  const credential = Object.values(params)[0] ?? {};
  if (path.startsWith('/login/totp')) {
    return { toolCalls: [call('input_text', { id: id(list, 'textbox', /^Verification code$/), text: credential.totp }), call('click', { id: id(list, 'button', /^Verify$/) })] };
  }
  if (path.startsWith('/login')) {
    return {
      toolCalls: [
        call('input_text', { id: id(list, 'textbox', /^Email address$/), text: credential.username }),
        call('input_text', { id: id(list, 'textbox', /^Password$/), text: credential.password }),
        call('click', { id: id(list, 'button', /^Sign in$/) }),
      ],
    };
  }
  const { start, end } = lastMonth((/^DATE: (\S+)/m.exec(text)?.[1] ?? '').slice(0, 10));
  if (!path.startsWith('/orders')) return { toolCalls: [call('click', { id: id(list, 'link', /^Orders$/) })] };
  if (!path.includes(`start=${start}`)) {
    return {
      toolCalls: [
        call('input_text', { id: id(list, 'textbox', /^Start date$/), text: start }),
        call('input_text', { id: id(list, 'textbox', /^End date$/), text: end }),
        call('click', { id: id(list, 'button', /^Filter$/) }),
      ],
    };
  }
  const next = list.find((e) => e.role === 'link' && e.name === 'Next');
  if (next) return { toolCalls: [call('extract'), call('click', { id: next.id })] };
  return { toolCalls: [call('complete', { reasoning: `The orders from ${start} to ${end} were read page by page.` })] };
}

function extract(text: string): FakeTurn {
  const previous = JSON.parse(/^ALREADY EXTRACTED[^:]*: (.*)$/m.exec(text)?.[1] ?? 'null') as { orders?: Array<{ order_id: string; total: number }> } | null;
  const orders = [...(previous?.orders ?? [])];
  const seen = new Set(orders.map((o) => o.order_id));
  for (const line of text.split('\n')) {
    const m = /^\[(e\d+) link \/orders\/ORD-\d+\] (ORD-\d+) \| (\S+) \| (\w+) \| \d+ \| \$([\d,.]+)$/.exec(line.trim());
    if (!m || seen.has(m[2] ?? '')) continue;
    seen.add(m[2] ?? '');
    orders.push({ order_id: m[2] ?? '', date: m[3] ?? '', status: m[4] ?? '', total: Number((m[5] ?? '0').replaceAll(',', '')), url: m[1] ?? '' } as never);
  }
  return { object: { orders, order_count: orders.length, grand_total: Math.round(orders.reduce((s, o) => s + o.total * 100, 0)) / 100 } };
}

/** The fake model's answers for the benchmark task. */
export const benchScript: FakeResponder = (request) => {
  if (request.tools.some((t) => t.name === 'complete')) return act(request);
  if (request.system.startsWith('You check whether')) return { object: { user_goal_achieved: true, reasoning: 'The filtered list is shown.' } };
  if (request.system.startsWith('You extract data')) return extract(request.lastUserText);
  return undefined;
};

/** The data extraction schema of the benchmark task. */
export const ORDERS_SCHEMA = {
  type: 'object',
  properties: {
    orders: {
      type: 'array',
      items: {
        type: 'object',
        properties: { order_id: { type: 'string' }, date: { type: 'string' }, status: { type: 'string' }, total: { type: 'number' }, url: { type: 'string' } },
        required: ['order_id', 'date', 'status', 'total', 'url'],
      },
    },
    order_count: { type: 'integer' },
    grand_total: { type: 'number' },
  },
  required: ['orders', 'order_count', 'grand_total'],
};
