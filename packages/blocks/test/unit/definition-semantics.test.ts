// What save-time validation accepts, rewrites and warns about: the label sanitiser, unknown fields,
// version detection, reachability in version 2 graphs, loop and finally scopes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWorkflowDefinition } from '@petrel/blocks';
import type { DefinitionWarning } from '@petrel/blocks';
import { isPetrelError } from '@petrel/protocol';

const lines = (...text: string[]): string => `${text.join('\n')}\n`;
const codes = (warnings: DefinitionWarning[]): string[] => warnings.map((warning) => `${warning.code} ${warning.path}`);

test("Skyvern's sanitiser: invalid labels and keys are renamed, references rewritten, one warning each", () => {
  const { definition, warnings } = parseWorkflowDefinition(
    lines(
      'title: s',
      'workflow_definition:',
      '  finally_block_label: clean-up',
      '  parameters:',
      '    - {key: start-date, parameter_type: workflow, workflow_parameter_type: string}',
      '    - {key: first_rows, parameter_type: context, source_parameter_key: get-orders_output}',
      '  blocks:',
      '    - block_type: extraction',
      '      label: get-orders',
      '      data_extraction_goal: "Orders after {{ start-date }}"',
      '      parameter_keys: [start-date]',
      '      next_block_label: 2nd step',
      '    - block_type: text_prompt',
      '      label: 2nd step',
      '      prompt: "Summarise {{ get-orders_output.orders }} and {{ get-orders.output }} ({{ first_rows }})"',
      '    - block_type: wait',
      '      label: clean-up',
    ),
  );
  const blocks = definition.workflow_definition.blocks;
  assert.deepEqual(
    blocks.map((block) => block.label),
    ['get_orders', '_2nd_step', 'clean_up'],
  );
  assert.equal(definition.workflow_definition.finally_block_label, 'clean_up');
  assert.equal(blocks[0]?.next_block_label, '_2nd_step');
  assert.deepEqual(definition.workflow_definition.parameters.map((parameter) => parameter.key), ['start_date', 'first_rows']);
  const context = definition.workflow_definition.parameters[1];
  assert.equal(context?.parameter_type === 'context' ? context.source_parameter_key : undefined, 'get_orders_output');
  if (blocks[0]?.block_type === 'extraction') {
    assert.equal(blocks[0].data_extraction_goal, 'Orders after {{ start_date }}');
    assert.deepEqual(blocks[0].parameter_keys, ['start_date']);
  }
  if (blocks[1]?.block_type === 'text_prompt') {
    assert.equal(blocks[1].prompt, 'Summarise {{ get_orders_output.orders }} and {{ get_orders.output }} ({{ first_rows }})');
  }
  assert.deepEqual(codes(warnings), [
    'identifier_rewritten workflow_definition.blocks[0].label',
    'identifier_rewritten workflow_definition.blocks[1].label',
    'identifier_rewritten workflow_definition.blocks[2].label',
    'identifier_rewritten workflow_definition.parameters[0].key',
  ]);
  assert.equal(warnings[0]?.message, "label 'get-orders' is not an identifier; it was renamed to 'get_orders' and references to it were rewritten");
  assert.deepEqual([warnings[0]?.line, warnings[0]?.column], [9, 14]);
});

test('a renamed label never takes a name already in use', () => {
  const { definition } = parseWorkflowDefinition({
    title: 'u',
    workflow_definition: {
      parameters: [],
      blocks: [
        { block_type: 'wait', label: 'my-step' },
        { block_type: 'wait', label: 'my_step' },
        { block_type: 'goto_url', label: 'go', url: '{{ my-step_output }}/{{ my_step_output }}' },
      ],
    },
  });
  assert.deepEqual(
    definition.workflow_definition.blocks.map((block) => block.label),
    ['my_step_2', 'my_step', 'go'],
  );
  const go = definition.workflow_definition.blocks[2];
  assert.equal(go?.block_type === 'goto_url' ? go.url : undefined, '{{ my_step_2_output }}/{{ my_step_output }}');
});

test('unknown fields are dropped with a warning at the key, with a suggestion for typos', () => {
  const { definition, warnings } = parseWorkflowDefinition(
    lines(
      'title: w',
      'workflow_id: w_123',
      'created_at: "2026-01-01T00:00:00Z"',
      'colour: blue',
      'workflow_definition:',
      '  parameters:',
      '    - {key: a, parameter_type: workflow, workflow_parameter_type: string, required: true}',
      '  blocks:',
      '    - block_type: navigation',
      '      label: go',
      '      navigation_goal: "Go {{ a }}"',
      '      naviagtion_payload: {}',
      '      max_retry: 2',
      '    - block_type: conditional',
      '      label: route',
      '      branch_conditions:',
      '        - {criteria: {expression: "{{ a }}", kind: x}, next_block_label: go, label: first}',
      '        - {is_default: true}',
    ),
  );
  assert.deepEqual(
    warnings.map((warning) => [warning.path, warning.message, warning.line, warning.column]),
    [
      ['colour', "unknown field 'colour' on the workflow is ignored", 4, 1],
      ['workflow_definition.parameters[0].required', "unknown field 'required' on a workflow parameter is ignored", 7, 75],
      ['workflow_definition.blocks[0].naviagtion_payload', "unknown field 'naviagtion_payload' on a navigation block is ignored", 12, 7],
      ['workflow_definition.blocks[0].max_retry', "unknown field 'max_retry' on a navigation block is ignored (did you mean 'max_retries'?)", 13, 7],
      ['workflow_definition.blocks[1].branch_conditions[0].label', "unknown field 'label' on a branch condition is ignored", 17, 78],
      ['workflow_definition.blocks[1].branch_conditions[0].criteria.kind', "unknown field 'kind' on a branch criteria is ignored", 17, 46],
    ],
  );
  assert.ok(warnings.every((warning) => warning.code === 'unknown_field'));
  const navigation = definition.workflow_definition.blocks[0];
  assert.ok(navigation !== undefined && !('max_retry' in navigation));
  assert.equal(navigation?.block_type === 'navigation' ? navigation.max_retries : -1, 0);
  // The conditional makes the workflow version 2 and its branch loops back to `go`.
  assert.equal(definition.workflow_definition.version, 2);
});

test("a task block's prompt (seed 003's example) becomes its navigation_goal, with a warning", () => {
  const { definition, warnings } = parseWorkflowDefinition({
    title: 'Extract Products',
    workflow_definition: {
      parameters: [{ key: 'target_url', parameter_type: 'workflow', workflow_parameter_type: 'string', description: 'URL to scrape' }],
      blocks: [{ block_type: 'task', label: 'extract_data', prompt: 'Extract the top 3 products', url: '{{ target_url }}' }],
    },
  });
  const block = definition.workflow_definition.blocks[0];
  assert.equal(block?.block_type === 'task' ? block.navigation_goal : undefined, 'Extract the top 3 products');
  assert.deepEqual(codes(warnings), ['field_alias workflow_definition.blocks[0].prompt']);
});

const versionOf = (version: number | undefined, blocks: object[]): number =>
  parseWorkflowDefinition({ title: 'v', workflow_definition: { ...(version === undefined ? {} : { version }), parameters: [], blocks } }).definition
    .workflow_definition.version;

test('version: absent is detected (1 or 2), 2 may be declared without graph features, 3 is accepted', () => {
  const plain = [{ block_type: 'wait', label: 'a' }, { block_type: 'wait', label: 'b' }];
  const routed = [{ block_type: 'wait', label: 'a', next_block_label: 'b' }, { block_type: 'wait', label: 'b' }];
  assert.equal(versionOf(undefined, plain), 1);
  assert.equal(versionOf(undefined, routed), 2);
  assert.equal(versionOf(2, plain), 2);
  assert.equal(versionOf(3, routed), 3);
  // Only top-level routing decides the version; loop bodies route on their own.
  const nested = [{ block_type: 'for_loop', label: 'l', loop_variable_reference: '{{ [1] }}', loop_blocks: routed }];
  assert.equal(versionOf(undefined, nested), 1);
  assert.equal(versionOf(1, nested), 1);
});

test('version 2: what a block may reference follows the routes, and unreachable blocks and closed cycles are reported', () => {
  const { warnings } = parseWorkflowDefinition(
    lines(
      'title: g',
      'workflow_definition:',
      '  parameters: []',
      '  blocks:',
      '    - {block_type: navigation, label: open, navigation_goal: open, next_block_label: check}',
      '    - block_type: conditional',
      '      label: check',
      '      branch_conditions:',
      '        - {criteria: {expression: "{{ open_output.status == \'ready\' }}"}, next_block_label: extract}',
      '        - {is_default: true, next_block_label: pause}',
      '    - {block_type: wait, label: pause, wait_sec: 5, next_block_label: check}',
      '    - {block_type: extraction, label: extract, data_extraction_goal: "rows after {{ pause_output }}", next_block_label: finish}',
      '    - {block_type: wait, label: orphan}',
      '    - {block_type: wait, label: spin_a, next_block_label: spin_b}',
      '    - {block_type: wait, label: spin_b, next_block_label: spin_a}',
      '    - {block_type: text_prompt, label: finish, prompt: "done {{ extract_output }}"}',
    ),
  );
  assert.deepEqual(codes(warnings), [
    'unreachable_block workflow_definition.blocks[4].label',
    'unreachable_block workflow_definition.blocks[5].label',
    'unreachable_block workflow_definition.blocks[6].label',
    'cycle_without_exit workflow_definition.blocks[5].next_block_label',
  ]);
  // `pause` can run before `extract` (check → pause → check → extract), so no error there.
  assert.throws(
    () =>
      parseWorkflowDefinition({
        title: 'g',
        workflow_definition: {
          parameters: [],
          blocks: [
            { block_type: 'conditional', label: 'check', branch_conditions: [{ criteria: { expression: '{{ true }}' }, next_block_label: 'left' }, { is_default: true, next_block_label: 'right' }] },
            { block_type: 'wait', label: 'left', next_block_label: 'end' },
            { block_type: 'text_prompt', label: 'right', prompt: 'after {{ left_output }}' },
            { block_type: 'wait', label: 'end' },
          ],
        },
      }),
    (error: unknown) =>
      isPetrelError(error) &&
      JSON.stringify(error.details) ===
        JSON.stringify([{ path: 'workflow_definition.blocks[2].prompt', message: "'left_output' is the output of block 'left', which cannot have run before this block" }]),
  );
});

test('loops: earlier siblings and outer blocks are visible, later siblings warn (previous iteration), while conditions see the body', () => {
  const { warnings } = parseWorkflowDefinition(
    lines(
      'title: l',
      'workflow_definition:',
      '  parameters: []',
      '  blocks:',
      '    - {block_type: extraction, label: list_pages, data_extraction_goal: pages}',
      '    - block_type: for_loop',
      '      label: each_page',
      '      loop_variable_reference: "{{ list_pages_output.pages }}"',
      '      loop_blocks:',
      '        - {block_type: goto_url, label: open_page, url: "{{ current_value.url }}#{{ current_index }}"}',
      '        - {block_type: text_prompt, label: summarise, prompt: "{{ open_page_output }} vs {{ compare_output }} {{ current_item }}"}',
      '        - {block_type: text_prompt, label: compare, prompt: "{{ summarise.output }}"}',
      '    - block_type: while_loop',
      '      label: paging',
      '      condition: {expression: "{{ next_page_output.has_more | default(true) }}"}',
      '      loop_blocks:',
      '        - {block_type: extraction, label: next_page, data_extraction_goal: "next page after {{ current_index }}"}',
      '    - {block_type: text_prompt, label: report, prompt: "{{ compare_output }} {{ each_page_output }} {{ next_page_output }}"}',
    ),
  );
  assert.deepEqual(
    warnings.map((warning) => [warning.code, warning.path, warning.message]),
    [
      [
        'previous_iteration_output',
        'workflow_definition.blocks[1].loop_blocks[1].prompt',
        "'compare_output' is the output of block 'compare' from the previous loop iteration (undefined in the first one)",
      ],
    ],
  );
});

test('the finally block may reference every block; a conditional without {{ }} and an empty loop warn', () => {
  const { definition, warnings } = parseWorkflowDefinition({
    title: 'f',
    workflow_definition: {
      finally_block_label: 'notify',
      parameters: [],
      blocks: [
        { block_type: 'http_request', label: 'notify', url: 'https://hooks.example/{{ step_two_output.id }}', method: 'POST' },
        { block_type: 'wait', label: 'step_one' },
        { block_type: 'conditional', label: 'step_two', branch_conditions: [{ criteria: { expression: 'step_one_output' } }, { is_default: true }] },
        { block_type: 'for_loop', label: 'nothing', loop_variable_reference: '{{ [] }}', loop_blocks: [] },
      ],
    },
  });
  assert.equal(definition.workflow_definition.version, 2);
  assert.deepEqual(codes(warnings), [
    'condition_without_template workflow_definition.blocks[2].branch_conditions[0].criteria.expression',
    'empty_loop workflow_definition.blocks[3].loop_blocks',
  ]);
});

test('blocks Petrel cannot run yet parse and warn; a login without a credential warns; vault parameters warn', () => {
  const { warnings } = parseWorkflowDefinition({
    title: 'x',
    workflow_definition: {
      parameters: [
        { key: 'vault', parameter_type: 'onepassword', vault_id: 'v', item_id: 'i' },
        { key: 'bw', parameter_type: 'bitwarden_login_credential', bitwarden_client_id_aws_secret_key: 'a', bitwarden_client_secret_aws_secret_key: 'b', bitwarden_master_password_aws_secret_key: 'c' },
        { key: 'az', parameter_type: 'azure_vault_credential', vault_name: 'n', username_key: 'u', password_key: 'p' },
      ],
      blocks: [
        { block_type: 'google_sheets_read', label: 'sheet', spreadsheet_url: 'https://docs.google.com/x' },
        { block_type: 'email_inbox', label: 'inbox', email_client: 'gmail' },
        { block_type: 'pdf_fill', label: 'fill', file_url: 'x.pdf', prompt: 'fill it' },
        { block_type: 'login', label: 'sign_in', url: 'https://portal.example' },
        { block_type: 'login', label: 'sign_in_vault', parameter_keys: ['vault'] },
      ],
    },
  });
  assert.deepEqual(codes(warnings), [
    'vault_parameter workflow_definition.parameters[0].parameter_type',
    'vault_parameter workflow_definition.parameters[1].parameter_type',
    'vault_parameter workflow_definition.parameters[2].parameter_type',
    'unsupported_block workflow_definition.blocks[0].block_type',
    'unsupported_block workflow_definition.blocks[1].block_type',
    'unsupported_block workflow_definition.blocks[2].block_type',
    'missing_credential workflow_definition.blocks[3].parameter_keys',
  ]);
  assert.match(warnings[0]?.message ?? '', /onepassword parameters need the 1Password integration/);
  assert.match(warnings[3]?.message ?? '', /a run fails at 'sheet' with UNSUPPORTED_BLOCK/);
});

test('every block type of Skyvern parses with only its required fields', () => {
  const blocks: object[] = [
    { block_type: 'task', label: 'b1' },
    { block_type: 'navigation', label: 'b2', navigation_goal: 'g' },
    { block_type: 'extraction', label: 'b3', data_extraction_goal: 'g' },
    { block_type: 'action', label: 'b4' },
    { block_type: 'login', label: 'b5', parameter_keys: ['cred'] },
    { block_type: 'file_download', label: 'b6', navigation_goal: 'g' },
    { block_type: 'validation', label: 'b7' },
    { block_type: 'task_v2', label: 'b8', prompt: 'p' },
    { block_type: 'goto_url', label: 'b9', url: 'https://example.com' },
    { block_type: 'wait', label: 'b10' },
    { block_type: 'for_loop', label: 'b11', loop_over_parameter_key: 'items', loop_blocks: [{ block_type: 'wait', label: 'b11_inner' }] },
    { block_type: 'while_loop', label: 'b12', condition: { expression: '{{ false }}' }, loop_blocks: [{ block_type: 'wait', label: 'b12_inner' }] },
    { block_type: 'code', label: 'b13', code: 'result = 1' },
    { block_type: 'text_prompt', label: 'b14', prompt: 'p' },
    { block_type: 'http_request', label: 'b15' },
    { block_type: 'send_email', label: 'b16', sender: 's', recipients: [], subject: 's', body: 'b' },
    { block_type: 'file_url_parser', label: 'b17', file_url: 'f' },
    { block_type: 'pdf_parser', label: 'b18', file_url: 'f' },
    { block_type: 'upload_to_s3', label: 'b19' },
    { block_type: 'download_to_s3', label: 'b20', url: 'u' },
    { block_type: 'file_upload', label: 'b21' },
    { block_type: 'human_interaction', label: 'b22', recipients: ['r@example.com'] },
    { block_type: 'print_page', label: 'b23' },
    { block_type: 'workflow_trigger', label: 'b24', workflow_permanent_id: 'wpid_1' },
    { block_type: 'pdf_fill', label: 'b25', file_url: 'f', prompt: 'p' },
    { block_type: 'split_pdf', label: 'b26', file_url: 'f', prompt: 'p' },
    { block_type: 'google_sheets_read', label: 'b27', spreadsheet_url: 'u' },
    { block_type: 'google_sheets_write', label: 'b28', spreadsheet_url: 'u' },
    { block_type: 'email_inbox', label: 'b29', email_client: 'outlook' },
    { block_type: 'web_search', label: 'b30', query: 'q' },
    { block_type: 'data_export', label: 'b31', data: 'd', data_schema: {} },
    { block_type: 'terminate', label: 'b32', reason: 'done' },
    { block_type: 'conditional', label: 'b33', branch_conditions: [{ is_default: true }] },
  ];
  const { definition } = parseWorkflowDefinition({
    title: 'all',
    workflow_definition: {
      parameters: [
        { key: 'cred', parameter_type: 'credential', credential_id: 'cred_1' },
        { key: 'items', parameter_type: 'workflow', workflow_parameter_type: 'json', default_value: [] },
      ],
      blocks,
    },
  });
  assert.equal(definition.workflow_definition.blocks.length, 33);
  assert.equal(new Set(definition.workflow_definition.blocks.map((block) => block.block_type)).size, 33);
  const human = definition.workflow_definition.blocks[21];
  if (human?.block_type === 'human_interaction') {
    assert.equal(human.timeout_seconds, 7200);
    assert.equal(human.positive_descriptor, 'Approve');
  }
  const http = definition.workflow_definition.blocks[14];
  if (http?.block_type === 'http_request') assert.deepEqual([http.method, http.timeout, http.follow_redirects], ['GET', 30, true]);
  const taskV2 = definition.workflow_definition.blocks[7];
  if (taskV2?.block_type === 'task_v2') assert.deepEqual([taskV2.max_iterations, taskV2.max_steps], [50, 25]);
});
