// The README's example of the non-browser blocks runs offline: examples/blocks/non-browser-blocks.ts
// against the portal, the fake model and a loopback SMTP server.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const example = fileURLToPath(new URL('../../../../../examples/blocks/non-browser-blocks.ts', import.meta.url));

test('examples/blocks/non-browser-blocks.ts downloads, parses, adds up and mails the invoices', async () => {
  const { stdout } = await run(process.execPath, [example], { timeout: 120_000 });
  assert.match(stdout, /^download_ORD_10001: completed$/m);
  assert.match(stdout, /^parse_ORD_10002: completed$/m);
  assert.match(stdout, /^ {2}total: (\d+\.\d\d) \(the portal says \1\)$/m);
  assert.match(stdout, /^ {2}attachments: invoice_ORD-10001\.pdf, invoice_ORD-10002\.pdf$/m);
  assert.doesNotMatch(stdout, /: failed/);
});
