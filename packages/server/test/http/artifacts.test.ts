// Artifacts over HTTP: records written through the browser's artifact recorder and the server's
// sink, `GET /v1/artifacts/{id}` in Skyvern's shape, content with Range (206, 416), signed URLs that
// work without a key (and not when tampered with or expired), a run's list filtered by type,
// organization scoping, and the retention purge.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createArtifactRecorder } from '@petrel/browser';
import { silentLogger } from '@petrel/protocol';
import { purgeExpired } from '@petrel/server';
import { createTestApp } from '../helpers/test-app.ts';
import type { TestApp } from '../helpers/test-app.ts';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const HTML = '<html><body>0123456789abcdefghij</body></html>';

async function recordArtifacts(t: TestApp, runId: string) {
  const sink = t.deps.artifactSink!;
  const recorder = createArtifactRecorder({ runId, blobStore: t.blobStore, logger: silentLogger, onArtifact: sink.hook({ namespace: t.organizationId, runId, step: 2 }) });
  const shot = await recorder.record('screenshot_action', PNG, { contentType: 'image/png' });
  const html = await recorder.record('html', HTML, { contentType: 'text/html; charset=utf-8', name: 'page.html' });
  const log = await recorder.record('console_log', 'hello\n', { contentType: 'text/plain; charset=utf-8', name: 'console.log' });
  return { shot: shot!, html: html!, log: log! };
}

function pathOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

test('an artifact is shown in Skyvern\'s shape and its bytes are served with Range support', async () => {
  await using t = await createTestApp();
  const runId = 'wr_01JARTIFACTRUN0000000000000';
  const { html, log } = await recordArtifacts(t, runId);

  const res = await t.call(`/v1/artifacts/${html.artifactId}`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(body['artifact_id'], html.artifactId);
  assert.equal(body['artifact_type'], 'html');
  assert.equal(body['workflow_run_id'], runId);
  assert.equal(body['run_id'], runId);
  assert.equal(body['task_id'], null);
  assert.equal(body['step_id'], 'step-2');
  assert.equal(body['file_size'], Buffer.byteLength(HTML));
  assert.equal(body['checksum'], html.sha256);
  assert.equal(body['organization_id'], t.organizationId);
  assert.match(String(body['signed_url']), /^http:\/\/petrel\.test\/v1\/artifacts\/a_[0-9A-Z]+\/content\?expiry=\d+&kid=k[0-9a-f]+&sig=[\w-]+$/);
  const logRes = await t.call(`/v1/artifacts/${log.artifactId}`);
  assert.equal(((await logRes.json()) as { artifact_type: string }).artifact_type, 'browser_console_log', 'console_log is shown under Skyvern\'s name');

  const full = await t.call(`/v1/artifacts/${html.artifactId}/content`);
  assert.equal(full.status, 200);
  assert.equal(full.headers.get('accept-ranges'), 'bytes');
  assert.equal(full.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(full.headers.get('content-length'), String(Buffer.byteLength(HTML)));
  assert.match(full.headers.get('content-disposition') ?? '', /filename="page\.html"/);
  assert.equal(await full.text(), HTML);

  const part = await t.call(`/v1/artifacts/${html.artifactId}/content`, { headers: { range: 'bytes=12-21' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 12-21/${Buffer.byteLength(HTML)}`);
  assert.equal(await part.text(), HTML.slice(12, 22));

  const suffix = await t.call(`/v1/artifacts/${html.artifactId}/content`, { headers: { range: 'bytes=-7' } });
  assert.equal(suffix.status, 206);
  assert.equal(await suffix.text(), HTML.slice(-7));

  const open = await t.call(`/v1/artifacts/${html.artifactId}/content`, { headers: { range: 'bytes=40-' } });
  assert.equal(open.status, 206);
  assert.equal(await open.text(), HTML.slice(40));

  const outside = await t.call(`/v1/artifacts/${html.artifactId}/content`, { headers: { range: 'bytes=5000-6000' } });
  assert.equal(outside.status, 416);
  assert.equal(outside.headers.get('content-range'), `bytes */${Buffer.byteLength(HTML)}`);
  assert.equal(((await outside.json()) as { code: string }).code, 'RANGE_NOT_SATISFIABLE');

  const malformed = await t.call(`/v1/artifacts/${html.artifactId}/content`, { headers: { range: 'bytes=1-2,5-6' } });
  assert.equal(malformed.status, 200, 'several ranges are not served; the whole body is');
  assert.equal(await malformed.text(), HTML);
});

test('a signed URL serves the bytes without a key; a tampered, foreign or expired one is refused', async () => {
  let clock = Date.now();
  await using t = await createTestApp({ now: () => new Date(clock) });
  const { shot, html } = await recordArtifacts(t, 'tsk_01JSIGNEDRUN00000000000000');
  const signed = (await (await t.call(`/v1/artifacts/${shot.artifactId}/signed-url`)).json()) as { signed_url: string; expires_at: string };
  assert.ok(Date.parse(signed.expires_at) > clock + 23 * 3_600_000);

  const ok = await t.call(pathOf(signed.signed_url), { key: null });
  assert.equal(ok.status, 200);
  assert.deepEqual(Buffer.from(await ok.arrayBuffer()), PNG);
  const ranged = await t.call(pathOf(signed.signed_url), { key: null, headers: { range: 'bytes=0-3' } });
  assert.equal(ranged.status, 206);
  assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), PNG.subarray(0, 4));

  const url = new URL(signed.signed_url);
  const sig = url.searchParams.get('sig')!;
  const tampered = new URL(url);
  tampered.searchParams.set('sig', `${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`);
  assert.equal((await t.call(pathOf(tampered.toString()), { key: null })).status, 403);
  const later = new URL(url);
  later.searchParams.set('expiry', String(Number(url.searchParams.get('expiry')) + 3600));
  assert.equal((await t.call(pathOf(later.toString()), { key: null })).status, 403, 'the expiry is inside the signature');
  const otherArtifact = `/v1/artifacts/${html.artifactId}/content${url.search}`;
  assert.equal((await t.call(otherArtifact, { key: null })).status, 403, 'a signature names one artifact');
  assert.equal((await t.call(`/v1/artifacts/${shot.artifactId}/content`, { key: null })).status, 403, 'no key and no signature');

  clock += 25 * 3_600_000;
  const expired = await t.call(pathOf(signed.signed_url), { key: null });
  assert.equal(expired.status, 403);
  assert.equal(((await expired.json()) as { code: string }).code, 'UNAUTHENTICATED');
});

test('a run\'s artifacts are listed oldest first and filtered by type; other organizations see nothing', async () => {
  await using t = await createTestApp();
  const runId = 'wr_01JLISTRUN000000000000000';
  const { shot, html, log } = await recordArtifacts(t, runId);

  const all = (await (await t.call(`/v1/runs/${runId}/artifacts`)).json()) as Array<{ artifact_id: string; artifact_type: string }>;
  assert.deepEqual(all.map((a) => a.artifact_id), [shot.artifactId, html.artifactId, log.artifactId]);
  const some = (await (await t.call(`/v1/runs/${runId}/artifacts?artifact_type=html&artifact_type=browser_console_log`)).json()) as Array<{ artifact_type: string }>;
  assert.deepEqual(some.map((a) => a.artifact_type), ['html', 'browser_console_log']);
  const none = await t.call(`/v1/runs/${runId}/artifacts?artifact_type=recording`);
  assert.equal(none.status, 200);
  assert.deepEqual(await none.json(), []);
  assert.equal((await t.call(`/v1/runs/${runId}/artifacts?artifact_type=not_a_type`)).status, 422);
  assert.equal((await t.call('/v1/runs/wr_01JNOSUCHRUN00000000000000/artifacts')).status, 404);

  assert.equal((await t.call(`/v1/runs/${runId}/artifacts`, { key: t.otherApiKey })).status, 404);
  assert.equal((await t.call(`/v1/artifacts/${html.artifactId}`, { key: t.otherApiKey })).status, 404);
  assert.equal((await t.call(`/v1/artifacts/${html.artifactId}/content`, { key: t.otherApiKey })).status, 404);
  assert.equal((await t.call(`/v1/artifacts/${html.artifactId}/signed-url`, { key: t.otherApiKey })).status, 404);
  assert.equal((await t.call(`/v1/artifacts/${html.artifactId}`, { key: null })).status, 403);
  assert.equal((await t.call(`/v1/artifacts/${html.artifactId}`, { key: 'pk_wrong' })).status, 403);
  assert.equal((await t.call(`/v1/runs/${runId}/artifacts`, { key: null })).status, 403);
});

test('retention deletes the bytes and rows of artifacts older than the configured days, and /metrics counts artifact bytes', async () => {
  await using t = await createTestApp();
  const { shot, html } = await recordArtifacts(t, 'wr_01JRETENTIONRUN00000000000');
  const kept = await recordArtifacts(t, 'wr_01JRETENTIONKEPT0000000000');
  // Age the first run's artifacts by 40 days.
  await t.database.db.updateTable('artifacts').set({ created_at: new Date(Date.now() - 40 * 86_400_000).toISOString() }).where('run_id', '=', 'wr_01JRETENTIONRUN00000000000').execute();

  const result = await purgeExpired({ store: t.deps.store, blobStore: t.blobStore, artifactRetentionDays: 30, logger: silentLogger });
  assert.equal(result.artifacts, 3);
  assert.equal(await t.blobStore.head(shot.key), undefined, 'the bytes are gone');
  assert.equal((await t.call(`/v1/artifacts/${html.artifactId}`)).status, 404);
  assert.equal((await t.call(`/v1/artifacts/${kept.html.artifactId}/content`)).status, 200, 'younger artifacts stay');
  const none = await purgeExpired({ store: t.deps.store, blobStore: t.blobStore, artifactRetentionDays: 0, logger: silentLogger });
  assert.equal(none.artifacts, 0, '0 days keeps everything');

  const metrics = await (await t.call('/metrics', { key: null })).text();
  const line = metrics.split('\n').find((l) => l.startsWith('petrel_artifact_bytes_total{type="html"}'));
  assert.equal(line, `petrel_artifact_bytes_total{type="html"} ${2 * Buffer.byteLength(HTML)}`);
});
