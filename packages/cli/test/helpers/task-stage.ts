// The stage for CLI tests that run real tasks: the fixture portal on loopback and the fake model (a
// real OpenAI-compatible HTTP server) answering as an agent would from the page in each prompt, plus
// the `PETREL_LLM_*` settings that point `petrel serve` at it.
import { findChromium } from '@petrel/browser';
import { sampleFromSchema, startFakeModel } from '@petrel/fake-model';
import type { FakeModel, FakeModelRequest, FakeTurn } from '@petrel/fake-model';
import { startPortal } from '@petrel/fixture-portal';
import type { Portal } from '@petrel/fixture-portal';

/** `{ skip, timeout }` for tests that need Chromium: skipped with a reason when it is missing, except in CI. */
export const needsChromium = {
  skip: findChromium() !== undefined || process.env.CI === 'true' ? false : 'Chromium is not installed (run npm run setup)',
  timeout: 240_000,
};

function elementKey(request: FakeModelRequest): string {
  const click = request.tools.find((tool) => tool.name === 'click');
  const properties = (click?.inputSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
  return 'elementId' in properties ? 'elementId' : 'id';
}

/**
 * The "model". On the jobs list it clicks the first job; elsewhere it completes — or terminates
 * when the goal says "[terminate]", or answers only after 30 s when it says "[slow]". It confirms
 * completion, and extracts `{ job_id, page_path }` from the page it is shown.
 */
export function respond(request: FakeModelRequest): FakeTurn | undefined {
  const text = request.lastUserText;
  const format = request.responseFormat;
  if (format?.type === 'json_schema') {
    const properties = (format.schema as { properties?: Record<string, unknown> }).properties ?? {};
    if ('user_goal_achieved' in properties) return { object: { user_goal_achieved: true, reasoning: 'The page shows it.' } };
    const path = /https?:\/\/127\.0\.0\.1:\d+(\/[^\s\]]*)/.exec(text)?.[1] ?? null;
    return { object: { ...(sampleFromSchema(format.schema) as object), job_id: /JOB-\d+/.exec(text)?.[0] ?? null, page_path: path } };
  }
  if (!request.tools.some((tool) => tool.name === 'complete')) return undefined;
  if (text.includes('[slow]')) return { delayMs: 30_000, toolCalls: [{ name: 'complete', input: { reasoning: 'late' } }] };
  if (text.includes('[terminate]')) return { toolCalls: [{ name: 'terminate', input: { reasoning: 'The site refuses access.' } }] };
  const page = text.slice(Math.max(0, text.indexOf('PAGE:')));
  const url = /^url: (.*)$/m.exec(page)?.[1] ?? '';
  if (/\/jobs\/?(\?.*)?$/.test(url)) {
    const link = /\[(e\d+) link \/jobs\/JOB-\d+[^\]]*\]/.exec(page);
    if (link?.[1] !== undefined) return { toolCalls: [{ name: 'click', input: { [elementKey(request)]: link[1] } }] };
  }
  return { toolCalls: [{ name: 'complete', input: { reasoning: 'The job page is open.' } }] };
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
