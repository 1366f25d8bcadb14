// A reader of Server-Sent Events (the WHATWG `text/event-stream` format) over a fetch body: the
// SDK needs one for `GET /v1/runs/{id}/events`, and `EventSource` can neither send an API key header
// nor run in Node 20. Small enough to keep here, so the SDK has no runtime dependency: lines end in
// LF, CRLF or CR; `data:` lines join with LF; `id:` persists (for `Last-Event-ID`); comments are
// skipped; an event is dispatched at a blank line.

/** One event of a stream. */
export type SseEvent = {
  /** The last `id:` seen (persists across events, as the spec says). */
  id: string | undefined;
  /** The `event:` name; `message` when none. */
  event: string;
  /** The `data:` lines joined with LF. */
  data: string;
};

/** Parses a stream of bytes into events; ends when the stream ends (a partial last event is dropped). */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let lastId: string | undefined;
  let event = '';
  let data: string[] = [];
  let sawCarriageReturn = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      let text = decoder.decode(value, { stream: true });
      // A CRLF split across chunks: the LF was already counted by the CR.
      if (sawCarriageReturn && text.startsWith('\n')) text = text.slice(1);
      sawCarriageReturn = text.endsWith('\r');
      buffer += text;
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line === '') {
          if (data.length > 0) yield { id: lastId, event: event === '' ? 'message' : event, data: data.join('\n') };
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let fieldValue = colon === -1 ? '' : line.slice(colon + 1);
        if (fieldValue.startsWith(' ')) fieldValue = fieldValue.slice(1);
        if (field === 'data') data.push(fieldValue);
        else if (field === 'event') event = fieldValue;
        else if (field === 'id' && !fieldValue.includes('\u0000')) lastId = fieldValue;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
