// The edge conversion: camelCase in the SDK, snake_case on the wire, user data untouched.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { VERBATIM_FIELDS } from '@petrel/sdk';
import { fromWire, toCamelKey, toSnakeKey, toWire } from '../../src/wire-casing.ts';

test('keys convert both ways and round-trip, digits included', () => {
  for (const [snake, camel] of [
    ['credential_id', 'credentialId'],
    ['s3_uri', 's3Uri'],
    ['line1', 'line1'],
    ['address_line_2', 'addressLine_2'],
    ['page_size', 'pageSize'],
    ['x', 'x'],
  ] as const) {
    assert.equal(toCamelKey(snake), camel);
    assert.equal(toSnakeKey(camel), snake);
  }
});

test('every field name of the OpenAPI document round-trips (the generator refuses one that does not)', () => {
  const doc = JSON.parse(readFileSync(new URL('../../../../docs/openapi.json', import.meta.url), 'utf8')) as unknown;
  const names = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'properties' && typeof value === 'object' && value !== null) for (const name of Object.keys(value)) names.add(name);
      walk(value);
    }
  };
  walk((doc as { components: unknown }).components);
  assert.ok(names.size > 20);
  for (const name of names) if (/^[a-z][a-z0-9_]*$/.test(name)) assert.equal(toSnakeKey(toCamelKey(name)), name, name);
});

test('fromWire renames keys deeply, through arrays, but not inside user data', () => {
  const wire = {
    run_id: 'tsk_1',
    downloaded_files: [{ file_size: 3, artifact_id: 'a_1' }],
    output: { invoice_total: 12, line_items: [{ unit_price: 1 }] },
    run_request: { data_extraction_schema: { type: 'object' } },
    extra_http_headers: { 'X-Custom_Header': 'v' },
    error_code_mapping: { LOGIN_FAILED: 'cannot log in' },
    parameters: { start_date: '2026-01-01' },
  };
  assert.deepEqual(fromWire(wire), {
    runId: 'tsk_1',
    downloadedFiles: [{ fileSize: 3, artifactId: 'a_1' }],
    output: { invoice_total: 12, line_items: [{ unit_price: 1 }] },
    runRequest: { data_extraction_schema: { type: 'object' } },
    extraHttpHeaders: { 'X-Custom_Header': 'v' },
    errorCodeMapping: { LOGIN_FAILED: 'cannot log in' },
    parameters: { start_date: '2026-01-01' },
  });
});

test('toWire is the inverse for requests, drops undefined fields and keeps non-plain objects', () => {
  const date = new Date('2026-01-02T03:04:05Z');
  const body = {
    workflowId: 'wpid_1',
    parameters: { startDate: '2026-01-01', nestedObject: { someKey: 1 } },
    dataExtractionSchema: { type: 'object', properties: { invoiceTotal: { type: 'number' } } },
    maxSteps: undefined,
    expiredAt: date,
    steps: [{ targetUrl: 'https://example.com' }],
  };
  assert.deepEqual(toWire(body), {
    workflow_id: 'wpid_1',
    parameters: { startDate: '2026-01-01', nestedObject: { someKey: 1 } },
    data_extraction_schema: { type: 'object', properties: { invoiceTotal: { type: 'number' } } },
    expired_at: date,
    steps: [{ target_url: 'https://example.com' }],
  });
  assert.equal(JSON.stringify(toWire({ expiredAt: date })), '{"expired_at":"2026-01-02T03:04:05.000Z"}');
});

test('the verbatim list names the user-data fields of the seeds', () => {
  for (const name of ['parameters', 'data_extraction_schema', 'output', 'extracted_information', 'run_request', 'error_code_mapping', 'extra_http_headers']) {
    assert.ok(VERBATIM_FIELDS.has(name), name);
  }
});
