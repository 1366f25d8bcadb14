// Secret values are replaced in artifacts in their raw, JSON-escaped and HTML-escaped forms.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { redactArtifactText, redactTraceZip } from '@petrel/browser';

describe('redaction', () => {
  it('replaces raw, JSON-escaped and HTML-escaped forms', () => {
    const secret = 'pa"ss<word>&1';
    const text = `raw ${secret} json ${JSON.stringify(secret)} html pa&quot;ss&lt;word&gt;&amp;1 other`;
    const out = redactArtifactText(text, [secret]);
    assert.equal(out, 'raw ******** json "********" html ******** other');
    assert.equal(redactArtifactText('nothing here', [secret]), 'nothing here');
  });

  it('rewrites the text entries of a trace zip and leaves images alone', () => {
    const image = new Uint8Array([0xff, 0xd8, ...strToU8('s3cr3t-value'), 0xff, 0xd9]);
    const zip = zipSync({ 'trace.trace': strToU8('{"value":"s3cr3t-value"}\n'), 'screencast/a.jpeg': image });
    const { data, replaced } = redactTraceZip(zip, ['s3cr3t-value']);
    assert.equal(replaced, 1);
    const entries = unzipSync(data);
    assert.equal(Buffer.from(entries['trace.trace'] as Uint8Array).toString(), '{"value":"********"}\n');
    assert.deepEqual(entries['screencast/a.jpeg'], image);
  });
});
