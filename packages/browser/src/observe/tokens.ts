// Token counting with a real tokenizer: OpenAI's o200k_base through js-tiktoken. Its rank table is
// large (loading takes most of a second), so it is loaded on first use and then kept.
import type { Tiktoken } from 'js-tiktoken';

let encoder: Promise<Tiktoken> | undefined;

function load(): Promise<Tiktoken> {
  encoder ??= import('js-tiktoken').then(({ getEncoding }) => getEncoding('o200k_base'));
  return encoder;
}

/** The number of o200k_base tokens in `text` (the tokenizer of GPT-4o and later; a good proxy for other models). */
export async function countTokens(text: string): Promise<number> {
  const enc = await load();
  return enc.encode(text, 'all').length;
}
