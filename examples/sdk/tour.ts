// A tour of @petrel/sdk:
//
//   node examples/sdk/tour.ts
//
// Starts a Petrel server inside this process (`Petrel.local()`, a temporary data directory), stores a
// credential, runs a browser task on the fixture portal while printing its live events, reads the
// run's timeline and screenshots, checks the signed webhook the run sent with `verifyWebhook`, and
// shows a typed error. Everything stays on 127.0.0.1.
//
// Offline by default: the fixture portal is the site and the fake model answers (it completes the
// task and extracts what the schema asks for). With PETREL_LLM_PROVIDER, PETREL_LLM_MODEL,
// PETREL_LLM_API_KEY (and PETREL_LLM_BASE_URL) set, the server uses that model instead.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sampleFromSchema, startFakeModel } from '@petrel/fake-model';
import { DEMO_USER, startPortal } from '@petrel/fixture-portal';
import { NotFoundError, Petrel, verifyWebhook } from '@petrel/sdk';

await using portal = await startPortal({ cookieBanner: false });
await using fake = process.env.PETREL_LLM_PROVIDER
  ? undefined
  : await startFakeModel({
      respond: (request) => {
        const format = request.responseFormat;
        if (format?.type === 'json_schema') {
          const isCheck = 'user_goal_achieved' in ((format.schema as { properties?: object }).properties ?? {});
          return { object: isCheck ? { user_goal_achieved: true, reasoning: 'The page is shown.' } : { ...(sampleFromSchema(format.schema) as object), site_name: 'Ember Supply' } };
        }
        return request.tools.some((t) => t.name === 'complete') ? { toolCalls: [{ name: 'complete', input: { reasoning: 'The sign-in page is open.' } }] } : undefined;
      },
    });
const env = fake ? { PETREL_LLM_PROVIDER: 'openai-compatible', PETREL_LLM_MODEL: 'fake-model', PETREL_LLM_BASE_URL: fake.openaiBaseUrl, PETREL_LLM_STRUCTURED: '1' } : process.env;

// A webhook receiver that keeps the raw bodies and headers.
const received: { body: string; headers: Record<string, string | string[] | undefined> }[] = [];
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
    res.end('ok');
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/petrel`;

try {
  await using petrel = await Petrel.local({ env });
  console.log(`server: ${petrel.server.url}`);

  const credential = await petrel.createCredential({
    name: 'ember supply',
    credentialType: 'password',
    credential: { username: DEMO_USER.email, password: DEMO_USER.password },
  });
  console.log(`credential: ${credential.credentialId} (${credential.credentialType}, username ${'username' in credential.credential ? credential.credential.username : '?'})`);

  const run = await petrel.runTask({
    prompt: 'Open the sign-in page and tell me the name of the site.',
    url: `${portal.url}/login`,
    dataExtractionSchema: { type: 'object', properties: { site_name: { type: 'string' } }, required: ['site_name'] },
    webhookUrl,
    waitForCompletion: true,
    timeout: '2 minutes',
    onEvent: (event) => console.log(`event: ${event.type}${typeof event.status === 'string' ? ` ${event.status}` : ''}`),
  });
  console.log(`run: ${run.runId} ${run.status}, output ${JSON.stringify(run.output)}, ${run.stepCount} step(s)`);

  const timeline = await petrel.getRunTimeline(run.runId);
  console.log(`timeline: ${timeline.map((node) => `${node.block?.blockType}:${node.block?.status}`).join(', ')}`);
  const screenshots = await petrel.getRunArtifacts(run.runId, { artifactType: ['screenshot_final', 'screenshot_action', 'screenshot_llm'] });
  if (screenshots[0] !== undefined) {
    const bytes = await (await petrel.getArtifactContent(screenshots[0].artifactId)).arrayBuffer();
    console.log(`screenshots: ${screenshots.length}, the first is ${bytes.byteLength} bytes`);
  }

  // The run's webhook: signed with the organization's secret over the raw body.
  const { secret } = await petrel.getWebhookSecret();
  for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  const delivery = received[0];
  if (delivery !== undefined) {
    console.log(`webhook: verified ${await verifyWebhook(delivery.body, delivery.headers, secret)}, tampered ${await verifyWebhook(delivery.body.replace(run.runId, 'tsk_other'), delivery.headers, secret)}`);
  }

  try {
    await petrel.getRun('tsk_does_not_exist');
  } catch (error) {
    if (error instanceof NotFoundError) console.log(`error: ${error.name} ${error.statusCode} ${error.code}`);
  }
} finally {
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
}
