// file_url_parser, pdf_parser and text_prompt with the fake model over real provider HTTP. The
// invoice test follows Skyvern's cookbook: invoices downloaded from the fixture portal (http_request
// with save_response_as_file), then file_url_parser on SKYVERN_DOWNLOAD_DIRECTORY/invoice_<id>.pdf
// with a json_schema; the fake model answers from the PDF text in the prompt, so the extracted
// amounts equal the portal's data only if the PDF text really reached the model.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import writeExcelFile from 'write-excel-file/node';
import { createLanguageModel } from '@petrel/agent';
import type { LanguageModel } from '@petrel/agent';
import { startFakeModel } from '@petrel/fake-model';
import type { FakeModel, FakeModelRequest, FakeTurn } from '@petrel/fake-model';
import { startPortal } from '@petrel/fixture-portal';
import type { Portal } from '@petrel/fixture-portal';
import { FileUrlParserBlockSchema, HttpRequestBlockSchema, PdfParserBlockSchema, TextPromptBlockSchema, isPetrelError } from '@petrel/protocol';
import { createMemoryRunFiles, executeFileUrlParserBlock, executeHttpRequestBlock, executePdfParserBlock, executeTextPromptBlock } from '@petrel/blocks';
import { startTestHttpServer, testContext } from './executor-fixture.ts';

const INVOICE_SCHEMA = {
  type: 'object',
  properties: { invoice_id: { type: 'string' }, amount: { type: 'number' }, date: { type: 'string' } },
  required: ['invoice_id', 'amount', 'date'],
};
const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

/** Reads an invoice the way a model would: from the text it was given. */
function invoiceFromPrompt(text: string): Record<string, unknown> | undefined {
  const id = /Invoice ID:\s*(\S+)/.exec(text)?.[1];
  const amount = /Amount due \(USD\):\s*([\d.]+)/.exec(text)?.[1];
  const date = /Invoice date:\s*(\d{4}-\d{2}-\d{2})/.exec(text)?.[1];
  return id && amount && date ? { invoice_id: id, amount: Number(amount), date } : undefined;
}

let fake: FakeModel;
let model: LanguageModel;
let respond: (request: FakeModelRequest) => FakeTurn | undefined = () => undefined;
let portal: Portal;

before(async () => {
  fake = await startFakeModel({ respond: (request) => respond(request) });
  model = createLanguageModel({ provider: 'openai', model: 'gpt-4o-mini', baseUrl: fake.openaiBaseUrl, apiKey: 'k', maxRetries: 0 });
  portal = await startPortal({ cookieBanner: false });
});
after(async () => {
  await fake?.close();
  await portal?.close();
});
beforeEach(() => {
  fake.reset();
  respond = () => undefined;
});

describe('file_url_parser on the portal invoices (the cookbook)', () => {
  test('downloaded invoices are read into the schema; the amounts equal the portal data', async () => {
    const files = createMemoryRunFiles();
    const ctx = testContext({ files, model });
    const cookie = portal.sessionCookie();
    const orders = portal.data.orders.slice(0, 3);
    for (const order of orders) {
      const download = await executeHttpRequestBlock(
        HttpRequestBlockSchema.parse({
          block_type: 'http_request',
          label: 'inv_download_block',
          url: `${portal.url}/orders/${order.id}/invoice`,
          headers: { Cookie: `${cookie.name}=${cookie.value}` },
          save_response_as_file: true,
        }),
        ctx,
      );
      assert.equal(download.status, 'completed', download.failureReason);
    }
    respond = (request) => {
      const invoice = invoiceFromPrompt(request.lastUserText);
      return invoice ? { object: invoice } : { status: 400, message: 'no invoice text in the prompt' };
    };
    const extracted: unknown[] = [];
    for (const order of orders) {
      const result = await executeFileUrlParserBlock(
        FileUrlParserBlockSchema.parse({
          block_type: 'file_url_parser',
          label: 'parse_block',
          file_url: `SKYVERN_DOWNLOAD_DIRECTORY/invoice_${order.id}.pdf`,
          file_type: 'pdf',
          json_schema: INVOICE_SCHEMA,
        }),
        ctx,
      );
      assert.equal(result.status, 'completed', result.failureReason);
      extracted.push(result.output);
    }
    assert.deepEqual(
      extracted,
      orders.map((order) => ({ invoice_id: order.invoiceId, amount: order.total, date: order.date })),
    );
    assert.equal(fake.requests.filter((r) => r.request).length, 3, 'one model call per invoice');
    const sent = fake.requests[0]?.request;
    assert.ok(sent?.responseFormat, 'structured output was asked for');
    assert.match(sent.lastUserText, /File content:/);
  });

  test('an answer that does not match the schema is asked for again, then fails with FILE_PARSER_ERROR', async () => {
    const files = createMemoryRunFiles();
    const order = portal.data.orders[0]!;
    const cookie = portal.sessionCookie();
    const pdf = new Uint8Array(await (await fetch(`${portal.url}/orders/${order.id}/invoice`, { headers: { cookie: `${cookie.name}=${cookie.value}` } })).arrayBuffer());
    await files.saveDownload(`invoice_${order.id}.pdf`, pdf, { contentType: 'application/pdf' });
    const parse = FileUrlParserBlockSchema.parse({ block_type: 'file_url_parser', label: 'parse', file_url: `SKYVERN_DOWNLOAD_DIRECTORY/invoice_${order.id}.pdf`, json_schema: INVOICE_SCHEMA });

    let calls = 0;
    respond = (request) => {
      calls++;
      const invoice = invoiceFromPrompt(request.lastUserText)!;
      return calls === 1 ? { object: { ...invoice, amount: String(invoice['amount']) } } : { object: invoice };
    };
    const retried = await executeFileUrlParserBlock(parse, testContext({ files, model }));
    assert.equal(retried.status, 'completed', retried.failureReason);
    assert.equal((retried.output as { amount: number }).amount, order.total);
    assert.match(fake.requests.at(-1)?.request?.lastUserText ?? '', /previous answer was rejected: the answer does not match json_schema: amount: must be number/);

    respond = () => ({ object: { invoice_id: 'x', amount: 'not a number', date: 'd' } });
    const failed = await executeFileUrlParserBlock(parse, testContext({ files, model }));
    assert.equal(failed.status, 'failed');
    assert.equal(failed.errorCodes?.[0]?.error_code, 'FILE_PARSER_ERROR');
    assert.match(failed.failureReason ?? '', /amount: must be number/);
  });

  test('without a schema: a PDF gives its text; pdf_parser always asks the model', async () => {
    const files = createMemoryRunFiles();
    const order = portal.data.orders[1]!;
    const cookie = portal.sessionCookie();
    const pdf = new Uint8Array(await (await fetch(`${portal.url}/orders/${order.id}/invoice`, { headers: { cookie: `${cookie.name}=${cookie.value}` } })).arrayBuffer());
    await files.saveDownload('invoice.pdf', pdf);
    const text = await executeFileUrlParserBlock(FileUrlParserBlockSchema.parse({ block_type: 'file_url_parser', label: 'p', file_url: 'SKYVERN_DOWNLOAD_DIRECTORY/invoice.pdf' }), testContext({ files }));
    assert.equal(text.status, 'completed');
    assert.match(String(text.output), new RegExp(`Invoice ID: ${order.invoiceId}`));

    respond = (request) => ({ object: { output: JSON.stringify(invoiceFromPrompt(request.lastUserText)) } });
    const legacy = await executePdfParserBlock(PdfParserBlockSchema.parse({ block_type: 'pdf_parser', label: 'l', file_url: 'SKYVERN_DOWNLOAD_DIRECTORY/invoice.pdf' }), testContext({ files, model }));
    assert.equal(legacy.status, 'completed', legacy.failureReason);
    assert.deepEqual(legacy.output, { output: { invoice_id: order.invoiceId, amount: order.total, date: order.date } });
  });
});

describe('file_url_parser on other files, fetched by URL', () => {
  test('CSV and Excel become rows; with a schema the model reads them as CSV text', async () => {
    const xlsx = await writeExcelFile([
      {
        sheet: 'Orders',
        data: [
          [{ value: 'order_id' }, { value: 'total' }],
          [{ value: 'ORD-1' }, { value: 465.93 }],
          [{ value: 'ORD-2' }, { value: 12.5 }],
        ],
      },
    ]).toBuffer();
    await using server = await startTestHttpServer((request, response) => {
      if (request.path === '/orders.csv') {
        response.writeHead(200, { 'content-type': 'text/csv' });
        response.end('order_id,total\nORD-1,465.93\nORD-2,12.50\n');
      } else {
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        response.end(xlsx);
      }
    });
    const csv = await executeFileUrlParserBlock(FileUrlParserBlockSchema.parse({ block_type: 'file_url_parser', label: 'c', file_url: `${server.url}/orders.csv` }), testContext());
    assert.deepEqual(csv.output, [
      { order_id: 'ORD-1', total: '465.93' },
      { order_id: 'ORD-2', total: '12.50' },
    ]);
    const excel = await executeFileUrlParserBlock(FileUrlParserBlockSchema.parse({ block_type: 'file_url_parser', label: 'x', file_url: `${server.url}/export?id=7` }), testContext());
    assert.deepEqual(excel.output, [
      { order_id: 'ORD-1', total: 465.93 },
      { order_id: 'ORD-2', total: 12.5 },
    ]);

    respond = (request) => {
      const rows = [...request.lastUserText.matchAll(/^(ORD-\d+),([\d.]+)$/gm)].map((m) => Number(m[2]));
      return { object: { total: Math.round(rows.reduce((a, b) => a + b, 0) * 100) / 100 } };
    };
    const summed = await executeFileUrlParserBlock(
      FileUrlParserBlockSchema.parse({
        block_type: 'file_url_parser',
        label: 's',
        file_url: `${server.url}/export`,
        file_type: 'excel',
        json_schema: { type: 'object', properties: { total: { type: 'number' } }, required: ['total'] },
      }),
      testContext({ model }),
    );
    assert.deepEqual(summed.output, { total: 478.43 });
  });

  test('images go to the model as images', async () => {
    const files = createMemoryRunFiles([{ name: 'receipt.png', body: PNG_1X1 }]);
    respond = (request) => ({ object: { images: request.messages[0]?.images.length ?? 0, merchant: 'Ember' } });
    const result = await executeFileUrlParserBlock(
      FileUrlParserBlockSchema.parse({
        block_type: 'file_url_parser',
        label: 'i',
        file_url: 'SKYVERN_DOWNLOAD_DIRECTORY/receipt.png',
        json_schema: { type: 'object', properties: { images: { type: 'integer' }, merchant: { type: 'string' } }, required: ['images', 'merchant'] },
      }),
      testContext({ files, model }),
    );
    assert.deepEqual(result.output, { images: 1, merchant: 'Ember' });
    assert.equal(fake.requests[0]?.request?.messages[0]?.images[0]?.mediaType, 'image/png');
  });

  test('a file that is not there or not the declared type fails naming file_url; no model means LLM_NOT_CONFIGURED', async () => {
    await using server = await startTestHttpServer((_request, response) => {
      response.writeHead(404);
      response.end('gone');
    });
    await assert.rejects(
      executeFileUrlParserBlock(FileUrlParserBlockSchema.parse({ block_type: 'file_url_parser', label: 'm', file_url: `${server.url}/missing.csv` }), testContext()),
      (error: unknown) => isPetrelError(error) && (error.details as { field: string; status: number }).status === 404,
    );
    const files = createMemoryRunFiles([{ name: 'notes.txt', body: 'hello' }]);
    await assert.rejects(
      executeFileUrlParserBlock(FileUrlParserBlockSchema.parse({ block_type: 'file_url_parser', label: 'm', file_url: 'SKYVERN_DOWNLOAD_DIRECTORY/notes.txt', file_type: 'pdf' }), testContext({ files })),
      (error: unknown) => isPetrelError(error) && error.code === 'VALIDATION_FAILED' && (error.details as { field: string }).field === 'file_url',
    );
    await assert.rejects(
      executeFileUrlParserBlock(
        FileUrlParserBlockSchema.parse({ block_type: 'file_url_parser', label: 'm', file_url: 'SKYVERN_DOWNLOAD_DIRECTORY/notes.txt', json_schema: INVOICE_SCHEMA }),
        testContext({ files }),
      ),
      (error: unknown) => isPetrelError(error) && error.code === 'LLM_NOT_CONFIGURED',
    );
  });
});

describe('text_prompt', () => {
  test('default schema: { llm_response }; parameter_keys values reach the prompt with secrets as placeholders', async () => {
    const ctx = testContext({ model });
    const placeholder = ctx.redactor.register('sk-live-SECRET-99', { label: 'api_key' });
    ctx.parameters = { job: { title: 'Barista', employer: 'Ember Roasters' }, api_key: placeholder };
    respond = (request) => ({ object: { llm_response: `Dear ${/"employer":"([^"]+)"/.exec(request.lastUserText)?.[1] ?? '?'}` } });
    const result = await executeTextPromptBlock(
      TextPromptBlockSchema.parse({ block_type: 'text_prompt', label: 'answer', prompt: 'Write a one-line cover letter. The key is sk-live-SECRET-99.', parameter_keys: ['job', 'api_key'] }),
      ctx,
    );
    assert.equal(result.status, 'completed', result.failureReason);
    assert.deepEqual(result.output, { llm_response: 'Dear Ember Roasters' });
    const body = JSON.stringify(fake.requests[0]?.body);
    assert.doesNotMatch(body, /sk-live-SECRET-99/, 'no secret left the process');
    assert.match(body, new RegExp(placeholder));
    assert.match(fake.requests[0]?.request?.lastUserText ?? '', /Parameters:\njob: \{"title":"Barista","employer":"Ember Roasters"\}/);
  });

  test('a json_schema shapes and validates the answer (draft 2020-12); two bad answers fail the block', async () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { answers: { type: 'array', items: { type: 'object', properties: { question: { type: 'string' }, answer: { type: 'string', minLength: 3 } }, required: ['question', 'answer'] } } },
      required: ['answers'],
    };
    respond = () => ({ object: { answers: [{ question: 'Why us?', answer: 'Coffee.' }] } });
    const ok = await executeTextPromptBlock(TextPromptBlockSchema.parse({ block_type: 'text_prompt', label: 't', prompt: 'Answer the questions.', json_schema: schema }), testContext({ model }));
    assert.deepEqual(ok.output, { answers: [{ question: 'Why us?', answer: 'Coffee.' }] });

    respond = () => ({ object: { answers: [{ question: 'Why us?', answer: 'no' }] } });
    const bad = await executeTextPromptBlock(TextPromptBlockSchema.parse({ block_type: 'text_prompt', label: 't', prompt: 'Answer.', json_schema: schema }), testContext({ model }));
    assert.equal(bad.status, 'failed');
    assert.match(bad.failureReason ?? '', /answers\[0\]\.answer: must NOT have fewer than 3 characters/);
    assert.equal(fake.requests.filter((r) => r.request).length, 3);

    await assert.rejects(
      executeTextPromptBlock(TextPromptBlockSchema.parse({ block_type: 'text_prompt', label: 't', prompt: 'x' }), testContext()),
      (error: unknown) => isPetrelError(error) && error.code === 'LLM_NOT_CONFIGURED',
    );
    await assert.rejects(
      executeTextPromptBlock(TextPromptBlockSchema.parse({ block_type: 'text_prompt', label: 't', prompt: 'x', json_schema: { type: 'nonsense' } }), testContext({ model })),
      (error: unknown) => isPetrelError(error) && error.code === 'VALIDATION_FAILED' && (error.details as { field: string }).field === 'json_schema',
    );
  });
});
