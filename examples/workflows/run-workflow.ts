// Runs one block workflow of this folder against the fixture portal and shows what it did:
//
//   node examples/workflows/run-workflow.ts portal-invoices.yaml
//   node examples/workflows/run-workflow.ts my-workflow.yaml --param portal_url=http://127.0.0.1:4000
//
// It starts a local Petrel in this process (the portal, headless Chromium, the engine on SQLite in a
// temporary folder, an in-memory vault holding the portal's demo login as `cred_demo`, an in-memory
// mailer), saves the definition as a workflow, runs it with the example's parameters (see
// example-cases.ts; `--param key=value` adds or overrides), and prints one line per block of the
// timeline, every `<label>_output`, the emails sent, and the files the run downloaded (copied to a
// folder it names).
//
// Offline by default: a scripted fake model answers, reading each page out of its prompt. To use a
// real model set PETREL_LLM_PROVIDER (openai, anthropic, google, openai-compatible), PETREL_LLM_MODEL,
// PETREL_LLM_API_KEY and, for OpenAI-compatible servers, PETREL_LLM_BASE_URL (and
// PETREL_LLM_STRUCTURED=1 when it honours json_schema output).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelConfig, ModelProvider } from '@petrel/agent';
import type { MailMessage } from '@petrel/blocks';
import type { WorkflowRunResponse, WorkflowRunTimeline } from '@petrel/protocol';
import { startLocalPetrel } from '../../packages/blocks/test/support/local-petrel.ts';
import type { LocalPetrel } from '../../packages/blocks/test/support/local-petrel.ts';
import { EXAMPLE_CASES, exampleBody } from './example-cases.ts';

const here = fileURLToPath(new URL('.', import.meta.url));

/** A real model from PETREL_LLM_* (the examples read env; library code never does). */
export function modelFromEnv(env: NodeJS.ProcessEnv = process.env): ModelConfig | undefined {
  if (!env.PETREL_LLM_PROVIDER) return undefined;
  return {
    provider: env.PETREL_LLM_PROVIDER as ModelProvider,
    model: env.PETREL_LLM_MODEL ?? '',
    ...(env.PETREL_LLM_API_KEY ? { apiKey: env.PETREL_LLM_API_KEY } : {}),
    ...(env.PETREL_LLM_BASE_URL ? { baseUrl: env.PETREL_LLM_BASE_URL } : {}),
    ...(env.PETREL_LLM_STRUCTURED === '1' ? { supportsStructuredOutputs: true } : {}),
  };
}

/** Creates the example's workflow, runs it (answering what its case answers) and waits for its end. */
export async function runExample(petrel: LocalPetrel, file: string, extra: Record<string, unknown> = {}): Promise<WorkflowRunResponse> {
  const name = basename(file);
  const path = isAbsolute(file) || file.includes('/') ? resolve(file) : join(here, file);
  const body = exampleBody(await readFile(path, 'utf8'), name, petrel);
  const exampleCase = EXAMPLE_CASES[name];
  const workflow = await petrel.service.createWorkflow(petrel.namespace, body);
  const started = await petrel.service.runWorkflow(petrel.namespace, {
    workflow_id: workflow.workflow_permanent_id,
    parameters: { ...exampleCase?.parameters(petrel), ...extra },
  });
  const during = exampleCase?.during?.(petrel, started.run_id);
  const done = await petrel.service.waitForWorkflowRun(petrel.namespace, started.run_id, { timeoutMs: 300_000 });
  await during;
  return done;
}

function timelineText(nodes: readonly WorkflowRunTimeline[], depth = 0): string[] {
  return nodes.flatMap((node) => {
    const block = node.block;
    if (!block) return [];
    const where = block.current_index === null ? '' : ` [${block.current_index}]`;
    const extra = [block.duration === null ? '' : `${block.duration.toFixed(1)} s`, block.downloaded_file_count ? `${block.downloaded_file_count} file(s)` : '', block.failure_reason ?? ''].filter(Boolean).join(', ');
    return [`${'  '.repeat(depth + 1)}${`${block.label}${where}`.padEnd(28 - depth * 2)} ${block.status.padEnd(10)} ${extra}`.trimEnd(), ...timelineText(node.children, depth + 1)];
  });
}

function short(value: unknown, max = 300): string {
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--') && !args[args.indexOf(a) - 1]?.startsWith('--param'));
  if (!file) {
    console.error('usage: node examples/workflows/run-workflow.ts <definition.yaml|.json> [--param key=value]…');
    process.exit(2);
  }
  const extra: Record<string, unknown> = {};
  args.forEach((arg, index) => {
    if (arg !== '--param') return;
    const [key = '', ...value] = (args[index + 1] ?? '').split('=');
    extra[key] = value.join('=');
  });
  const model = modelFromEnv();
  await using petrel = await startLocalPetrel(model ? { model } : {});
  console.log(`portal: ${petrel.portal.url}${model ? `, model: ${model.provider}/${model.model}` : ', model: the offline fake'}`);
  const run = await runExample(petrel, file, extra);
  console.log(`run ${run.run_id} of ${run.workflow_title ?? run.workflow_permanent_id} (version ${run.workflow_version})`);
  console.log(timelineText(await petrel.service.getWorkflowRunTimeline(petrel.namespace, run.run_id)).join('\n'));
  console.log(`status: ${run.status}${run.failure_reason ? ` (${run.failure_reason})` : ''}`);
  console.log(`agent steps: ${run.step_count ?? 0}, tokens in/out: ${run.input_tokens}/${run.output_tokens}`);
  for (const [key, value] of Object.entries(run.output ?? {})) console.log(`  ${key}: ${short(value)}`);
  for (const mail of (petrel.mailer as unknown as { sent?: readonly MailMessage[] }).sent ?? []) {
    console.log(`email to ${mail.to.join(', ')}: "${mail.subject}"${mail.attachments?.length ? `, attachments: ${mail.attachments.map((a) => a.filename).join(', ')}` : ''}`);
  }
  if ((run.downloaded_files ?? []).length > 0) {
    const folder = join(tmpdir(), 'petrel-examples', run.run_id);
    await mkdir(folder, { recursive: true });
    for (const download of run.downloaded_files ?? []) {
      const key = (await petrel.blobStore.list(`runs/${run.run_id}/${download.artifact_id}-`))[0]?.key;
      if (!key || !download.filename) continue;
      await writeFile(join(folder, download.filename), (await petrel.blobStore.get(key)).body);
    }
    console.log(`files (${run.downloaded_files?.length}) saved in ${folder}: ${(run.downloaded_files ?? []).map((f) => `${f.filename} (${f.file_size} bytes)`).join(', ')}`);
  }
  process.exitCode = run.status === 'completed' ? 0 : 1;
}
