// What each example in this folder needs to run against the fixture portal (its parameters, an
// answer while it waits) and what a finished run must show. `run-workflow.ts` runs one example,
// `run-all.ts` (npm run examples:workflows) runs them all; a definition without a case here runs
// with no parameters and must complete.
import type { WorkflowRunResponse } from '@petrel/protocol';
import type { MailMessage } from '@petrel/blocks';
import type { LocalPetrel } from '../../packages/blocks/test/support/local-petrel.ts';

/** One example's needs and checks. */
export type ExampleCase = {
  /** The run's parameters. */
  parameters: (petrel: LocalPetrel) => Record<string, unknown>;
  /** Done while the run goes (e.g. answering an approval). */
  during?: (petrel: LocalPetrel, runId: string) => Promise<void>;
  /** What is wrong with the finished run, or undefined when it is what the example shows. */
  check: (run: WorkflowRunResponse, petrel: LocalPetrel) => string | undefined;
};

const expect = (ok: boolean, problem: string): string | undefined => (ok ? undefined : problem);

function sentMail(petrel: LocalPetrel): readonly MailMessage[] {
  return (petrel.mailer as unknown as { sent?: readonly MailMessage[] }).sent ?? [];
}

async function approveByLink(petrel: LocalPetrel, runId: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const run = await petrel.service.getWorkflowRun(petrel.namespace, runId);
    const mail = sentMail(petrel).find((m) => m.text?.includes(runId));
    if (run.status === 'paused' && mail) {
      const token = /"token": "([^"]+)"/.exec(mail.text ?? '')?.[1] ?? '';
      await petrel.service.respondToHumanInteraction(petrel.namespace, runId, { label: 'approve', decision: 'approve', token });
      return;
    }
    if (Date.now() > deadline || ['completed', 'failed', 'terminated', 'canceled', 'timed_out'].includes(run.status)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The cases, by file name. */
export const EXAMPLE_CASES: Readonly<Record<string, ExampleCase>> = {
  'portal-invoices.yaml': {
    parameters: (petrel) => ({ portal_url: petrel.portal.url, credentials: petrel.demoCredentialId }),
    check: (run, petrel) => {
      const files = (run.downloaded_files ?? []).map((f) => f.filename);
      const mail = sentMail(petrel).at(-1);
      return (
        expect(files.length >= 3 && files.every((f) => /^invoice_ORD-\d+\.pdf$/.test(f ?? '')), `files: ${files.join(', ')}`) ??
        expect((mail?.attachments?.length ?? 0) === files.length, `the email has ${mail?.attachments?.length ?? 0} attachments`)
      );
    },
  },
  'report-ready.yaml': {
    parameters: (petrel) => ({ portal_url: petrel.portal.url, credentials: petrel.demoCredentialId }),
    check: (run) => {
      const report = (run.output?.['extract_report_output'] as { extracted_information?: { report_id?: string; row_count?: number } } | undefined)?.extracted_information;
      return expect(Boolean(report?.report_id) && (report?.row_count ?? 0) > 0, `report: ${JSON.stringify(report)}`);
    },
  },
  'task-list.json': {
    parameters: () => ({}),
    check: (run) => expect(Array.isArray(run.output?.['task_2_output']) && (run.output['task_2_output'] as unknown[]).length === 2, 'task 2 should loop over two pages'),
  },
  'approval.yaml': {
    parameters: () => ({}),
    during: approveByLink,
    check: (run) => expect((run.output?.['pay_output'] as { paid?: number } | undefined)?.paid === 1500.6, `pay: ${JSON.stringify(run.output?.['pay_output'])}`),
  },
  'job-applications.yaml': {
    parameters: (petrel) => ({ job_portal_url: `${petrel.portal.url}/login`, credentials: petrel.demoCredentialId }),
    check: (run, petrel) =>
      expect((petrel.portal.instance?.submissions.applications.length ?? 0) >= 2, `${petrel.portal.instance?.submissions.applications.length ?? 0} applications were submitted`) ??
      expect((run.output?.['for_each_job_output'] as unknown[] | undefined)?.length === 2, 'two jobs should have been applied to'),
  },
};

/** The definition of an example, with the placeholder portal URL of the seed-000 example replaced by the running portal's. */
export function exampleBody(text: string, name: string, petrel: LocalPetrel): unknown {
  if (name.endsWith('.json')) return JSON.parse(text.replaceAll('http://127.0.0.1:4000', petrel.portal.url)) as unknown;
  return { yaml_definition: text };
}
