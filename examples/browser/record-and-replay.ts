// Records a few actions on the fixture portal with `act()`, prints them as a Playwright script, then
// replays the recorded descriptors in a fresh browser context — no observation, no model — and saves
// the signed-in state as a checkpoint that a new context restores.
//
//   node examples/browser/record-and-replay.ts
import { startPortal } from '@petrel/fixture-portal';
import { checkpoint, createBrowserPool, replayToPlaywrightCode, restore, type Observation, type ReplayDescriptor } from '@petrel/browser';

const chromiumPath = process.env['PETREL_CHROMIUM_PATH'];
await using portal = await startPortal({ cookieBanner: false });
await using pool = createBrowserPool({
  contextDefaults: { trace: false, video: 'off', screenshots: 'off', html: false },
  ...(chromiumPath ? { executablePath: chromiumPath } : {}),
});

const id = (page: Observation, role: string, name: string) => {
  const match = page.elements.find((e) => e.role === role && e.name.includes(name));
  if (!match) throw new Error(`no ${role} "${name}"`);
  return match.id;
};

// 1. Record.
const recorded: ReplayDescriptor[] = [];
{
  await using run = await pool.newContext();
  const record = async (action: Parameters<typeof run.act>[0]) => {
    const result = await run.act(action);
    if (!result.ok) throw new Error(`${action.type}: ${result.error?.message}`);
    recorded.push(result.replay);
  };
  await record({ type: 'goto_url', url: `${portal.url}/login` });
  const login = await run.observe();
  await record({ type: 'input_text', elementId: id(login, 'textbox', 'Email'), text: 'demo@petrel.test' });
  await record({ type: 'input_text', elementId: id(login, 'textbox', 'Password'), text: 'petrel-demo-2026', sensitive: true });
  await record({ type: 'click', elementId: id(login, 'button', 'Sign in') });
}

// 2. As a Playwright script (the password stays out of it).
console.log('// recorded as Playwright code\n' + recorded.map(replayToPlaywrightCode).join('\n'));

// 3. Replay in a fresh context, then finish the TOTP step by code and checkpoint.
let saved;
{
  await using replay = await pool.newContext();
  for (const descriptor of recorded) {
    const result = await replay.replay(descriptor, { text: 'petrel-demo-2026' });
    console.log(`replayed ${descriptor.action.type.padEnd(10)} ${result.ok ? 'ok' : `failed: ${result.error?.message}`}${result.matchedSelector ? ` via ${result.matchedSelector.kind}` : ''}`);
  }
  const totp = await replay.observe();
  await replay.act({ type: 'input_text', elementId: id(totp, 'textbox', 'Verification code'), text: portal.totp(), pressEnter: true });
  saved = await checkpoint(replay);
  console.log(`checkpoint: ${JSON.stringify(saved).length} bytes of JSON${'tabs' in saved ? `, tabs ${saved.tabs.map((t) => t.url).join(' ')}` : ''}`);
}

// 4. Restore the checkpoint: a new context, already signed in, on the same page.
await using restored = await restore(pool, saved);
const page = await restored.observe();
console.log(`restored at ${page.url}: ${page.text.includes('Welcome back') ? 'signed in' : 'NOT signed in'}`);
