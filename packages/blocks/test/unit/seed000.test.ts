// Seed 000's "list of tasks" workflows compile to block workflows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileTaskListWorkflow, resolveRunParameters } from '@petrel/blocks';
import type { SavedTask } from '@petrel/blocks';
import { isPetrelError } from '@petrel/protocol';

const rejectsWith = (details: unknown) => (error: unknown) => {
  assert.ok(isPetrelError(error), String(error));
  assert.equal(error.code, 'VALIDATION_FAILED');
  assert.deepEqual(error.details, details);
  return true;
};

test('instructions with and without a start page become task blocks in order', async () => {
  const { definition, warnings } = await compileTaskListWorkflow({
    name: 'Download last invoice',
    tasks: [
      { instructions: 'Log in with the demo account', target_url: 'https://portal.test/login' },
      { instructions: 'Open the most recent order and download its invoice' },
    ],
  });
  assert.deepEqual(warnings, []);
  assert.equal(definition.title, 'Download last invoice');
  assert.equal(definition.workflow_definition.version, 1);
  assert.deepEqual(definition.workflow_definition.parameters, []);
  const [first, second] = definition.workflow_definition.blocks;
  assert.equal(first?.block_type, 'task');
  if (first?.block_type === 'task' && second?.block_type === 'task') {
    assert.deepEqual([first.label, first.url, first.navigation_goal], ['task_1', 'https://portal.test/login', 'Log in with the demo account']);
    // No target_url: the step continues where the previous one left the browser.
    assert.deepEqual([second.label, second.url, second.navigation_goal], ['task_2', undefined, 'Open the most recent order and download its invoice']);
  }
});

test('a list of target URLs becomes a for_loop over a json parameter whose default is the list', async () => {
  const urls = ['https://a.test/orders', 'https://b.test/orders'];
  const { definition } = await compileTaskListWorkflow({ name: 'Two portals', tasks: [{ instructions: 'Count the open orders', target_url: urls }] });
  assert.deepEqual(definition.workflow_definition.parameters, [
    { key: 'task_1_target_urls', parameter_type: 'workflow', workflow_parameter_type: 'json', default_value: urls, description: 'Start pages of task 1' },
  ]);
  const loop = definition.workflow_definition.blocks[0];
  assert.equal(loop?.block_type, 'for_loop');
  if (loop?.block_type === 'for_loop') {
    assert.equal(loop.label, 'task_1');
    assert.equal(loop.loop_over_parameter_key, 'task_1_target_urls');
    const page = loop.loop_blocks[0];
    assert.equal(page?.block_type, 'task');
    if (page?.block_type === 'task') assert.deepEqual([page.label, page.url, page.navigation_goal], ['task_1_page', '{{ current_value }}', 'Count the open orders']);
  }
  // A run gets the list by default and may override it.
  const { parameters } = resolveRunParameters(definition.workflow_definition);
  assert.deepEqual(parameters['task_1_target_urls'], { kind: 'value', key: 'task_1_target_urls', value: urls });
});

test('task_id resolves a saved task through the injected lookup; its parameters join the workflow', async () => {
  const saved: Record<string, SavedTask> = {
    tsk_login: {
      title: 'Log in',
      url: 'https://portal.test/login',
      navigation_goal: 'Log in with {{ account }}',
      parameter_keys: ['account'],
      parameters: [{ key: 'account', parameter_type: 'workflow', workflow_parameter_type: 'credential_id', default_value: 'cred_demo' }],
    },
    tsk_orders: {
      navigation_goal: 'Open the orders page',
      data_extraction_goal: 'Extract every order id',
      data_schema: { type: 'object', properties: { ids: { type: 'array' } } },
    },
  };
  const asked: string[] = [];
  const { definition } = await compileTaskListWorkflow(
    {
      name: 'Saved tasks',
      description: 'made of saved tasks',
      tasks: [{ task_id: 'tsk_login' }, { task_id: 'tsk_orders', target_url: 'https://portal.test/orders' }, { task_id: 'tsk_login' }],
    },
    {
      findSavedTask: async (taskId) => {
        asked.push(taskId);
        return saved[taskId];
      },
    },
  );
  assert.deepEqual(asked, ['tsk_login', 'tsk_orders', 'tsk_login']);
  assert.equal(definition.description, 'made of saved tasks');
  assert.deepEqual(definition.workflow_definition.parameters.map((parameter) => parameter.key), ['account']);
  const [login, orders, again] = definition.workflow_definition.blocks;
  if (login?.block_type === 'task') {
    assert.deepEqual([login.label, login.title, login.url, login.navigation_goal, login.parameter_keys], ['task_1', 'Log in', 'https://portal.test/login', 'Log in with {{ account }}', ['account']]);
  }
  if (orders?.block_type === 'task') {
    assert.deepEqual([orders.url, orders.data_extraction_goal], ['https://portal.test/orders', 'Extract every order id']);
    assert.deepEqual(orders.data_schema, { type: 'object', properties: { ids: { type: 'array' } } });
  }
  assert.equal(again?.label, 'task_3');
});

test('malformed task lists and unknown saved tasks are refused with paths', async () => {
  await assert.rejects(
    compileTaskListWorkflow({ name: 'x', tasks: [{ instructions: 'a', task_id: 'tsk_1' }, {}] }),
    rejectsWith([
      { path: 'tasks[0].task_id', message: 'give either instructions or task_id, not both' },
      { path: 'tasks[1].instructions', message: 'give instructions or a task_id' },
    ]),
  );
  await assert.rejects(compileTaskListWorkflow({ name: 'x', tasks: [] }), (error: unknown) => isPetrelError(error) && /tasks/.test(JSON.stringify(error.details)));
  await assert.rejects(compileTaskListWorkflow({ tasks: [{ instructions: 'a' }] }), (error: unknown) => isPetrelError(error) && JSON.stringify(error.details).includes('"path":"name"'));
  await assert.rejects(
    compileTaskListWorkflow({ name: 'x', tasks: [{ instructions: 'a', target_url: [] }] }),
    (error: unknown) => isPetrelError(error) && JSON.stringify(error.details).includes('tasks[0].target_url'),
  );
  await assert.rejects(
    compileTaskListWorkflow({ name: 'x', tasks: [{ task_id: 'tsk_1' }] }),
    rejectsWith([{ path: 'tasks[0].task_id', message: 'saved tasks cannot be resolved here (no findSavedTask lookup was given)' }]),
  );
  await assert.rejects(
    compileTaskListWorkflow({ name: 'x', tasks: [{ instructions: 'a' }, { task_id: 'tsk_gone' }] }, { findSavedTask: async () => undefined }),
    rejectsWith([{ path: 'tasks[1].task_id', message: "no saved task 'tsk_gone'" }]),
  );
});

test('saved tasks that disagree about a parameter are refused; the lookup can be aborted', async () => {
  const tasks: Record<string, SavedTask> = {
    a: { navigation_goal: 'a', parameters: [{ key: 'p', parameter_type: 'workflow', workflow_parameter_type: 'string' }] },
    b: { navigation_goal: 'b', parameters: [{ key: 'p', parameter_type: 'workflow', workflow_parameter_type: 'integer' }] },
  };
  await assert.rejects(
    compileTaskListWorkflow({ name: 'x', tasks: [{ task_id: 'a' }, { task_id: 'b' }] }, { findSavedTask: async (id) => tasks[id] }),
    rejectsWith([{ path: 'tasks[1].task_id', message: "parameter 'p' of this saved task differs from one already declared by another task" }]),
  );
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    compileTaskListWorkflow({ name: 'x', tasks: [{ task_id: 'a' }] }, { findSavedTask: async (id) => tasks[id], signal: controller.signal }),
    (error: unknown) => error instanceof Error && error.name === 'AbortError',
  );
});

test('a saved task whose templates reference unknown names fails validation like any definition', async () => {
  await assert.rejects(
    compileTaskListWorkflow({ name: 'x', tasks: [{ task_id: 'broken' }] }, { findSavedTask: async () => ({ navigation_goal: 'Use {{ nowhere }}' }) }),
    (error: unknown) =>
      isPetrelError(error) && /workflow_definition\.blocks\[0\]\.navigation_goal: unknown variable 'nowhere'/.test(error.message),
  );
});
