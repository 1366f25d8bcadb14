// A browser task from a prompt, on the fixture portal:
//
//   node examples/agent/portal-task.ts
//
// "Log in, filter last month's orders and give me the totals as JSON": the agent logs in with a stored
// credential (password + TOTP; the model sees placeholders only), filters the order list, reads it
// page by page and returns data that matches the schema below. It runs as a durable workflow on the
// engine (SQLite in a temporary folder) with headless Chromium.
//
// Offline by default: the fake model answers with @petrel/testing's portal policy, which reads the
// page out of each prompt and picks element ids by role and name, as a model would.
// To use a real model, set PETREL_LLM_PROVIDER (openai, anthropic, google, openai-compatible),
// PETREL_LLM_MODEL, PETREL_LLM_API_KEY and, for an OpenAI-compatible server (Ollama, vLLM, LM Studio,
// OpenRouter), PETREL_LLM_BASE_URL (e.g. http://127.0.0.1:11434/v1); PETREL_LLM_STRUCTURED=1 when that
// server honours `response_format: json_schema`.
//
// The portal's orders run from January to June 2026, so the run's clock is set to 15 July 2026: "last
// month" is June for the model too (the date is in every prompt).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBrowserPool, createDiskBlobStore } from '@petrel/browser';
import { createEngine, createSqliteStore } from '@petrel/engine';
import { startFakeModel } from '@petrel/fake-model';
import { DEMO_USER, startPortal } from '@petrel/fixture-portal';
import { portalPolicy } from '@petrel/testing';
import { TASK_WORKFLOW_NAME, createAgentRuntime, createMemoryCredentialResolver, createRunBrowserManager, createTaskService } from '@petrel/agent';
import type { AgentStepRecord, ModelConfig, ModelProvider } from '@petrel/agent';

const schema = {
  type: 'object',
  properties: {
    orders: {
      type: 'array',
      items: {
        type: 'object',
        properties: { order_id: { type: 'string' }, date: { type: 'string' }, status: { type: 'string' }, total: { type: 'number' }, url: { type: 'string' } },
        required: ['order_id', 'date', 'total'],
      },
    },
    order_count: { type: 'integer' },
    grand_total: { type: 'number', description: 'Sum of the order totals, in dollars' },
  },
  required: ['orders', 'order_count', 'grand_total'],
};

const env = process.env;
const work = await mkdtemp(join(tmpdir(), 'petrel-agent-example-'));
await using portal = await startPortal({ cookieBanner: false });
await using fake = env.PETREL_LLM_PROVIDER
  ? undefined
  : await startFakeModel({ respond: portalPolicy() });
const model: ModelConfig = fake
  ? { provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.openaiBaseUrl, supportsStructuredOutputs: true }
  : {
      provider: env.PETREL_LLM_PROVIDER as ModelProvider,
      model: env.PETREL_LLM_MODEL ?? '',
      ...(env.PETREL_LLM_API_KEY ? { apiKey: env.PETREL_LLM_API_KEY } : {}),
      ...(env.PETREL_LLM_BASE_URL ? { baseUrl: env.PETREL_LLM_BASE_URL } : {}),
      ...(env.PETREL_LLM_STRUCTURED === '1' ? { supportsStructuredOutputs: true } : {}),
    };

// The ports a server would provide: a browser pool, a vault (here in memory), the engine's store.
const pool = createBrowserPool({ blobStore: createDiskBlobStore({ root: join(work, 'blobs') }), downloadsRoot: join(work, 'downloads') });
const browsers = createRunBrowserManager({ pool });
const credentials = createMemoryCredentialResolver();
credentials.set('default', 'cred_portal', { credential_type: 'password', username: DEMO_USER.email, password: DEMO_USER.password, totp: DEMO_USER.totpSecret });
const clockStart = Date.now();
const runtime = createAgentRuntime({ browsers, model, credentials, now: () => Date.parse('2026-07-15T10:00:00Z') + Date.now() - clockStart });
const store = await createSqliteStore({ dataDir: join(work, 'engine') });
const engine = await createEngine({ store, slots: 2 });
const tasks = createTaskService({ engine, runtime });

try {
  const started = await tasks.runTask(
    'default',
    { prompt: "Log in, filter last month's orders and give me the totals as JSON.", url: `${portal.url}/login`, data_extraction_schema: schema, max_steps: 12 },
    { credentials: { portal: 'cred_portal' } },
  );
  console.log(`run ${started.run_id}: ${started.status}`);
  const run = await tasks.waitForTaskRun('default', started.run_id, { timeoutMs: 600_000 });
  const details = await engine.instances.get({ workflow: TASK_WORKFLOW_NAME, id: run.run_id }, { steps: true });
  for (const step of details.steps) {
    if (step.type === 'do' && /^agent-step-\d+$/.test(step.name)) {
      const record = step.output as AgentStepRecord;
      console.log(`  step ${record.step}: ${record.history}`);
    }
  }
  const output = run.output as { orders?: unknown[]; order_count?: number; grand_total?: number } | null;
  console.log(`status: ${run.status}${run.failure_reason ? ` (${run.failure_reason})` : ''}`);
  console.log(`orders: ${output?.order_count ?? '-'}, grand total: ${output?.grand_total ?? '-'}; first: ${JSON.stringify(output?.orders?.[0] ?? null)}`);
  console.log(`steps: ${run.step_count}, tokens in/out: ${run.input_tokens}/${run.output_tokens}, cost: ${run.total_cost === null ? 'unknown (no price for this model)' : `$${run.total_cost}`}`);
  process.exitCode = run.status === 'completed' ? 0 : 1;
} finally {
  await engine.close();
  await store.close();
  await browsers.close();
  await pool.close();
  await rm(work, { recursive: true, force: true });
}
