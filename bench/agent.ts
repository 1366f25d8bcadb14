// `npm run bench:agent [-- --quick] [-- --json]`: the agent loop on the fixture portal with the fake model
// answering with @petrel/testing's portal policy (it reads each prompt as a model would): "log in (with
// TOTP), filter last month's orders, give me the totals as JSON" — 7 agent steps over 5 pages, plus a
// completion check and a final extraction.
// Everything is real but the model: engine on a SQLite file, headless Chromium with traces and
// per-action screenshots, artifacts on disk.
// - agent_overhead_ms_p50: per agent step, the step's attempt time (engine) minus its model time and
//   minus the time inside the browser's act() (the clicks and page loads the model asked for: the work,
//   not overhead), and minus the benchmark's own Skyvern serialisation done inside the step. What is
//   left: getting the browser, observing, building the prompt, parsing, the step screenshot,
//   checkpoint, artifacts, the engine's step write. `step_ms_excluding_model_p50` keeps act() in.
// - prompt_tokens_per_step_p50: o200k_base tokens of each action request: system prompt, user message,
//   and the tool definitions rendered the way OpenAI renders functions into the prompt (a TypeScript
//   namespace; see renderOpenAiTools). `prompt_tokens_json_tools_per_step_p50` counts the tools as raw
//   JSON instead (closer to what some local chat templates insert). `system_and_tools_tokens` is the
//   fixed part (the same every step, cached by providers); `step_message_tokens_p50` the part that
//   changes (goal, parameters, history, page). Chat framing (role markers, ≈3 tokens per message) is
//   counted on neither side.
// - skyvern_tree_tokens_per_step_p50: the same pages at the same moment serialised as Skyvern's trimmed
//   element tree (bench/agent-skyvern-tree.ts), the page part of Skyvern's prompt only.
// - model_calls_per_task: action steps + completion checks + extractions.
// Writes bench/results/agent.json; with --json prints that JSON as the last line.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countTokens, createBrowserPool, createDiskBlobStore, findChromium } from '@petrel/browser';
import { createEngine, createSqliteStore } from '@petrel/engine';
import { startFakeModel } from '@petrel/fake-model';
import { DEMO_USER, startPortal } from '@petrel/fixture-portal';
import { TASK_WORKFLOW_NAME, createAgentRuntime, createMemoryCredentialResolver, createRunBrowserManager, createTaskService } from '@petrel/agent';
import type { AgentStepRecord } from '@petrel/agent';
import { portalPolicy } from '@petrel/testing';
import { skyvernElementTree } from './agent-skyvern-tree.ts';

/** The data extraction schema of the benchmark task. */
const ORDERS_SCHEMA = {
  type: 'object',
  properties: {
    orders: {
      type: 'array',
      items: {
        type: 'object',
        properties: { order_id: { type: 'string' }, date: { type: 'string' }, status: { type: 'string' }, total: { type: 'number' }, url: { type: 'string' } },
        required: ['order_id', 'date', 'status', 'total', 'url'],
      },
    },
    order_count: { type: 'integer' },
    grand_total: { type: 'number' },
  },
  required: ['orders', 'order_count', 'grand_total'],
};

const quick = process.argv.includes('--quick');
const json = process.argv.includes('--json');
const tasks = quick ? 2 : 6;
if (!findChromium()) {
  console.error('bench: no Chromium found; run npm run setup');
  process.exit(1);
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? Number.NaN : sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
};
const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;
const log = (line: string): void => {
  if (!json) console.error(line);
};

const work = await mkdtemp(join(tmpdir(), 'petrel-bench-agent-'));
const portal = await startPortal({ cookieBanner: false });
const fake = await startFakeModel({ respond: portalPolicy() });
const pool = createBrowserPool({
  blobStore: createDiskBlobStore({ root: join(work, 'blobs') }),
  downloadsRoot: join(work, 'downloads'),
  contextDefaults: { video: 'off', trace: true, screenshots: 'action', html: true },
});
const browsers = createRunBrowserManager({ pool });
const credentials = createMemoryCredentialResolver();
credentials.set('default', 'cred_demo', { credential_type: 'password', username: DEMO_USER.email, password: DEMO_USER.password, totp: DEMO_USER.totpSecret });

// The Skyvern tree of every page a step observes, taken inside the step (its time is subtracted).
const observed = new Map<string, { path: string; skyvern: string; ours: string; hookMs: number }>();
const startedAt = Date.now();
const runtime = createAgentRuntime({
  browsers,
  model: { provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.openaiBaseUrl, supportsStructuredOutputs: true, maxRetries: 0 },
  credentials,
  now: () => Date.parse('2026-07-15T10:00:00Z') + Date.now() - startedAt,
  onStepObserved: async ({ runId, step, run, observation }) => {
    const began = performance.now();
    const skyvern = await skyvernElementTree(run.page);
    observed.set(`${runId}:${step}`, { path: new URL(observation.url).pathname, skyvern, ours: observation.text, hookMs: performance.now() - began });
  },
});
const store = await createSqliteStore({ dataDir: join(work, 'engine') });
const engine = await createEngine({ store, slots: 1 });
const service = createTaskService({ engine, runtime });

type JsonSchemaNode = { type?: string | string[]; enum?: unknown[]; items?: JsonSchemaNode; properties?: Record<string, JsonSchemaNode>; required?: string[]; description?: string };

function tsType(node: JsonSchemaNode): string {
  if (Array.isArray(node.enum)) return node.enum.map((v) => JSON.stringify(v)).join(' | ');
  const type = Array.isArray(node.type) ? node.type[0] : node.type;
  if (type === 'integer' || type === 'number') return 'number';
  if (type === 'array') return `${node.items ? tsType(node.items) : 'any'}[]`;
  if (type === 'string' || type === 'boolean') return type;
  return 'object';
}

/** Tools as OpenAI renders functions into the prompt (the format its token accounting is based on). */
function renderOpenAiTools(tools: Array<{ function: { name: string; description?: string; parameters?: JsonSchemaNode } }>): string {
  const lines = ['# Tools', '', '## functions', '', 'namespace functions {', ''];
  for (const { function: fn } of tools) {
    if (fn.description) lines.push(`// ${fn.description}`);
    const properties = Object.entries(fn.parameters?.properties ?? {});
    if (properties.length === 0) {
      lines.push(`type ${fn.name} = () => any;`, '');
      continue;
    }
    lines.push(`type ${fn.name} = (_: {`);
    for (const [name, node] of properties) {
      if (node.description) lines.push(`// ${node.description}`);
      lines.push(`${name}${fn.parameters?.required?.includes(name) ? '' : '?'}: ${tsType(node)},`);
    }
    lines.push('}) => any;', '');
  }
  lines.push('} // namespace functions');
  return lines.join('\n');
}

type StepSample = {
  runId: string;
  step: number;
  path: string;
  overheadMs: number;
  stepMs: number;
  modelMs: number;
  attemptMs: number;
  timings: AgentStepRecord['timings'];
  /** Step time not in any timing (prompt building, parsing, bookkeeping). */
  untimedMs: number;
  /** Attempt time outside the step function (the engine). */
  engineMs: number;
};

async function runOnce(): Promise<{ runId: string; wallMs: number; modelCalls: number; steps: StepSample[]; ok: boolean; inputTokens: number; outputTokens: number }> {
  const began = performance.now();
  const started = await service.runTask(
    'default',
    { prompt: "Log in, filter last month's orders and give me the totals as JSON.", url: `${portal.url}/login`, data_extraction_schema: ORDERS_SCHEMA, max_steps: 12 },
    { credentials: { portal: 'cred_demo' } },
  );
  const run = await service.waitForTaskRun('default', started.run_id, { timeoutMs: 300_000 });
  const wallMs = performance.now() - began;
  const details = await engine.instances.get({ namespace: 'default', workflow: TASK_WORKFLOW_NAME, id: run.run_id }, { steps: true });
  const steps: StepSample[] = [];
  for (const info of details.steps) {
    if (info.type !== 'do' || !/^agent-step-\d+$/.test(info.name)) continue;
    const record = info.output as AgentStepRecord;
    const attempt = info.attempts.at(-1);
    const attemptMs = attempt?.endedAt ? attempt.endedAt.getTime() - attempt.startedAt.getTime() : record.durationMs;
    const seen = observed.get(`${run.run_id}:${record.step}`);
    steps.push({ runId: run.run_id, step: record.step, path: seen?.path ?? '?', modelMs: record.usage.modelMs, attemptMs, overheadMs: attemptMs - record.usage.modelMs - record.timings.act - (seen?.hookMs ?? 0), stepMs: attemptMs - record.usage.modelMs - (seen?.hookMs ?? 0), timings: record.timings,
      untimedMs: record.durationMs - (seen?.hookMs ?? 0) - Object.entries(record.timings).reduce((sum, [key, value]) => (key === 'act' ? sum : sum + value), 0),
      engineMs: attemptMs - record.durationMs });
  }
  const output = run.output as { order_count?: number } | null;
  return { runId: run.run_id, wallMs, modelCalls: run.status === 'completed' ? modelCallsOf(details.output) : 0, steps, ok: run.status === 'completed' && output?.order_count === 44, inputTokens: run.input_tokens, outputTokens: run.output_tokens };
}

function modelCallsOf(output: unknown): number {
  return (output as { usage?: { modelCalls?: number } } | null)?.usage?.modelCalls ?? 0;
}

try {
  log('bench:agent: warm-up task (Chromium launch, tokenizer load; not measured)');
  await runOnce();
  const firstMeasured = fake.requests.length;
  const runs = [];
  for (let i = 0; i < tasks; i++) {
    const result = await runOnce();
    log(`task ${i + 1}/${tasks}: ${result.ok ? 'ok' : 'FAILED'} in ${Math.round(result.wallMs)} ms, ${result.steps.length} steps, ${result.modelCalls} model calls`);
    runs.push(result);
  }
  const steps = runs.flatMap((r) => r.steps);
  const measuredRuns = new Set(runs.map((r) => r.runId));

  // Tokens of every action request as sent (system + user message + tools), and of the pages in both forms.
  const promptTokens: number[] = [];
  const promptTokensJson: number[] = [];
  const systemAndTools: number[] = [];
  const userMessages: number[] = [];
  const promptByPath = new Map<string, number[]>();
  for (const request of fake.requests.slice(firstMeasured)) {
    const parsed = request.request;
    if (!parsed?.tools.some((t) => t.name === 'complete')) continue;
    const wireTools = ((request.body as { tools?: unknown[] }).tools ?? []) as Parameters<typeof renderOpenAiTools>[0];
    const fixed = await countTokens(`${parsed.system}\n${renderOpenAiTools(wireTools)}`);
    const user = await countTokens(parsed.lastUserText);
    systemAndTools.push(fixed);
    userMessages.push(user);
    const path = new URL(/^url: (.*)$/m.exec(parsed.lastUserText)?.[1] ?? 'http://x/?').pathname;
    promptByPath.set(path, [...(promptByPath.get(path) ?? []), fixed + user]);
    if (process.argv.includes('--dump')) console.error(`----- ${fixed} + ${user}\n${renderOpenAiTools(wireTools)}\n${parsed.lastUserText}`);
    promptTokens.push(fixed + user);
    promptTokensJson.push((await countTokens(`${parsed.system}\n${JSON.stringify(wireTools)}`)) + user);
  }
  const pages: Array<{ path: string; ours: number; skyvern: number }> = [];
  for (const [key, page] of observed) {
    if (!measuredRuns.has(key.slice(0, key.lastIndexOf(':')))) continue;
    pages.push({ path: page.path, ours: await countTokens(page.ours), skyvern: await countTokens(page.skyvern) });
  }
  const skyvernTokens = pages.map((p) => p.skyvern);
  const observationTokens = pages.map((p) => p.ours);
  const overheads = steps.map((s) => s.overheadMs);

  const result = {
    agent_overhead_ms_p50: round(median(overheads)),
    agent_overhead_ms_p95: round(percentile(overheads, 95)),
    step_ms_excluding_model_p50: round(median(steps.map((s) => s.stepMs))),
    prompt_tokens_per_step_p50: median(promptTokens),
    prompt_tokens_json_tools_per_step_p50: median(promptTokensJson),
    system_and_tools_tokens: median(systemAndTools),
    step_message_tokens_p50: median(userMessages),
    skyvern_tree_tokens_per_step_p50: median(skyvernTokens),
    observation_tokens_per_step_p50: median(observationTokens),
    model_calls_per_task: median(runs.map((r) => r.modelCalls)),
    steps_per_task: median(runs.map((r) => r.steps.length)),
    task_wall_ms_p50: round(median(runs.map((r) => r.wallMs)), 0),
    model_ms_per_step_p50: round(median(steps.map((s) => s.modelMs))),
    input_tokens_per_task: median(runs.map((r) => r.inputTokens)),
    output_tokens_per_task: median(runs.map((r) => r.outputTokens)),
    tasks_ok: runs.filter((r) => r.ok).length,
    tasks: runs.length,
    steps_measured: steps.length,
    overhead_breakdown_ms_p50: Object.fromEntries<number>([
      ...(['browser', 'observe', 'act', 'actions', 'checkpoint', 'artifacts'] as const).map((key): [string, number] => [key, round(median(steps.map((s) => s.timings[key])))]),
      ['untimed', round(median(steps.map((s) => s.untimedMs)))],
      ['engine', round(median(steps.map((s) => s.engineMs)))],
    ]),
    per_page: Object.values(
      Object.groupBy(
        steps.map((s) => ({ ...s, page: pages.find((p) => p.path === s.path) })),
        (s) => s.path,
      ),
    ).map((group) => {
      const path = group?.[0]?.path ?? '?';
      const forPath = pages.filter((p) => p.path === path);
      return {
        path,
        steps: group?.length ?? 0,
        overhead_ms_p50: round(median((group ?? []).map((s) => s.overheadMs))),
        prompt_tokens_p50: median(promptByPath.get(path) ?? []),
        observation_tokens_p50: median(forPath.map((p) => p.ours)),
        skyvern_tree_tokens_p50: median(forPath.map((p) => p.skyvern)),
      };
    }),
    quick,
    measured_at: new Date().toISOString(),
  };

  const targets: Array<[string, string, string, boolean | undefined]> = [
    ['agent_overhead_ms_p50', `${result.agent_overhead_ms_p50}`, '<= 150', result.agent_overhead_ms_p50 <= 150],
    ['agent_overhead_ms_p95', `${result.agent_overhead_ms_p95}`, '', undefined],
    ['step_ms_excluding_model_p50', `${result.step_ms_excluding_model_p50}`, '', undefined],
    ['prompt_tokens_per_step_p50', `${result.prompt_tokens_per_step_p50}`, `< ${result.skyvern_tree_tokens_per_step_p50}`, result.prompt_tokens_per_step_p50 < result.skyvern_tree_tokens_per_step_p50],
    ['skyvern_tree_tokens_per_step_p50', `${result.skyvern_tree_tokens_per_step_p50}`, '', undefined],
    ['prompt_tokens_json_tools_per_step_p50', `${result.prompt_tokens_json_tools_per_step_p50}`, '', undefined],
    ['system_and_tools_tokens', `${result.system_and_tools_tokens}`, '', undefined],
    ['step_message_tokens_p50', `${result.step_message_tokens_p50}`, '', undefined],
    ['observation_tokens_per_step_p50', `${result.observation_tokens_per_step_p50}`, '', undefined],
    ['model_calls_per_task', `${result.model_calls_per_task}`, '', undefined],
    ['steps_per_task', `${result.steps_per_task}`, '', undefined],
    ['task_wall_ms_p50', `${result.task_wall_ms_p50}`, '', undefined],
    ['tasks_ok', `${result.tasks_ok}/${result.tasks}`, `${result.tasks}/${result.tasks}`, result.tasks_ok === result.tasks],
  ];
  if (!json) {
    console.log('\n| metric | value | target | met |\n|---|---|---|---|');
    for (const [name, value, target, met] of targets) console.log(`| ${name} | ${value} | ${target} | ${met === undefined ? '' : met ? 'yes' : 'NO'} |`);
    console.log(`\noverhead per step (p50 ms): ${Object.entries(result.overhead_breakdown_ms_p50).map(([k, v]) => `${k} ${v}`).join(', ')} (act: the browser doing the actions, not overhead; untimed: prompt and parsing; engine: the step write)`);
    console.log('\n| page | steps | overhead ms p50 | our prompt tokens | our page tokens | Skyvern tree tokens |\n|---|---|---|---|---|---|');
    for (const row of result.per_page) {
      console.log(`| ${row.path} | ${row.steps} | ${row.overhead_ms_p50} | ${row.prompt_tokens_p50} | ${row.observation_tokens_p50} | ${row.skyvern_tree_tokens_p50} |`);
    }
  }
  await mkdir(join(import.meta.dirname, 'results'), { recursive: true });
  await writeFile(join(import.meta.dirname, 'results', 'agent.json'), `${JSON.stringify(result, null, 2)}\n`);
  if (json) console.log(JSON.stringify(result));
} finally {
  await engine.close();
  await store.close();
  await browsers.close();
  await pool.close();
  await fake.close();
  await portal.close();
  await rm(work, { recursive: true, force: true });
}
