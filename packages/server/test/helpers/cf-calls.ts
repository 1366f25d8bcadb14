// Helpers for the Workflows API tests: calls with the Cloudflare envelope parsed and checked against
// the protocol's schemas (so an answer that drifts from the published shape fails the test).
import assert from 'node:assert/strict';
import { CfErrorEnvelopeSchema, CfResultInfoSchema, cfEnvelopeSchema } from '@petrel/protocol';
import type { CfError, CfMessage, CfResultInfo } from '@petrel/protocol';
import { z } from 'zod';
import type { TestApp } from './test-app.ts';

/** A parsed answer of the Workflows API. */
export type CfAnswer<T = unknown> = {
  status: number;
  headers: Headers;
  success: boolean;
  result: T;
  errors: CfError[];
  messages: CfMessage[];
  resultInfo: CfResultInfo | undefined;
};

const AnyEnvelope = z.union([cfEnvelopeSchema(z.unknown(), 'TestAnyEnvelope'), CfErrorEnvelopeSchema]);

/** `/client/v4/accounts/{account}/workflows`, of the bootstrap organization unless another is given. */
export function workflowsPath(t: TestApp, account = t.organizationId): string {
  return `/client/v4/accounts/${account}/workflows`;
}

/** Calls the app and parses the envelope; with `schema`, the result must match it. */
export async function cf<T = unknown>(
  t: TestApp,
  path: string,
  init: RequestInit & { json?: unknown; key?: string | null } = {},
  schema?: z.ZodType<T>,
): Promise<CfAnswer<T>> {
  const response = await t.call(path, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    assert.fail(`${init.method ?? 'GET'} ${path}: not JSON (${response.status}): ${text.slice(0, 200)}`);
  }
  const envelope = AnyEnvelope.parse(body);
  assert.equal(envelope.success, response.status < 400, `${init.method ?? 'GET'} ${path}: success matches the status ${response.status}: ${text.slice(0, 300)}`);
  const resultInfo = 'result_info' in envelope && envelope.result_info !== undefined ? CfResultInfoSchema.parse(envelope.result_info) : undefined;
  const result = envelope.success && schema !== undefined ? schema.parse(envelope.result) : (envelope.result as T);
  return { status: response.status, headers: response.headers, success: envelope.success, result, errors: envelope.errors, messages: envelope.messages, resultInfo };
}

/** Asserts an error answer with this status, Cloudflare code and Petrel code. */
export function assertCfError(answer: CfAnswer, status: number, code: number, petrelCode?: string): void {
  assert.equal(answer.status, status, JSON.stringify(answer.errors));
  assert.equal(answer.success, false);
  assert.equal(answer.result, null);
  assert.ok(answer.errors.length > 0);
  assert.equal(answer.errors[0]?.code, code, JSON.stringify(answer.errors));
  if (petrelCode !== undefined) assert.equal(answer.errors[0]?.petrel_code, petrelCode, JSON.stringify(answer.errors));
}
