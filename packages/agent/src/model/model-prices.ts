// List prices of well-known models, in US dollars per million tokens, used to put a cost on each call.
// Prices change: the table is a default, `ModelConfig.prices` overrides or extends it, and a model not
// found here has no cost (`undefined`), never a guessed one. Cached-input discounts, batch prices and
// long-context surcharges are not modelled.

/** Price of one model, USD per million tokens. */
export type ModelPrice = { inputPerMillion: number; outputPerMillion: number };

/** Prices by model id (or id prefix: dated snapshots such as `gpt-4o-2024-08-06` match `gpt-4o`). */
export type ModelPrices = Record<string, ModelPrice>;

const p = (inputPerMillion: number, outputPerMillion: number): ModelPrice => ({ inputPerMillion, outputPerMillion });

/** Public list prices as published by OpenAI, Anthropic and Google (2025). */
export const MODEL_PRICES: Readonly<ModelPrices> = Object.freeze({
  // OpenAI
  'gpt-5': p(1.25, 10),
  'gpt-5-mini': p(0.25, 2),
  'gpt-5-nano': p(0.05, 0.4),
  'gpt-4.1': p(2, 8),
  'gpt-4.1-mini': p(0.4, 1.6),
  'gpt-4.1-nano': p(0.1, 0.4),
  'gpt-4o': p(2.5, 10),
  'gpt-4o-mini': p(0.15, 0.6),
  o3: p(2, 8),
  'o3-mini': p(1.1, 4.4),
  'o4-mini': p(1.1, 4.4),
  // Anthropic
  'claude-opus-4-5': p(5, 25),
  'claude-opus-4-1': p(15, 75),
  'claude-opus-4': p(15, 75),
  'claude-sonnet-4-5': p(3, 15),
  'claude-sonnet-4': p(3, 15),
  'claude-haiku-4-5': p(1, 5),
  'claude-3-7-sonnet': p(3, 15),
  'claude-3-5-sonnet': p(3, 15),
  'claude-3-5-haiku': p(0.8, 4),
  // Google (prompts up to 200k tokens)
  'gemini-2.5-pro': p(1.25, 10),
  'gemini-2.5-flash': p(0.3, 2.5),
  'gemini-2.5-flash-lite': p(0.1, 0.4),
  'gemini-2.0-flash': p(0.1, 0.4),
  'gemini-2.0-flash-lite': p(0.075, 0.3),
});

// OpenRouter-style ids name the vendor first (`openai/gpt-4o`); their prices follow the vendor's.
const VENDOR_PREFIX = /^(openai|anthropic|google)\//;

/**
 * The price of `model`: an exact entry, else the longest entry that is a prefix followed by `-` or `@`
 * (dated snapshots, `-latest`). Entries of `overrides` win over the built-in table.
 */
export function findModelPrice(model: string, overrides: ModelPrices = {}): ModelPrice | undefined {
  const table: ModelPrices = { ...MODEL_PRICES, ...overrides };
  for (const id of [model, model.replace(VENDOR_PREFIX, '')]) {
    if (Object.hasOwn(table, id)) return table[id];
    let best: string | undefined;
    for (const key of Object.keys(table)) {
      if ((id.startsWith(`${key}-`) || id.startsWith(`${key}@`)) && key.length > (best?.length ?? 0)) best = key;
    }
    if (best !== undefined) return table[best];
  }
  return undefined;
}

/** Cost in US dollars of a call's usage at `price`, rounded to a millionth of a dollar. */
export function computeCostUsd(usage: { inputTokens: number; outputTokens: number }, price: ModelPrice): number {
  const cost = (usage.inputTokens * price.inputPerMillion + usage.outputTokens * price.outputPerMillion) / 1_000_000;
  return Math.round(cost * 1_000_000) / 1_000_000;
}
