// The `text_prompt` block: one model call, no browser. The answer must match `json_schema` (default
// `{ llm_response: string }`, as Skyvern), validated with Ajv draft 2020-12; the output is the
// answer itself. The values of `parameter_keys` are added to the prompt as JSON with secrets as
// placeholders (the model never sees a secret).
import type { TextPromptBlock } from '@petrel/protocol';
import { completed, failed, fieldError, throwIfCanceled } from './executor-context.ts';
import type { ExecutorContext, ExecutorResult } from './executor-context.ts';
import { getParameter } from './file-references.ts';
import { askForStructuredAnswer } from './structured-answer.ts';

const OPERATION = 'text_prompt';

/** Skyvern's default answer shape of a text_prompt block. */
export const DEFAULT_TEXT_PROMPT_SCHEMA: Readonly<Record<string, unknown>> = Object.freeze({
  type: 'object',
  properties: { llm_response: { type: 'string' } },
  required: ['llm_response'],
});

/** Runs a `text_prompt` block. */
export async function executeTextPromptBlock(block: TextPromptBlock, ctx: ExecutorContext): Promise<ExecutorResult> {
  throwIfCanceled(ctx, OPERATION);
  if (typeof block.prompt !== 'string' || block.prompt.trim() === '') throw fieldError(OPERATION, 'prompt', 'is required');
  const schema = block.json_schema && Object.keys(block.json_schema).length > 0 ? block.json_schema : { ...DEFAULT_TEXT_PROMPT_SCHEMA };
  const parameters = (block.parameter_keys ?? []).map((key, index) => {
    const value = getParameter(ctx, key, `parameter_keys[${index}]`, OPERATION);
    // Placeholders stay; any real secret that slipped into a value becomes its placeholder.
    return `${key}: ${ctx.redactor.redact(JSON.stringify(value) ?? 'null')}`;
  });
  const prompt = parameters.length === 0 ? block.prompt : `${block.prompt}\n\nParameters:\n${parameters.join('\n')}`;
  const answer = await askForStructuredAnswer(ctx, { prompt, schema, field: 'json_schema', operation: OPERATION });
  if (!answer.ok) return failed(null, `Text prompt: ${answer.reason}`);
  return completed(ctx.redactor.redactJson(answer.data));
}
