// A browser task from a prompt, on the fixture portal:
//
//   node examples/agent/portal-task.ts
//
// "Log in, filter last month's orders and give me the totals as JSON": the agent logs in with a stored
// credential (password + TOTP; the model sees placeholders only), filters the order list, reads it
// page by page and returns data that matches the schema below. It runs as a durable workflow on the
// engine (SQLite in a temporary folder) with headless Chromium.
//
// Offline by default: the fake model answers, reading the page out of each prompt as a model would.
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
import type { FakeTurn } from '@petrel/fake-model';
import { DEMO_USER, startPortal } from '@petrel/fixture-portal';
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

function call(name: string, input: Record<string, unknown> = {}): { name: string; input: unknown } {
  return { name, input };
}

/** The offline "model": finds element ids by their names in the page text of the prompt. */
function fakeAnswer(system: string, text: string, tools: string[]): FakeTurn | undefined {
  const page = text.slice(text.indexOf('PAGE:'));
  const id = (role: string, name: string) => new RegExp(`\\[(e\\d+) ${role}[^\\]]*\\] ${name}`).exec(page)?.[1];
  if (system.startsWith('You check whether')) return { object: { user_goal_achieved: page.includes('/orders?start='), reasoning: 'The filtered list is shown.' } };
  if (system.startsWith('You extract data')) {
    const previous = JSON.parse(/^ALREADY EXTRACTED[^:]*: (.*)$/m.exec(text)?.[1] ?? '{"orders":[]}') as { orders: Array<{ order_id: string; total: number }> };
    const orders = [...previous.orders];
    for (const m of page.matchAll(/\[(e\d+) link \/orders\/ORD-\d+\] (ORD-\d+) \| (\S+) \| (\w+) \| \d+ \| \$([\d,.]+)/g)) {
      if (!orders.some((o) => o.order_id === m[2])) orders.push({ order_id: m[2] ?? '', date: m[3], status: m[4], total: Number((m[5] ?? '0').replaceAll(',', '')), url: m[1] } as never);
    }
    return { object: { orders, order_count: orders.length, grand_total: Math.round(orders.reduce((s, o) => s + o.total * 100, 0)) / 100 } };
  }
  if (!tools.includes('complete')) return undefined;
  const credential = (JSON.parse(/^PARAMETERS: (.*)$/m.exec(text)?.[1] ?? '{}') as Record<string, Record<string, string>>).portal ?? {};
  const url = /^url: (.*)$/m.exec(page)?.[1] ?? '';
  if (url.includes('/login/totp')) return { toolCalls: [call('input_text', { id: id('textbox', 'Verification code'), text: credential.totp }), call('click', { id: id('button', 'Verify') })] };
  if (url.includes('/login')) {
    return {
      toolCalls: [
        call('input_text', { id: id('textbox', 'Email address'), text: credential.username }),
        call('input_text', { id: id('textbox', 'Password'), text: credential.password }),
        call('click', { id: id('button', 'Sign in') }),
      ],
    };
  }
  if (!url.includes('/orders')) return { toolCalls: [call('click', { id: id('link', 'Orders') })] };
  if (!url.includes('start=')) {
    return {
      toolCalls: [
        call('input_text', { id: id('textbox', 'Start date'), text: '2026-06-01' }),
        call('input_text', { id: id('textbox', 'End date'), text: '2026-06-30' }),
        call('click', { id: id('button', 'Filter') }),
      ],
    };
  }
  const next = id('link "[^"]*"', 'Next');
  return { toolCalls: next ? [call('extract'), call('click', { id: next })] : [call('complete', { reasoning: 'All of June is listed.' })] };
}

const env = process.env;
const work = await mkdtemp(join(tmpdir(), 'petrel-agent-example-'));
await using portal = await startPortal({ cookieBanner: false });
await using fake = env.PETREL_LLM_PROVIDER
  ? undefined
  : await startFakeModel({ respond: (request) => fakeAnswer(request.system, request.lastUserText, request.tools.map((t) => t.name)) });
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
