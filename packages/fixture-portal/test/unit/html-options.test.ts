// The HTML template escapes what it interpolates; portal options are validated once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { html, raw } from '../../src/html.ts';
import { resolvePortalOptions } from '../../src/portal-options.ts';

test('html escapes text, keeps nested html and raw, drops nullish and booleans', () => {
  const name = `<b>"Tom" & 'Jerry'</b>`;
  const inner = html`<i>${name}</i>`;
  assert.equal(
    html`<p title="${name}">${inner}${raw('<br>')}${[1, '<', null, undefined, false]}</p>`.value,
    '<p title="&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"><i>&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;</i><br>1&lt;</p>',
  );
});

test('options get defaults and out-of-range values are rejected', () => {
  const settings = resolvePortalOptions();
  assert.equal(settings.host, '127.0.0.1');
  assert.equal(settings.port, 0);
  assert.equal(settings.pageSize, 20);
  assert.equal(settings.cookieBanner, true);
  assert.equal(settings.crossOriginHost, 'localhost', 'the second origin is another site than 127.0.0.1');
  assert.equal(resolvePortalOptions({ host: 'localhost' }).crossOriginHost, '127.0.0.1');
  assert.equal(resolvePortalOptions({ host: '0.0.0.0' }).crossOriginHost, '0.0.0.0');
  assert.equal(resolvePortalOptions({ crossOriginHost: 'payments.localhost' }).crossOriginHost, 'payments.localhost');
  assert.throws(() => resolvePortalOptions({ crossOriginHost: '' }), /crossOriginHost/);
  assert.throws(() => resolvePortalOptions({ port: 70_000 }), RangeError);
  assert.throws(() => resolvePortalOptions({ pageSize: 0 }), /pageSize/);
  assert.throws(() => resolvePortalOptions({ slowPageMs: -1 }), /slowPageMs/);
  assert.throws(() => resolvePortalOptions({ seed: 0.5 }), /seed/);
});
