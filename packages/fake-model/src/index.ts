// @petrel/fake-model: a local server speaking the real HTTP protocols of OpenAI (chat completions,
// Responses), Anthropic (messages) and Google (Gemini), for tests and demos. Imports nothing of ours.
export { startFakeModel } from './fake-model.ts';
export type { FakeModel, FakeModelOptions, FakeRecordedRequest } from './fake-model.ts';
export { echoTurn, sampleFromSchema } from './echo-policy.ts';
export { estimateTokens } from './fake-answer.ts';
export type {
  FakeImage,
  FakeMessage,
  FakeModelRequest,
  FakeProtocol,
  FakeResponder,
  FakeResponseFormat,
  FakeTool,
  FakeToolCall,
  FakeToolResult,
  FakeTurn,
} from './fake-turn.ts';
