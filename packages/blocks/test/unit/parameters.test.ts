// Run parameters: coercion per workflow_parameter_type, defaults, required, credentials, context
// parameters, automatic outputs, and vault-backed kinds that fail with INTEGRATION_NOT_CONFIGURED.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  coerceParameterValue,
  listOutputParameters,
  parseWorkflowDefinition,
  resolveContextParameter,
  resolveRunParameters,
  unavailableParameterError,
} from '@petrel/blocks';
import type { BlockWorkflowParameter } from '@petrel/protocol';
import { isPetrelError } from '@petrel/protocol';

const ok = (value: unknown) => ({ ok: true, value });

test('string: text as is, numbers and booleans as text, objects as JSON; null refused', () => {
  assert.deepEqual(coerceParameterValue('string', 'abc'), ok('abc'));
  assert.deepEqual(coerceParameterValue('string', ''), ok(''));
  assert.deepEqual(coerceParameterValue('string', 12.5), ok('12.5'));
  assert.deepEqual(coerceParameterValue('string', true), ok('true'));
  assert.deepEqual(coerceParameterValue('string', { a: [1] }), ok('{"a":[1]}'));
  assert.equal(coerceParameterValue('string', null).ok, false);
});

test('integer: integers and integer text; not fractions, booleans or words', () => {
  assert.deepEqual(coerceParameterValue('integer', 42), ok(42));
  assert.deepEqual(coerceParameterValue('integer', ' -7 '), ok(-7));
  assert.deepEqual(coerceParameterValue('integer', '+3'), ok(3));
  for (const bad of [3.7, '3.7', 'ten', true, '', '1e3', Number.MAX_SAFE_INTEGER + 2, '99999999999999999999', [1]]) {
    const result = coerceParameterValue('integer', bad);
    assert.equal(result.ok, false, JSON.stringify(bad));
    if (!result.ok) assert.match(result.message, /^expected an integer, got /);
  }
});

test('float: finite numbers and numeric text', () => {
  assert.deepEqual(coerceParameterValue('float', 2.5), ok(2.5));
  assert.deepEqual(coerceParameterValue('float', 3), ok(3));
  assert.deepEqual(coerceParameterValue('float', '1e3'), ok(1000));
  assert.deepEqual(coerceParameterValue('float', '.5'), ok(0.5));
  assert.deepEqual(coerceParameterValue('float', '-2.'), ok(-2));
  for (const bad of ['NaN', 'Infinity', 'abc', '', Number.NaN, Number.POSITIVE_INFINITY, false, '0x10']) {
    assert.equal(coerceParameterValue('float', bad).ok, false, String(bad));
  }
});

test('boolean: booleans, 1/0 and the usual words in any case', () => {
  for (const truthy of [true, 1, 'true', 'TRUE', ' yes', 'y', 'on', '1']) assert.deepEqual(coerceParameterValue('boolean', truthy), ok(true), String(truthy));
  for (const falsy of [false, 0, 'false', 'False', 'no', 'N', 'off', '0']) assert.deepEqual(coerceParameterValue('boolean', falsy), ok(false), String(falsy));
  for (const bad of ['maybe', 2, '', null, 'truthy']) assert.equal(coerceParameterValue('boolean', bad).ok, false, String(bad));
});

test('json: text is parsed, JSON values are kept, invalid text and non-JSON values refused', () => {
  assert.deepEqual(coerceParameterValue('json', '{"a": [1, true, null]}'), ok({ a: [1, true, null] }));
  assert.deepEqual(coerceParameterValue('json', '"text"'), ok('text'));
  assert.deepEqual(coerceParameterValue('json', [1, { b: 2 }]), ok([1, { b: 2 }]));
  assert.deepEqual(coerceParameterValue('json', 5), ok(5));
  const invalid = coerceParameterValue('json', '{not json');
  assert.deepEqual(invalid, { ok: false, message: 'expected JSON, got text that is not valid JSON' });
  assert.equal(coerceParameterValue('json', new Date()).ok, false);
  assert.equal(coerceParameterValue('json', { f: () => 1 }).ok, false);
});

test('file_url and credential_id: non-empty text', () => {
  assert.deepEqual(coerceParameterValue('file_url', 'https://files.test/resume.pdf'), ok('https://files.test/resume.pdf'));
  assert.deepEqual(coerceParameterValue('credential_id', 'cred_123'), ok('cred_123'));
  assert.equal(coerceParameterValue('file_url', '  ').ok, false);
  assert.equal(coerceParameterValue('credential_id', 7).ok, false);
});

const parameters: BlockWorkflowParameter[] = [
  { key: 'portal_url', parameter_type: 'workflow', workflow_parameter_type: 'string' },
  { key: 'max_orders', parameter_type: 'workflow', workflow_parameter_type: 'integer', default_value: '25' },
  { key: 'include_refunds', parameter_type: 'workflow', workflow_parameter_type: 'boolean', default_value: false },
  { key: 'filters', parameter_type: 'workflow', workflow_parameter_type: 'json', default_value: '{"status": "shipped"}' },
  { key: 'login', parameter_type: 'workflow', workflow_parameter_type: 'credential_id', default_value: 'cred_default' },
  { key: 'stored', parameter_type: 'credential', credential_id: 'cred_main', fallback_credential_ids: ['cred_backup'], fallback_trigger: 'login_failed' },
  { key: 'order_id', parameter_type: 'context', source_parameter_key: 'extract_output' },
  { key: 'extract_output', parameter_type: 'output' },
  { key: 'smtp_host', parameter_type: 'aws_secret', aws_key: 'SKYVERN_SMTP_HOST_AWS_SES' },
  { key: 'card', parameter_type: 'bitwarden_credit_card_data', bitwarden_client_id_aws_secret_key: 'a', bitwarden_client_secret_aws_secret_key: 'b', bitwarden_master_password_aws_secret_key: 'c', bitwarden_collection_id: 'col', bitwarden_item_id: 'item' },
];

test('resolveRunParameters: inputs coerced, defaults applied, credentials referenced, vault kinds marked', () => {
  const { parameters: resolved, warnings } = resolveRunParameters({ parameters }, { portal_url: 'https://portal.test', max_orders: '10', login: 'cred_user', extra: 1 });
  assert.deepEqual(resolved, {
    portal_url: { kind: 'value', key: 'portal_url', value: 'https://portal.test' },
    max_orders: { kind: 'value', key: 'max_orders', value: 10 },
    include_refunds: { kind: 'value', key: 'include_refunds', value: false },
    filters: { kind: 'value', key: 'filters', value: { status: 'shipped' } },
    login: { kind: 'credential', key: 'login', source: 'credential_id', credentialId: 'cred_user', credentialIds: [], fallbackCredentialIds: [] },
    stored: {
      kind: 'credential',
      key: 'stored',
      source: 'credential',
      credentialId: 'cred_main',
      credentialIds: [],
      fallbackCredentialIds: ['cred_backup'],
      fallbackTrigger: 'login_failed',
    },
    order_id: { kind: 'context', key: 'order_id', sourceParameterKey: 'extract_output' },
    smtp_host: { kind: 'unavailable', key: 'smtp_host', parameterType: 'aws_secret', integration: 'AWS Secrets Manager' },
    card: { kind: 'unavailable', key: 'card', parameterType: 'bitwarden_credit_card_data', integration: 'Bitwarden' },
  });
  assert.deepEqual(warnings, ['run parameter extra is not declared by the workflow and was ignored']);
});

test('resolveRunParameters: every problem is reported at once, naming the parameter', () => {
  try {
    resolveRunParameters({ parameters }, { max_orders: 'lots', include_refunds: 'perhaps', portal_url: null });
    assert.fail('accepted');
  } catch (error) {
    assert.ok(isPetrelError(error));
    assert.equal(error.code, 'VALIDATION_FAILED');
    assert.deepEqual(error.details, [
      { path: 'parameters.portal_url', message: 'parameter portal_url (string) is required and has no default' },
      { path: 'parameters.max_orders', message: 'parameter max_orders: value does not fit integer: expected an integer, got string "lots"' },
      { path: 'parameters.include_refunds', message: 'parameter include_refunds: value does not fit boolean: expected a boolean (true/false), got string "perhaps"' },
    ]);
    assert.equal(error.message, 'runs.parameters: 3 problems, first: parameter portal_url (string) is required and has no default');
  }
});

test('vault-backed parameters fail at run time with a code naming the missing integration', () => {
  const error = unavailableParameterError({ key: 'smtp_host', parameterType: 'aws_secret' });
  assert.equal(error.code, 'INTEGRATION_NOT_CONFIGURED');
  assert.equal(error.message, 'parameter smtp_host: aws_secret parameters need the AWS Secrets Manager integration, which Petrel does not have');
  assert.equal(error.nonRetryable, true);
  assert.deepEqual(error.details, { parameter: 'smtp_host', parameter_type: 'aws_secret', integration: 'AWS Secrets Manager' });
  assert.match(unavailableParameterError({ key: 'vault', parameterType: 'azure_vault_credential' }).message, /Azure Key Vault/);
});

test('context parameters read extracted_information first, then the output itself', () => {
  const source = { status: 'completed', order_id: 'raw', extracted_information: { order_id: 'ORD-10001' } };
  assert.equal(resolveContextParameter({ key: 'order_id' }, source), 'ORD-10001');
  assert.equal(resolveContextParameter({ key: 'status' }, source), 'completed');
  assert.equal(resolveContextParameter({ key: 'missing' }, source), undefined);
  assert.equal(resolveContextParameter({ key: 'x' }, 'not an object'), undefined);
  assert.equal(resolveContextParameter({ key: 'x' }, { extracted_information: [1] }), undefined);
});

test('every block gets an output parameter <label>_output, loop blocks included', () => {
  const { definition } = parseWorkflowDefinition({
    title: 'o',
    workflow_definition: {
      parameters: [],
      blocks: [
        { block_type: 'wait', label: 'first' },
        { block_type: 'for_loop', label: 'each', loop_variable_reference: '{{ [1] }}', loop_blocks: [{ block_type: 'wait', label: 'inner' }] },
      ],
    },
  });
  assert.deepEqual(listOutputParameters(definition.workflow_definition), [
    { key: 'first_output', label: 'first' },
    { key: 'each_output', label: 'each' },
    { key: 'inner_output', label: 'inner' },
  ]);
});
