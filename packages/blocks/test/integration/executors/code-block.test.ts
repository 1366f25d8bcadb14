// The code block executor: parameters as globals with real secrets, outputs with placeholders,
// ErrorCode mapping, limits, and the page API driving headless Chromium through the fixture portal
// (password login plus a TOTP code from the credential's otp(), then reading the orders table).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createBrowserPool, createDiskBlobStore, findChromium } from '@petrel/browser';
import type { BrowserPool, RunContext } from '@petrel/browser';
import { startPortal, DEMO_USER } from '@petrel/fixture-portal';
import type { Portal } from '@petrel/fixture-portal';
import { CodeBlockSchema, isPetrelError } from '@petrel/protocol';
import type { CodeBlock } from '@petrel/protocol';
import { executeCodeBlock } from '@petrel/blocks';
import { testContext } from './executor-fixture.ts';

function block(fields: Record<string, unknown>): CodeBlock {
  return CodeBlockSchema.parse({ block_type: 'code', label: 'compute', ...fields });
}

test('parameters are globals with their secrets revealed; the output gets placeholders back', async () => {
  const ctx = testContext();
  const apiKey = ctx.redactor.register('key-live-777', { label: 'api_key' });
  ctx.parameters = { api_key: apiKey, orders: [{ id: 'ORD-1', total: 10.5 }, { id: 'ORD-2', total: 4.5 }], 'not-an-identifier': 1 };
  const result = await executeCodeBlock(
    block({
      code: `
        const total = orders.reduce((sum, o) => sum + o.total, 0);
        const keyLength = api_key.length;
        const header = 'Bearer ' + api_key;
        console.log('using', api_key);
      `,
    }),
    ctx,
  );
  assert.equal(result.status, 'completed');
  const output = result.output as Record<string, unknown>;
  assert.equal(output['total'], 15);
  assert.equal(output['keyLength'], 'key-live-777'.length, 'the code saw the real value');
  assert.equal(output['header'], `Bearer ${apiKey}`, 'the stored output has the placeholder');
});

test('parameter_keys limits the globals and must name parameters that exist', async () => {
  const ctx = testContext({ parameters: { a: 1, b: 2 } });
  const result = await executeCodeBlock(block({ code: 'const seen = [typeof a, typeof b]', parameter_keys: ['a'] }), ctx);
  assert.deepEqual(result.output, { seen: ['number', 'undefined'] });
  await assert.rejects(executeCodeBlock(block({ code: 'const x = 1', parameter_keys: ['missing'] }), ctx), (error: unknown) => {
    assert.ok(isPetrelError(error));
    assert.equal((error.details as { field: string }).field, 'parameter_keys[0]');
    return true;
  });
});

test('ErrorCode fails the block with the mapped code; a runaway loop times out; syntax errors name the line', async () => {
  const ctx = testContext();
  const coded = await executeCodeBlock(
    block({ code: 'const rows = [];\nif (rows.length === 0) throw new ErrorCode("NO_ORDERS", "the account has no orders")', error_code_mapping: { NO_ORDERS: 'No orders were found' } }),
    ctx,
  );
  assert.equal(coded.status, 'failed');
  assert.equal(coded.failureReason, 'NO_ORDERS: the account has no orders');
  assert.deepEqual(coded.errorCodes, [{ error_code: 'NO_ORDERS', reasoning: 'the account has no orders', confidence_float: 1, error_type: 'USER_DEFINED_ERROR' }]);

  const loop = await executeCodeBlock(block({ code: 'console.log("start"); while (true) {}' }), testContext({ codeLimits: { timeoutMs: 1000 } }));
  assert.equal(loop.status, 'timed_out');
  assert.deepEqual((loop.output as { console: string[] }).console, ['start']);

  await assert.rejects(executeCodeBlock(block({ code: 'const a = ;' }), ctx), (error: unknown) => isPetrelError(error) && (error.details as { line?: number }).line === 1);
});

test('without a run browser there is no page', async () => {
  const result = await executeCodeBlock(block({ code: 'const hasPage = typeof page !== "undefined"' }), testContext());
  assert.deepEqual(result.output, { hasPage: false });
});

const chromium = findChromium();
const skip = chromium || process.env['CI'] === 'true' ? false : 'Chromium is not installed (run npm run setup)';

describe('the page API on the fixture portal', { skip }, () => {
  let portal: Portal;
  let pool: BrowserPool;
  let root: string;
  before(async () => {
    portal = await startPortal({ cookieBanner: false });
    root = await mkdtemp(join(tmpdir(), 'petrel-code-block-'));
    pool = createBrowserPool({
      blobStore: createDiskBlobStore({ root: join(root, 'blobs') }),
      downloadsRoot: join(root, 'downloads'),
      maxContexts: 2,
      contextDefaults: { trace: false, video: 'off', screenshots: 'off', html: false },
    });
  });
  after(async () => {
    await pool?.close();
    await portal?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  test('logs in with the credential (password and otp()) and reads the orders table', async () => {
    let opened: RunContext | undefined;
    const ctx = testContext({
      browser: async () => (opened ??= await pool.newContext()),
      codeLimits: { timeoutMs: 60_000 },
    });
    const login = ctx.redactor.registerCredential({ credential_type: 'password', username: DEMO_USER.email, password: DEMO_USER.password, totp: DEMO_USER.totpSecret });
    ctx.parameters = { portal_url: portal.url, login };
    try {
      const result = await executeCodeBlock(
        block({
          code: `
            await page.goto(portal_url + '/login');
            await page.fill('#email', login.username);
            await page.fill('#password', login.password);
            await page.click('[data-testid=login-submit]');
            await page.fill('[data-testid=totp-input]', await login.otp());
            await page.click('button[type=submit]');
            await page.goto(portal_url + '/orders');
            const title = await page.title();
            const rowCount = await page.count('[data-testid=order-row]');
            const rows = await page.texts('[data-testid=order-row]');
            const orders = rows.map((row) => {
              const cells = row.split('\\t').map((cell) => cell.trim());
              return { id: cells[0], total: Number(cells[cells.length - 1].replace(/[$,]/g, '')) };
            });
            const firstId = await page.attribute('[data-testid=order-row]', 'data-order-id');
            const shot = await page.screenshot();
            const hasSeed = Object.keys(login).includes('totp');
            await page.goto(portal_url + '/orders/' + firstId);
            const invoice = await page.download('[data-testid=download-invoice]');
          `,
        }),
        ctx,
      );
      assert.equal(result.status, 'completed', result.failureReason);
      const output = result.output as { title: string; rowCount: number; orders: Array<{ id: string; total: number }>; firstId: string; shot: { size: number }; hasSeed: boolean };
      assert.ok(output.rowCount > 0);
      assert.equal(output.orders.length, output.rowCount);
      for (const order of output.orders) {
        const known = portal.data.orders.find((o) => o.id === order.id);
        assert.ok(known, `order ${order.id} is one of the portal's`);
        assert.equal(order.total, known.total);
      }
      assert.equal(output.firstId, output.orders[0]?.id);
      assert.ok(output.shot.size > 1000);
      assert.equal(output.hasSeed, false, 'the TOTP seed is not given to the code');
      const invoiceName = `invoice_${output.firstId}.pdf`;
      assert.deepEqual((result.output as { invoice: { file_path: string } }).invoice.file_path, `SKYVERN_DOWNLOAD_DIRECTORY/${invoiceName}`);
      assert.deepEqual(
        result.downloadedFiles?.map((f) => f.filename),
        [invoiceName],
        'the download is reported to the interpreter',
      );
      assert.deepEqual(
        portal.submissions.logins.map((l) => [l.step, l.outcome]),
        [
          ['password', 'ok'],
          ['totp', 'ok'],
        ],
      );
    } finally {
      await opened?.close();
    }
  });

  test('a selector that matches nothing is an error the code can catch', async () => {
    let opened: RunContext | undefined;
    const ctx = testContext({ browser: async () => (opened ??= await pool.newContext()) });
    ctx.parameters = { portal_url: portal.url };
    try {
      const result = await executeCodeBlock(
        block({
          code: `
            await page.goto(portal_url + '/login');
            let message = '';
            try { await page.click('#does-not-exist', { timeoutMs: 500 }) } catch (error) { message = error.message }
          `,
        }),
        ctx,
      );
      assert.equal(result.status, 'completed', result.failureReason);
      assert.match((result.output as { message: string }).message, /Timeout 500ms exceeded/);
    } finally {
      await opened?.close();
    }
  });
});
