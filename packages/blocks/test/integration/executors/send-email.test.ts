// The send_email block against smtp-server on loopback, parsed with postal-mime: Skyvern's subject and
// Bcc, every downloaded file attached through SKYVERN_DOWNLOAD_DIRECTORY (names and bytes), single
// files by name and by URL, SMTP settings from the block, from secret parameters, or the server default.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { SendEmailBlockSchema, isPetrelError } from '@petrel/protocol';
import type { SendEmailBlock } from '@petrel/protocol';
import { createMemoryMailer, createMemoryRunFiles, createSmtpMailer, executeSendEmailBlock, unavailableParameterError } from '@petrel/blocks';
import { attachmentBytes, startTestSmtpServer } from '@petrel/testing';
import { startTestHttpServer, testContext } from './executor-fixture.ts';

function block(fields: Record<string, unknown>): SendEmailBlock {
  return SendEmailBlockSchema.parse({
    block_type: 'send_email',
    label: 'email_block',
    sender: 'hello@petrel.test',
    recipients: ['ops@example.test'],
    subject: 'Invoices',
    body: 'See attached.',
    ...fields,
  });
}

test('the cookbook email: every download attached, run id in the subject, the sender Bcc’d, the body as rendered', async () => {
  await using smtp = await startTestSmtpServer();
  const pdfA = randomBytes(20_000);
  const pdfB = randomBytes(30_000);
  const files = createMemoryRunFiles([
    { name: 'invoice_ORD-10001.pdf', body: pdfA, contentType: 'application/pdf' },
    { name: 'invoice_ORD-10002.pdf', body: pdfB, contentType: 'application/pdf' },
  ]);
  const ctx = testContext({ files, mailer: createSmtpMailer({ host: smtp.host, port: smtp.port, ignoreTls: true }) });
  const result = await executeSendEmailBlock(
    block({
      recipients: ['finance@example.test', 'not an address', 'ops@example.test'],
      subject: 'Ember Roasters Invoices from 2026-01-01 to 2026-03-31',
      body: '[{"invoice_id":"INV-2026-10001","amount":465.93}]',
      file_attachments: ['SKYVERN_DOWNLOAD_DIRECTORY'],
    }),
    ctx,
  );
  assert.equal(result.status, 'completed', result.failureReason);
  assert.deepEqual((result.output as { success: boolean; recipients: string[] }).success, true);

  const [mail] = await smtp.waitFor(1);
  assert.ok(mail);
  assert.equal(mail.email.subject, `Ember Roasters Invoices from 2026-01-01 to 2026-03-31 - Workflow Run ID: ${ctx.runId}`);
  assert.deepEqual(mail.to.sort(), ['finance@example.test', 'hello@petrel.test', 'ops@example.test']);
  assert.deepEqual(mail.email.to?.map((a) => a.address), ['finance@example.test', 'ops@example.test']);
  assert.equal(mail.email.text?.trim(), '[{"invoice_id":"INV-2026-10001","amount":465.93}]');
  const attached = mail.email.attachments.map((a) => ({ name: a.filename, bytes: attachmentBytes(a.content) }));
  assert.deepEqual(
    attached.map((a) => a.name),
    ['invoice_ORD-10001.pdf', 'invoice_ORD-10002.pdf'],
  );
  assert.ok(attached[0]?.bytes.equals(pdfA));
  assert.ok(attached[1]?.bytes.equals(pdfB));
  await ctx.mailer?.close();
});

test('single files by name and by URL; a name without an extension gets one from the bytes', async () => {
  await using smtp = await startTestSmtpServer();
  await using web = await startTestHttpServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/csv', 'content-disposition': 'attachment; filename="report.csv"' });
    response.end('a,b\n1,2\n');
  });
  const files = createMemoryRunFiles([
    { name: 'first.pdf', body: '%PDF-1.7 first' },
    { name: 'scan', body: Buffer.from('%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF', 'latin1') },
  ]);
  await using mailer = createSmtpMailer({ host: smtp.host, port: smtp.port, ignoreTls: true });
  const ctx = testContext({ files, mailer });
  const result = await executeSendEmailBlock(block({ file_attachments: ['SKYVERN_DOWNLOAD_DIRECTORY/scan', `${web.url}/export`] }), ctx);
  assert.equal(result.status, 'completed', result.failureReason);
  const [mail] = await smtp.waitFor(1);
  assert.deepEqual(
    mail?.email.attachments.map((a) => [a.filename, attachmentBytes(a.content).toString('latin1').slice(0, 8)]),
    [
      ['scan.pdf', '%PDF-1.4'],
      ['report.csv', 'a,b\n1,2\n'],
    ],
  );
  await assert.rejects(executeSendEmailBlock(block({ file_attachments: ['SKYVERN_DOWNLOAD_DIRECTORY/missing.pdf'] }), ctx), (error: unknown) => {
    assert.ok(isPetrelError(error));
    assert.equal(error.code, 'NOT_FOUND');
    assert.match(error.message, /first\.pdf, scan/);
    return true;
  });
});

test('SMTP settings from the block (custom_smtp_*) and from secret parameters, with a login', async () => {
  await using smtp = await startTestSmtpServer({ auth: { user: 'mailer', pass: 'smtp-pass-123' } });
  const ctx = testContext();
  const password = ctx.redactor.register('smtp-pass-123', { label: 'smtp_password' });
  const custom = await executeSendEmailBlock(
    block({ custom_smtp_host: smtp.host, custom_smtp_port: smtp.port, custom_smtp_username: 'mailer', custom_smtp_password: password }),
    { ...ctx, createMailer: (o) => createSmtpMailer({ host: o.host, port: o.port, ignoreTls: true, ...(o.username && o.password ? { auth: { user: o.username, pass: o.password } } : {}) }) },
  );
  assert.equal(custom.status, 'completed', custom.failureReason);

  const secretCtx = testContext({
    parameters: { smtp_host: smtp.host, smtp_port: String(smtp.port), smtp_username: 'mailer', smtp_password: { secret_value: ctx.redactor.register('smtp-pass-123') } },
    redactor: ctx.redactor,
    createMailer: (o) => createSmtpMailer({ host: o.host, port: o.port, ignoreTls: true, ...(o.username && o.password ? { auth: { user: o.username, pass: o.password } } : {}) }),
  });
  const fromParameters = await executeSendEmailBlock(
    block({
      smtp_host_secret_parameter_key: 'smtp_host',
      smtp_port_secret_parameter_key: 'smtp_port',
      smtp_username_secret_parameter_key: 'smtp_username',
      smtp_password_secret_parameter_key: 'smtp_password',
    }),
    secretCtx,
  );
  assert.equal(fromParameters.status, 'completed', fromParameters.failureReason);
  const mails = await smtp.waitFor(2);
  assert.deepEqual(
    mails.map((m) => m.user),
    ['mailer', 'mailer'],
  );

  const wrong = await executeSendEmailBlock(
    block({ custom_smtp_host: smtp.host, custom_smtp_port: smtp.port, custom_smtp_username: 'mailer', custom_smtp_password: 'nope' }),
    { ...ctx, createMailer: (o) => createSmtpMailer({ host: o.host, port: o.port, ignoreTls: true, auth: { user: o.username ?? '', pass: o.password ?? '' } }) },
  );
  assert.equal(wrong.status, 'failed');
  assert.deepEqual((wrong.output as { success: boolean }).success, false);
  assert.match(wrong.failureReason ?? '', /refused the login/);
});

test('vault-kind SMTP parameters fall back to the server mailer; without one the block says what is missing', async () => {
  const mailer = createMemoryMailer();
  const unavailable = unavailableParameterError({ key: 'smtp_host', parameterType: 'aws_secret' });
  const fields = { smtp_host_secret_parameter_key: 'smtp_host', smtp_port_secret_parameter_key: 'smtp_port' };
  const ctx = testContext({ mailer, unavailableParameters: { smtp_host: unavailable, smtp_port: unavailable } });
  const result = await executeSendEmailBlock(block(fields), ctx);
  assert.equal(result.status, 'completed');
  assert.equal(mailer.sent.length, 1);

  await assert.rejects(executeSendEmailBlock(block(fields), testContext({ unavailableParameters: { smtp_host: unavailable } })), (error: unknown) => {
    assert.ok(isPetrelError(error));
    assert.equal(error.code, 'INTEGRATION_NOT_CONFIGURED');
    return true;
  });
  await assert.rejects(executeSendEmailBlock(block({}), testContext()), (error: unknown) => isPetrelError(error) && error.code === 'INTEGRATION_NOT_CONFIGURED' && /SMTP/.test(error.message));
});

test('recipients and sender are validated; a recipient may name a parameter', async () => {
  const mailer = createMemoryMailer();
  await assert.rejects(executeSendEmailBlock(block({ recipients: ['nobody'] }), testContext({ mailer })), (error: unknown) => {
    assert.ok(isPetrelError(error));
    assert.equal((error.details as { field: string }).field, 'recipients');
    return true;
  });
  await assert.rejects(executeSendEmailBlock(block({ sender: 'robot' }), testContext({ mailer })), /sender/);
  const ctx = testContext({ mailer, parameters: { recipient_email: 'dana@example.test' } });
  await executeSendEmailBlock(block({ recipients: ['recipient_email'] }), ctx);
  assert.deepEqual(mailer.sent[0]?.to, ['dana@example.test']);
});
