// A local HTTP server that speaks the real wire protocols of OpenAI (chat completions and Responses),
// Anthropic (messages) and Google (Gemini generateContent), for tests and demos. Answers come from a
// script of turns, a `respond(request)` function, or the built-in echo policy; every request is
// recorded. Bound to 127.0.0.1 by default; it has no notion of security beyond an optional API key.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { echoTurn } from './echo-policy.ts';
import { FakeHttpError, resolveAnswer } from './fake-answer.ts';
import type { FakeModelRequest, FakeProtocol, FakeResponder, FakeTurn, RenderedAnswer } from './fake-turn.ts';
import type { ParsedRequest, ProtocolHandler, RouteInfo } from './protocol-handler.ts';
import { anthropicProtocol } from './protocols/anthropic-messages.ts';
import { geminiProtocol } from './protocols/gemini.ts';
import { openaiChatProtocol } from './protocols/openai-chat.ts';
import { openaiResponsesProtocol } from './protocols/openai-responses.ts';

/** Options of `startFakeModel`. */
export type FakeModelOptions = {
  /** Port to listen on; default 0 (a free port). */
  port?: number;
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /** Turns answered in order, one per model request; when it runs out, `respond` answers, else a 500. */
  script?: FakeTurn[];
  /** Answers requests the script does not cover; default: the echo policy (when there is no script either). */
  respond?: FakeResponder;
  /** Extra wait before every model answer, in ms; default 0. */
  latencyMs?: number;
  /** Fail the first `count` model requests with `status` (default 500) before any turn is used; default none. */
  failFirst?: number | { count: number; status?: number; retryAfter?: number };
  /** When set, model requests must carry this key (`Authorization: Bearer`, `x-api-key` or `x-goog-api-key`); default: any key. */
  apiKey?: string;
  /** Model ids listed by `GET /v1/models`; default `['fake-model']`. */
  models?: string[];
};

/** One recorded HTTP request. */
export type FakeRecordedRequest = {
  /** 1-based order of arrival. */
  seq: number;
  method: string;
  path: string;
  /** Request headers, lower-cased, without `authorization`, `x-api-key`, `x-goog-api-key`, `api-key`, `cookie`. */
  headers: Record<string, string>;
  /** The parsed JSON body, or the raw text when it is not JSON, or undefined when empty. */
  body: unknown;
  /** When the request arrived. */
  time: Date;
  /** The protocol of a model request. */
  protocol?: FakeProtocol;
  /** The normalised view of a model request (as `respond` saw it), when it parsed. */
  request?: FakeModelRequest;
  /** The HTTP status answered, once the answer started. */
  status?: number;
  /** True when the client went away before the answer was complete. */
  aborted: boolean;
  /** True once the exchange is over (answered or aborted). */
  done: boolean;
  /** Time from arrival to the end of the exchange. */
  durationMs?: number;
};

/** A running fake model server. */
export type FakeModel = {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Base URL for OpenAI clients and OpenAI-compatible providers: `<url>/v1`. */
  openaiBaseUrl: string;
  /** Base URL for `@ai-sdk/anthropic` (`<url>/v1`); the official Anthropic SDK takes `url` itself. */
  anthropicBaseUrl: string;
  /** Base URL for `@ai-sdk/google`: `<url>/v1beta`. */
  googleBaseUrl: string;
  /** Every request received, in order (live: entries update as exchanges finish). */
  requests: FakeRecordedRequest[];
  /** Appends turns to the script. */
  enqueue: (...turns: FakeTurn[]) => void;
  /** Clears recorded requests and the failure counter; replaces the script (default: the original one). */
  reset: (options?: { script?: FakeTurn[] }) => void;
  /** Resolves once every recorded request is done (answered or aborted). */
  idle: (timeoutMs?: number) => Promise<void>;
  /** Stops the server and drops open connections. */
  close: () => Promise<void>;
  [Symbol.asyncDispose]: () => Promise<void>;
};

const CREDENTIAL_HEADERS = new Set(['authorization', 'x-api-key', 'x-goog-api-key', 'api-key', 'cookie']);
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const DEFAULT_MESSAGES: Record<number, string> = {
  400: 'Bad request (scripted by the fake model).',
  401: 'Invalid API key.',
  403: 'Forbidden.',
  404: 'Not found.',
  429: 'Rate limit reached. Please try again later.',
  500: 'The server had an error while processing your request.',
  503: 'The engine is currently overloaded, please try again later.',
  529: 'Overloaded.',
};

type Route = { handler: ProtocolHandler; info: RouteInfo };

function route(method: string, pathname: string): Route | 'models' | undefined {
  if (method === 'GET' && (pathname === '/v1/models' || pathname === '/models')) return 'models';
  if (method !== 'POST') return undefined;
  if (pathname === '/v1/chat/completions' || pathname === '/chat/completions') return { handler: openaiChatProtocol, info: {} };
  if (pathname === '/v1/responses' || pathname === '/responses') return { handler: openaiResponsesProtocol, info: {} };
  if (pathname === '/v1/messages' || pathname === '/messages') return { handler: anthropicProtocol, info: {} };
  const gemini = /^\/(?:v1beta|v1)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(pathname);
  if (gemini) {
    return { handler: geminiProtocol, info: { model: decodeURIComponent(gemini[1] ?? ''), stream: gemini[2] === 'streamGenerateContent' } };
  }
  return undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new FakeHttpError(413, 'Request too large.'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function keyOf(req: IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice('Bearer '.length);
  for (const name of ['x-api-key', 'x-goog-api-key', 'api-key']) {
    const value = req.headers[name];
    if (typeof value === 'string') return value;
  }
  return url.searchParams.get('key') ?? undefined;
}

/** Starts a fake model server; resolves once it listens. */
export async function startFakeModel(options: FakeModelOptions = {}): Promise<FakeModel> {
  const host = options.host ?? '127.0.0.1';
  const models = options.models ?? ['fake-model'];
  const failFirst = typeof options.failFirst === 'number' ? { count: options.failFirst } : (options.failFirst ?? { count: 0 });
  const scriptGiven = options.script !== undefined;
  let script: FakeTurn[] = [...(options.script ?? [])];
  let modelRequests = 0;
  let seq = 0;
  const requests: FakeRecordedRequest[] = [];
  const inFlight = new Set<AbortController>();

  async function nextTurn(request: FakeModelRequest, requestNumber: number): Promise<FakeTurn> {
    const scripted = script.shift();
    if (scripted !== undefined) return scripted;
    if (options.respond) return (await options.respond(request)) ?? echoTurn(request);
    if (scriptGiven) return { status: 500, message: `fake-model: the script has no turn left for model request ${requestNumber}.` };
    return echoTurn(request);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, record: FakeRecordedRequest, signal: AbortSignal): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const raw = await readBody(req);
    let body: unknown;
    let badJson = false;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
        badJson = true;
      }
    }
    record.body = body;

    const target = route(req.method ?? 'GET', url.pathname);
    if (target === undefined) {
      sendJson(res, record, 404, { error: { message: `fake-model: no route for ${req.method} ${url.pathname}`, type: 'invalid_request_error' } });
      return;
    }
    if (target === 'models') {
      const created = Math.floor(Date.now() / 1000);
      const anthropic = req.headers['anthropic-version'] !== undefined;
      sendJson(
        res,
        record,
        200,
        anthropic
          ? {
              data: models.map((id) => ({ type: 'model', id, display_name: id, created_at: new Date(created * 1000).toISOString() })),
              has_more: false,
              first_id: models[0] ?? null,
              last_id: models.at(-1) ?? null,
            }
          : { object: 'list', data: models.map((id) => ({ id, object: 'model', created, owned_by: 'petrel-fake-model' })) },
      );
      return;
    }

    const { handler, info } = target;
    record.protocol = handler.protocol;
    const fail = (status: number, message: string, retryAfter?: number): void => {
      const headers: Record<string, string> = {};
      const after = retryAfter ?? (status === 429 ? 1 : undefined);
      if (after !== undefined) headers['retry-after'] = String(after);
      sendJson(res, record, status, handler.errorBody(status, message), headers);
    };
    if (options.apiKey !== undefined && keyOf(req, url) !== options.apiKey) {
      fail(401, DEFAULT_MESSAGES[401] ?? 'Unauthorized.');
      return;
    }
    if (badJson) {
      fail(400, 'We could not parse the JSON body of your request.');
      return;
    }
    let parsed: ParsedRequest;
    try {
      parsed = handler.parse(body, record.headers, info);
    } catch (error) {
      if (error instanceof FakeHttpError) {
        fail(error.status, error.message);
        return;
      }
      throw error;
    }
    record.request = parsed.request;
    modelRequests++;
    const requestNumber = modelRequests;
    await sleep(options.latencyMs ?? 0, signal);
    if (signal.aborted) return;
    if (requestNumber <= failFirst.count) {
      const status = failFirst.status ?? 500;
      fail(status, DEFAULT_MESSAGES[status] ?? `Scripted failure ${status}.`, failFirst.retryAfter);
      return;
    }
    let turn: FakeTurn;
    try {
      turn = await nextTurn(parsed.request, requestNumber);
    } catch (error) {
      fail(500, `fake-model: respond() threw: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    await sleep(turn.delayMs ?? 0, signal);
    if (signal.aborted) return;
    if (turn.status !== undefined && turn.status >= 400) {
      fail(turn.status, turn.message ?? DEFAULT_MESSAGES[turn.status] ?? `Scripted error ${turn.status}.`, turn.retryAfter);
      return;
    }
    const answer = resolveAnswer(turn, parsed.request, parsed.jsonToolName);
    await send(res, record, handler.render(answer, parsed), answer.chunkDelayMs, signal);
  }

  const server = createServer((req, res) => {
    const controller = new AbortController();
    inFlight.add(controller);
    const started = Date.now();
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!CREDENTIAL_HEADERS.has(name) && value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const record: FakeRecordedRequest = {
      seq: ++seq,
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers,
      body: undefined,
      time: new Date(started),
      aborted: false,
      done: false,
    };
    requests.push(record);
    const finish = (): void => {
      if (record.done) return;
      record.done = true;
      record.durationMs = Date.now() - started;
      inFlight.delete(controller);
    };
    res.on('close', () => {
      if (!res.writableFinished) {
        record.aborted = true;
        controller.abort();
      }
      finish();
    });
    handle(req, res, record, controller.signal).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      const status = error instanceof FakeHttpError ? error.status : 500;
      sendJson(res, record, status, { error: { message: error instanceof Error ? error.message : String(error) } });
    });
  });
  // Clients that keep connections alive must not hold `close()` up.
  server.keepAliveTimeout = 1000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closed: Promise<void> | undefined;

  const idle = async (timeoutMs = 10_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (requests.some((r) => !r.done)) {
      if (Date.now() > deadline) throw new Error(`fake-model: requests still in flight after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  const close = (): Promise<void> => {
    closed ??= (async () => {
      for (const controller of inFlight) controller.abort();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await stopped;
      // Dropped exchanges record themselves on their sockets' `close` events, a tick later.
      await idle(2_000).catch(() => {});
    })();
    return closed;
  };

  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    anthropicBaseUrl: `${url}/v1`,
    googleBaseUrl: `${url}/v1beta`,
    requests,
    enqueue: (...turns) => {
      script.push(...turns);
    },
    reset: (next) => {
      requests.length = 0;
      modelRequests = 0;
      script = [...(next?.script ?? options.script ?? [])];
    },
    idle,
    close,
    [Symbol.asyncDispose]: close,
  };
}

function sendJson(res: ServerResponse, record: FakeRecordedRequest, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  record.status = status;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-request-id': `req_fake_${record.seq}`,
    'request-id': `req_fake_${record.seq}`,
    ...headers,
  });
  res.end(text);
}

async function send(res: ServerResponse, record: FakeRecordedRequest, rendered: RenderedAnswer, chunkDelayMs: number, signal: AbortSignal): Promise<void> {
  if (rendered.kind === 'json') {
    sendJson(res, record, 200, rendered.body);
    return;
  }
  if (res.destroyed) return;
  record.status = 200;
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-request-id': `req_fake_${record.seq}`,
  });
  for (const event of rendered.events) {
    if (signal.aborted || res.destroyed) return;
    const name = event.event === undefined ? '' : `event: ${event.event}\n`;
    res.write(`${name}data: ${JSON.stringify(event.data)}\n\n`);
    await sleep(chunkDelayMs, signal);
  }
  if (signal.aborted || res.destroyed) return;
  if (rendered.done === true) res.write('data: [DONE]\n\n');
  res.end();
}
