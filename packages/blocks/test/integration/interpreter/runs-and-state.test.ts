// Runs that wait, hand over and remember: human_interaction (the email arrives on a loopback SMTP
// server, its link's token wakes the run; reject and timeout too; the run reads `paused` while it
// waits), workflow_trigger (a child run waited for, and one not), and browser state kept between
// runs: persist_browser_session per end user (developer_user_id) and a browser profile seeding a run.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isPetrelError } from '@petrel/protocol';
import type { Portal } from '@petrel/fixture-portal';
import { createSmtpMailer } from '@petrel/blocks';
import type { LocalPetrel } from '../../support/local-petrel.ts';
import { startLocalPetrel } from '../../support/local-petrel.ts';
import { outputOf, runYaml, skipWithoutChromium, timelineLines, waitFor } from '../../support/workflow-kit.ts';
import { startTestSmtpServer } from '@petrel/testing';
import type { TestSmtpServer } from '@petrel/testing';

const APPROVAL = `
title: approval
workflow_definition:
  parameters:
    - {key: amount, parameter_type: workflow, workflow_parameter_type: integer}
  blocks:
    - block_type: human_interaction
      label: approve_payment
      recipients: [reviewer@petrel.test]
      sender: workflows@petrel.test
      subject: "Approve a payment of {{ amount }}"
      body: "A payment of {{ amount }} USD waits for your approval."
      timeout_seconds: TIMEOUT
    - {block_type: code, label: pay, code: "const paid = amount;"}
`;

describe('human_interaction and workflow_trigger', () => {
  let petrel: LocalPetrel;
  let smtp: TestSmtpServer;

  // A function: asked when a link is made (a server learns its URL only once it listens), here set after the start.
  let publicBaseUrl: string | undefined;

  before(async () => {
    smtp = await startTestSmtpServer();
    petrel = await startLocalPetrel({
      mailer: createSmtpMailer({ host: smtp.host, port: smtp.port, ignoreTls: true }),
      service: { publicBaseUrl: () => publicBaseUrl, humanInteractionSecret: () => 'org-secret' },
    });
    publicBaseUrl = 'https://petrel.example';
  });
  after(async () => {
    await petrel.close();
    await smtp.close();
  });

  const startApproval = async (timeoutSeconds: number) => {
    const workflow = await petrel.service.createWorkflow(petrel.namespace, { yaml_definition: APPROVAL.replace('TIMEOUT', String(timeoutSeconds)) });
    const run = await petrel.service.runWorkflow(petrel.namespace, { workflow_id: workflow.workflow_permanent_id, parameters: { amount: 250 } });
    return run.run_id;
  };

  it('emails the reviewers, reads paused, and continues when the approve link is answered', async () => {
    const mails = smtp.messages.length;
    const runId = await startApproval(600);
    await waitFor('paused', async () => (await petrel.service.getWorkflowRun(petrel.namespace, runId)).status === 'paused');
    const [mail] = (await smtp.waitFor(mails + 1)).slice(mails);
    assert.deepEqual(mail?.to, ['reviewer@petrel.test']);
    assert.equal(mail?.email.subject, 'Approve a payment of 250');
    const text = mail?.email.text ?? '';
    assert.match(text, /A payment of 250 USD waits for your approval\./);
    const link = new URL(/Approve: (\S+)/.exec(text)?.[1] ?? '');
    assert.equal(link.origin, 'https://petrel.example');
    assert.equal(link.pathname, `/v1/runs/${runId}/human_interaction/approve_payment`);
    assert.equal(link.searchParams.get('decision'), 'approve');
    assert.match(text, /Reject: https:\/\/petrel\.example\/\S+decision=reject/);
    const token = link.searchParams.get('token') ?? '';
    await assert.rejects(
      petrel.service.respondToHumanInteraction(petrel.namespace, runId, { label: 'approve_payment', decision: 'approve', token: `${token.slice(0, -2)}xx` }),
      (error: unknown) => isPetrelError(error) && error.code === 'FORBIDDEN',
    );
    await petrel.service.respondToHumanInteraction(link.searchParams.get('ns') ?? '', runId, { label: 'approve_payment', decision: 'approve', token });
    const done = await petrel.service.waitForWorkflowRun(petrel.namespace, runId, { timeoutMs: 30_000 });
    assert.equal(done.status, 'completed', done.failure_reason ?? '');
    assert.deepEqual(outputOf(done, 'pay'), { paid: 250 });
    assert.equal(outputOf<{ decision: string }>(done, 'approve_payment').decision, 'approve');
    const timeline = await petrel.service.getWorkflowRunTimeline(petrel.namespace, runId);
    assert.deepEqual(timeline[0]?.block?.recipients, ['reviewer@petrel.test']);
    await assert.rejects(
      petrel.service.respondToHumanInteraction(petrel.namespace, runId, { label: 'approve_payment', decision: 'approve', token }),
      (error: unknown) => isPetrelError(error) && error.code === 'INVALID_TRANSITION',
    );
  });

  it('a reject terminates the run; no answer in time ends it timed_out', async () => {
    const rejected = await startApproval(600);
    await waitFor('paused', async () => (await petrel.service.getWorkflowRun(petrel.namespace, rejected)).status === 'paused');
    const mail = smtp.messages.at(-1);
    const token = new URL(/Reject: (\S+)/.exec(mail?.email.text ?? '')?.[1] ?? '').searchParams.get('token') ?? '';
    await petrel.service.respondToHumanInteraction(petrel.namespace, rejected, { label: 'approve_payment', decision: 'reject', token });
    const done = await petrel.service.waitForWorkflowRun(petrel.namespace, rejected, { timeoutMs: 30_000 });
    assert.equal(done.status, 'terminated');
    assert.match(done.failure_reason ?? '', /Reject/);

    const silent = await startApproval(1);
    const late = await petrel.service.waitForWorkflowRun(petrel.namespace, silent, { timeoutMs: 30_000 });
    assert.equal(late.status, 'timed_out');
    assert.match(late.failure_reason ?? '', /No reviewer answered within 1 seconds/);
  });

  it('workflow_trigger starts child runs, waits for one, and links them to the parent', async () => {
    const child = await petrel.service.createWorkflow(petrel.namespace, {
      yaml_definition: `
title: child
workflow_definition:
  parameters:
    - {key: n, parameter_type: workflow, workflow_parameter_type: integer}
  blocks:
    - {block_type: code, label: double, code: "const result = n * 2;"}
`,
    });
    const run = await runYaml(
      petrel,
      `
title: parent
workflow_definition:
  parameters:
    - {key: child_id, parameter_type: workflow, workflow_parameter_type: string}
  blocks:
    - block_type: workflow_trigger
      label: compute
      workflow_permanent_id: "{{ child_id }}"
      payload: {n: "{{ 21 }}"}
    - block_type: workflow_trigger
      label: fire_and_forget
      workflow_permanent_id: "{{ child_id }}"
      wait_for_completion: false
      payload: {n: 1}
    - {block_type: code, label: use, code: "const got = compute_output.output.double_output.result;"}
`,
      { child_id: child.workflow_permanent_id },
      { developer_user_id: 'user-42' },
    );
    assert.equal(run.status, 'completed', run.failure_reason ?? '');
    assert.deepEqual(outputOf(run, 'use'), { got: 42 });
    const waited = outputOf<{ workflow_run_id: string; status: string }>(run, 'compute');
    assert.equal(waited.status, 'completed');
    const childRun = await petrel.service.getWorkflowRun(petrel.namespace, waited.workflow_run_id);
    assert.equal(childRun.parent_run_id, run.run_id);
    assert.equal(childRun.developer_user_id, 'user-42');
    const timeline = await petrel.service.getWorkflowRunTimeline(petrel.namespace, run.run_id);
    assert.equal(timeline[0]?.block?.block_workflow_run_id, waited.workflow_run_id);
    const other = outputOf<{ workflow_run_id: string; status: string }>(run, 'fire_and_forget');
    assert.equal(other.status, 'queued');
    const otherDone = await petrel.service.waitForWorkflowRun(petrel.namespace, other.workflow_run_id, { timeoutMs: 30_000 });
    assert.deepEqual(otherDone.output?.['double_output'], { result: 2 });
    const runs = await petrel.service.listWorkflowRuns(petrel.namespace, { workflowPermanentId: child.workflow_permanent_id });
    assert.equal(runs.length, 2);
    assert.deepEqual(
      (await petrel.service.listWorkflowRuns(petrel.namespace, { developer_user_id: 'user-42' })).map((r) => r.run_id).toSorted(),
      [run.run_id, waited.workflow_run_id, other.workflow_run_id].toSorted(),
    );
  });
});

describe('browser state between runs', skipWithoutChromium, () => {
  let petrel: LocalPetrel;
  before(async () => {
    petrel = await startLocalPetrel();
  });
  after(() => petrel.close());

  it('persist_browser_session keeps each end user signed in for the next run; a profile seeds a run', async () => {
    const portal = petrel.portal.instance as Portal;
    const loginVersion = `
title: remembered
persist_browser_session: true
workflow_definition:
  parameters:
    - {key: portal_url, parameter_type: workflow, workflow_parameter_type: string}
    - {key: credentials, parameter_type: workflow, workflow_parameter_type: credential_id}
  blocks:
    - block_type: login
      label: sign_in
      url: "{{ portal_url }}/login"
      parameter_keys: [credentials]
      navigation_goal: Log in with the credentials. COMPLETE when the dashboard is shown.`;
    const workflow = await petrel.service.createWorkflow(petrel.namespace, { yaml_definition: loginVersion });
    const params = { portal_url: petrel.portal.url, credentials: petrel.demoCredentialId };
    const first = await petrel.service.runWorkflow(petrel.namespace, { workflow_id: workflow.workflow_permanent_id, parameters: params, developer_user_id: 'alice' });
    const firstDone = await petrel.service.waitForWorkflowRun(petrel.namespace, first.run_id, { timeoutMs: 60_000 });
    assert.equal(firstDone.status, 'completed', firstDone.failure_reason ?? '');
    assert.equal(firstDone.browser_seed_source, 'fresh');
    const logins = portal.submissions.logins.length;

    // Version 2 only opens the dashboard; alice's next run starts signed in, bob's does not.
    await petrel.service.updateWorkflow(petrel.namespace, workflow.workflow_permanent_id, {
      yaml_definition: `
title: remembered
persist_browser_session: true
workflow_definition:
  parameters:
    - {key: portal_url, parameter_type: workflow, workflow_parameter_type: string}
  blocks:
    - {block_type: goto_url, label: dashboard, url: "{{ portal_url }}/dashboard"}`,
    });
    const again = async (user: string) => {
      const run = await petrel.service.runWorkflow(petrel.namespace, { workflow_id: workflow.workflow_permanent_id, parameters: { portal_url: petrel.portal.url }, developer_user_id: user });
      return petrel.service.waitForWorkflowRun(petrel.namespace, run.run_id, { timeoutMs: 60_000 });
    };
    const alice = await again('alice');
    assert.equal(alice.status, 'completed', alice.failure_reason ?? '');
    assert.equal(alice.browser_seed_source, 'own_memory');
    assert.equal(alice.workflow_version, 2);
    assert.equal(outputOf<{ final_url: string }>(alice, 'dashboard').final_url, `${petrel.portal.url}/dashboard`);
    const bob = await again('bob');
    assert.equal(bob.browser_seed_source, 'fresh');
    assert.match(outputOf<{ final_url: string }>(bob, 'dashboard').final_url, /\/login/);
    assert.equal(portal.submissions.logins.length, logins, 'nobody logged in again');
    // The first run stays pinned to version 1.
    assert.equal((await petrel.service.getWorkflowRun(petrel.namespace, first.run_id)).workflow_version, 1);

    assert.equal(await petrel.service.resetBrowserState(petrel.namespace, workflow.workflow_permanent_id, 'alice'), true);
    assert.match(outputOf<{ final_url: string }>(await again('alice'), 'dashboard').final_url, /\/login/);

    // A profile holding a signed-in session seeds a run of a workflow without persisted state.
    const cookie = portal.sessionCookie();
    const host = new URL(cookie.url);
    const profile = await petrel.profiles.create({
      name: 'demo signed in',
      state: { cookies: [{ name: cookie.name, value: cookie.value, domain: host.hostname, path: '/', expires: -1, httpOnly: true, secure: false, sameSite: 'Lax' }], origins: [] },
    });
    const seeded = await runYaml(
      petrel,
      `
title: seeded
workflow_definition:
  parameters:
    - {key: portal_url, parameter_type: workflow, workflow_parameter_type: string}
  blocks:
    - {block_type: goto_url, label: dashboard, url: "{{ portal_url }}/dashboard"}`,
      { portal_url: petrel.portal.url },
      { browser_profile_id: profile.browserProfileId },
    );
    assert.equal(seeded.browser_seed_source, 'profile');
    assert.equal(outputOf<{ final_url: string }>(seeded, 'dashboard').final_url, `${petrel.portal.url}/dashboard`);
    const timeline = await petrel.service.getWorkflowRunTimeline(petrel.namespace, seeded.run_id);
    assert.deepEqual(timelineLines(timeline), ['dashboard completed']);
  });
});
