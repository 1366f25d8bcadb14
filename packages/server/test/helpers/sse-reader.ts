// Reads a Server-Sent Events response frame by frame (id, event, data, comments), for tests.

/** One SSE frame. */
export type SseFrame = { id: string | undefined; event: string | undefined; data: string; comments: string[] };

/** A reader over an SSE response body. */
export type SseReader = {
  /** The next frame, or undefined when the stream ended; rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<SseFrame | undefined>;
  /** Frames until one satisfies `predicate` (included), or the end. */
  until(predicate: (frame: SseFrame) => boolean, timeoutMs?: number): Promise<SseFrame[]>;
  /** Stops reading (the server sees the client leave). */
  cancel(): Promise<void>;
};

function parse(block: string): SseFrame {
  const frame: SseFrame = { id: undefined, event: undefined, data: '', comments: [] };
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) frame.comments.push(line.slice(1).trim());
    else if (line.startsWith('id:')) frame.id = line.slice(3).trim();
    else if (line.startsWith('event:')) frame.event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  frame.data = data.join('\n');
  return frame;
}

/** Wraps a response whose body is an event stream. */
export function readSse(response: Response): SseReader {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let ended = false;
  const next = async (timeoutMs = 15_000): Promise<SseFrame | undefined> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const cut = buffer.indexOf('\n\n');
      if (cut >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        return parse(block);
      }
      if (ended) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('sse: no frame in time');
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([
        reader.read(),
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), left);
        }),
      ]).finally(() => clearTimeout(timer));
      if (result === 'timeout') throw new Error('sse: no frame in time');
      if (result.done) ended = true;
      else buffer += decoder.decode(result.value, { stream: true });
    }
  };
  return {
    next,
    async until(predicate, timeoutMs = 15_000) {
      const frames: SseFrame[] = [];
      for (;;) {
        const frame = await next(timeoutMs);
        if (frame === undefined) return frames;
        frames.push(frame);
        if (predicate(frame)) return frames;
      }
    },
    async cancel() {
      await reader.cancel().catch(() => {});
    },
  };
}
