// Invalid definitions are refused with VALIDATION_FAILED, naming every problem by path, with the
// line and column (1-based) of the offending node when the definition came as text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWorkflowDefinition } from '@petrel/blocks';
import type { DefinitionIssue } from '@petrel/blocks';
import { isPetrelError } from '@petrel/protocol';

/** Lines joined with newlines, so that line numbers in the tests are easy to count. */
const lines = (...text: string[]): string => `${text.join('\n')}\n`;

function problems(input: string | object, format?: 'yaml' | 'json'): DefinitionIssue[] {
  try {
    parseWorkflowDefinition(input, format === undefined ? {} : { format });
  } catch (error) {
    assert.ok(isPetrelError(error), `a PetrelError, got ${String(error)}`);
    assert.equal(error.code, 'VALIDATION_FAILED');
    assert.equal(error.status, 422);
    assert.ok(Array.isArray(error.details));
    return error.details as DefinitionIssue[];
  }
  return assert.fail('the definition was accepted');
}

/** The one problem of a definition that has exactly one. */
function onlyProblem(input: string | object, format?: 'yaml' | 'json'): DefinitionIssue {
  const found = problems(input, format);
  assert.equal(found.length, 1, JSON.stringify(found, null, 1));
  return found[0] as DefinitionIssue;
}

const HEADER = ['title: Orders', 'workflow_definition:', '  parameters: []', '  blocks:'];

test('YAML syntax errors give line and column', () => {
  // An unquoted ": " inside a value, the most common YAML mistake in prompts.
  const colon = onlyProblem(lines(...HEADER, '    - block_type: navigation', '      label: go', '      navigation_goal: Go: now'));
  assert.deepEqual(colon, { path: '', message: 'YAML: Nested mappings are not allowed in compact mappings', line: 7, column: 24 });

  const tab = onlyProblem(lines(...HEADER, '    - block_type: wait', '\tlabel: w'));
  assert.deepEqual(tab, { path: '', message: 'YAML: Tabs are not allowed as indentation', line: 6, column: 1 });

  // An unclosed quote is noticed where the text ends.
  const unclosed = onlyProblem(lines(...HEADER, '    - block_type: wait', '      label: "never closed'));
  assert.deepEqual(unclosed, { path: '', message: 'YAML: Missing closing "quote', line: 7, column: 1 });

  const duplicate = onlyProblem(lines('title: a', 'title: b', 'workflow_definition: {parameters: [], blocks: []}'));
  assert.match(duplicate.message, /unique/i);
  assert.deepEqual([duplicate.line, duplicate.column], [2, 1]);

  const badIndent = problems(lines(...HEADER, '    - block_type: wait', '     label: w'));
  assert.ok(badIndent.length >= 1);
  assert.equal(badIndent[0]?.line, 6);
});

test('JSON syntax errors give line and column', () => {
  const text = '{\n  "title": "x",\n  "workflow_definition": {\n    "parameters": [],\n    "blocks": [,]\n  }\n}\n';
  const found = problems(text);
  assert.deepEqual(found[0], { path: '', message: 'JSON syntax error: value expected', line: 5, column: 16 });
  // Text that starts like JSON is read as JSON, so a JSON mistake is reported as one.
  const missingValue = onlyProblem('{"title": "x",\n "workflow_definition": }');
  assert.deepEqual(missingValue, { path: '', message: 'JSON syntax error: value expected', line: 2, column: 25 });
  const trailingComma = problems('{"title": "x", "workflow_definition": {"parameters": [], "blocks": []},}', 'json')[0] as DefinitionIssue;
  assert.deepEqual([trailingComma.message, trailingComma.line, trailingComma.column], ['JSON syntax error: property name expected', 1, 72]);
});

test('a missing required field points at the mapping that lacks it', () => {
  const noTitle = onlyProblem(lines('description: no title', 'workflow_definition:', '  parameters: []', '  blocks: []'));
  assert.deepEqual(noTitle, { path: 'title', message: "'title' is required", line: 1, column: 1 });

  const noBlocks = onlyProblem(lines('title: x', 'workflow_definition:', '  parameters: []'));
  assert.deepEqual(noBlocks, { path: 'workflow_definition.blocks', message: "'blocks' is required", line: 3, column: 3 });

  const noGoal = onlyProblem(lines(...HEADER, '    - block_type: wait', '      label: first', '    - block_type: navigation', '      label: go', '      url: https://example.com'));
  assert.deepEqual(noGoal, { path: 'workflow_definition.blocks[1].navigation_goal', message: "'navigation_goal' is required", line: 7, column: 7 });
});

test('a value of the wrong type points at the value', () => {
  const problem = onlyProblem(lines(...HEADER, '    - block_type: wait', '      label: pause', '      wait_sec: soon'));
  assert.deepEqual(problem, {
    path: 'workflow_definition.blocks[0].wait_sec',
    message: 'expected a number, got the string "soon"',
    line: 7,
    column: 17,
  });
  const list = onlyProblem(lines(...HEADER, '    - block_type: send_email', '      label: mail', '      sender: a@b.c', '      recipients: a@b.c', '      subject: s', '      body: b'));
  assert.equal(list.path, 'workflow_definition.blocks[0].recipients');
  assert.equal(list.message, 'expected a list, got the string "a@b.c"');
  assert.deepEqual([list.line, list.column], [8, 19]);
});

test('an unknown block_type is named, with a suggestion', () => {
  const problem = onlyProblem(lines(...HEADER, '    - block_type: navigaton', '      label: go', '      navigation_goal: x'));
  assert.equal(problem.path, 'workflow_definition.blocks[0].block_type');
  assert.match(problem.message, /^unknown block_type "navigaton" \(did you mean 'navigation'\?\); expected one of task, /);
  assert.deepEqual([problem.line, problem.column], [5, 19]);
  const missing = onlyProblem(lines(...HEADER, '    - label: go'));
  assert.match(missing.message, /^'block_type' is required/);
});

test('an enum value that is not allowed lists the allowed ones', () => {
  const problem = onlyProblem(lines(...HEADER, '    - block_type: file_url_parser', '      label: parse', '      file_url: https://x/y.doc', '      file_type: word'));
  assert.equal(problem.path, 'workflow_definition.blocks[0].file_type');
  assert.match(problem.message, /"word" is not allowed; expected one of "auto_detect", "csv", "excel", "pdf", "image", "docx", "zip"/);
  assert.deepEqual([problem.line, problem.column], [8, 18]);
});

test('nested loop blocks have paths through loop_blocks', () => {
  const problem = onlyProblem(
    lines(
      ...HEADER,
      '    - block_type: for_loop',
      '      label: each',
      '      loop_over_parameter_key: ""',
      '      loop_variable_reference: "{{ [1, 2] }}"',
      '      loop_blocks:',
      '        - block_type: wait',
      '          label: inner',
      '          wait_sec: -1',
    ),
  );
  assert.equal(problem.path, 'workflow_definition.blocks[0].loop_blocks[0].wait_sec');
  assert.deepEqual([problem.line, problem.column], [12, 21]);
});

test('conditional branches: criteria or default, at most one default, at least one branch', () => {
  const noCriteria = onlyProblem(
    lines('title: c', 'workflow_definition:', '  parameters: []', '  blocks:', '    - block_type: conditional', '      label: route', '      branch_conditions:', '        - next_block_label: route'),
  );
  assert.deepEqual(noCriteria, {
    path: 'workflow_definition.blocks[0].branch_conditions[0].criteria',
    message: 'a branch without criteria must be marked is_default: true',
    line: 8,
    column: 11,
  });
  const twoDefaults = onlyProblem(
    lines(
      ...HEADER,
      '    - block_type: conditional',
      '      label: route',
      '      branch_conditions:',
      '        - {is_default: true}',
      '        - {is_default: true}',
    ),
  );
  assert.equal(twoDefaults.path, 'workflow_definition.blocks[0].branch_conditions[1].is_default');
  assert.equal(twoDefaults.message, 'only one default branch is allowed');
  assert.deepEqual([twoDefaults.line, twoDefaults.column], [9, 24]);
  const none = onlyProblem(lines(...HEADER, '    - block_type: conditional', '      label: route'));
  assert.equal(none.path, 'workflow_definition.blocks[0].branch_conditions');
  assert.equal(none.message, 'a conditional block needs at least one branch');
});

test('labels must be unique across the whole workflow, loop blocks included', () => {
  const problem = onlyProblem(
    lines(
      ...HEADER,
      '    - block_type: wait',
      '      label: pause',
      '    - block_type: for_loop',
      '      label: each',
      '      loop_variable_reference: "{{ [1] }}"',
      '      loop_blocks:',
      '        - block_type: wait',
      '          label: pause',
    ),
  );
  assert.deepEqual(problem, {
    path: 'workflow_definition.blocks[1].loop_blocks[0].label',
    message: "label 'pause' is already used by the block at workflow_definition.blocks[0]; labels must be unique, loop blocks included",
    line: 12,
    column: 18,
  });
  const empty = onlyProblem(lines(...HEADER, '    - block_type: wait', '      label: ""'));
  assert.deepEqual([empty.path, empty.message], ['workflow_definition.blocks[0].label', 'a block label cannot be empty']);
});

test('finally_block_label and next_block_label must name blocks of the right list', () => {
  const finallyMissing = onlyProblem(
    lines('title: f', 'workflow_definition:', '  parameters: []', '  finally_block_label: cleanup', '  blocks:', '    - block_type: wait', '      label: clean_up'),
  );
  assert.deepEqual(finallyMissing, {
    path: 'workflow_definition.finally_block_label',
    message: "finally_block_label 'cleanup' names no block (did you mean 'clean_up'?)",
    line: 4,
    column: 24,
  });
  const nextMissing = onlyProblem(
    lines(...HEADER, '    - block_type: wait', '      label: a', '      next_block_label: c', '    - block_type: wait', '      label: b'),
  );
  assert.deepEqual(nextMissing, {
    path: 'workflow_definition.blocks[0].next_block_label',
    message: "next_block_label 'c' names no block in this list",
    line: 7,
    column: 25,
  });
  const intoLoop = onlyProblem(
    lines(
      ...HEADER,
      '    - block_type: wait',
      '      label: a',
      '      next_block_label: inner',
      '    - block_type: for_loop',
      '      label: each',
      '      loop_variable_reference: "{{ [1] }}"',
      '      loop_blocks:',
      '        - {block_type: wait, label: inner}',
    ),
  );
  assert.match(intoLoop.message, /'inner' is in another list of blocks; routing stays within one list/);
});

test('version 1 cannot use graph routing; an omitted version is detected', () => {
  const problem = onlyProblem(
    lines(
      'title: v',
      'workflow_definition:',
      '  version: 1',
      '  parameters: []',
      '  blocks:',
      '    - block_type: conditional',
      '      label: route',
      '      branch_conditions: [{is_default: true}]',
    ),
  );
  assert.deepEqual([problem.path, problem.line, problem.column], ['workflow_definition.version', 3, 12]);
  assert.match(problem.message, /version must be 2 or more/);
});

test('references to unknown parameters are caught at save time', () => {
  const problem = onlyProblem(
    lines(
      'title: p',
      'workflow_definition:',
      '  parameters:',
      '    - {key: credentials, parameter_type: workflow, workflow_parameter_type: credential_id}',
      '  blocks:',
      '    - block_type: login',
      '      label: sign_in',
      '      parameter_keys: [credentials, credentails_2]',
    ),
  );
  assert.deepEqual(problem, {
    path: 'workflow_definition.blocks[0].parameter_keys[1]',
    message: "unknown parameter 'credentails_2' (did you mean 'credentials'?)",
    line: 8,
    column: 37,
  });
});

test('template problems: syntax, | json mixed with text, unknown variables, later blocks, loop variables outside loops', () => {
  const found = problems(
    lines(
      'title: t',
      'workflow_definition:',
      '  parameters:',
      '    - {key: portal_url, parameter_type: workflow, workflow_parameter_type: string}',
      '  blocks:',
      '    - block_type: goto_url',
      '      label: open',
      '      url: "{{ portal_url "',
      '    - block_type: navigation',
      '      label: search',
      '      navigation_goal: "Find {{ portal_ur }} {{ summary_output }} {{ current_value }}"',
      '    - block_type: http_request',
      '      label: call',
      '      url: "{{ portal_url }}/api"',
      '      body: {ids: "ids={{ portal_url | json }}"}',
      '    - block_type: text_prompt',
      '      label: summary',
      '      prompt: "Summarise {{ search_output }}"',
    ),
  );
  assert.deepEqual(
    found.map((problem) => [problem.path, problem.line, problem.column]),
    [
      ['workflow_definition.blocks[0].url', 8, 12],
      ['workflow_definition.blocks[1].navigation_goal', 11, 24],
      ['workflow_definition.blocks[1].navigation_goal', 11, 24],
      ['workflow_definition.blocks[1].navigation_goal', 11, 24],
      ['workflow_definition.blocks[2].body.ids', 15, 19],
    ],
  );
  assert.match(found[0]?.message ?? '', /^template syntax error/);
  assert.equal(found[1]?.message, "unknown variable 'portal_ur': not a parameter, a block output or a built-in variable (did you mean 'portal_url'?)");
  assert.equal(found[2]?.message, "'summary_output' is the output of block 'summary', which cannot have run before this block");
  assert.equal(found[3]?.message, "'current_value' is only defined inside a for_loop or while_loop");
  assert.match(found[4]?.message ?? '', /`\| json` must be the whole value of a field/);
});

test('a workflow-level error_code_mapping is checked like the blocks that inherit it', () => {
  const found = problems(
    lines(
      'title: t',
      'workflow_definition:',
      '  parameters:',
      '    - {key: shop, parameter_type: workflow, workflow_parameter_type: string}',
      '  error_code_mapping:',
      '    NO_ORDERS: "{{ shopp }} has no orders"',
      '  blocks:',
      '    - {block_type: code, label: check, code: "const x = 1"}',
    ),
  );
  assert.deepEqual(
    found.map((problem) => [problem.path, problem.line, problem.message]),
    [['workflow_definition.error_code_mapping.NO_ORDERS', 6, "unknown variable 'shopp': not a parameter, a block output or a built-in variable (did you mean 'shop'?)"]],
  );
});

test('a block cannot use its own output, and a loop body cannot see a later top-level block', () => {
  const found = problems(
    lines(
      ...HEADER,
      '    - block_type: text_prompt',
      '      label: think',
      '      prompt: "again {{ think_output }}"',
      '    - block_type: for_loop',
      '      label: each',
      '      loop_variable_reference: "{{ [1, 2] }}"',
      '      loop_blocks:',
      '        - block_type: text_prompt',
      '          label: inner',
      '          prompt: "{{ current_value }} {{ after.output }}"',
      '    - block_type: wait',
      '      label: after',
    ),
  );
  assert.deepEqual(
    found.map((problem) => problem.message),
    ["block 'think' cannot use its own output 'think_output'", "'after' is the output of block 'after', which cannot have run before this block"],
  );
  assert.deepEqual([found[1]?.line, found[1]?.column], [14, 19]);
});

test('parameter problems: defaults of the wrong type, unknown context sources, collisions with outputs', () => {
  const found = problems(
    lines(
      'title: p',
      'workflow_definition:',
      '  parameters:',
      '    - {key: count, parameter_type: workflow, workflow_parameter_type: integer, default_value: "ten"}',
      '    - {key: order_id, parameter_type: context, source_parameter_key: extract_ordrs_output}',
      '    - {key: extract_orders_output, parameter_type: workflow, workflow_parameter_type: string}',
      '    - {key: count, parameter_type: workflow, workflow_parameter_type: string}',
      '  blocks:',
      '    - {block_type: extraction, label: extract_orders, data_extraction_goal: orders}',
    ),
  );
  assert.deepEqual(
    found.map((problem) => [problem.path, problem.message, problem.line, problem.column]),
    [
      ['workflow_definition.parameters[3].key', "parameter key 'count' is declared twice", 7, 13],
      ['workflow_definition.parameters[0].default_value', 'default value does not fit integer: expected an integer, got string "ten"', 4, 95],
      [
        'workflow_definition.parameters[1].source_parameter_key',
        "unknown source 'extract_ordrs_output': not a parameter or a block output (did you mean 'extract_orders_output'?)",
        5,
        70,
      ],
      ['workflow_definition.parameters[2].key', "parameter 'extract_orders_output' has the name of the output of block 'extract_orders'", 6, 13],
    ],
  );
});

test('for_loop needs something to iterate; send_email secret keys must exist; code blocks refuse parameters', () => {
  const loop = onlyProblem(lines(...HEADER, '    - block_type: for_loop', '      label: each', '      loop_blocks: []'));
  assert.equal(loop.path, 'workflow_definition.blocks[0].loop_variable_reference');
  const email = onlyProblem(
    lines(
      ...HEADER,
      '    - block_type: send_email',
      '      label: mail',
      '      smtp_host_secret_parameter_key: smtp_host',
      '      sender: a@example.com',
      '      recipients: [b@example.com]',
      '      subject: s',
      '      body: b',
    ),
  );
  assert.deepEqual([email.path, email.message, email.line], ['workflow_definition.blocks[0].smtp_host_secret_parameter_key', "unknown parameter 'smtp_host'", 7]);
  const code = onlyProblem(lines(...HEADER, '    - block_type: code', '      label: run', '      code: "x = 1"', '      parameters: [a]'));
  assert.deepEqual(code, {
    path: 'workflow_definition.blocks[0].parameters',
    message: "code blocks do not accept 'parameters'; list parameter names in 'parameter_keys'",
    line: 8,
    column: 19,
  });
  const http = onlyProblem(
    lines(...HEADER, '    - block_type: http_request', '      label: call', '      url: https://example.com', '      save_response_as_file: true', '      secret_response_paths: [token]'),
  );
  assert.equal(http.path, 'workflow_definition.blocks[0].secret_response_paths');
  assert.equal(http.message, 'secret_response_paths cannot be combined with save_response_as_file');
});

test('JSON text gets line and column for schema and semantic errors too', () => {
  const text = [
    '{',
    '  "title": "j",',
    '  "workflow_definition": {',
    '    "parameters": [],',
    '    "blocks": [',
    '      {"block_type": "wait", "label": "a", "wait_sec": "5"},',
    '      {"block_type": "goto_url", "label": "b", "url": "{{ nope }}"}',
    '    ]',
    '  }',
    '}',
  ].join('\n');
  const schema = onlyProblem(text);
  assert.deepEqual(schema, { path: 'workflow_definition.blocks[0].wait_sec', message: 'expected a number, got the string "5"', line: 6, column: 56 });
  const semantic = onlyProblem(text.replace('"wait_sec": "5"', '"wait_sec": 5'));
  assert.deepEqual([semantic.path, semantic.line, semantic.column], ['workflow_definition.blocks[1].url', 7, 55]);
});

test('objects are validated the same way, without positions', () => {
  const problem = onlyProblem({ title: 'o', workflow_definition: { parameters: [], blocks: [{ block_type: 'wait', label: 'w', wait_sec: 'x' }] } });
  assert.deepEqual(problem, { path: 'workflow_definition.blocks[0].wait_sec', message: 'expected a number, got the string "x"' });
});

test('the wrong kind of document is refused with a useful message', () => {
  assert.deepEqual(onlyProblem(lines('- a', '- b')), { path: '', message: 'a workflow definition must be a mapping, got a list', line: 1, column: 1 });
  const empty = onlyProblem('');
  assert.equal(empty.message, 'a workflow definition must be a mapping, got null');
  const taskList = onlyProblem(lines('name: quick', 'tasks:', '  - instructions: do it'));
  assert.equal(taskList.path, 'tasks');
  assert.match(taskList.message, /compileTaskListWorkflow/);
  assert.deepEqual([taskList.line, taskList.column], [2, 1]);
});

test('the error message names the first problem and its position; details hold them all', () => {
  try {
    parseWorkflowDefinition(lines(...HEADER, '    - block_type: wait', '      label: pause', '      wait_sec: soon', '    - block_type: goto_url', '      label: go'));
    assert.fail('accepted');
  } catch (error) {
    assert.ok(isPetrelError(error));
    assert.equal(
      error.message,
      'workflows.parse: 2 problems; first: workflow_definition.blocks[0].wait_sec: expected a number, got the string "soon" (line 7, column 17)',
    );
    assert.equal((error.details as unknown[]).length, 2);
    assert.deepEqual(JSON.parse(JSON.stringify(error)).code, 'VALIDATION_FAILED');
  }
});
