// Browser sessions (a real Chromium, reached over CDP), browser profiles made from a session,
// uploads and their bytes, and the run routes' answers for runs that do not exist.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { findChromium } from '@petrel/browser';
import { NotFoundError, Petrel, UnprocessableEntityError } from '@petrel/sdk';
import { startLiveServer } from '../helpers/live-server.ts';
import type { LiveServer } from '../helpers/live-server.ts';

const chromium = { skip: findChromium() !== undefined || process.env.CI === 'true' ? false : 'Chromium is not installed (run npm run setup)' };

let live: LiveServer;
let client: Petrel;
before(async () => {
  live = await startLiveServer();
  client = new Petrel({ apiKey: live.apiKey, baseUrl: live.url });
});
after(async () => {
  await live?.[Symbol.asyncDispose]();
});

test('browser sessions: create, get, list, CDP reachable, profile from the session, close', chromium, async () => {
  const session = await client.createBrowserSession({ timeout: 5 });
  assert.match(session.browserSessionId, /^pbs_/);
  assert.equal(session.timeout, 5);
  const fetched = await client.getBrowserSession(session.browserSessionId);
  assert.equal(fetched.browserSessionId, session.browserSessionId);
  assert.ok(['created', 'running'].includes(fetched.status));
  assert.ok((await client.getBrowserSessions()).some((s) => s.browserSessionId === session.browserSessionId));
  assert.match(fetched.browserAddress ?? '', /^(ws|http)s?:\/\//);
  const version = await fetch(`${fetched.browserAddress!.replace(/^ws/, 'http').replace(/\/devtools\/.*$/, '')}/json/version`);
  assert.equal(version.status, 200);

  const profile = await client.createBrowserProfile({ name: 'from session', description: 'saved', browserSessionId: session.browserSessionId });
  assert.match(profile.browserProfileId, /^bp_/);
  assert.equal(profile.sourceBrowserSessionId, session.browserSessionId);
  assert.equal((await client.getBrowserProfile(profile.browserProfileId)).name, 'from session');
  const renamed = await client.updateBrowserProfile(profile.browserProfileId, { name: 'renamed' });
  assert.equal(renamed.name, 'renamed');
  assert.deepEqual((await client.listBrowserProfiles({ searchKey: 'renam' })).map((p) => p.browserProfileId), [profile.browserProfileId]);
  await client.deleteBrowserProfile(profile.browserProfileId);
  assert.equal((await client.listBrowserProfiles()).some((p) => p.browserProfileId === profile.browserProfileId), false);
  assert.equal((await client.listBrowserProfiles({ includeDeleted: true })).some((p) => p.browserProfileId === profile.browserProfileId && p.deletedAt !== null), true);

  const closed = await client.closeBrowserSession(session.browserSessionId);
  assert.equal(closed.browserSessionId, session.browserSessionId);
  assert.notEqual(closed.completedAt, null);
  assert.equal((await client.getBrowserSessions()).some((s) => s.browserSessionId === session.browserSessionId), false);
});

test('browser profiles: a blank one; bad input is a 422', async () => {
  const blank = await client.createBrowserProfile({ name: 'blank' });
  assert.equal(blank.cookieCount, 0);
  await assert.rejects(client.createBrowserProfile({ name: '' }), UnprocessableEntityError);
  await assert.rejects(client.getBrowserSession('pbs_missing'), NotFoundError);
});

test('uploads: bytes, a Blob and a File go up; the content comes back (whole and a range); delete', async () => {
  const text = 'name,total\nacme,42\n';
  const uploaded = await client.uploadFile({ file: new TextEncoder().encode(text), filename: 'orders.csv', contentType: 'text/csv', retentionDays: 7 });
  assert.match(uploaded.fileId, /^file_/);
  assert.equal(uploaded.filename, 'orders.csv');
  assert.equal(uploaded.fileSize, text.length);
  assert.ok(uploaded.presignedUrl.length > 0 && uploaded.s3Uri.length > 0);
  const content = await client.getFileContent(uploaded.fileId);
  assert.equal(await content.text(), text);
  const part = await client.getFileContent(uploaded.fileId, { headers: { range: 'bytes=5-9' } });
  assert.equal(part.status, 206);
  assert.equal(await part.text(), text.slice(5, 10));
  // The signed URL works without a key.
  assert.equal(await (await fetch(uploaded.presignedUrl)).text(), text);

  const fromBlob = await client.uploadFile({ file: new Blob(['blob bytes']), filename: 'b.txt' });
  assert.equal(fromBlob.fileSize, 10);
  const fromFile = await client.uploadFile({ file: new File(['file bytes!'], 'named.txt', { type: 'text/plain' }) });
  assert.equal(fromFile.filename, 'named.txt');

  await client.deleteFile(uploaded.fileId);
  await assert.rejects(client.getFileContent(uploaded.fileId), NotFoundError);
});

test('run routes answer 404 for runs that do not exist; the run list and bulk cancel work', async () => {
  assert.deepEqual(await client.getRuns({ status: ['running', 'queued'], pageSize: 5 }), []);
  const bulk = await client.bulkCancelRuns(['tsk_missing', 'wr_missing']);
  assert.deepEqual(bulk.cancelled, []);
  assert.deepEqual(bulk.failed.toSorted(), ['tsk_missing', 'wr_missing']);
  for (const call of [
    () => client.cancelRun('tsk_missing'),
    () => client.retryRunWebhook('tsk_missing', { webhookUrl: 'http://127.0.0.1:9/hook' }),
    () => client.getRunWebhookDeliveries('tsk_missing'),
    () => client.getRunArtifacts('tsk_missing', { artifactType: 'screenshot' }),
    () => client.getArtifact('a_missing'),
    () => client.getArtifactSignedUrl('a_missing'),
    () => client.getArtifactContent('a_missing'),
    async () => {
      for await (const event of client.streamRunEvents('tsk_missing')) assert.fail(`no events for a missing run, got ${event.type}`);
    },
  ]) {
    await assert.rejects(call(), (error: unknown) => error instanceof NotFoundError && error.statusCode === 404 && /_NOT_FOUND$|^NOT_FOUND$/.test(error.code ?? ''));
  }
});
