// The browser blocks on the fixture portal, on one shared browser per run: login (password + TOTP
// from the vault), navigation, extraction with a Skyvern-style bare data_schema, goto_url,
// print_page, file_download with download_suffix, validation, action (selector first, the agent on a
// miss), task (navigate and extract) and task_v2 (planned). Real Chromium, the fake model answering
// from the page text in each prompt.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { filterOrders } from '@petrel/fixture-portal';
import type { Portal } from '@petrel/fixture-portal';
import type { LocalPetrel } from '../../support/local-petrel.ts';
import { startLocalPetrel } from '../../support/local-petrel.ts';
import { parsePrompt, portalPolicy } from '@petrel/testing';
import type { PolicyLogEntry } from '@petrel/testing';
import { outputOf, runYaml, skipWithoutChromium, timelineLines } from '../../support/workflow-kit.ts';

const PARAMETERS = `
  parameters:
    - {key: portal_url, parameter_type: workflow, workflow_parameter_type: string}
    - {key: credentials, parameter_type: workflow, workflow_parameter_type: credential_id}`;

describe('browser blocks on the portal', skipWithoutChromium, () => {
  let petrel: LocalPetrel;
  let portal: Portal;
  const requests: PolicyLogEntry[] = [];
  const params = (): Record<string, unknown> => ({ portal_url: petrel.portal.url, credentials: petrel.demoCredentialId });

  before(async () => {
    petrel = await startLocalPetrel({ respond: portalPolicy({ onRequest: (entry) => requests.push(entry) }) });
    portal = petrel.portal.instance as Portal;
  });
  after(() => petrel.close());

  it('login, navigation, extraction, goto_url, print_page, file_download and validation share one browser', async () => {
    const run = await runYaml(
      petrel,
      `
title: browser blocks
workflow_definition:${PARAMETERS}
  blocks:
    - block_type: login
      label: sign_in
      url: "{{ portal_url }}/login"
      parameter_keys: [credentials]
      navigation_goal: Log in with the credentials, then enter the one-time code. COMPLETE when the dashboard is shown.
    - block_type: navigation
      label: filter
      url: ""
      navigation_goal: Open Orders and filter the orders between 2026-03-01 and 2026-03-07. COMPLETE when the filtered orders are listed.
    - block_type: extraction
      label: list
      data_extraction_goal: Extract all visible orders with their id, date, status and total.
      data_schema:
        orders:
          type: array
          items:
            type: object
            properties: {order_id: {type: string}, date: {type: string}, status: {type: string}, total: {type: number}}
            required: [order_id, total]
    - block_type: goto_url
      label: open_first
      url: "{{ portal_url }}/orders/{{ list_output.orders[0].order_id }}"
    - block_type: print_page
      label: print
      custom_filename: "order_{{ list_output.orders[0].order_id }}"
      include_timestamp: false
    - block_type: file_download
      label: invoice
      navigation_goal: Click Download invoice.
      download_suffix: "invoice_{{ list_output.orders[0].order_id }}.pdf"
    - block_type: validation
      label: still_signed_in
      complete_criterion: The user is still signed in (a Sign out button is shown).
`,
      params(),
    );
    assert.equal(run.status, 'completed', run.failure_reason ?? '');
    const expected = filterOrders(portal.data.orders, { start: '2026-03-01', end: '2026-03-07', status: '' });
    const list = run.output?.['list_output'] as { extracted_information: { orders: Array<{ order_id: string; total: number }> } };
    assert.deepEqual(
      list.extracted_information.orders.map((o) => [o.order_id, o.total]),
      expected.map((o) => [o.id, o.total]),
    );
    const first = expected[0]?.id ?? '';
    assert.equal(outputOf<{ final_url: string }>(run, 'open_first').final_url, `${petrel.portal.url}/orders/${first}`);
    // One login for the whole run: the other blocks reused the signed-in browser.
    assert.deepEqual(portal.submissions.logins.map((l) => `${l.step} ${l.outcome}`), ['password ok', 'totp ok']);
    // Files: the printed page and the invoice, named as the blocks asked, with their bytes stored.
    const names = (run.downloaded_files ?? []).map((f) => f.filename);
    assert.deepEqual(names, [`order_${first}.pdf`, `invoice_${first}.pdf`]);
    for (const file of run.downloaded_files ?? []) {
      const key = (await petrel.blobStore.list(`runs/${run.run_id}/${file.artifact_id}-`))[0]?.key ?? '';
      const { body } = await petrel.blobStore.get(key);
      assert.equal(body.subarray(0, 5).toString(), '%PDF-');
      assert.equal(createHash('sha256').update(body).digest('hex'), file.checksum);
    }
    const invoiceText = (await petrel.blobStore.get((await petrel.blobStore.list(`runs/${run.run_id}/${run.downloaded_files?.[1]?.artifact_id}-`))[0]?.key ?? '')).body.toString('latin1');
    assert.ok(invoiceText.length > 500);
    assert.equal(outputOf<{ decision: string }>(run, 'still_signed_in').decision, 'complete');
    assert.ok((run.step_count ?? 0) >= 4, `agent steps: ${run.step_count}`);

    const timeline = await petrel.service.getWorkflowRunTimeline(petrel.namespace, run.run_id);
    assert.deepEqual(timelineLines(timeline), [
      'sign_in completed',
      'filter completed',
      'list completed',
      'open_first completed',
      'print completed',
      'invoice completed',
      'still_signed_in completed',
    ]);
    const invoiceBlock = timeline[5]?.block;
    assert.equal(invoiceBlock?.downloaded_file_count, 1);
    assert.ok((invoiceBlock?.duration ?? -1) >= 0);
  });

  it('validation terminates the run when its criterion does not hold', async () => {
    const run = await runYaml(
      petrel,
      `
title: validation fails
workflow_definition:${PARAMETERS}
  blocks:
    - block_type: goto_url
      label: open
      url: "{{ portal_url }}/login"
    - block_type: validation
      label: signed_in
      complete_criterion: The user is signed in (a Sign out button is shown).
    - block_type: goto_url
      label: never
      url: "{{ portal_url }}/help"
`,
      params(),
    );
    assert.equal(run.status, 'terminated');
    assert.match(run.failure_reason ?? '', /^Block signed_in terminated/);
    assert.equal(run.output?.['never_output'], undefined);
  });

  it("the agent sees only a block's parameter_keys (outputs and context parameters included), every parameter without them", async () => {
    const fake = petrel.fake;
    assert.ok(fake, 'the fake model is running');
    const seen = fake.requests.length;
    const run = await runYaml(
      petrel,
      `
title: parameter keys
workflow_definition:
  parameters:
    - {key: portal_url, parameter_type: workflow, workflow_parameter_type: string}
    - {key: order_hint, parameter_type: workflow, workflow_parameter_type: string}
    - {key: unrelated, parameter_type: workflow, workflow_parameter_type: string}
    - {key: picked_id, parameter_type: context, source_parameter_key: pick_output}
  blocks:
    - {block_type: code, label: pick, code: "const picked_id = 'ORD-10001';"}
    - block_type: navigation
      label: narrowed
      url: "{{ portal_url }}/help"
      parameter_keys: [order_hint, pick_output, picked_id]
      navigation_goal: Read the help page.
      continue_on_failure: true
    - block_type: navigation
      label: everything
      url: ""
      navigation_goal: Read the help page again.
      continue_on_failure: true
`,
      { portal_url: petrel.portal.url, order_hint: 'the newest order', unrelated: 'not for this block' },
    );
    assert.ok(run.status === 'completed' || run.status === 'failed', run.status);
    const shown = fake.requests
      .slice(seen)
      .map((r) => r.request?.lastUserText ?? '')
      .filter((text) => text.includes('GOAL:') && text.includes('help page'))
      .map((text) => ({ goal: parsePrompt(text).goal, parameters: parsePrompt(text).parameters }));
    const narrowed = shown.find((p) => p.goal.startsWith('Read the help page.'));
    const everything = shown.find((p) => p.goal.startsWith('Read the help page again.'));
    assert.deepEqual(narrowed?.parameters, { order_hint: 'the newest order', pick_output: { picked_id: 'ORD-10001' }, picked_id: 'ORD-10001' });
    assert.deepEqual(everything?.parameters, { portal_url: petrel.portal.url, order_hint: 'the newest order', unrelated: 'not for this block', picked_id: 'ORD-10001' });
  });

  it('action clicks its selector without the model, and falls back to the agent when the selector misses', async () => {
    const seen = requests.filter((r) => r.kind === 'action').length;
    const run = await runYaml(
      petrel,
      `
title: actions
workflow_definition:${PARAMETERS}
  blocks:
    - block_type: goto_url
      label: open_job
      url: "{{ portal_url }}/jobs/JOB-2001"
    - block_type: action
      label: open_form
      selector: "#apply-toggle"
      navigation_goal: Click Apply.
    - block_type: action
      label: to_reports
      selector: "#no-such-element"
      navigation_goal: Click the "Reports" link.
`,
      params(),
    );
    assert.equal(run.status, 'completed', run.failure_reason ?? '');
    const timeline = await petrel.service.getWorkflowRunTimeline(petrel.namespace, run.run_id);
    assert.equal(outputOf<{ selector: string }>(run, 'open_form').selector, '#apply-toggle');
    assert.match(outputOf<{ final_url: string }>(run, 'to_reports').final_url, /\/reports$/);
    assert.deepEqual(timelineLines(timeline), ['open_job completed', 'open_form completed', 'to_reports completed']);
    // Only the fallback asked the model.
    const actions = requests.filter((r) => r.kind === 'action').slice(seen);
    assert.ok(actions.length >= 1 && actions.every((r) => /Reports/.test(r.goal)), JSON.stringify(actions.map((a) => a.goal)));
  });

  it('task navigates then extracts; task_v2 plans first', async () => {
    const seen = requests.length;
    const run = await runYaml(
      petrel,
      `
title: tasks
workflow_definition:${PARAMETERS}
  blocks:
    - block_type: task_v2
      label: planned_login
      url: "{{ portal_url }}/login"
      prompt: Log in with the credentials in the parameters. COMPLETE when the dashboard is shown.
    - block_type: task
      label: march_orders
      url: "{{ portal_url }}/orders"
      navigation_goal: Filter the orders between 2026-03-01 and 2026-03-03.
      data_extraction_goal: Extract the filtered orders.
      data_schema: {type: object, properties: {orders: {type: array, items: {type: object, properties: {order_id: {type: string}}}}}, required: [orders]}
`,
      params(),
    );
    assert.equal(run.status, 'completed', run.failure_reason ?? '');
    assert.ok(requests.slice(seen).some((r) => r.kind === 'plan'), 'task_v2 made a planning call');
    const orders = outputOf<{ extracted_information: { orders: Array<{ order_id: string }> } }>(run, 'march_orders').extracted_information.orders;
    assert.deepEqual(
      orders.map((o) => o.order_id),
      filterOrders(portal.data.orders, { start: '2026-03-01', end: '2026-03-03', status: '' }).map((o) => o.id),
    );
    assert.deepEqual(run.output?.['extracted_information'], [{ orders }]);
  });
});
