// Browser steps in a code workflow: `step.browser` works in the instance's browser (checkpointed after
// each step), `step.task` runs an agent task as a child run that starts from that browser state, and the
// workflow continues from the state the task left.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defineWorkflow } from '@petrel/engine';
import { filterOrders } from '@petrel/fixture-portal';
import type { PortalSessionCookie } from '@petrel/fixture-portal';
import { TASK_WORKFLOW_NAME, createAgentStepExtensions, createTaskWorkflow } from '@petrel/agent';
import type { AgentStepExtensions, TaskStepResult } from '@petrel/agent';
import { startHarness, skipWithoutChromium } from '../support/agent-harness.ts';
import type { Harness } from '../support/agent-harness.ts';
import { portalPolicy } from '@petrel/testing';

type Params = { portal: string; cookie: PortalSessionCookie; order: string };
type Output = { opened: string; task: TaskStepResult; after: { url: string; title: string } };

const invoiceFlow = defineWorkflow<Params, Output>({
  name: 'invoice-flow',
  run: async (event, step) => {
    // The server declares these members on the engine's StepExtensions; here they are used directly.
    const s = step as unknown as AgentStepExtensions;
    const { portal, cookie, order } = event.payload;
    const opened = await s.browser('open-orders', async ({ run, page }) => {
      await run.context.addCookies([cookie]);
      await page.goto(`${portal}/orders`);
      return page.url();
    });
    const task = await s.task('download-invoice', { prompt: `Download the invoice of order ${order}.`, maxSteps: 6 });
    const afterTask = await s.browser('look', async ({ page }) => ({ url: page.url(), title: await page.title() }));
    return { opened, task, after: afterTask };
  },
});

describe('step.browser and step.task in a code workflow', skipWithoutChromium, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ respond: portalPolicy(), workflows: [invoiceFlow], stepExtensions: (runtime) => createAgentStepExtensions(runtime) });
    await h.engine.register(createTaskWorkflow(h.runtime));
  });
  after(() => h?.close());

  it('runs a task as a child run from the workflow\'s browser state and continues from the task\'s', async () => {
    const order = filterOrders(h.portal.data.orders, { start: '2026-06-01', end: '2026-06-30', status: '' })[3];
    assert.ok(order);
    const created = await h.engine.instances.create({
      workflow: 'invoice-flow',
      params: { portal: h.portal.url, cookie: h.portal.sessionCookie(), order: order.id } satisfies Params,
    });
    const done = await h.engine.instances.waitForStatus({ workflow: 'invoice-flow', id: created.id }, { timeoutMs: 90_000 });
    assert.equal(done.status, 'complete', JSON.stringify(done.error));
    const output = done.output as Output;
    assert.match(output.opened, /\/orders$/);
    assert.equal(output.task.status, 'completed', output.task.failureReason ?? '');
    assert.match(output.task.runId, /^tsk_/);
    // The child started signed in, where the workflow was (no login page in between), and ended on the order page.
    const child = await h.service.getTaskRun(h.namespace, output.task.runId);
    assert.equal(child.status, 'completed');
    assert.equal(child.downloaded_files?.[0]?.filename, `invoice_${order.id}.pdf`);
    const childSteps = await h.engine.instances.get({ workflow: TASK_WORKFLOW_NAME, id: output.task.runId }, { steps: true });
    const firstStep = childSteps.steps.find((s) => s.name === 'agent-step-1')?.output as { url: string } | undefined;
    assert.match(firstStep?.url ?? '', /\/orders$/);
    assert.match(output.after.url, new RegExp(`/orders/${order.id}$`));
    assert.match(output.after.title, new RegExp(order.id));
    // The workflow's browser steps record their checkpoints; the task step is a child and a wait.
    const steps = (await h.engine.instances.get({ workflow: 'invoice-flow', id: created.id }, { steps: true })).steps;
    const look = steps.find((s) => s.name === 'look')?.output as { checkpoint?: { takenAt?: string } } | undefined;
    assert.ok(look?.checkpoint?.takenAt);
    assert.deepEqual(
      steps.map((s) => `${s.type}:${s.name}`),
      ['do:open-orders', 'do:download-invoice:run-id', 'do:download-invoice', 'waitForEvent:download-invoice:wait', 'do:look'],
    );
  });
});
