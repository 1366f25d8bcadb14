// Browser tests of the forms: the account form with every kind of control and an upload, the
// documents form that needs a file, and the job application flow.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { startPortal, searchJobs } from '@petrel/fixture-portal';
import type { Portal } from '@petrel/fixture-portal';
import { chromiumMissing, launchBrowser, newContext } from './chromium.ts';

const skip = chromiumMissing();

describe('portal: forms', { skip }, () => {
  let portal: Portal;
  let browser: Browser;
  before(async () => {
    portal = await startPortal();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await portal?.close();
  });

  test('the account form round-trips every control and records the upload', async (t) => {
    const { page } = await newContext(t, browser, portal, { signedIn: true });
    await page.goto(`${portal.url}/account`);
    await page.getByLabel('Full name').fill('Dana Q. Demo');
    await page.getByPlaceholder('Company name').fill('Ember Roasters West');
    await page.getByTestId('phone-input').fill('+1 555 0142');
    await page.getByLabel('Country').selectOption({ label: 'Canada' });
    await page.getByRole('radio', { name: 'Text message' }).check();
    await page.getByRole('checkbox', { name: 'Send me the monthly newsletter' }).check();
    await page.getByLabel('Preferred delivery date').fill('2026-09-15');
    await page.getByRole('combobox', { name: /Time zone/ }).click();
    await page.getByRole('option', { name: 'Central European Time (Berlin)' }).click();
    await page.getByRole('textbox', { name: 'Delivery notes' }).click();
    await page.keyboard.type('Ring the bell twice.');
    const bytes = Buffer.from('%PDF-1.4\nfake certificate for a test\n');
    await page.getByLabel('Tax exemption certificate').setInputFiles({ name: 'certificate.pdf', mimeType: 'application/pdf', buffer: bytes });
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByTestId('account-saved').waitFor();

    assert.equal(portal.submissions.accounts.length, 1);
    const saved = portal.submissions.accounts[0];
    assert.deepEqual(saved?.fields, {
      fullName: 'Dana Q. Demo',
      company: 'Ember Roasters West',
      email: 'demo@petrel.test',
      phone: '+1 555 0142',
      country: 'CA',
      contactMethod: 'sms',
      newsletter: true,
      deliveryDate: '2026-09-15',
      timezone: 'Europe/Berlin',
      notes: 'Ring the bell twice.',
    });
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    assert.deepEqual(
      { name: saved?.upload?.name, size: saved?.upload?.size, sha256: saved?.upload?.sha256 },
      { name: 'certificate.pdf', size: bytes.length, sha256 },
    );
    assert.equal(portal.submissions.uploads.at(-1)?.sha256, sha256);

    // The saved values come back on the next visit.
    await page.reload();
    assert.equal(await page.getByLabel('Full name').inputValue(), 'Dana Q. Demo');
    assert.equal(await page.getByLabel('Country').inputValue(), 'CA');
    assert.equal(await page.getByRole('radio', { name: 'Text message' }).isChecked(), true);
    assert.match((await page.getByRole('combobox', { name: /Time zone/ }).textContent()) ?? '', /Berlin/);
    assert.equal(await page.getByTestId('notes-editor').textContent(), 'Ring the bell twice.');
    assert.match((await page.getByTestId('certificate-on-file').textContent()) ?? '', /certificate\.pdf/);
  });

  test('the account form rejects a blank name and keeps the other values', async (t) => {
    const { page } = await newContext(t, browser, portal, { signedIn: true });
    await page.goto(`${portal.url}/account`);
    const saves = portal.submissions.accounts.length;
    await page.getByLabel('Full name').fill('');
    // Bypass the browser's own required check to reach the server's validation.
    await page.locator('#account-form').evaluate((form) => form.setAttribute('novalidate', ''));
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Enter your full name.').waitFor();
    assert.equal(await page.getByLabel('Full name').getAttribute('aria-invalid'), 'true');
    assert.equal(portal.submissions.accounts.length, saves);
  });

  test('the documents form cannot be sent without a file, and records the one sent', async (t) => {
    const { page } = await newContext(t, browser, portal, { signedIn: true });
    await page.goto(`${portal.url}/documents`);
    const uploads = portal.submissions.uploads.length;
    await page.getByRole('button', { name: 'Upload document' }).click();
    assert.equal(await page.getByLabel('File').evaluate((input: HTMLInputElement) => input.validity.valueMissing), true);
    assert.equal(portal.submissions.uploads.length, uploads);
    const bytes = Buffer.alloc(70_000, 7);
    await page.getByLabel('File').setInputFiles({ name: 'receipt.bin', mimeType: 'application/octet-stream', buffer: bytes });
    await page.getByRole('button', { name: 'Upload document' }).click();
    await page.getByTestId('upload-result').waitFor();
    const upload = portal.submissions.uploads.at(-1);
    assert.equal(upload?.form, 'documents');
    assert.equal(upload?.size, 70_000);
    assert.equal(upload?.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(await page.getByTestId('document-row').count(), 1);
  });

  test('job search, job page, Apply, and a recorded application with an id', async (t) => {
    const { page } = await newContext(t, browser, portal);
    await page.goto(`${portal.url}/jobs`);
    await page.getByRole('searchbox', { name: 'Keywords' }).fill('engineer');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=engineer/);
    const expected = searchJobs(portal.data.jobs, 'engineer');
    assert.ok(expected.length > 0);
    const ids = await page.getByTestId('job-card').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-job-id')));
    assert.deepEqual(ids, expected.map((j) => j.id));
    const job = expected[0];
    assert.ok(job);
    await page.getByRole('link', { name: job.title }).first().click();
    await page.getByTestId('job-title').waitFor();
    assert.equal(await page.getByTestId('job-employer').textContent(), job.employer);
    assert.equal(await page.getByRole('region', { name: 'Application form' }).isVisible(), false);
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByLabel('Full name').fill('Sam Applicant');
    await page.getByLabel('Email').fill('sam@example.test');
    for (const q of job.questions) await page.getByLabel(q.label).fill(q.kind === 'url' ? 'https://example.test/sam' : `Answer to ${q.name}`);
    await page.getByLabel(/Resume/).setInputFiles({ name: 'resume.txt', mimeType: 'text/plain', buffer: Buffer.from('Sam, engineer') });
    await page.getByRole('button', { name: 'Submit application' }).click();
    await page.getByRole('heading', { name: 'Application submitted' }).waitFor();
    const shownId = await page.getByTestId('application-id').textContent();
    const recorded = portal.submissions.applications.at(-1);
    assert.equal(shownId, recorded?.applicationId);
    assert.match(shownId ?? '', /^APP-\d{5}$/);
    assert.equal(recorded?.jobId, job.id);
    assert.equal(recorded?.fullName, 'Sam Applicant');
    assert.equal(recorded?.answers.motivation, 'Answer to motivation');
    assert.equal(recorded?.resume?.name, 'resume.txt');
  });
});
