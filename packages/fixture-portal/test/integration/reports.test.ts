// Browser tests of the latest report, which becomes ready after N loads or T ms (cookbook c).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startPortal } from '@petrel/fixture-portal';
import { chromiumMissing, launchBrowser, newContext } from './chromium.ts';

const skip = chromiumMissing();

describe('portal: the latest report becomes ready', { skip }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  test('after reportReadyAfterLoads loads it shows id, generated_at, row count, rows and a CSV', async (t) => {
    await using portal = await startPortal({ reportReadyAfterLoads: 2, reportReadyAfterMs: 3_600_000 });
    const { page } = await newContext(t, browser, portal);
    const report = portal.data.reports[0];
    assert.ok(report);
    for (let load = 1; load <= 2; load++) {
      if (load === 1) await page.goto(`${portal.url}/reports/latest`);
      else await page.reload();
      assert.equal(await page.getByTestId('report-status').textContent(), 'Processing', `load ${load}`);
      assert.equal(await page.getByTestId('report-download').count(), 0);
    }
    await page.reload();
    assert.equal(await page.getByTestId('report-status').textContent(), 'Ready');
    assert.equal(await page.getByTestId('report-id').textContent(), report.id);
    assert.equal(await page.getByTestId('report-generated-at').textContent(), report.generatedAt);
    assert.equal(Number(await page.getByTestId('report-row-count').textContent()), report.rowCount);
    assert.equal(await page.getByTestId('report-table').locator('tbody tr').count(), report.rowCount);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    assert.equal(download.suggestedFilename(), `${report.id}.csv`);
  });

  test('after reportReadyAfterMs an open page updates itself without a reload', async (t) => {
    await using portal = await startPortal({ reportReadyAfterLoads: 1000, reportReadyAfterMs: 800 });
    const { page } = await newContext(t, browser, portal);
    await page.goto(`${portal.url}/reports`);
    // The served page (not the live DOM, which may already have changed) says "Processing".
    const [response] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname.startsWith('/reports/RPT-')),
      page.getByRole('link', { name: 'Open the latest report' }).click(),
    ]);
    assert.match(await response.text(), /data-testid="report-status">Processing</);
    let navigations = 0;
    page.on('framenavigated', () => navigations++);
    await page.getByTestId('report-status').filter({ hasText: 'Ready' }).waitFor({ timeout: 20_000 });
    assert.equal(navigations, 0, 'the page swapped its content in place');
    assert.equal(await page.getByTestId('report-id').textContent(), portal.data.reports[0]?.id);
  });
});
