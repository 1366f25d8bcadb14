// The stage of tests that run real tasks through a server: the fixture portal on loopback and the
// fake model (a real OpenAI-compatible HTTP server) answering with the portal policy, plus the
// `PETREL_LLM_*` settings that point a server at it.
import { startFakeModel } from '@petrel/fake-model';
import type { FakeModel, FakeResponder } from '@petrel/fake-model';
import { startPortal } from '@petrel/fixture-portal';
import type { Portal, PortalOptions } from '@petrel/fixture-portal';
import { portalPolicy } from './portal-policy.ts';
import type { PortalPolicyOptions } from './portal-policy.ts';

/** Options of `startTaskStage`. */
export type TaskStageOptions = {
  /** Options of the portal policy the fake model answers with. Default: `{ fallback: 'complete' }` (a goal it has no skill for completes). */
  policy?: PortalPolicyOptions;
  /** Answers instead of the portal policy. */
  respond?: FakeResponder;
  /** Options of the fixture portal. Default: no cookie banner. */
  portal?: PortalOptions;
};

/** A running portal and fake model. */
export type TaskStage = {
  portal: Portal;
  fake: FakeModel;
  /** `PETREL_LLM_*` settings for a server that uses the fake model. */
  llmEnv: Record<string, string>;
  [Symbol.asyncDispose](): Promise<void>;
};

/** Starts the portal and the fake model. */
export async function startTaskStage(options: TaskStageOptions = {}): Promise<TaskStage> {
  const portal = await startPortal({ cookieBanner: false, ...options.portal });
  let fake: FakeModel;
  try {
    fake = await startFakeModel({ respond: options.respond ?? portalPolicy({ fallback: 'complete', ...options.policy }) });
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
