// The non-browser blocks on their own, offline: http_request downloads two invoices from the fixture
// portal (the session cookie is a secret of the run), file_url_parser reads them with a model (the
// fake model answers from the PDF text), a code block adds the amounts up in the sandbox, and
// send_email mails the result with the PDFs attached to an SMTP server on loopback.
//
//   node examples/blocks/non-browser-blocks.ts
//
// In a workflow run the interpreter builds the ExecutorContext and renders each block's templates
// first; here the blocks are plain objects and the context is built by hand.
import { createLanguageModel, createSecretRedactor } from '@petrel/agent';
import { createMemoryRunFiles, createSmtpMailer, executeNonBrowserBlock } from '@petrel/blocks';
import type { ExecutorContext } from '@petrel/blocks';
import { startFakeModel } from '@petrel/fake-model';
import { startPortal } from '@petrel/fixture-portal';
import { BlockSchema } from '@petrel/protocol';
import PostalMime from 'postal-mime';
import { SMTPServer } from 'smtp-server';

await using portal = await startPortal({ cookieBanner: false });
await using fake = await startFakeModel({
  // A scripted "model" that reads the invoice out of the prompt, as a test would.
  respond: (request) => {
    const text = request.lastUserText;
    return {
      object: {
        invoice_id: /Invoice ID:\s*(\S+)/.exec(text)?.[1] ?? '',
        amount: Number(/Amount due \(USD\):\s*([\d.]+)/.exec(text)?.[1] ?? 0),
      },
    };
  },
});

// An SMTP server on loopback that prints what it receives.
const { promise: received, resolve: receive } = Promise.withResolvers<string>();
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, _session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      void PostalMime.parse(Buffer.concat(chunks)).then((email) => {
        receive(`${email.subject}\n  attachments: ${email.attachments.map((a) => a.filename).join(', ')}\n  body: ${email.text?.trim()}`);
        callback();
      });
    });
  },
});
await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
const smtpPort = (smtp.server.address() as { port: number }).port;
await using mailer = createSmtpMailer({ host: '127.0.0.1', port: smtpPort, ignoreTls: true });

const redactor = createSecretRedactor();
const cookie = portal.sessionCookie();
const session = redactor.register(cookie.value, { label: 'session' });
const files = createMemoryRunFiles();
const ctx: ExecutorContext = {
  runId: 'wr_example',
  label: '',
  signal: AbortSignal.timeout(120_000),
  redactor,
  parameters: {},
  fetch,
  files,
  model: createLanguageModel({ provider: 'openai', model: 'gpt-4o-mini', baseUrl: fake.openaiBaseUrl, apiKey: 'not-needed' }),
  mailer,
};

async function run(definition: Record<string, unknown>) {
  const block = BlockSchema.parse(definition);
  const result = await executeNonBrowserBlock(block, { ...ctx, label: block.label });
  console.log(`${block.label}: ${result.status}${result.failureReason ? ` (${result.failureReason})` : ''}`);
  if (result.status !== 'completed') process.exitCode = 1;
  return result.output;
}

const orders = portal.data.orders.slice(0, 2);
const invoices: unknown[] = [];
for (const order of orders) {
  const saved = (await run({
    block_type: 'http_request',
    label: `download_${order.id.replace('-', '_')}`,
    url: `${portal.url}/orders/${order.id}/invoice`,
    headers: { Cookie: `${cookie.name}=${session}` },
    save_response_as_file: true,
  })) as { file_path: string; file_size: number };
  console.log(`  saved ${saved.file_path} (${saved.file_size} bytes)`);
  invoices.push(
    await run({
      block_type: 'file_url_parser',
      label: `parse_${order.id.replace('-', '_')}`,
      file_url: saved.file_path,
      json_schema: { type: 'object', properties: { invoice_id: { type: 'string' }, amount: { type: 'number' } }, required: ['invoice_id', 'amount'] },
    }),
  );
}
console.log(`  invoices: ${JSON.stringify(invoices)}`);

ctx.parameters = { invoices };
const summary = (await run({
  block_type: 'code',
  label: 'add_up',
  code: `
    const count = invoices.length;
    const total = Math.round(invoices.reduce((sum, invoice) => sum + invoice.amount, 0) * 100) / 100;
    console.log('adding', count, 'invoices');
  `,
})) as { count: number; total: number };
console.log(`  total: ${summary.total.toFixed(2)} (the portal says ${orders.reduce((s, o) => s + o.total, 0).toFixed(2)})`);

await run({
  block_type: 'send_email',
  label: 'email_block',
  sender: 'robot@petrel.test',
  recipients: ['finance@example.test'],
  subject: `${summary.count} invoices, total ${summary.total.toFixed(2)}`,
  body: JSON.stringify(invoices),
  file_attachments: ['SKYVERN_DOWNLOAD_DIRECTORY'],
});
console.log(`  received: ${await received}`);
await new Promise<void>((resolve) => smtp.close(() => resolve()));
