// The agent runtime of a process: its ports (browsers, model configuration, vault, pushed codes,
// artifact index, sessions, outbound fetch, clock, logger) validated once, plus what it keeps in memory
// per run — the run's secrets (rebuilt from the vault in any process, with the same placeholders, so a
// run resumed elsewhere types the same tokens its history shows) and the current step for artifact
// records. The task workflow, `step.browser`/`step.task` and the block interpreter share one runtime.
import { createHash } from 'node:crypto';
import { PetrelError, parseDuration, silentLogger } from '@petrel/protocol';
import type { Duration, Logger } from '@petrel/protocol';
import type { Observation, RunContext } from '@petrel/browser';
import { createLanguageModel } from '../model/ai-sdk-language-model.ts';
import type { LanguageModel } from '../model/language-model.ts';
import { resolveModelConfig } from '../model/model-config.ts';
import type { FetchLike, ModelConfig, ModelOverride } from '../model/model-config.ts';
import { createSecretRedactor } from '../secrets/secret-redactor.ts';
import type { SecretRedactor } from '../secrets/secret-redactor.ts';
import { createRedactingLogger } from '../secrets/redacting-logger.ts';
import type { ArtifactSink, BrowserSessionResolver, CredentialResolver, PushedTotpSource } from './agent-ports.ts';
import type { RunBrowserManager } from './run-browser-manager.ts';

/** What a step saw, for instrumentation (benchmarks compare serialisations of the same page). */
export type StepObservedEvent = { namespace: string; runId: string; step: number; run: RunContext; observation: Observation };

/** Options of `createAgentRuntime`. */
export type AgentRuntimeOptions = {
  /** The run-scoped browsers of this process. Required. */
  browsers: RunBrowserManager;
  /** The configured model (or a function reading the current configuration); absent means runs fail with `LLM_NOT_CONFIGURED`. Default none. */
  model?: ModelConfig | null | (() => ModelConfig | null | undefined);
  /** Model ids a run's `model.model_name` may pick; default any. */
  allowedModels?: readonly string[];
  /** Builds a model from a configuration; default `createLanguageModel`. */
  createModel?: (config: ModelConfig) => LanguageModel;
  /** The vault; default none (a run naming a credential fails with `INTEGRATION_NOT_CONFIGURED`). */
  credentials?: CredentialResolver;
  /** Codes pushed to `/v1/credentials/totp`; default none (`totp_identifier` runs fail with `INTEGRATION_NOT_CONFIGURED` when they need a code). */
  pushedTotp?: PushedTotpSource;
  /** Receives every artifact's metadata; default none (bytes are still in the BlobStore). */
  artifacts?: ArtifactSink;
  /** Persistent browser sessions; default none (`browser_session_id` fails with `INTEGRATION_NOT_CONFIGURED`). */
  browserSessions?: BrowserSessionResolver;
  /** Outbound HTTP for `totp_url` (the server's outbound policy); default the global `fetch`. */
  fetch?: FetchLike;
  /** The HMAC key `totp_url` requests are signed with (the organization's webhook secret); default none (signed with an empty key, logged). */
  totpSigningSecret?: (namespace: string) => string | undefined | Promise<string | undefined>;
  /** Clock in ms since the epoch (the date in prompts, "last month"); default `Date.now`. */
  now?: () => number;
  /** Send a screenshot of the page with every action step; default false. */
  vision?: boolean;
  /** Screenshots recorded: one after each step's actions (`step`), one after every action (`action`, slower), or none but the final one (`off`); default `step`. */
  screenshots?: 'step' | 'action' | 'off';
  /** Retries of a failing agent step (Skyvern's `MAX_RETRIES_PER_STEP`); default 5. */
  maxRetriesPerStep?: number;
  /** First delay between retries of a step, doubled per retry; default 1000 ms. */
  retryDelayMs?: number;
  /** Time limit of one attempt of an agent step; default 10 minutes. */
  stepTimeout?: Duration;
  /** How long a run waits for a pushed 2FA code; default 15 minutes (Skyvern's). */
  verificationCodeTimeout?: Duration;
  /** Tokens of page text per extraction call; longer pages are extracted in parts; default 24 000. */
  extractionChunkTokens?: number;
  /** Logger; every line a run writes is redacted of its secrets. Default silent. */
  logger?: Logger;
  /** Called after each step observed its page (instrumentation); errors are logged. Default none. */
  onStepObserved?: (event: StepObservedEvent) => void | Promise<void>;
};

/** A credential a run may use, by parameter key. */
export type RunCredentialRefs = Record<string, string>;

/** A run's secrets in this process. */
export type RunSecrets = {
  redactor: SecretRedactor;
  /** The parameters as the model sees them: clear values, and credential views with placeholders. */
  parameters: Record<string, unknown> | undefined;
  /** Every secret value, to keep out of the run context's artifacts. */
  values: string[];
  /** A logger that redacts this run's secrets. */
  logger: Logger;
};

/** The runtime the agent's workflows and step extensions run on. */
export type AgentRuntime = {
  readonly browsers: RunBrowserManager;
  readonly logger: Logger;
  readonly credentials: CredentialResolver | undefined;
  readonly pushedTotp: PushedTotpSource | undefined;
  readonly artifacts: ArtifactSink | undefined;
  readonly browserSessions: BrowserSessionResolver | undefined;
  readonly fetch: FetchLike | undefined;
  readonly totpSigningSecret: AgentRuntimeOptions['totpSigningSecret'];
  readonly vision: boolean;
  readonly screenshots: 'step' | 'action' | 'off';
  readonly maxRetriesPerStep: number;
  readonly retryDelayMs: number;
  readonly stepTimeoutMs: number;
  readonly verificationCodeTimeoutMs: number;
  readonly extractionChunkTokens: number;
  readonly onStepObserved: AgentRuntimeOptions['onStepObserved'];
  now(): number;
  /** The model for a run (its `model` override applied); throws `LLM_NOT_CONFIGURED` or `VALIDATION_FAILED`, marked non-retryable. */
  model(override?: ModelOverride | null): LanguageModel;
  /** The run's secrets, built on first use in this process (credentials fetched from the vault). */
  secrets(namespace: string, runId: string, input: { parameters?: Record<string, unknown> | undefined; credentials?: RunCredentialRefs | undefined }): Promise<RunSecrets>;
  /** Registers a verification code under a placeholder derived from the run and `slot`; returns the placeholder. */
  registerCode(runId: string, slot: string, code: string): string;
  /** The placeholder a code of `slot` gets (whether or not it is registered in this process). */
  codePlaceholder(runId: string, slot: string): string;
  /** The step of the run artifacts are being recorded for. */
  currentStep: Map<string, number>;
  /** Forgets a finished run's in-memory state. */
  forget(runId: string): void;
};

const MAX_RUNS_IN_MEMORY = 1000;
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** A deterministic placeholder suffix for (run, key, field): the same in every process. */
function stableSuffix(...parts: string[]): string {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  let out = '';
  for (let i = 0; i < 6; i++) out += ALPHABET[(digest[i] ?? 0) % ALPHABET.length];
  return out;
}

function fieldLabel(field: string): string {
  return field.toLowerCase().replaceAll(/[^a-z0-9]+/g, '_').replaceAll(/^_+|_+$/g, '').slice(0, 32) || 'secret';
}

function positiveInt(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PetrelError('VALIDATION_FAILED', `createAgentRuntime: ${field} must be an integer from ${min} to ${max}`, { details: { field } });
  }
  return value;
}

/** Creates the agent runtime of a process. */
export function createAgentRuntime(options: AgentRuntimeOptions): AgentRuntime {
  if (!options || typeof options.browsers?.ensure !== 'function') {
    throw new PetrelError('VALIDATION_FAILED', 'createAgentRuntime: browsers (a RunBrowserManager) is required', { details: { field: 'browsers' } });
  }
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const createModel = options.createModel ?? createLanguageModel;
  const models = new Map<string, LanguageModel>();
  const runs = new Map<string, Promise<RunSecrets>>();
  const redactors = new Map<string, SecretRedactor>();
  const currentStep = new Map<string, number>();

  const redactorOf = (runId: string): SecretRedactor => {
    let redactor = redactors.get(runId);
    if (!redactor) {
      redactor = createSecretRedactor();
      redactors.set(runId, redactor);
      if (redactors.size > MAX_RUNS_IN_MEMORY) {
        const oldest = redactors.keys().next().value;
        if (oldest !== undefined) runtime.forget(oldest);
      }
    }
    return redactor;
  };

  const baseConfig = (): ModelConfig | undefined => {
    const value = typeof options.model === 'function' ? options.model() : options.model;
    return value ?? undefined;
  };

  const runtime: AgentRuntime = {
    browsers: options.browsers,
    logger,
    credentials: options.credentials,
    pushedTotp: options.pushedTotp,
    artifacts: options.artifacts,
    browserSessions: options.browserSessions,
    fetch: options.fetch,
    totpSigningSecret: options.totpSigningSecret,
    vision: options.vision ?? false,
    screenshots: options.screenshots ?? 'step',
    maxRetriesPerStep: positiveInt('maxRetriesPerStep', options.maxRetriesPerStep ?? 5, 0, 20),
    retryDelayMs: positiveInt('retryDelayMs', options.retryDelayMs ?? 1000, 0, 600_000),
    stepTimeoutMs: parseDuration(options.stepTimeout ?? '10 minutes', 'createAgentRuntime: stepTimeout'),
    verificationCodeTimeoutMs: parseDuration(options.verificationCodeTimeout ?? '15 minutes', 'createAgentRuntime: verificationCodeTimeout'),
    extractionChunkTokens: positiveInt('extractionChunkTokens', options.extractionChunkTokens ?? 24_000, 500, 1_000_000),
    onStepObserved: options.onStepObserved,
    currentStep,
    now,

    model(override) {
      let config: ModelConfig;
      try {
        config = resolveModelConfig(baseConfig(), override ?? null, options.allowedModels === undefined ? {} : { allowedModels: options.allowedModels });
      } catch (error) {
        if (error instanceof PetrelError) throw new PetrelError(error.code, error.message, { cause: error, details: error.details, nonRetryable: true });
        throw error;
      }
      const key = JSON.stringify([config.provider, config.model, config.baseUrl ?? '']);
      let model = models.get(key);
      if (!model) {
        try {
          model = createModel(config);
        } catch (error) {
          if (error instanceof PetrelError) throw new PetrelError(error.code, error.message, { cause: error, details: error.details, nonRetryable: true });
          throw error;
        }
        models.set(key, model);
      }
      return model;
    },

    secrets(namespace, runId, input) {
      let pending = runs.get(runId);
      if (!pending) {
        pending = (async (): Promise<RunSecrets> => {
          const redactor = redactorOf(runId);
          const parameters: Record<string, unknown> = { ...input.parameters };
          for (const [key, credentialId] of Object.entries(input.credentials ?? {})) {
            if (!options.credentials) {
              throw new PetrelError('INTEGRATION_NOT_CONFIGURED', 'agent.secrets: this runtime has no credential vault, so a run cannot use a credential', { nonRetryable: true });
            }
            const values = await options.credentials.get(namespace, credentialId).catch((error: unknown) => {
              if (error instanceof PetrelError) throw new PetrelError(error.code, error.message, { cause: error, details: error.details, nonRetryable: error.status < 500 });
              throw error;
            });
            const view = redactor.registerCredential(values, { placeholderFor: (field) => `petrel_secret_${fieldLabel(field)}_${stableSuffix(runId, key, field)}` });
            // The system prompt says what placeholders are; the view carries only them.
            parameters[key] = view;
          }
          const values: string[] = [];
          for (const view of Object.values(parameters)) {
            if (typeof view !== 'object' || view === null) continue;
            for (const placeholder of Object.values(view as Record<string, unknown>)) {
              if (typeof placeholder !== 'string') continue;
              const value = redactor.findSecret(placeholder);
              if (value !== undefined) values.push(value);
            }
          }
          return {
            redactor,
            parameters: Object.keys(parameters).length === 0 ? undefined : parameters,
            values,
            logger: createRedactingLogger(logger.child({ runId }), redactor),
          };
        })();
        runs.set(runId, pending);
        pending.catch(() => runs.delete(runId));
      }
      return pending;
    },

    codePlaceholder(runId, slot) {
      return `petrel_secret_verification_code_${stableSuffix(runId, 'verification_code', slot)}`;
    },

    registerCode(runId, slot, code) {
      const redactor = redactorOf(runId);
      const placeholder = runtime.codePlaceholder(runId, slot);
      if (redactor.findSecret(placeholder) !== undefined) return placeholder;
      // A code seen before (pushed twice) keeps its first placeholder; both reveal the same value.
      return redactor.register(code, { label: 'verification_code', placeholder });
    },

    forget(runId) {
      runs.delete(runId);
      redactors.delete(runId);
      currentStep.delete(runId);
    },
  };
  return runtime;
}
