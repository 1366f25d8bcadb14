// The event-stream parser: fields, multi-line data, comments, ids that persist, every line ending,
// and any split of the bytes into chunks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readSse } from '../../src/sse-reader.ts';
import type { SseEvent } from '../../src/sse-reader.ts';

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function collect(chunks: string[]): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const event of readSse(streamOf(chunks))) events.push(event);
  return events;
}

const TEXT =
  ': hello\n\n' +
  'id: 7\nevent: snapshot\ndata: {"status":"queued"}\n\n' +
  'event: step\r\ndata: line one\r\ndata:line two\r\n\r\n' +
  ': heartbeat\n\n' +
  'data: no id given, the last one persists\r\r' +
  'id: 9\nevent: done\ndata: {"status":"completed","note":"é ✓"}\n\n' +
  'event: partial\ndata: never dispatched';

const EXPECTED: SseEvent[] = [
  { id: '7', event: 'snapshot', data: '{"status":"queued"}' },
  { id: '7', event: 'step', data: 'line one\nline two' },
  { id: '7', event: 'message', data: 'no id given, the last one persists' },
  { id: '9', event: 'done', data: '{"status":"completed","note":"é ✓"}' },
];

test('parses fields, comments, multi-line data and every line ending', async () => {
  assert.deepEqual(await collect([TEXT]), EXPECTED);
});

test('any split into two chunks gives the same events (UTF-8 and CRLF split included)', async () => {
  const bytes = new TextEncoder().encode(TEXT);
  for (let cut = 1; cut < bytes.length; cut++) {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, cut));
        controller.enqueue(bytes.slice(cut));
        controller.close();
      },
    });
    const events: SseEvent[] = [];
    for await (const event of readSse(stream)) events.push(event);
    assert.deepEqual(events, EXPECTED, `cut at byte ${cut}`);
  }
});

test('stopping early cancels the stream', async () => {
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(new TextEncoder().encode('data: tick\n\n'));
    },
    cancel() {
      cancelled = true;
    },
  });
  for await (const event of readSse(stream)) {
    assert.equal(event.data, 'tick');
    break;
  }
  assert.equal(cancelled, true);
});
