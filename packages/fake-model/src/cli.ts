// `npm run fake-model -- [--port 8787] [--host 127.0.0.1] [--script FILE] [--latency MS] [--api-key KEY]`
// Serves the fake model for demos. FILE is a JSON array of turns, or a JS/TS module whose default
// export is an array of turns or a `respond(request)` function. Without a script it answers with the
// echo policy. Stops on Ctrl-C.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startFakeModel } from './fake-model.ts';
import type { FakeModelOptions } from './fake-model.ts';

const usage = 'usage: fake-model [--port 8787] [--host 127.0.0.1] [--script turns.json|respond.js] [--latency ms] [--api-key key]';

async function loadScript(file: string): Promise<Pick<FakeModelOptions, 'script' | 'respond'>> {
  const path = resolve(file);
  if (path.endsWith('.json')) {
    const turns: unknown = JSON.parse(await readFile(path, 'utf8'));
    if (!Array.isArray(turns)) throw new Error(`${file}: expected a JSON array of turns`);
    return { script: turns };
  }
  const module = (await import(pathToFileURL(path).href)) as { default?: unknown };
  if (Array.isArray(module.default)) return { script: module.default };
  if (typeof module.default === 'function') return { respond: module.default as NonNullable<FakeModelOptions['respond']> };
  throw new Error(`${file}: the default export must be an array of turns or a respond(request) function`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8787' },
      host: { type: 'string', default: '127.0.0.1' },
      script: { type: 'string' },
      latency: { type: 'string' },
      'api-key': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    console.log(usage);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer from 0 to 65535\n${usage}`);
  const options: FakeModelOptions = { port, host: values.host };
  if (values.script !== undefined) Object.assign(options, await loadScript(values.script));
  if (values.latency !== undefined) options.latencyMs = Number(values.latency);
  if (values['api-key'] !== undefined) options.apiKey = values['api-key'];

  const fake = await startFakeModel(options);
  console.log(`fake-model listening on ${fake.url} (${values.script === undefined ? 'echo policy' : `script ${values.script}`})`);
  console.log(`  OpenAI / OpenAI-compatible base URL: ${fake.openaiBaseUrl}`);
  console.log(`  Anthropic base URL (@ai-sdk/anthropic): ${fake.anthropicBaseUrl}`);
  console.log(`  Google base URL (@ai-sdk/google):       ${fake.googleBaseUrl}`);
  const stop = (): void => {
    console.log(`fake-model: stopping after ${fake.requests.length} request(s)`);
    void fake.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`fake-model: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
