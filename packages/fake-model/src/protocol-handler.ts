// The contract each wire protocol module implements: parse a body into the neutral request, render a
// resolved answer as JSON or server-sent events, and shape an error body the way the real API does.
import type { FakeAnswer, FakeModelRequest, FakeProtocol, RenderedAnswer } from './fake-turn.ts';

/** What a protocol parser learned from the URL rather than the body. */
export type RouteInfo = { model?: string; stream?: boolean };

/** A parsed request plus what rendering needs to remember about it. */
export type ParsedRequest = {
  request: FakeModelRequest;
  /** The name of the synthetic structured-output tool, when the client used one. */
  jsonToolName?: string;
  /** OpenAI chat: the client asked for a usage chunk (`stream_options.include_usage`). */
  includeUsage?: boolean;
};

/** One wire protocol of the fake. */
export type ProtocolHandler = {
  protocol: FakeProtocol;
  /** Parses a request body; throws `FakeHttpError` (400) on what the real API would refuse. */
  parse: (body: unknown, headers: Record<string, string>, route: RouteInfo) => ParsedRequest;
  /** Renders an answer as one JSON body or an event stream. */
  render: (answer: FakeAnswer, parsed: ParsedRequest) => RenderedAnswer;
  /** The error body the real API answers with for `status`. */
  errorBody: (status: number, message: string) => unknown;
};
