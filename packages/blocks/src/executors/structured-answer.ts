// One model call whose answer must match a JSON Schema, shared by text_prompt, file_url_parser and
// pdf_parser: the agent's extraction helpers turn the user's schema into one every provider's strict
// structured output accepts and map the answer back; Ajv (draft 2020-12) validates it against the
// user's schema; an answer that does not match is asked for once more with the problems named, as
// Skyvern retries. Requests and responses are stored as `llm_request` / `llm_response` artifacts
// (best effort), already redacted by the model layer.
import { compileExtractionSchema, parseExtractionOutput } from '@petrel/agent';
import type { ExtractionSchema, ModelContentPart, ModelHttpExchange, ModelResult } from '@petrel/agent';
import { PetrelError } from '@petrel/protocol';
import type { ExecutorContext } from './executor-context.ts';

/** How many times a model is asked before an invalid answer fails the block. */
export const STRUCTURED_ANSWER_ATTEMPTS = 2;

/** Options of `askForStructuredAnswer`. */
export type StructuredAnswerOptions = {
  /** The prompt text. */
  prompt: string;
  /** Images sent with the prompt (bytes and media type). */
  images?: Array<{ data: Uint8Array; mediaType: string }>;
  /** The user's JSON Schema (or the block's default). */
  schema: Record<string, unknown>;
  /** The block field holding the schema, for errors. */
  field: string;
  /** Names artifacts and errors, e.g. `text_prompt`. */
  operation: string;
};

/** The answer, or why there is none. */
export type StructuredAnswer = { ok: true; data: unknown; attempts: number } | { ok: false; reason: string; attempts: number };

function compile(schema: Record<string, unknown>, field: string): ExtractionSchema {
  return compileExtractionSchema(schema, field);
}

async function storeExchanges(ctx: ExecutorContext, exchanges: readonly ModelHttpExchange[], operation: string): Promise<void> {
  if (!ctx.recordArtifact) return;
  for (const exchange of exchanges) {
    const base = `${ctx.label}-${operation}-${exchange.attempt}`;
    await ctx.recordArtifact('llm_request', exchange.requestBody, { contentType: 'application/json', name: `${base}-request.json` }).catch(() => undefined);
    await ctx
      .recordArtifact('llm_response', exchange.responseBody || JSON.stringify({ status: exchange.status ?? null, error: exchange.error ?? null }), {
        contentType: 'application/json',
        name: `${base}-response.json`,
      })
      .catch(() => undefined);
  }
}

function answerOf(result: ModelResult): { value: unknown; problem?: string } {
  if (result.object !== undefined) return { value: result.object };
  // Some servers ignore structured output; a JSON text answer is still an answer.
  const text = result.text.trim().replace(/^```(?:json)?\s*|\s*```$/g, '');
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { value: undefined, problem: result.outputError?.message ?? 'the answer was not JSON' };
  }
}

/**
 * Asks the run's model for an answer matching `schema`. Throws `LLM_NOT_CONFIGURED` without a model,
 * `VALIDATION_FAILED` for a schema that is not one, and the model's own errors (`LLM_ERROR`,
 * `TIMEOUT`, `CANCELED`); an answer that still does not match after the retry is `{ ok: false }`.
 */
export async function askForStructuredAnswer(ctx: ExecutorContext, options: StructuredAnswerOptions): Promise<StructuredAnswer> {
  const model = ctx.model;
  if (!model) {
    throw new PetrelError('LLM_NOT_CONFIGURED', `${options.operation}: no language model is configured for this run`, { nonRetryable: true });
  }
  const compiled = compile(options.schema, options.field);
  const basePrompt = `${options.prompt}\n\nRespond with JSON matching this JSON Schema:\n\`\`\`json\n${JSON.stringify(options.schema, null, 2)}\n\`\`\``;
  let prompt = basePrompt;
  let reason = '';
  for (let attempt = 1; attempt <= STRUCTURED_ANSWER_ATTEMPTS; attempt++) {
    const content: ModelContentPart[] = [{ type: 'text', text: prompt }, ...(options.images ?? []).map((image) => ({ type: 'image' as const, data: image.data, mediaType: image.mediaType }))];
    const exchanges: ModelHttpExchange[] = [];
    let result: ModelResult;
    try {
      result = await model.generate({
        ...(ctx.systemPrompt ? { system: ctx.systemPrompt } : {}),
        messages: [{ role: 'user', content }],
        output: { schema: compiled.outputSchema, name: 'answer' },
        redactor: ctx.redactor,
        signal: ctx.signal,
        onExchange: (exchange) => exchanges.push(exchange),
      });
    } finally {
      await storeExchanges(ctx, exchanges, options.operation);
    }
    const answer = answerOf(result);
    if (answer.problem === undefined) {
      const parsed = parseExtractionOutput(compiled, answer.value);
      if (parsed.ok) return { ok: true, data: parsed.data, attempts: attempt };
      reason = `the answer does not match ${options.field}: ${parsed.message}`;
    } else {
      reason = `the model gave no usable answer: ${answer.problem}`;
    }
    prompt = `${basePrompt}\n\nYour previous answer was rejected: ${reason}. Answer again with JSON that matches the schema exactly.`;
  }
  return { ok: false, reason: ctx.redactor.redact(reason), attempts: STRUCTURED_ANSWER_ATTEMPTS };
}
