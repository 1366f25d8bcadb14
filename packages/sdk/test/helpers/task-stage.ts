// The stage for tests that run real tasks: the fixture portal on loopback and the fake model (a real
// OpenAI-compatible HTTP server) answering from the prompts it receives, plus the `PETREL_LLM_*`
// settings that point a server at it.
import { findChromium } from '@petrel/browser';
import { sampleFromSchema, startFakeModel } from '@petrel/fake-model';
import type { FakeModel, FakeModelRequest, FakeTurn } from '@petrel/fake-model';
import { startPortal } from '@petrel/fixture-portal';
import type { Portal } from '@petrel/fixture-portal';

/** `{ skip, timeout }` for tests that run Chromium: skipped with a reason when it is missing, except in CI. */
export const needsChromium = {
  skip: findChromium() !== undefined || process.env.CI === 'true' ? false : 'Chromium is not installed (run npm run setup)',
  // A hang fails the test instead of holding the suite.
  timeout: 180_000,
};

/**
 * The "model": `complete` on an action step (or `terminate` when the goal says "[terminate]", or 20 s
 * of silence when it says "[slow]"), yes to the completion check, and for extraction an object of the
 * asked schema, its `portal_host` (when it has one) set to the portal's host as it appears in the page it was shown.
 */
export function respond(request: FakeModelRequest): FakeTurn | undefined {
  const text = request.lastUserText;
  const format = request.responseFormat;
  if (format?.type === 'json_schema') {
    const properties = (format.schema as { properties?: Record<string, unknown> }).properties ?? {};
    if ('user_goal_achieved' in properties) return { object: { user_goal_achieved: true, reasoning: 'The page shows it.' } };
    const sample = sampleFromSchema(format.schema) as Record<string, unknown>;
    if ('portal_host' in properties) sample['portal_host'] = /https?:\/\/(127\.0\.0\.1:\d+)/.exec(text)?.[1] ?? null;
    return { object: sample };
  }
  const tools = request.tools.map((tool) => tool.name);
  if (!tools.includes('complete')) return undefined;
  if (text.includes('[slow]')) return { delayMs: 20_000, toolCalls: [{ name: 'complete', input: { reasoning: 'late' } }] };
  if (text.includes('[terminate]')) {
    const errorCode = /NO_ACCESS/.test(text) ? { error_code: 'NO_ACCESS', confidence: 0.9 } : {};
    return { toolCalls: [{ name: 'terminate', input: { reasoning: 'The site refuses access.', ...errorCode } }] };
  }
  return { toolCalls: [{ name: 'complete', input: { reasoning: 'The page is open.' } }] };
}

/** A running portal and fake model. */
export type TaskStage = {
  portal: Portal;
  fake: FakeModel;
  /** `PETREL_LLM_*` settings for a server that uses the fake model. */
  llmEnv: Record<string, string>;
  [Symbol.asyncDispose](): Promise<void>;
};

/** Starts the portal and the fake model. */
export async function startTaskStage(): Promise<TaskStage> {
  const portal = await startPortal({ cookieBanner: false });
  let fake: FakeModel;
  try {
    fake = await startFakeModel({ respond });
  } catch (error) {
    await portal[Symbol.asyncDispose]();
    throw error;
  }
  return {
    portal,
    fake,
    llmEnv: {
      PETREL_LLM_PROVIDER: 'openai-compatible',
      PETREL_LLM_MODEL: 'fake-model',
      PETREL_LLM_BASE_URL: fake.openaiBaseUrl,
      PETREL_LLM_STRUCTURED: '1',
    },
    async [Symbol.asyncDispose]() {
      try {
        await fake[Symbol.asyncDispose]();
      } finally {
        await portal[Symbol.asyncDispose]();
      }
    },
  };
}
