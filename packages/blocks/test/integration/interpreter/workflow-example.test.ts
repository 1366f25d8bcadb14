// The README's block workflow example runs offline: examples/workflows/run-workflow.ts on
// portal-invoices.yaml prints a line per block, the outputs, the email and the files it saved.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { skipWithoutChromium } from '../../support/workflow-kit.ts';

const run = promisify(execFile);
const example = fileURLToPath(new URL('../../../../../examples/workflows/run-workflow.ts', import.meta.url));

it('examples/workflows/run-workflow.ts portal-invoices.yaml shows per-block outputs and files', skipWithoutChromium, async () => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PETREL_LLM_')));
  const { stdout } = await run(process.execPath, [example, 'portal-invoices.yaml'], { env, timeout: 180_000 });
  assert.match(stdout, /^status: completed$/m);
  assert.match(stdout, /^ {2}sign_in +completed/m);
  assert.match(stdout, /^ {4}download_invoice \[0\] +completed +[\d.]+ s, 1 file\(s\)$/m);
  assert.match(stdout, /^ {2}email_summary +completed/m);
  assert.match(stdout, /^ {2}list_orders_output: \{.*"orders":\[/m);
  assert.match(stdout, /^email to finance@petrel\.test: "Ember Supply invoices from 2026-03-01 to 2026-03-03.*", attachments: invoice_ORD-\d+\.pdf/m);
  const files = /^files \((\d+)\) saved in (\S+): (.*)$/m.exec(stdout);
  assert.ok(files, stdout);
  const first = /^(invoice_ORD-\d+\.pdf)/.exec(files[3] ?? '')?.[1] ?? '';
  const bytes = await readFile(join(files[2] ?? '', first));
  assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
});
