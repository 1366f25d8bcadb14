// The three example definitions of skyvern.md §2.7, verbatim, load without edits (as YAML, as JSON
// text and as objects) and come out with Skyvern's defaults and the right version.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { parseWorkflowDefinition } from '@petrel/blocks';
import type { ParsedBlockWorkflow } from '@petrel/blocks';
import type { Block } from '@petrel/protocol';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/skyvern/${name}.yaml`, import.meta.url), 'utf8');

function blockByLabel(definition: ParsedBlockWorkflow, label: string): Block {
  const find = (blocks: readonly Block[]): Block | undefined => {
    for (const block of blocks) {
      if (block.label === label) return block;
      if (block.block_type === 'for_loop' || block.block_type === 'while_loop') {
        const inner = find(block.loop_blocks);
        if (inner !== undefined) return inner;
      }
    }
    return undefined;
  };
  const block = find(definition.workflow_definition.blocks);
  assert.ok(block, `block ${label} exists`);
  return block;
}

test('cookbook (a), job application filler: login, extraction with schema, for_loop, text_prompt', () => {
  const { definition, warnings } = parseWorkflowDefinition(fixture('job-application-filler'));
  assert.deepEqual(warnings, []);
  assert.equal(definition.title, 'Search and Apply for Jobs Workflow');
  assert.equal(definition.proxy_location, 'RESIDENTIAL');
  assert.equal(definition.workflow_definition.version, 1);
  assert.deepEqual(
    definition.workflow_definition.parameters.map((parameter) => parameter.key),
    ['resume', 'credentials', 'job_portal_url'],
  );
  assert.deepEqual(
    definition.workflow_definition.blocks.map((block) => `${block.block_type}:${block.label}`),
    ['pdf_parser:parsed_resume', 'login:login_to_portal', 'navigation:search_for_job', 'extraction:jobs_list_extraction', 'for_loop:for_each_job'],
  );
  const loop = blockByLabel(definition, 'for_each_job');
  assert.equal(loop.block_type, 'for_loop');
  if (loop.block_type !== 'for_loop') return;
  assert.equal(loop.loop_variable_reference, '{{jobs_list_extraction_output.jobs}}');
  assert.equal(loop.continue_on_failure, true);
  assert.equal(loop.next_loop_on_failure, true);
  assert.equal(loop.complete_if_empty, true);
  assert.deepEqual(
    loop.loop_blocks.map((block) => block.label),
    ['go_to_each_job', 'extract_job_detail', 'click_apply', 'extract_questions', 'answer_form_questions', 'apply_to_job'],
  );
  const extraction = blockByLabel(definition, 'jobs_list_extraction');
  assert.equal(extraction.block_type, 'extraction');
  if (extraction.block_type === 'extraction') {
    const schema = extraction.data_schema as { jobs: { items: { required: string[] } } };
    assert.deepEqual(schema.jobs.items.required, ['job_page_url', 'title', 'employer', 'location']);
    assert.equal(extraction.max_retries, 0);
    assert.equal(extraction.engine, 'skyvern-1.0');
  }
  // Defaults Skyvern fills in.
  const action = blockByLabel(definition, 'click_apply');
  assert.equal(action.block_type, 'action');
  if (action.block_type === 'action') assert.equal(action.ai_fallback, 'fallback');
  const login = blockByLabel(definition, 'login_to_portal');
  if (login.block_type === 'login') {
    assert.equal(login.complete_verification, true);
    assert.equal(login.skip_saved_profile, false);
    assert.deepEqual(login.parameter_keys, ['credentials']);
  }
  assert.equal(definition.persist_browser_session, false);
  assert.equal(definition.run_with, 'agent');
  assert.equal(definition.ai_fallback, true);
  assert.equal(definition.status, 'published');
});

test('cookbook (b), bulk invoice downloader: aws_secret parameters parse and warn, loops, send_email', () => {
  const { definition, warnings } = parseWorkflowDefinition(fixture('bulk-invoice-downloader'));
  assert.equal(definition.workflow_definition.version, 1);
  assert.equal(definition.webhook_callback_url, '');
  const secretKeys = definition.workflow_definition.parameters.filter((parameter) => parameter.parameter_type === 'aws_secret').map((parameter) => parameter.key);
  assert.deepEqual(secretKeys, ['smtp_host', 'smtp_port', 'smtp_username', 'smtp_password']);
  // One warning per vault-backed parameter, pointing at its parameter_type in the text.
  assert.deepEqual(
    warnings.map((warning) => [warning.code, warning.path, warning.line]),
    [
      ['vault_parameter', 'workflow_definition.parameters[5].parameter_type', 13],
      ['vault_parameter', 'workflow_definition.parameters[6].parameter_type', 14],
      ['vault_parameter', 'workflow_definition.parameters[7].parameter_type', 15],
      ['vault_parameter', 'workflow_definition.parameters[8].parameter_type', 16],
    ],
  );
  assert.match(warnings[0]?.message ?? '', /AWS Secrets Manager integration, which Petrel does not have/);
  const login = blockByLabel(definition, 'login_block');
  if (login.block_type === 'login') {
    assert.deepEqual(login.error_code_mapping, {
      INVALID_CREDENTIALS: 'Login failed - incorrect email or password',
      ACCOUNT_LOCKED: 'Account has been locked or suspended',
    });
  }
  const download = blockByLabel(definition, 'inv_download_block');
  assert.equal(download.block_type, 'file_download');
  if (download.block_type === 'file_download') {
    assert.equal(download.download_suffix, 'invoice_{{ current_value.order_id }}.pdf');
    assert.equal(download.download_target, 'website');
  }
  const parser = blockByLabel(definition, 'parse_block');
  if (parser.block_type === 'file_url_parser') assert.equal(parser.file_type, 'pdf');
  const email = blockByLabel(definition, 'email_block');
  assert.equal(email.block_type, 'send_email');
  if (email.block_type === 'send_email') {
    assert.deepEqual(email.recipients, ['{{recipient_email}}']);
    assert.equal(email.body, '{{for_2_block_output}}');
    assert.deepEqual(email.file_attachments, ['SKYVERN_DOWNLOAD_DIRECTORY']);
    assert.equal(email.smtp_host_secret_parameter_key, 'smtp_host');
  }
});

test('example (c), conditional retry: version 2 with a conditional, a default branch and a cycle', () => {
  const { definition, warnings } = parseWorkflowDefinition(fixture('conditional-retry'));
  assert.deepEqual(warnings, []);
  assert.equal(definition.workflow_definition.version, 2);
  const conditional = blockByLabel(definition, 'if_report_ready');
  assert.equal(conditional.block_type, 'conditional');
  if (conditional.block_type === 'conditional') {
    assert.equal(conditional.branch_conditions.length, 2);
    assert.equal(conditional.branch_conditions[0]?.criteria?.criteria_type, 'prompt');
    assert.equal(conditional.branch_conditions[0]?.next_block_label, 'extract_report');
    assert.equal(conditional.branch_conditions[1]?.is_default, true);
    assert.equal(conditional.branch_conditions[1]?.criteria, undefined);
  }
  const wait = blockByLabel(definition, 'wait_then_retry');
  if (wait.block_type === 'wait') assert.equal(wait.wait_sec, 15);
});

test('the same definitions load from JSON text and from objects, with identical results', () => {
  for (const name of ['job-application-filler', 'bulk-invoice-downloader', 'conditional-retry']) {
    const fromYaml = parseWorkflowDefinition(fixture(name));
    const object = parseYaml(fixture(name)) as object;
    const fromJson = parseWorkflowDefinition(JSON.stringify(object, null, 2));
    const fromObject = parseWorkflowDefinition(object);
    assert.deepEqual(fromJson.definition, fromYaml.definition, name);
    assert.deepEqual(fromObject.definition, fromYaml.definition, name);
    assert.deepEqual(
      fromJson.warnings.map((warning) => warning.path),
      fromYaml.warnings.map((warning) => warning.path),
      name,
    );
    // Objects have no text, so no positions.
    assert.ok(fromObject.warnings.every((warning) => warning.line === undefined));
  }
});

test('a parsed definition round-trips: parsing its own output changes nothing', () => {
  for (const name of ['job-application-filler', 'bulk-invoice-downloader', 'conditional-retry']) {
    const first = parseWorkflowDefinition(fixture(name)).definition;
    const second = parseWorkflowDefinition(JSON.parse(JSON.stringify(first)) as object).definition;
    assert.deepEqual(second, first, name);
  }
});
