// The README's example runs offline: examples/agent/portal-task.ts against the portal with the fake model.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { skipWithoutChromium } from '../support/agent-harness.ts';

const run = promisify(execFile);
const example = fileURLToPath(new URL('../../../../examples/agent/portal-task.ts', import.meta.url));

it('examples/agent/portal-task.ts completes the task and prints the totals', skipWithoutChromium, async () => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PETREL_LLM_')));
  const { stdout } = await run(process.execPath, [example], { env, timeout: 120_000 });
  assert.match(stdout, /^status: completed$/m);
  assert.match(stdout, /^orders: 44, grand total: 47043\.84;/m);
  assert.match(stdout, /^ {2}step 2: input_text "Verification code" = "petrel_secret_totp_[a-z0-9]{6}"/m);
  assert.match(stdout, /^steps: 7, tokens in\/out: \d+\/\d+/m);
});
