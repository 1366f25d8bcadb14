// One structured-output call through the model layer.
//
//   node examples/models/structured-output.ts
//
// By default it starts the fake model on 127.0.0.1 and lets it answer from the "page" in the prompt,
// so it runs offline. To ask a real model instead, set PETREL_LLM_PROVIDER (openai, anthropic, google,
// openai-compatible), PETREL_LLM_MODEL, PETREL_LLM_API_KEY and, for openai-compatible servers such as
// Ollama, PETREL_LLM_BASE_URL (e.g. http://127.0.0.1:11434/v1).
import { compileExtractionSchema, createLanguageModel, createSecretRedactor, parseExtractionOutput } from '@petrel/agent';
import type { ModelConfig, ModelProvider } from '@petrel/agent';
import { startFakeModel } from '@petrel/fake-model';

const page = `[1] <h1>Order ORD-10042</h1>
[2] <span>Status: shipped</span>
[3] <td>Total</td><td>€1,234.50</td>
[4] <input type="password" value="hunter2-example">`;

// What the user wants, as a Skyvern-style data_extraction_schema (optional fields are fine).
const extraction = compileExtractionSchema({
  type: 'object',
  properties: {
    order_id: { type: 'string', pattern: '^ORD-' },
    status: { type: 'string', enum: ['pending', 'shipped', 'delivered'] },
    total_eur: { type: 'number', minimum: 0 },
    tracking_number: { type: 'string' },
  },
  required: ['order_id', 'status', 'total_eur'],
});

const env = process.env;
await using fake = env.PETREL_LLM_PROVIDER
  ? undefined
  : await startFakeModel({
      // A scripted "model" that reads the observation out of the prompt, as a test would.
      respond: (request) => {
        const text = request.lastUserText;
        return {
          object: {
            order_id: /Order (ORD-\d+)/.exec(text)?.[1] ?? '',
            status: /Status: (\w+)/.exec(text)?.[1] ?? 'pending',
            total_eur: Number((/€([\d,.]+)/.exec(text)?.[1] ?? '0').replaceAll(',', '')),
            tracking_number: null,
          },
        };
      },
    });

const config: ModelConfig = fake
  ? { provider: 'openai', model: 'gpt-4o-mini', baseUrl: fake.openaiBaseUrl, apiKey: 'not-needed-for-the-fake' }
  : {
      provider: env.PETREL_LLM_PROVIDER as ModelProvider,
      model: env.PETREL_LLM_MODEL ?? '',
      ...(env.PETREL_LLM_API_KEY ? { apiKey: env.PETREL_LLM_API_KEY } : {}),
      ...(env.PETREL_LLM_BASE_URL ? { baseUrl: env.PETREL_LLM_BASE_URL } : {}),
    };

const model = createLanguageModel(config); // throws LLM_NOT_CONFIGURED at once if something is missing
const secrets = createSecretRedactor();
secrets.register('hunter2-example', { label: 'password' }); // the page shows it; the model must not see it

const result = await model.generate({
  system: 'Extract the requested data from the page. Use null for anything the page does not show.',
  messages: [{ role: 'user', content: page }],
  output: { schema: extraction.outputSchema, name: 'extraction' },
  redactor: secrets,
  signal: AbortSignal.timeout(60_000),
});

const extracted = parseExtractionOutput(extraction, result.object);
console.log('provider/model:', `${result.provider}/${result.model}`);
console.log('extracted:', extracted.ok ? extracted.data : `invalid: ${extracted.message}`);
console.log('tokens in/out:', result.usage.inputTokens, '/', result.usage.outputTokens, ' cost (USD):', result.costUsd ?? 'unknown');
console.log('request sent to', result.request.url, `(${result.request.body.length} bytes, password redacted: ${!result.request.body.includes('hunter2-example')})`);
