// A scripted "model" for end-to-end runs on the fixture portal: the fake model server calls it with
// each real provider request, and it answers as a capable model would — logging in (email and
// password, then the one-time code, typing the credential's placeholders), completing when the goal
// is shown, checking completion from the page, and extracting the orders listed on a page. Element
// ids are found by role and name in the page text of the prompt; nothing here knows Petrel's insides.
import type { FakeModelRequest, FakeTurn } from '@petrel/fake-model';

type Call = { name: string; input: unknown };

/** The name of the element argument of the agent's tools (`id` or `elementId`), read from the click tool offered. */
let elementKey = 'id';

function call(name: string, input: Record<string, unknown> = {}): Call {
  if (!('elementId' in input) || elementKey === 'elementId') return { name, input };
  const { elementId, ...rest } = input;
  return { name, input: { ...rest, [elementKey]: elementId } };
}

/** The element id of `[eN role …] name` on the page, or undefined. */
function element(page: string, role: string, name: string): string | undefined {
  return new RegExp(`\\[(e\\d+) ${role}[^\\]]*\\] ${name}(?:\\n|$| )`, 'm').exec(page)?.[1];
}

function credentialOf(text: string): Record<string, string> | undefined {
  const raw = /^PARAMETERS: (.*)$/m.exec(text)?.[1];
  if (raw === undefined) return undefined;
  for (const value of Object.values(JSON.parse(raw) as Record<string, unknown>)) {
    if (value !== null && typeof value === 'object' && 'password' in value) return value as Record<string, string>;
  }
  return undefined;
}

/** The orders a page lists (`[e12 link /orders/ORD-10001] ORD-10001 | 2026-03-02 | shipped | 2 | $1,234.50`). */
export function ordersOnPage(page: string): Array<{ order_id: string; total: number }> {
  const orders: Array<{ order_id: string; total: number }> = [];
  for (const m of page.matchAll(/\[e\d+ link \/orders\/ORD-\d+\] (ORD-\d+) \| \S+ \| \w+ \| \d+ \| \$([\d,.]+)/g)) {
    orders.push({ order_id: m[1] ?? '', total: Number((m[2] ?? '0').replaceAll(',', '')) });
  }
  return orders;
}

/** Answers one request of the agent (see the file header); undefined lets the fake answer by its default. */
export function portalModel(request: FakeModelRequest): FakeTurn | undefined {
  const text = request.lastUserText;
  const page = text.slice(text.indexOf('PAGE:'));
  if (request.system.startsWith('You check whether')) {
    const goal = /GOAL: (.*)/.exec(text)?.[1]?.toLowerCase() ?? '';
    const achieved = /log ?in/.test(goal) ? element(page, 'button', 'Sign out') !== undefined : true;
    return { object: { user_goal_achieved: achieved, reasoning: achieved ? 'The page shows it.' : 'Not yet.' } };
  }
  if (request.system.startsWith('You extract data')) return { object: { orders: ordersOnPage(page) } };
  const tools = request.tools.map((t) => t.name);
  if (!tools.includes('complete')) return undefined;
  const click = request.tools.find((tool) => tool.name === 'click');
  const properties = (click?.inputSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
  elementKey = 'elementId' in properties ? 'elementId' : 'id';
  const url = /^url: (.*)$/m.exec(page)?.[1] ?? '';
  const path = url.replace(/^https?:\/\/[^/]+/, '');
  if (path.startsWith('/login/totp')) {
    const credential = credentialOf(text);
    const field = element(page, 'textbox', 'Verification code');
    const verify = element(page, 'button', 'Verify');
    if (credential?.['totp'] === undefined || field === undefined || verify === undefined) return { toolCalls: [call('terminate', { reasoning: 'No code to type.' })] };
    return { toolCalls: [call('input_text', { elementId: field, text: credential['totp'] }), call('click', { elementId: verify })] };
  }
  if (path.startsWith('/login')) {
    const credential = credentialOf(text);
    const email = element(page, 'textbox', 'Email address');
    const password = element(page, 'textbox', 'Password');
    const signIn = element(page, 'button', 'Sign in');
    if (credential === undefined || email === undefined || password === undefined || signIn === undefined) {
      return { toolCalls: [call('terminate', { reasoning: 'No credential for the login form.' })] };
    }
    return {
      toolCalls: [
        call('input_text', { elementId: email, text: credential['username'] }),
        call('input_text', { elementId: password, text: credential['password'] }),
        call('click', { elementId: signIn }),
      ],
    };
  }
  if (element(page, 'button', 'Sign out') !== undefined) return { toolCalls: [call('complete', { reasoning: 'Signed in: the page shows Sign out.' })] };
  return { toolCalls: [call('terminate', { reasoning: `Nothing to do on ${path}.` })] };
}
