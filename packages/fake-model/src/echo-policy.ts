// The built-in answer when no script or respond function decides: structured output gets an object
// that satisfies the requested schema, tool requests get a call to the forced (or first) tool with a
// schema-valid input, everything else gets `echo: <last user text>`. Deterministic, so demos and
// smoke tests can rely on it.
import type { FakeModelRequest, FakeTurn } from './fake-turn.ts';

/** The echo policy's answer to a request. */
export function echoTurn(request: FakeModelRequest): FakeTurn {
  const choice = request.toolChoice;
  const forced = typeof choice === 'object' ? choice.name : undefined;
  const callTool = (): FakeTurn | undefined => {
    const tool = request.tools.find((t) => t.name === forced) ?? request.tools[0];
    return tool && { toolCalls: [{ name: tool.name, input: sampleFromSchema(tool.inputSchema) }] };
  };
  if (choice === 'required' || forced !== undefined) {
    const turn = callTool();
    if (turn) return turn;
  }
  const format = request.responseFormat;
  if (format?.type === 'json_schema') return { object: sampleFromSchema(format.schema) };
  if (format?.type === 'json_object') return { object: { echo: request.lastUserText } };
  const last = request.messages.at(-1);
  const afterToolResult = last !== undefined && last.toolResults.length > 0;
  if (choice !== 'none' && !afterToolResult) {
    const turn = callTool();
    if (turn) return turn;
  }
  return { text: `echo: ${request.lastUserText}` };
}

type Schema = Record<string, unknown>;

/** A small value that satisfies common JSON Schemas (enough for demos; not a full generator). */
export function sampleFromSchema(schema: unknown, defs?: Schema, depth = 0): unknown {
  if (typeof schema !== 'object' || schema === null || depth > 12) return null;
  const s = schema as Schema;
  const localDefs = (s.$defs ?? s.definitions ?? defs) as Schema | undefined;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if (typeof s.$ref === 'string') {
    const name = s.$ref.split('/').at(-1) ?? '';
    return sampleFromSchema(localDefs?.[name], localDefs, depth + 1);
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = s[key];
    if (Array.isArray(options)) {
      const nonNull = options.find((o) => (o as Schema | undefined)?.type !== 'null') ?? options[0];
      return sampleFromSchema(nonNull, localDefs, depth + 1);
    }
  }
  if (Array.isArray(s.allOf) && s.allOf.length > 0) return sampleFromSchema(s.allOf[0], localDefs, depth + 1);
  const type = Array.isArray(s.type) ? (s.type.find((t) => t !== 'null') ?? 'null') : s.type;
  switch (type) {
    case 'string':
      return s.format === 'date' ? '2024-01-01' : s.format === 'date-time' ? '2024-01-01T00:00:00Z' : 'echo';
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 0;
    case 'integer':
      return typeof s.minimum === 'number' ? Math.ceil(s.minimum) : 0;
    case 'boolean':
      return false;
    case 'null':
      return null;
    case 'array': {
      const min = typeof s.minItems === 'number' ? s.minItems : 1;
      return Array.from({ length: Math.max(1, min) }, () => sampleFromSchema(s.items, localDefs, depth + 1));
    }
    default: {
      if (type !== 'object' && s.properties === undefined) return type === undefined ? {} : null;
      const out: Record<string, unknown> = {};
      const props = (s.properties ?? {}) as Schema;
      for (const [name, sub] of Object.entries(props)) out[name] = sampleFromSchema(sub, localDefs, depth + 1);
      return out;
    }
  }
}
