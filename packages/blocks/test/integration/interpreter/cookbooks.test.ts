// Skyvern's two cookbook workflows (reference/skyvern.md §2.7 (a) and (b)), loaded from the YAML files
// exactly as Skyvern publishes them (test/fixtures/skyvern), run end to end on the fixture portal:
// only the run's parameters point them at the portal. Real Chromium, a loopback SMTP server, a
// loopback server for the resume file, and the fake model reading each page out of its prompt.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createSmtpMailer } from '@petrel/blocks';
import { filterOrders } from '@petrel/fixture-portal';
import type { Portal } from '@petrel/fixture-portal';
import type { LocalPetrel } from '../../support/local-petrel.ts';
import { startLocalPetrel } from '../../support/local-petrel.ts';
import { minimalPdf } from '../../support/minimal-pdf.ts';
import { outputOf, skipWithoutChromium, timelineLines } from '../../support/workflow-kit.ts';
import { attachmentBytes, startTestSmtpServer } from '@petrel/testing';
import type { TestSmtpServer } from '@petrel/testing';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/skyvern/${name}`, import.meta.url), 'utf8');

describe('the Skyvern cookbooks on the portal', skipWithoutChromium, () => {
  let petrel: LocalPetrel;
  let portal: Portal;
  let smtp: TestSmtpServer;
  let files: ReturnType<typeof createServer>;
  let filesUrl = '';

  before(async () => {
    smtp = await startTestSmtpServer();
    files = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/pdf' });
      res.end(minimalPdf(['Dana Demo', 'Frontend engineer with six years of TypeScript', 'Accessible forms, fast pages, design systems']));
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', () => resolve()));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    petrel = await startLocalPetrel({ mailer: createSmtpMailer({ host: smtp.host, port: smtp.port, ignoreTls: true }) });
    portal = petrel.portal.instance as Portal;
  });
  after(async () => {
    await petrel.close();
    await smtp.close();
    files.closeAllConnections();
    await new Promise<void>((resolve) => files.close(() => resolve()));
  });

  it('(b) bulk invoice downloader: login, filter, extract, download every invoice, parse them, email them', async () => {
    const workflow = await petrel.service.createWorkflow(petrel.namespace, { yaml_definition: fixture('bulk-invoice-downloader.yaml') });
    const started = await petrel.service.runWorkflow(petrel.namespace, {
      workflow_id: workflow.workflow_permanent_id,
      parameters: {
        portal_url: `${petrel.portal.url}/login`,
        start_date: '2026-03-01',
        end_date: '2026-03-04',
        recipient_email: 'finance@petrel.test',
        credentials: petrel.demoCredentialId,
      },
    });
    const run = await petrel.service.waitForWorkflowRun(petrel.namespace, started.run_id, { timeoutMs: 240_000 });
    assert.equal(run.status, 'completed', run.failure_reason ?? '');
    const orders = filterOrders(portal.data.orders, { start: '2026-03-01', end: '2026-03-04', status: '' });
    assert.ok(orders.length >= 3);
    assert.deepEqual(
      (run.downloaded_files ?? []).map((f) => f.filename),
      orders.map((o) => `invoice_${o.id}.pdf`),
    );
    // The parsed invoices carry the portal's amounts.
    const parsed = outputOf<Array<Array<{ output_value: { invoice_id: string; amount: number } }>>>(run, 'for_2_block');
    assert.deepEqual(
      parsed.map((iteration) => [iteration[0]?.output_value.invoice_id, iteration[0]?.output_value.amount]),
      orders.map((o) => [o.invoiceId, o.total]),
    );
    // The email went through the server's SMTP settings (the YAML's aws_secret SMTP keys are not available here).
    const mail = (await smtp.waitFor(1)).at(-1);
    assert.deepEqual(mail?.email.to?.map((a) => a.address), ['finance@petrel.test']);
    assert.equal(mail?.email.subject, `Ember Roasters Invoices from 2026-03-01 to 2026-03-04 - Workflow Run ID: ${run.run_id}`);
    assert.deepEqual(
      mail?.email.attachments.map((a) => a.filename),
      orders.map((o) => `invoice_${o.id}.pdf`),
    );
    for (const attachment of mail?.email.attachments ?? []) assert.equal(attachmentBytes(attachment.content).subarray(0, 5).toString(), '%PDF-');
    assert.match(mail?.email.text ?? '', new RegExp(orders[0]?.invoiceId ?? 'missing'));
    const timeline = await petrel.service.getWorkflowRunTimeline(petrel.namespace, run.run_id);
    const lines = timelineLines(timeline);
    assert.deepEqual(lines.slice(0, 3), ['login_block completed', 'nav_block completed', 'data_extraction_block completed']);
    assert.equal(lines.filter((l) => l === '  inv_download_block completed').length, orders.length);
    assert.equal(lines.filter((l) => l === '  parse_block completed').length, orders.length);
    assert.equal(lines.at(-1), 'email_block completed');
  });

  it('(a) job application filler: parse the resume, log in, search, extract jobs, apply to each', async () => {
    const workflow = await petrel.service.createWorkflow(petrel.namespace, { yaml_definition: fixture('job-application-filler.yaml') });
    const applications = portal.submissions.applications.length;
    const started = await petrel.service.runWorkflow(petrel.namespace, {
      workflow_id: workflow.workflow_permanent_id,
      parameters: { resume: `${filesUrl}/resume.pdf`, credentials: petrel.demoCredentialId, job_portal_url: `${petrel.portal.url}/login` },
    });
    const run = await petrel.service.waitForWorkflowRun(petrel.namespace, started.run_id, { timeoutMs: 240_000 });
    assert.equal(run.status, 'completed', run.failure_reason ?? '');
    const jobs = outputOf<{ extracted_information: { jobs: Array<{ job_page_url: string; title: string; employer: string }> } }>(run, 'jobs_list_extraction').extracted_information.jobs;
    assert.equal(jobs.length, 2);
    for (const job of jobs) assert.match(job.job_page_url, new RegExp(`^${petrel.portal.url}/jobs/JOB-\\d+$`));
    const submitted = portal.submissions.applications.slice(applications);
    assert.deepEqual(
      submitted.map((a) => a.jobId),
      jobs.map((j) => /JOB-\d+/.exec(j.job_page_url)?.[0]),
    );
    for (const application of submitted) {
      assert.equal(application.fullName, 'Dana Demo');
      const answers = Object.values(application.answers);
      assert.ok(answers.length >= 2 && answers.every((answer) => answer.length > 0), JSON.stringify(application.answers));
      // The required questions got the text_prompt's answers.
      assert.ok(answers.some((answer) => answer.includes('is exactly what I have done')), JSON.stringify(application.answers));
    }
    const iterations = outputOf<unknown[][]>(run, 'for_each_job');
    assert.equal(iterations.length, 2);
    assert.deepEqual(
      (iterations[0] as Array<{ output_parameter: { key: string } }>).map((entry) => entry.output_parameter.key),
      ['go_to_each_job_output', 'extract_job_detail_output', 'click_apply_output', 'extract_questions_output', 'answer_form_questions_output', 'apply_to_job_output'],
    );
  });
});
