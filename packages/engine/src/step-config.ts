// Step configs: defaults, strict validation (unknown keys are refused, as Cloudflare does), and the
// retry delay math: exponential = delay * 2^(n-1), linear = delay * n, constant = delay, where n is
// the number of failed attempts so far. No jitter, no cap, as in Cloudflare Workflows.
import { LIMITS, PetrelError, parseDuration } from '@petrel/protocol';
import type { Duration } from '@petrel/protocol';
import type { Backoff, StoredStepConfig } from './store.ts';

/** The context a step callback receives (Cloudflare's `WorkflowStepContext` plus an abort signal). */
export type StepContext = {
  step: { name: string; count: number };
  /** The attempt number, from 1. */
  attempt: number;
  /** The resolved config (without a delay function). */
  config: StoredStepConfig;
  /** Aborted on timeout, terminate, restart, lost lease and engine shutdown. */
  signal: AbortSignal;
};

/** A delay computed from the failure: called once per failed attempt, with 5 s to answer. */
export type DelayFunction = (input: { ctx: StepContext; error: Error }) => Duration | Promise<Duration>;

/** The config of `step.do`. */
export type StepConfig = {
  retries?: { limit?: number; delay?: Duration | DelayFunction; backoff?: Backoff };
  /** Per attempt; default 10 minutes. */
  timeout?: Duration;
  /** `"output"`: the output is `"[REDACTED]"` on every read surface; later steps still get it. */
  sensitive?: 'output';
};

/** Defaults of step configs (Cloudflare's): 5 retries, 10 s, exponential, 10 minutes per attempt. */
export const DEFAULT_STEP_CONFIG: StoredStepConfig = Object.freeze({
  retries: Object.freeze({ limit: 5, delay: 10_000, backoff: 'exponential' as const }),
  timeout: 600_000,
}) as StoredStepConfig;

/** A validated config: what is stored, plus the delay function when there is one. */
export type ResolvedStepConfig = { stored: StoredStepConfig; delayFn?: DelayFunction };

const CONFIG_KEYS = new Set(['retries', 'timeout', 'sensitive']);
const RETRY_KEYS = new Set(['limit', 'delay', 'backoff']);
const BACKOFFS = new Set(['constant', 'linear', 'exponential']);

function invalid(step: string, detail: string): PetrelError {
  return new PetrelError('INVALID_STEP_CONFIG', `step.do: config of step "${step.slice(0, 64)}" is invalid: ${detail}`);
}

/** Validates a step config and merges it over `defaults`; throws `INVALID_STEP_CONFIG` naming the bad field. */
export function resolveStepConfig(step: string, config: unknown, defaults: StoredStepConfig = DEFAULT_STEP_CONFIG): ResolvedStepConfig {
  if (config === undefined) return { stored: defaults };
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw invalid(step, 'expected an object');
  for (const key of Object.keys(config)) if (!CONFIG_KEYS.has(key)) throw invalid(step, `unknown key "${key}"`);
  const input = config as StepConfig;
  const retries = { ...defaults.retries };
  let delayFn: DelayFunction | undefined;
  if (input.retries !== undefined) {
    if (input.retries === null || typeof input.retries !== 'object') throw invalid(step, 'retries must be an object');
    for (const key of Object.keys(input.retries)) if (!RETRY_KEYS.has(key)) throw invalid(step, `unknown key "retries.${key}"`);
    const { limit, delay, backoff } = input.retries;
    if (limit !== undefined) {
      if (!Number.isInteger(limit) || limit < 0 || limit > LIMITS.retriesMax) {
        throw invalid(step, `retries.limit must be an integer from 0 to ${LIMITS.retriesMax}`);
      }
      retries.limit = limit;
    }
    if (delay !== undefined) {
      if (typeof delay === 'function') {
        delayFn = delay;
        retries.delay = '[dynamic]';
      } else {
        try {
          retries.delay = parseDuration(delay, 'retries.delay');
        } catch (error) {
          throw invalid(step, (error as Error).message);
        }
      }
    }
    if (backoff !== undefined) {
      if (!BACKOFFS.has(backoff)) throw invalid(step, 'retries.backoff must be constant, linear or exponential');
      retries.backoff = backoff;
    }
  }
  let timeout = defaults.timeout;
  if (input.timeout !== undefined) {
    try {
      timeout = parseDuration(input.timeout, 'timeout');
    } catch (error) {
      throw invalid(step, (error as Error).message);
    }
    if (timeout <= 0) throw invalid(step, 'timeout must be more than 0');
  }
  const stored: StoredStepConfig = { retries, timeout };
  if (input.sensitive !== undefined) {
    if (input.sensitive !== 'output') throw invalid(step, 'sensitive must be "output"');
    stored.sensitive = 'output';
  }
  return delayFn ? { stored, delayFn } : { stored };
}

/** The delay before the next attempt after `failures` failed attempts (1 after the first). */
export function retryDelayMs(backoff: Backoff, baseMs: number, failures: number): number {
  if (backoff === 'exponential') return baseMs * 2 ** (failures - 1);
  if (backoff === 'linear') return baseMs * failures;
  return baseMs;
}

/** True when another attempt is allowed after `failures` failed attempts (`limit` counts retries). */
export function willRetry(limit: number, failures: number): boolean {
  return failures <= limit;
}
