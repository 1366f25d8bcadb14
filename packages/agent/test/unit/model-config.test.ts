// Model configuration: missing configuration fails at once with LLM_NOT_CONFIGURED, bad fields with
// VALIDATION_FAILED naming the field, defaults are filled in, and a run's `model_name` override changes
// only the model id.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPetrelError } from '@petrel/protocol';
import { compileModelConfig, createLanguageModel, resolveModelConfig } from '@petrel/agent';
import type { ModelConfig } from '@petrel/agent';

function rejectsWith(fn: () => unknown, code: string, pattern?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isPetrelError(error), `expected a PetrelError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

test('no configuration at all is LLM_NOT_CONFIGURED, at once', () => {
  rejectsWith(() => createLanguageModel(undefined), 'LLM_NOT_CONFIGURED', /no language model is configured/);
  rejectsWith(() => createLanguageModel(null), 'LLM_NOT_CONFIGURED');
  rejectsWith(() => createLanguageModel({ model: 'gpt-4o' } as ModelConfig), 'LLM_NOT_CONFIGURED', /provider is missing/);
  rejectsWith(() => createLanguageModel({ provider: 'openai', model: '' }), 'LLM_NOT_CONFIGURED', /model is missing/);
});

test('a provider that needs a key or a base URL without one is LLM_NOT_CONFIGURED', () => {
  for (const provider of ['openai', 'anthropic', 'google'] as const) {
    rejectsWith(() => compileModelConfig({ provider, model: 'm' }), 'LLM_NOT_CONFIGURED', new RegExp(`${provider} needs an apiKey`));
  }
  rejectsWith(() => compileModelConfig({ provider: 'openai-compatible', model: 'llama3.1' }), 'LLM_NOT_CONFIGURED', /needs a baseUrl/);
  // Ollama needs no key.
  const ollama = compileModelConfig({ provider: 'openai-compatible', model: 'llama3.1', baseUrl: 'http://127.0.0.1:11434/v1/' });
  assert.equal(ollama.baseUrl, 'http://127.0.0.1:11434/v1');
  assert.equal(ollama.apiKey, undefined);
});

test('invalid fields are VALIDATION_FAILED naming the field; the key never appears in messages', () => {
  const base = { provider: 'openai', model: 'gpt-4o', apiKey: 'sk-very-secret' } as const;
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ provider: 'cohere' }, 'provider'],
    [{ baseUrl: 'not a url' }, 'baseUrl'],
    [{ baseUrl: 'ftp://example.com' }, 'baseUrl'],
    [{ maxRetries: -1 }, 'maxRetries'],
    [{ maxRetries: 1.5 }, 'maxRetries'],
    [{ timeoutMs: 0 }, 'timeoutMs'],
    [{ api: 'assistants' }, 'api'],
    [{ prices: { 'gpt-4o': { inputPerMillion: -1, outputPerMillion: 1 } } }, 'prices.gpt-4o.inputPerMillion'],
  ];
  for (const [patch, field] of cases) {
    assert.throws(
      () => compileModelConfig({ ...base, ...patch }),
      (error: unknown) => {
        assert.ok(isPetrelError(error));
        assert.equal(error.code, 'VALIDATION_FAILED', JSON.stringify(patch));
        assert.deepEqual(error.details, { field });
        assert.doesNotMatch(error.message, /sk-very-secret/);
        return true;
      },
    );
  }
});

test('defaults are filled in', () => {
  const c = compileModelConfig({ provider: 'anthropic', model: 'claude-sonnet-4-5', apiKey: 'k' });
  assert.equal(c.maxRetries, 2);
  assert.equal(c.retryBaseDelayMs, 1000);
  assert.equal(c.maxRetryDelayMs, 30_000);
  assert.equal(c.timeoutMs, 120_000);
  assert.equal(c.api, 'responses');
  assert.equal(c.supportsStructuredOutputs, false);
  assert.deepEqual(c.headers, {});
  assert.deepEqual(c.prices, {});
  const model = createLanguageModel({ provider: 'google', model: 'gemini-2.5-flash', apiKey: 'k' });
  assert.equal(model.provider, 'google');
  assert.equal(model.model, 'gemini-2.5-flash');
});

test('resolveModelConfig: model_name replaces only the model id', () => {
  const base: ModelConfig = { provider: 'openai-compatible', model: 'llama3.1', baseUrl: 'https://openrouter.ai/api/v1', apiKey: 'k' };
  assert.equal(resolveModelConfig(base, undefined), base);
  assert.equal(resolveModelConfig(base, { model_name: null }), base);
  const resolved = resolveModelConfig(base, { model_name: ' anthropic/claude-sonnet-4.5 ', base_url: 'https://evil.example' });
  assert.deepEqual(resolved, { ...base, model: 'anthropic/claude-sonnet-4.5' });
  rejectsWith(() => resolveModelConfig(undefined, { model_name: 'gpt-4o' }), 'LLM_NOT_CONFIGURED');
  rejectsWith(() => resolveModelConfig(base, { model_name: '' }), 'VALIDATION_FAILED', /model_name/);
  rejectsWith(() => resolveModelConfig(base, { model_name: 42 as unknown as string }), 'VALIDATION_FAILED');
  rejectsWith(() => resolveModelConfig(base, { model_name: 'gpt-5' }, { allowedModels: ['llama3.1'] }), 'VALIDATION_FAILED', /not one of the models/);
  assert.equal(resolveModelConfig(base, { model_name: 'llama3.1' }, { allowedModels: ['llama3.1'] }).model, 'llama3.1');
});
