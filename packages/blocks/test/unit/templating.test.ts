// The Jinja sandbox: lax and strict undefined handling, `| json`, JSON rendering of dicts and lists,
// the §2.5 context (block outputs with the extracted_information fallback, loop variables,
// built-ins), host-object escapes, limits, variable collection and truthiness.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createTemplateContext,
  evaluateCondition,
  findTemplateVariables,
  parseTruthy,
  renderTemplate,
  renderValue,
} from '@petrel/blocks';
import { isPetrelError } from '@petrel/protocol';

const templateError = (pattern: RegExp) => (error: unknown) => isPetrelError(error) && error.code === 'TEMPLATE_ERROR' && pattern.test(error.message);

const extractOutput = {
  task_id: 'tsk_1',
  status: 'completed',
  failure_reason: null,
  extracted_information: { orders: [{ order_id: 'ORD-10001', total: 42.5 }], count: 1, status: 'extracted' },
  downloaded_files: [],
};

const context = createTemplateContext({
  parameters: { portal_url: 'https://portal.test', start_date: '2026-01-01', limit: 3, flag: false, tags: ['a', 'b'], filters: { status: 'shipped' } },
  blockOutputs: { extract_orders: extractOutput, summary: { llm_response: 'fine' }, for_each: [[{ loop_value: 1 }]] },
  workflow: { title: 'Invoices', workflowId: 'w_1', workflowPermanentId: 'wpid_1', workflowRunId: 'wr_1' },
  browserSessionId: 'pbs_1',
  now: new Date('2026-03-04T23:59:00Z'),
});

test('lax by default: undefined names, attributes, filters and loops render as nothing', () => {
  assert.equal(renderTemplate('[{{ missing }}]', context), '[]');
  assert.equal(renderTemplate('[{{ missing.deep.er }}]', context), '[]');
  assert.equal(renderTemplate('[{{ filters.nope }}]', context), '[]');
  assert.equal(renderTemplate('[{{ missing | upper }}]', context), '[]');
  assert.equal(renderTemplate('[{{ missing | length }}]', context), '[0]');
  assert.equal(renderTemplate('[{% for x in missing %}{{ x }}{% else %}none{% endfor %}]', context), '[none]');
  assert.equal(renderTemplate('{% if missing %}yes{% else %}no{% endif %}', context), 'no');
});

test('strict mode: an undefined variable or attribute is an error naming it; default and is defined still work', () => {
  assert.throws(() => renderTemplate('{{ missing }}', context, { strict: true }), templateError(/'missing' is undefined/));
  assert.throws(() => renderTemplate('{{ filters.nope }}', context, { strict: true }), templateError(/'filters\.nope' is undefined/));
  assert.throws(() => renderTemplate('{{ tags[5] }}', context, { strict: true }), templateError(/'tags\[5\]' is undefined/));
  assert.throws(() => renderTemplate('{% for x in missing %}{% endfor %}', context, { strict: true }), templateError(/'missing' is undefined/));
  try {
    renderTemplate('Hello {{ user_name }}', context, { strict: true });
  } catch (error) {
    assert.ok(isPetrelError(error));
    assert.deepEqual(error.details, { variable: 'user_name' });
    assert.equal(error.status, 422);
  }
  assert.equal(renderTemplate('{{ missing | default("d") }}', context, { strict: true }), 'd');
  assert.equal(renderTemplate('{{ filters.nope | default("d") }}', context, { strict: true }), 'd');
  assert.equal(renderTemplate('{{ missing is defined }}/{{ filters.status is defined }}', context, { strict: true }), 'false/true');
  assert.equal(renderTemplate('{{ portal_url }}/orders?since={{ start_date }}', context, { strict: true }), 'https://portal.test/orders?since=2026-01-01');
});

test('dicts and lists render as JSON, never [object Object]; scalars render plainly', () => {
  assert.equal(renderTemplate('{{ filters }}', context), '{"status": "shipped"}');
  assert.equal(renderTemplate('{{ tags }}', context), '["a", "b"]');
  assert.equal(renderTemplate('{{ extract_orders_output.orders }}', context), '[{"order_id": "ORD-10001", "total": 42.5}]');
  assert.equal(renderTemplate('{{ limit }} {{ flag }} {{ 1.5 }} {{ none }}|', context), '3 false 1.5 |');
  assert.equal(renderTemplate('{{ tags | join(", ") }} {{ tags | length }} {{ portal_url | upper }}', context), 'a, b 2 HTTPS://PORTAL.TEST');
});

test('| json: a typed value when it is the whole field, JSON text from renderTemplate, an error when mixed', () => {
  assert.deepEqual(renderValue('{{ tags | json }}', context), ['a', 'b']);
  assert.equal(renderValue('{{ limit | json }}', context), 3);
  assert.equal(renderValue('  {{ flag | json }}\n', context), false);
  assert.deepEqual(renderValue('{{ filters | json }}', context), { status: 'shipped' });
  assert.deepEqual(renderValue('{{ extract_orders_output.orders | json }}', context), [{ order_id: 'ORD-10001', total: 42.5 }]);
  assert.equal(renderValue('{{ missing | json }}', context), null);
  assert.throws(() => renderValue('{{ missing | json }}', context, { strict: true }), templateError(/'missing' is undefined/));
  assert.equal(renderTemplate('{{ filters | json }}', context), '{"status":"shipped"}');
  assert.throws(() => renderValue('ids: {{ tags | json }}', context), templateError(/`\| json` must be the whole value of a field/));
  assert.throws(() => renderValue('{% if flag %}{{ tags | json }}{% endif %}', context), templateError(/whole value/));
  // Deep values: keys stay, strings render, typed values replace whole-field strings.
  assert.deepEqual(
    renderValue({ url: '{{ portal_url }}/api', body: { tags: '{{ tags | json }}', n: 7, nested: ['{{ limit | json }}', 'x={{ limit }}'] }, '{{ key }}': true }, context),
    { url: 'https://portal.test/api', body: { tags: ['a', 'b'], n: 7, nested: [3, 'x=3'] }, '{{ key }}': true },
  );
});

test('<label>_output.field resolves against extracted_information explicitly; <label>.output is the extracted data', () => {
  assert.equal(renderTemplate('{{ extract_orders_output.count }}', context), '1');
  assert.equal(renderTemplate('{{ extract_orders_output.orders[0].order_id }}', context), 'ORD-10001');
  assert.equal(renderTemplate('{{ extract_orders_output["orders"][0]["total"] }}', context), '42.5');
  // A field the output itself has wins over the extracted one.
  assert.equal(renderTemplate('{{ extract_orders_output.status }}', context), 'completed');
  assert.equal(renderTemplate('{{ extract_orders_output.extracted_information.status }}', context), 'extracted');
  assert.equal(renderTemplate('{{ extract_orders.output.count }} {{ extract_orders.task_id }} {{ extract_orders.count }}', context), '1 tsk_1 1');
  assert.equal(renderTemplate('{{ summary.output.llm_response }} {{ summary_output.llm_response }}', context), 'fine fine');
  assert.equal(renderTemplate('{{ for_each_output[0][0].loop_value }} {{ for_each.output | length }}', context), '1 1');
  // Printing the output shows the raw output, not a merged object.
  const printed = JSON.parse(renderTemplate('{{ extract_orders_output }}', context)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(printed), ['task_id', 'status', 'failure_reason', 'extracted_information', 'downloaded_files']);
  // Strict mode sees the fallback too, and still fails for a field that exists nowhere.
  assert.equal(renderTemplate('{{ extract_orders_output.count }}', context, { strict: true }), '1');
  assert.throws(() => renderTemplate('{{ extract_orders_output.nope }}', context, { strict: true }), templateError(/'extract_orders_output\.nope' is undefined/));
  // Plain parameters get no fallback.
  assert.equal(renderTemplate('[{{ filters.extracted_information }}]', createTemplateContext({ parameters: { filters: { extracted_information: { x: 1 } } } })), '[{"x": 1}]');
  assert.equal(renderTemplate('[{{ p.x }}]', createTemplateContext({ parameters: { p: { extracted_information: { x: 1 } } } })), '[]');
});

test('loop variables, built-ins and precedence', () => {
  const inLoop = context.withLoop({ value: { job_page_url: 'https://jobs.test/1', title: 'Engineer' }, index: 2 });
  assert.equal(renderTemplate('{{ current_value.job_page_url }}|{{ current_item.title }}|{{ current_index }}', inLoop), 'https://jobs.test/1|Engineer|2');
  assert.equal(renderTemplate('{{ portal_url }} {{ extract_orders_output.count }}', inLoop), 'https://portal.test 1');
  assert.equal(renderTemplate('[{{ current_value }}]', context), '[]');
  const direct = createTemplateContext({ loop: { value: 'x', index: 0 } });
  assert.equal(renderTemplate('{{ current_value }}{{ current_index }}', direct), 'x0');
  assert.equal(
    renderTemplate('{{ workflow_title }} {{ workflow_id }} {{ workflow_permanent_id }} {{ workflow_run_id }} {{ current_date }} {{ browser_session_id }}', context),
    'Invoices w_1 wpid_1 wr_1 2026-03-04 pbs_1',
  );
  assert.equal(renderTemplate('{{ workflow_run_outputs.summary.llm_response }}', context), 'fine');
  // Parameters win over block outputs of the same name; loop variables win over everything.
  const clash = createTemplateContext({ parameters: { current_value: 'param', x: 'param' }, blockOutputs: { x: 'out' }, loop: { value: 'loop', index: 0 } });
  assert.equal(renderTemplate('{{ x }} {{ current_value }} {{ x_output }}', clash), 'param loop out');
  // Plain records work as contexts too.
  assert.equal(renderTemplate('{{ a }}-{{ b.c }}', { a: 1, b: { c: 2 } }), '1-2');
});

test('the sandbox gives templates no way to host objects', () => {
  const attempts = [
    '{{ filters.constructor }}',
    '{{ filters.constructor.constructor("return process")() }}',
    '{{ "".constructor.constructor("return process")() }}',
    '{{ range.constructor("return process")() }}',
    '{{ namespace.constructor("return globalThis")() }}',
    '{{ tags.__proto__ }}',
    '{{ filters["__proto__"] }}',
    '{{ "".__class__.__mro__[1].__subclasses__() }}',
    '{{ cycler.__init__.__globals__.os.popen("id").read() }}',
    '{{ lipsum.__globals__ }}',
    '{{ self }}{{ config }}{{ request }}',
    '{{ process.env }}{{ globalThis }}{{ this }}{{ require }}',
    '{{ tags.map }}{{ filters.toString }}{{ portal_url.replace.call }}',
    '{% set ns = namespace() %}{% set ns.__proto__ = 1 %}{{ ns.__proto__ }}',
  ];
  for (const attempt of attempts) {
    let output: string;
    try {
      output = renderTemplate(attempt, context);
    } catch (error) {
      assert.ok(isPetrelError(error) && error.code === 'TEMPLATE_ERROR', `${attempt}: ${String(error)}`);
      continue;
    }
    assert.doesNotMatch(output, /function|native code|process|\[object|v\d+\.\d+/i, attempt);
  }
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  // Functions and class instances in the context never become callable or visible.
  const hostile = createTemplateContext({ parameters: { fn: () => 'called', holder: { fn: () => 'called', when: new Date('2026-01-02T03:04:05Z'), big: 10n } } });
  assert.equal(renderTemplate('[{{ fn }}]', hostile), '[]');
  assert.throws(() => renderTemplate('{{ fn() }}', hostile), templateError(/not a function/));
  assert.equal(renderTemplate('{{ holder }}', hostile), '{"when": "2026-01-02T03:04:05.000Z", "big": "10"}');
  // A prototype-named key in data is plain data.
  const data = createTemplateContext({ parameters: JSON.parse('{"obj": {"__proto__": {"x": 1}}}') as Record<string, unknown> });
  assert.equal(renderTemplate('{{ obj.__proto__.x }}', data), '1');
  assert.equal(({} as Record<string, unknown>)['x'], undefined);
});

test('limits: range, repetition, evaluation steps and output size', () => {
  assert.throws(() => renderTemplate('{{ range(100001) | length }}', context), templateError(/range\(\) may produce at most 100000 items/));
  assert.equal(renderTemplate('{{ range(3) }}', context), '[0, 1, 2]');
  assert.throws(() => renderTemplate('{{ "ab" * 6000000 }}', context), templateError(/over the limit/));
  assert.throws(() => renderTemplate('{% for i in range(100000) %}{% for j in range(50) %}{{ j }}{% endfor %}{% endfor %}', context), templateError(/evaluation steps/));
  const wide = createTemplateContext({ parameters: { chunk: 'x'.repeat(200) } });
  assert.throws(() => renderTemplate('{% for i in range(60000) %}{{ chunk }}{% endfor %}', wide), templateError(/characters, over the limit/));
});

test('syntax errors are TEMPLATE_ERRORs; plain text is returned unchanged; set does not leak between renders', () => {
  assert.throws(() => renderTemplate('{{ portal_url ', context), templateError(/syntax error/));
  assert.throws(() => renderTemplate('{% if flag %}open', context), templateError(/syntax error/));
  assert.throws(() => renderTemplate('{{ tags | no_such_filter }}', context), templateError(/render failed/));
  assert.equal(renderTemplate('no templates here\n', context), 'no templates here\n');
  assert.equal(renderValue(42, context), 42);
  assert.equal(renderTemplate('{% set leaked = 1 %}{{ leaked }}', context), '1');
  assert.equal(renderTemplate('[{{ leaked }}]', context), '[]');
  // Jinja2's default whitespace: one trailing newline is dropped, block tags keep their lines.
  assert.equal(renderTemplate('{% if true %}\nyes\n{% endif %}\n', context), '\nyes\n');
  assert.equal(renderTemplate('{%- if true -%}\n yes \n{%- endif -%}', context), 'yes');
});

test('findTemplateVariables lists free variables with their static paths, using Jinja scoping', () => {
  assert.deepEqual(findTemplateVariables('{{ a }} {{ b.c[0]["d"] }} {{ a }}'), [
    { name: 'a', path: [] },
    { name: 'b', path: ['c', 0, 'd'] },
  ]);
  assert.deepEqual(
    findTemplateVariables('{% set x = y %}{{ x }}{% for i, j in pairs if i.ok %}{{ i.v }}{{ loop.index }}{{ z[i] }}{% else %}{{ i }}{% endfor %}{{ true }}{{ range(n) }}'),
    [
      { name: 'y', path: [] },
      { name: 'pairs', path: [] },
      { name: 'z', path: [] },
      { name: 'i', path: [] },
      { name: 'n', path: [] },
    ],
  );
  assert.deepEqual(findTemplateVariables('{% macro m(p, q=r) %}{{ p }}{{ s }}{% endmacro %}{{ m(t) | default(u) }}{{ v is defined }}'), [
    { name: 'r', path: [] },
    { name: 's', path: [] },
    { name: 't', path: [] },
    { name: 'u', path: [] },
    { name: 'v', path: [] },
  ]);
  assert.deepEqual(findTemplateVariables('{{ label_output.orders[k].id }}'), [
    { name: 'k', path: [] },
    { name: 'label_output', path: ['orders'] },
  ]);
  assert.deepEqual(findTemplateVariables('{# {{ hidden }} #}plain'), []);
  assert.throws(() => findTemplateVariables('{{ a '), templateError(/syntax error/));
});

test('truthiness of rendered conditions', () => {
  for (const falsy of ['', '  ', 'false', 'False', ' FALSE ', '0', 'no', 'n', 'off', 'null', 'None', 'none']) assert.equal(parseTruthy(falsy), false, falsy);
  for (const truthy of ['true', 'True', '1', 'yes', 'ready', '0.0', '[]', 'nope']) assert.equal(parseTruthy(truthy), true, truthy);
  assert.equal(evaluateCondition('{{ flag }}', context), false);
  assert.equal(evaluateCondition('{{ limit > 2 }}', context), true);
  assert.equal(evaluateCondition("{{ extract_orders_output.count == 1 and filters.status == 'shipped' }}", context), true);
  assert.equal(evaluateCondition('{{ missing }}', context), false);
  assert.equal(evaluateCondition('{% if tags %}yes{% endif %}', context), true);
});
