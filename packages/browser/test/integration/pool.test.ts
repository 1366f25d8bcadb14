// The pool: the context cap, disposal that leaves no Chromium running, context options (user agent,
// headers, proxy with credentials, viewport, locale, time zone), artifacts on close (screenshots,
// HTML, console log, trace, video), best-effort capture, remote attach, and the missing-browser error.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { unzipSync } from 'fflate';
import { isPetrelError } from '@petrel/protocol';
import {
  createBrowserPool,
  createSessionManager,
  ensureVideoSupport,
  findMarkedProcesses,
  type ArtifactRecord,
  type BlobStore,
  type BrowserPool,
} from '@petrel/browser';
import { chromiumPath, createTestPool, element, serve, skipWithoutChromium } from '../support/chromium.ts';

describe('browser pool', skipWithoutChromium, () => {
  let site: { url: string; close(): Promise<void> };
  let pool: BrowserPool;
  let closePool: () => Promise<void>;

  before(async () => {
    site = await serve((request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(`<title>Echo</title>
<pre id=headers>${JSON.stringify(request.headers).replace(/</g, '&lt;')}</pre>
<p id=env></p><button onclick="console.log('clicked the echo button'); this.textContent='Clicked'">Echo button</button>
<script>document.getElementById('env').textContent = JSON.stringify({ lang: navigator.language, tz: Intl.DateTimeFormat().resolvedOptions().timeZone, w: innerWidth, h: innerHeight, ua: navigator.userAgent });
console.warn('echo page ready');</script>`);
    });
    ({ pool, close: closePool } = await createTestPool({ maxContexts: 2 }));
  });
  after(async () => {
    await closePool?.();
    await site?.close();
  });

  it('caps concurrent contexts; waiters time out, abort, or get the next free slot', async () => {
    const a = await pool.newContext();
    const b = await pool.newContext();
    assert.deepEqual({ ...pool.stats(), launched: true }, { active: 2, waiting: 0, maxContexts: 2, launched: true, remote: false });
    await assert.rejects(pool.newContext({ waitTimeoutMs: 100 }), (e) => isPetrelError(e) && e.code === 'UNAVAILABLE');
    const controller = new AbortController();
    const aborted = pool.newContext({ signal: controller.signal });
    controller.abort();
    await assert.rejects(aborted, (e) => isPetrelError(e) && e.code === 'CANCELED');
    const waiting = pool.newContext();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(pool.stats().waiting, 1);
    await a.close();
    const c = await waiting;
    assert.equal(pool.stats().active, 2);
    await b.close();
    await c.close();
    assert.equal(pool.stats().active, 0);
  });

  it('applies user agent, extra headers, viewport, locale and time zone', async () => {
    await using ctx = await pool.newContext({
      userAgent: 'PetrelTest/1.0',
      extraHttpHeaders: { 'x-petrel-run': 'run-42' },
      viewport: { width: 800, height: 600 },
      locale: 'de-DE',
      timezoneId: 'Asia/Tokyo',
    });
    await ctx.act({ type: 'goto_url', url: site.url });
    const headers = JSON.parse((await ctx.page.textContent('#headers')) ?? '{}') as Record<string, string>;
    assert.equal(headers['user-agent'], 'PetrelTest/1.0');
    assert.equal(headers['x-petrel-run'], 'run-42');
    assert.match(headers['accept-language'] ?? '', /^de-DE/);
    const env = JSON.parse((await ctx.page.textContent('#env')) ?? '{}') as Record<string, unknown>;
    assert.deepEqual(env, { lang: 'de-DE', tz: 'Asia/Tokyo', w: 800, h: 600, ua: 'PetrelTest/1.0' });
  });

  it('sends traffic through a proxy with credentials', async () => {
    const seen: string[] = [];
    const proxy = await serve((request, response) => {
      if (request.headers['proxy-authorization'] !== `Basic ${Buffer.from('petrel:secret').toString('base64')}`) {
        response.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' });
        response.end();
        return;
      }
      seen.push(request.url ?? '');
      const target = new URL(request.url ?? '');
      const upstream = httpRequest({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: request.method, headers: { ...request.headers, 'x-proxied': 'yes' } }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      });
      request.pipe(upstream);
    });
    try {
      await using ctx = await pool.newContext({ proxy: { server: proxy.url, username: 'petrel', password: 'secret' } });
      const result = await ctx.act({ type: 'goto_url', url: `${site.url}/via-proxy` });
      assert.equal(result.ok, true, result.error?.message);
      assert.ok(seen.includes(`${site.url}/via-proxy`), JSON.stringify(seen));
      assert.match((await ctx.page.textContent('#headers')) ?? '', /"x-proxied":"yes"/);
    } finally {
      await proxy.close();
    }
  });

  it('stores screenshots, HTML, console log, trace and video as artifacts with matching digests', async () => {
    const hooked: ArtifactRecord[] = [];
    const ctx = await pool.newContext({ trace: true, video: 'auto', screenshots: 'action', html: true, onArtifact: (r) => void hooked.push(r) });
    await ctx.act({ type: 'goto_url', url: site.url });
    const page = await ctx.observe();
    const clicked = await ctx.act({ type: 'click', elementId: element(page, 'button', 'Echo button').id });
    assert.equal(clicked.screenshot?.type, 'screenshot_action');
    const summary = await ctx.close();
    const types = summary.artifacts.map((a) => a.type);
    assert.equal(types.filter((t) => t === 'screenshot_action').length, 2);
    for (const type of ['screenshot_final', 'html', 'console_log', 'trace'] as const) assert.ok(types.includes(type), `${type} in ${types.join(',')}`);
    const videoPossible = ensureVideoSupport().ok;
    assert.equal(types.includes('recording'), videoPossible);
    assert.deepEqual(hooked.map((a) => a.artifactId), summary.artifacts.map((a) => a.artifactId));
    for (const artifact of summary.artifacts) {
      assert.match(artifact.artifactId, /^a_/);
      assert.equal(artifact.runId, ctx.runId);
      const { body, info } = await pool.blobStore.get(artifact.key);
      assert.equal(info.size, artifact.size);
      assert.equal(createHash('sha256').update(body).digest('hex'), artifact.sha256);
      if (artifact.type === 'trace') assert.equal(body.subarray(0, 2).toString(), 'PK', 'trace.zip is a zip');
      if (artifact.type === 'recording') assert.equal(body.subarray(0, 4).toString('hex'), '1a45dfa3', 'the recording is WebM');
      if (artifact.type === 'screenshot_final') assert.equal(body.subarray(0, 2).toString('hex'), 'ffd8', 'screenshots are JPEG by default');
      if (artifact.type === 'html') assert.match(body.toString(), /Echo button|Clicked/);
      if (artifact.type === 'console_log') {
        assert.match(body.toString(), /warning echo page ready/);
        assert.match(body.toString(), /log clicked the echo button/);
      }
    }
  });

  it('keeps sensitive values out of the trace, the HTML snapshot and the console log', async () => {
    await using form = await serve((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(`<title>Secret form</title><label>Password <input type=password id=pw></label>
<label>Name <input id=name></label><p id=known>token tok-known-0042</p><script>console.log('tok-known-0042 in the log')</script>`);
    });
    const ctx = await pool.newContext({ trace: true, html: true, secrets: ['tok-known-0042'] });
    await ctx.act({ type: 'goto_url', url: form.url });
    const page = await ctx.observe();
    assert.equal((await ctx.act({ type: 'input_text', elementId: element(page, 'textbox', 'Password').id, text: 'Hunter2-Secret-99', sensitive: true })).ok, true);
    assert.equal((await ctx.act({ type: 'input_text', elementId: element(page, 'textbox', 'Name').id, text: 'Visible Name 77' })).ok, true);
    await ctx.recordArtifact('llm_request', '{"prompt":"type Hunter2-Secret-99"}', { contentType: 'application/json' });
    const summary = await ctx.close();
    const read = async (type: string) => {
      const artifact = summary.artifacts.find((a) => a.type === type);
      assert.ok(artifact, type);
      return (await pool.blobStore.get(artifact.key)).body;
    };
    const entries = unzipSync(new Uint8Array(await read('trace')));
    const traceText = Object.entries(entries)
      .filter(([name]) => !/\.(jpe?g|png)$/.test(name))
      .map(([, bytes]) => Buffer.from(bytes).toString('utf8'))
      .join('\n');
    assert.ok(traceText.includes('Visible Name 77'), 'the trace still records ordinary input');
    assert.ok(!traceText.includes('Hunter2-Secret-99'), 'the sensitive value is not in the trace');
    assert.ok(!traceText.includes('tok-known-0042'), 'a registered secret is not in the trace');
    assert.ok(traceText.includes('********'));
    assert.ok(!(await read('html')).toString().includes('tok-known-0042'));
    assert.equal(summary.artifacts.filter((a) => a.type === 'llm_request').length, 1);
    assert.equal((await read('llm_request')).toString(), '{"prompt":"type ********"}');
    assert.ok(!(await read('console_log')).toString().includes('tok-known-0042'));
  });

  it('never fails an action or the close when artifact storage fails', async () => {
    const failing: BlobStore = {
      ...pool.blobStore,
      description: 'failing',
      put: () => Promise.reject(new Error('disk full')),
    };
    await using broken = createBrowserPool({ ...(chromiumPath ? { executablePath: chromiumPath } : {}), blobStore: failing, contextDefaults: { video: 'off' } });
    const ctx = await broken.newContext({ trace: true, screenshots: 'action' });
    const result = await ctx.act({ type: 'goto_url', url: site.url });
    assert.equal(result.ok, true);
    assert.equal(result.screenshot, undefined);
    const summary = await ctx.close();
    assert.deepEqual(summary.artifacts, []);
  });

  it('kills every Chromium it started on dispose', async () => {
    let marker = '';
    {
      await using disposable = createBrowserPool({ ...(chromiumPath ? { executablePath: chromiumPath } : {}), contextDefaults: { trace: false, video: 'off' } });
      marker = disposable.marker;
      const first = await disposable.newContext();
      await disposable.newContext();
      await first.act({ type: 'goto_url', url: site.url });
      assert.ok(findMarkedProcesses(marker).length >= 2, 'browser and renderer processes are found by the marker');
    }
    assert.deepEqual(findMarkedProcesses(marker), []);
  });

  it('attaches to a remote Chromium over CDP (browserAddress) and opens fresh contexts there', async () => {
    await using sessions = createSessionManager(chromiumPath ? { executablePath: chromiumPath } : {});
    const session = await sessions.create();
    await using remote = createBrowserPool({ browserAddress: session.browserAddress as string, contextDefaults: { trace: false, video: 'off' } });
    await using ctx = await remote.newContext();
    await ctx.act({ type: 'goto_url', url: site.url });
    assert.equal(await ctx.page.title(), 'Echo');
    assert.equal(remote.stats().remote, true);
  });

  it('says exactly what to do when Chromium is missing', async () => {
    await using missing = createBrowserPool({ executablePath: '/nonexistent/chromium' });
    await assert.rejects(missing.newContext(), (e) => isPetrelError(e) && e.code === 'BROWSER_NOT_FOUND' && /npm run setup/.test(e.message) && /PETREL_CHROMIUM_PATH/.test(e.message));
    assert.equal(missing.stats().active, 0, 'the slot is released');
  });
});
