// Extraction from the current page: structured output against the compiled `data_extraction_schema`,
// validated with Ajv (draft 2020-12). A page longer than `chunkTokens` is extracted in parts, each
// call getting what was extracted so far (the same mechanism that carries data across the pages of
// a list). Link fields (named url/link/href, or `format: uri`) are answered with element ids and
// filled in with the element's real `href` from the page, so URLs are never invented.
import type { Observation, RunContext } from '@petrel/browser';
import { PetrelError } from '@petrel/protocol';
import { parseExtractionOutput } from '../extraction/extraction-schema.ts';
import type { ExtractionSchema } from '../extraction/extraction-schema.ts';
import type { JsonSchema } from '../extraction/json-schema-validator.ts';
import type { LanguageModel, ModelHttpExchange, ModelResult } from '../model/language-model.ts';
import type { SecretRedactor } from '../secrets/secret-redactor.ts';
import { EXTRACT_SYSTEM_PROMPT, buildExtractPrompt } from './agent-prompts.ts';

/** Token and time totals of model calls. */
export type CallUsage = { inputTokens: number; outputTokens: number; costUsd: number | null; modelCalls: number; modelMs: number };

/** An empty usage. */
export function emptyUsage(): CallUsage {
  return { inputTokens: 0, outputTokens: 0, costUsd: null, modelCalls: 0, modelMs: 0 };
}

/** Adds a model result (or another usage) to `usage`. */
export function addUsage(usage: CallUsage, add: ModelResult | CallUsage): void {
  if ('usage' in add) {
    usage.inputTokens += add.usage.inputTokens;
    usage.outputTokens += add.usage.outputTokens;
    if (add.costUsd !== undefined) usage.costUsd = Math.round(((usage.costUsd ?? 0) + add.costUsd) * 1e6) / 1e6;
    usage.modelCalls += 1;
    usage.modelMs += add.durationMs;
    return;
  }
  usage.inputTokens += add.inputTokens;
  usage.outputTokens += add.outputTokens;
  if (add.costUsd !== null) usage.costUsd = Math.round(((usage.costUsd ?? 0) + add.costUsd) * 1e6) / 1e6;
  usage.modelCalls += add.modelCalls;
  usage.modelMs += add.modelMs;
}

const CHARS_PER_TOKEN = 3;
const URL_FIELD = /(^|_|-)(url|uri|link|href)$|^(url|uri|link|href)/i;
const ELEMENT_ID = /^e\d+$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isUrlField(name: string, schema: unknown): boolean {
  if (!isRecord(schema)) return false;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const stringy = types.includes('string') || (Array.isArray(schema.anyOf) && schema.anyOf.some((s) => isRecord(s) && s.type === 'string'));
  return stringy && (URL_FIELD.test(name) || schema.format === 'uri' || schema.format === 'url');
}

/** The output schema with link fields asking for element ids. */
export function markUrlFields(schema: JsonSchema): JsonSchema {
  const walk = (node: unknown, depth: number): unknown => {
    if (depth > 32 || !isRecord(node)) return node;
    const out: Record<string, unknown> = { ...node };
    if (isRecord(node.properties)) {
      const properties: Record<string, unknown> = {};
      for (const [name, sub] of Object.entries(node.properties)) {
        const walked = walk(sub, depth + 1) as Record<string, unknown>;
        properties[name] = isUrlField(name, sub)
          ? { ...walked, description: `${typeof walked.description === 'string' ? `${walked.description} ` : ''}Give the element id of the link (e.g. e12).` }
          : walked;
      }
      out.properties = properties;
    }
    if (node.items !== undefined) out.items = walk(node.items, depth + 1);
    if (Array.isArray(node.anyOf)) out.anyOf = node.anyOf.map((n) => walk(n, depth + 1));
    return out;
  };
  return walk(schema, 0) as JsonSchema;
}

/** Replaces element ids in link fields of `data` with the elements' real URLs (unknown ids stay as they are). */
export async function resolveElementUrls(data: unknown, run: RunContext): Promise<unknown> {
  const cache = new Map<string, string | undefined>();
  const urlOf = async (id: string): Promise<string | undefined> => {
    if (cache.has(id)) return cache.get(id);
    let url: string | undefined;
    try {
      const value = await run.locator(id).evaluate((el) => {
        const link = el.closest('a[href], area[href]') ?? el;
        return (link as HTMLAnchorElement).href || el.getAttribute('src') || el.getAttribute('href') || '';
      }, undefined, { timeout: 2000 });
      url = value === '' ? undefined : value;
    } catch {
      url = undefined;
    }
    cache.set(id, url);
    return url;
  };
  const walk = async (node: unknown, key: string | undefined, depth: number): Promise<unknown> => {
    if (depth > 32) return node;
    if (typeof node === 'string') return key !== undefined && URL_FIELD.test(key) && ELEMENT_ID.test(node) ? ((await urlOf(node)) ?? node) : node;
    if (Array.isArray(node)) return Promise.all(node.map((item) => walk(item, key, depth + 1)));
    if (!isRecord(node)) return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = await walk(v, k, depth + 1);
    return out;
  };
  return walk(data, undefined, 0);
}

/**
 * Splits page text into parts of at most about `maxTokens`, repeating the header (url, title) in each.
 * Tokens are estimated as a third of the characters (the compact form averages closer to four per
 * token), which errs on the small side without loading a tokenizer.
 */
export function chunkPageText(text: string, maxTokens: number): string[] {
  const maxTotal = maxTokens * CHARS_PER_TOKEN;
  if (text.length <= maxTotal) return [text];
  const split = text.indexOf('\n---\n');
  const header = split >= 0 ? text.slice(0, split + 5) : '';
  const body = split >= 0 ? text.slice(split + 5) : text;
  const maxChars = Math.max(200, maxTotal - header.length);
  const chunks: string[] = [];
  let current = '';
  for (const line of body.split('\n')) {
    if (current.length > 0 && current.length + line.length + 1 > maxChars) {
      chunks.push(header + current);
      current = '';
    }
    // A single line longer than a chunk is cut (rare: one huge text run).
    for (let rest = line; ; ) {
      const room = maxChars - current.length;
      if (rest.length <= room) {
        current += (current ? '\n' : '') + rest;
        break;
      }
      current += (current ? '\n' : '') + rest.slice(0, room);
      chunks.push(header + current);
      current = '';
      rest = rest.slice(room);
    }
  }
  if (current) chunks.push(header + current);
  return chunks;
}

/** What `extractFromPage` needs. */
export type PageExtractionInput = {
  run: RunContext;
  observation: Observation;
  model: LanguageModel;
  schema: ExtractionSchema;
  goal: string;
  /** What earlier pages (or calls) extracted; the answer must include it. */
  previous?: unknown;
  redactor: SecretRedactor;
  chunkTokens: number;
  signal?: AbortSignal | undefined;
  /** Called with every HTTP exchange (for artifacts). */
  onExchange?: ((exchange: ModelHttpExchange) => void) | undefined;
};

/** Extracted data, whether it matches the user's schema, and what the calls cost. */
export type PageExtractionResult = { data: unknown; valid: boolean; issues?: string; usage: CallUsage };

/** Extracts the schema's data from the page (in parts when long). Throws `LLM_ERROR` when the model's answers are not JSON. */
export async function extractFromPage(input: PageExtractionInput): Promise<PageExtractionResult> {
  const usage = emptyUsage();
  const outputSchema = markUrlFields(input.schema.outputSchema);
  const chunks = chunkPageText(input.observation.text, input.chunkTokens);
  let previous = input.previous;
  let result: ReturnType<typeof parseExtractionOutput> | undefined;
  for (let i = 0; i < chunks.length; i++) {
    let parsed: ReturnType<typeof parseExtractionOutput> | undefined;
    let lastError = '';
    // One repair round: an answer that is not JSON, or does not match the schema, is sent back with the problem.
    for (let attempt = 1; attempt <= 2; attempt++) {
      const prompt = buildExtractPrompt({
        goal: input.goal,
        description: input.schema.description,
        previous,
        chunk: { index: i + 1, count: chunks.length },
        page: chunks[i] ?? '',
      });
      const response = await input.model.generate({
        system: EXTRACT_SYSTEM_PROMPT,
        messages: [{ role: 'user', content: attempt === 1 ? prompt : `${prompt}\n\nYour previous answer was rejected: ${lastError}. Answer again with JSON matching the schema.` }],
        output: { schema: outputSchema, name: 'extracted_data' },
        temperature: 0,
        redactor: input.redactor,
        ...(input.signal ? { signal: input.signal } : {}),
        ...(input.onExchange ? { onExchange: input.onExchange } : {}),
      });
      addUsage(usage, response);
      if (response.object === undefined) {
        lastError = response.outputError?.message ?? 'no JSON answer';
        continue;
      }
      parsed = parseExtractionOutput(input.schema, response.object);
      if (parsed.ok) break;
      lastError = parsed.message;
    }
    if (!parsed) throw new PetrelError('LLM_ERROR', `agent.extract: the model gave no usable extraction (${lastError})`, { nonRetryable: false });
    result = parsed;
    previous = parsed.data;
  }
  if (!result) throw new PetrelError('INTERNAL', 'agent.extract: the page had no text to extract from');
  const data = await resolveElementUrls(result.data, input.run);
  const recheck = input.schema.validate(data);
  return recheck.length === 0 ? { data, valid: true, usage } : { data, valid: false, issues: result.ok ? recheck.map((i) => `${i.path}: ${i.message}`).join('; ') : result.message, usage };
}
