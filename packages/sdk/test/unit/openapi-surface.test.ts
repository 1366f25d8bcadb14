// The SDK's surface against the contract: every public method of `Petrel` is listed here with an
// example call; each call's requests (captured by the client's `fetch` option, answered with a
// canned body) must match an operation of docs/openapi.json with the same method and path, and send
// only query parameters and body fields that operation declares (so a casing slip fails here). The
// live-server tests check the same calls against real answers.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Petrel } from '@petrel/sdk';

type Schema = { $ref?: string; properties?: Record<string, unknown>; oneOf?: Schema[]; anyOf?: Schema[]; additionalProperties?: unknown };
type Operation = {
  operationId: string;
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
};
type Doc = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };
const doc = JSON.parse(readFileSync(new URL('../../../../docs/openapi.json', import.meta.url), 'utf8')) as Doc;

/** The body fields a schema declares; undefined for an open object without properties (any field). */
function fieldsOf(schema: Schema | undefined): Set<string> | undefined {
  if (schema === undefined) return new Set();
  if (schema.$ref !== undefined) return fieldsOf(doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')]);
  if (schema.properties === undefined && schema.oneOf === undefined && schema.anyOf === undefined && schema.additionalProperties !== undefined && schema.additionalProperties !== false) return undefined;
  const out = new Set(Object.keys(schema.properties ?? {}));
  for (const part of [...(schema.oneOf ?? []), ...(schema.anyOf ?? [])]) for (const name of fieldsOf(part) ?? []) out.add(name);
  return out;
}

const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op, pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`) })),
);

type Captured = { method: string; url: URL; body: unknown };

/** Example calls of every public method. */
const CALLS: Record<string, (client: Petrel) => Promise<unknown>> = {
  createCredential: (c) => c.createCredential({ name: 'n', credentialType: 'password', credential: { username: 'u', password: 'p', totpType: 'none', totpIdentifier: 'x' } }),
  getCredentials: (c) => c.getCredentials({ page: 1, pageSize: 5, credentialType: 'password', vaultType: 'skyvern', search: 's' }),
  getCredential: (c) => c.getCredential('cred_1'),
  updateCredential: (c) => c.updateCredential('cred_1', { name: 'n', credentialType: 'secret', credential: { secretValue: 'v', secretLabel: 'l' } }),
  deleteCredential: (c) => c.deleteCredential('cred_1'),
  sendTotpCode: (c) => c.sendTotpCode({ totpIdentifier: 'a', content: '123456', taskId: 't', workflowId: 'w', workflowRunId: 'wr', source: 'sms', expiredAt: new Date() }),
  getWebhookSecret: (c) => c.getWebhookSecret(),
  rotateWebhookSecret: (c) => c.rotateWebhookSecret(),
  verifyWebhook: (c) => c.verifyWebhook('{}', {}, 'secret'),
  getApiKeys: (c) => c.getApiKeys({ page: 1, pageSize: 2, includeRevoked: true }),
  createApiKey: (c) => c.createApiKey({ name: 'ci' }),
  getApiKey: (c) => c.getApiKey('oat_1'),
  revokeApiKey: (c) => c.revokeApiKey('oat_1'),
  runTask: (c) =>
    c.runTask({
      prompt: 'p',
      url: 'https://example.com',
      engine: 'skyvern-1.0',
      dataExtractionSchema: { type: 'object' },
      errorCodeMapping: { NO: 'no' },
      maxSteps: 3,
      webhookUrl: 'https://example.com/hook',
      totpIdentifier: 't',
      browserSessionId: 'pbs_1',
      extraHttpHeaders: { 'X-A': 'b' },
      waitForCompletion: true,
      timeout: 1000,
    }),
  login: (c) => c.login({ credentialType: 'skyvern', credentialId: 'cred_1', url: 'https://example.com', prompt: 'log in', waitForCompletion: true }),
  downloadFiles: (c) => c.downloadFiles({ navigationGoal: 'g', url: 'https://example.com', downloadSuffix: '.pdf', downloadTimeout: 5, maxStepsPerRun: 2 }),
  getRun: (c) => c.getRun('tsk_1'),
  getWorkflowRunStatus: (c) => c.getWorkflowRunStatus('wr_1'),
  getRunTimeline: (c) => c.getRunTimeline('tsk_1'),
  waitForCompletion: (c) => c.waitForCompletion('tsk_1', { timeout: 1000 }),
  createWorkflow: (c) => c.createWorkflow({ jsonDefinition: { title: 't', workflow_definition: { parameters: [], blocks: [] } }, folderId: 'fld_1' }),
  getWorkflows: (c) => c.getWorkflows({ page: 1, pageSize: 2, onlyWorkflows: true, searchKey: 'k', title: 't', folderId: 'fld_1', status: ['published'], template: false }),
  getWorkflow: (c) => c.getWorkflow('wpid_1', { version: 2, template: false }),
  getWorkflowVersions: (c) => c.getWorkflowVersions('wpid_1'),
  updateWorkflow: (c) => c.updateWorkflow('wpid_1', { yamlDefinition: 'title: t' }),
  deleteWorkflow: (c) => c.deleteWorkflow('wpid_1'),
  runWorkflow: (c) =>
    c.runWorkflow({
      workflowId: 'wpid_1',
      parameters: { someKey: 1 },
      title: 't',
      webhookUrl: 'https://example.com/hook',
      browserProfileId: 'bp_1',
      maxElapsedTimeMinutes: 5,
      runMetadata: { k: 'v' },
      maxStepsOverride: 4,
      template: false,
      waitForCompletion: true,
      timeout: 1000,
    }),
  startWorkflowRun: (c) => c.startWorkflowRun({ workflowId: 'wpid_1', developerUserId: 'user-1', parameters: { a: 1 }, webhookUrl: 'https://example.com/hook' }),
  getWorkflowRuns: (c) => c.getWorkflowRuns({ page: 1, pageSize: 2, status: ['completed'], developerUserId: 'u' }),
  getWorkflowRunsOfWorkflow: (c) => c.getWorkflowRunsOfWorkflow('wpid_1', { page: 1, status: ['failed'], developerUserId: 'u' }),
  getWorkflowGraph: (c) => c.getWorkflowGraph('wpid_1', { version: 1 }),
  updateWorkflowFolder: (c) => c.updateWorkflowFolder('wpid_1', 'fld_1'),
  resetWorkflowBrowserState: (c) => c.resetWorkflowBrowserState('wpid_1', { developerUserId: 'u' }),
  answerHumanInteraction: (c) => c.answerHumanInteraction('wr_1', 'approve_it', { decision: 'approve', token: 't' }),
  getWorkflowSchedules: (c) => c.getWorkflowSchedules('wpid_1', { page: 1 }),
  createWorkflowSchedule: (c) => c.createWorkflowSchedule('wpid_1', { cronExpression: '0 3 * * *', timezone: 'UTC', parameters: { who: 'x' }, name: 'n', webhookUrl: 'https://example.com/h', enabled: true }),
  getWorkflowSchedule: (c) => c.getWorkflowSchedule('wpid_1', 'wfs_1'),
  updateWorkflowSchedule: (c) => c.updateWorkflowSchedule('wpid_1', 'wfs_1', { cronExpression: '0 4 * * *' }),
  deleteWorkflowSchedule: (c) => c.deleteWorkflowSchedule('wpid_1', 'wfs_1'),
  enableWorkflowSchedule: (c) => c.enableWorkflowSchedule('wpid_1', 'wfs_1'),
  disableWorkflowSchedule: (c) => c.disableWorkflowSchedule('wpid_1', 'wfs_1'),
  getSchedules: (c) => c.getSchedules({ page: 1, pageSize: 5 }),
  getFolders: (c) => c.getFolders({ page: 1, search: 's' }),
  createFolder: (c) => c.createFolder({ title: 't', description: 'd' }),
  getFolder: (c) => c.getFolder('fld_1'),
  updateFolder: (c) => c.updateFolder('fld_1', { title: 't2' }),
  deleteFolder: (c) => c.deleteFolder('fld_1'),
  getRuns: (c) => c.getRuns({ page: 1, pageSize: 3, status: ['running'], runType: ['task_v1'], searchKey: 'k' }),
  cancelRun: (c) => c.cancelRun('tsk_1'),
  bulkCancelRuns: (c) => c.bulkCancelRuns(['tsk_1']),
  retryRunWebhook: (c) => c.retryRunWebhook('tsk_1', { webhookUrl: 'https://example.com/hook' }),
  getRunWebhookDeliveries: (c) => c.getRunWebhookDeliveries('tsk_1'),
  streamRunEvents: async (c) => {
    for await (const event of c.streamRunEvents('tsk_1', { lastEventId: '5' })) assert.fail(`no events expected, got ${event.type}`);
  },
  getRunArtifacts: (c) => c.getRunArtifacts('tsk_1', { artifactType: ['screenshot', 'trace'] }),
  getArtifact: (c) => c.getArtifact('a_1'),
  getArtifactSignedUrl: (c) => c.getArtifactSignedUrl('a_1'),
  getArtifactContent: (c) => c.getArtifactContent('a_1'),
  uploadFile: (c) => c.uploadFile({ file: new Uint8Array([1, 2]), filename: 'f.bin', retentionDays: 3 }),
  getFileContent: (c) => c.getFileContent('file_1'),
  deleteFile: (c) => c.deleteFile('file_1'),
  createBrowserSession: (c) => c.createBrowserSession({ url: 'https://example.com', timeout: 10, browserProfileId: 'bp_1', generateBrowserProfile: true }),
  getBrowserSession: (c) => c.getBrowserSession('pbs_1'),
  getBrowserSessions: (c) => c.getBrowserSessions(),
  closeBrowserSession: (c) => c.closeBrowserSession('pbs_1'),
  createBrowserProfile: (c) => c.createBrowserProfile({ name: 'p', description: 'd', browserSessionId: 'pbs_1', workflowRunId: 'wr_1' }),
  listBrowserProfiles: (c) => c.listBrowserProfiles({ page: 1, pageSize: 2, includeDeleted: false, searchKey: 'k' }),
  getBrowserProfile: (c) => c.getBrowserProfile('bp_1'),
  updateBrowserProfile: (c) => c.updateBrowserProfile('bp_1', { name: 'p2', description: 'd2' }),
  deleteBrowserProfile: (c) => c.deleteBrowserProfile('bp_1'),
};

/** Methods that make no request. */
const LOCAL_ONLY = new Set(['verifyWebhook']);

test('every public method is listed', () => {
  const methods = Object.getOwnPropertyNames(Petrel.prototype).filter((name) => name !== 'constructor' && name !== 'call');
  assert.deepEqual(methods.toSorted(), Object.keys(CALLS).toSorted());
});

test('every method calls an OpenAPI operation with its method and path, sending only declared fields', async () => {
  for (const [name, call] of Object.entries(CALLS)) {
    const captured: Captured[] = [];
    const client = new Petrel({
      apiKey: 'pk_test',
      baseUrl: 'http://petrel.test',
      maxRetries: 0,
      fetch: async (input, init) => {
        let body: unknown;
        if (typeof init.body === 'string') body = JSON.parse(init.body);
        else if (init.body instanceof FormData) body = Object.fromEntries([...init.body.keys()].map((key) => [key, true]));
        captured.push({ method: init.method ?? 'GET', url: new URL(input), body });
        const accept = (init.headers as Record<string, string>).accept;
        if (accept === 'text/event-stream') return new Response('', { headers: { 'content-type': 'text/event-stream' } });
        if (accept === '*/*') return new Response(new Uint8Array([1]));
        if (init.method === 'DELETE' || input.endsWith('/delete')) return new Response(null, { status: 204 });
        if (init.method === 'POST' && new URL(input).pathname === '/v1/run/workflows') return Response.json({ run_id: 'wr_1', status: 'completed' });
        return Response.json({ run_id: 'tsk_1', status: 'completed' });
      },
    });
    await call(client);
    if (LOCAL_ONLY.has(name)) {
      assert.equal(captured.length, 0, name);
      continue;
    }
    assert.ok(captured.length > 0, `${name} made no request`);
    for (const request of captured) {
      const match = operations.find((o) => o.method === request.method && o.pattern.test(request.url.pathname));
      assert.ok(match, `${name}: ${request.method} ${request.url.pathname} is not an operation of docs/openapi.json`);
      const query = new Set((match.op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name));
      for (const key of request.url.searchParams.keys()) assert.ok(query.has(key), `${name}: query parameter ${key} is not declared by ${match.op.operationId}`);
      if (request.body !== undefined) {
        const content = match.op.requestBody?.content ?? {};
        const schema = (content['application/json'] ?? content['multipart/form-data'])?.schema;
        assert.ok(schema, `${name}: sends a body but ${match.op.operationId} takes none`);
        const fields = fieldsOf(schema);
        for (const key of Object.keys(request.body as object)) assert.ok(fields === undefined || fields.has(key), `${name}: body field ${key} is not declared by ${match.op.operationId}`);
      }
    }
  }
});
