// The SMTP adapter of the Mailer port against a real SMTP server on loopback: what arrives (subject,
// sender, recipients, body, attachments' names and bytes), logins, refusals and aborts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { createMemoryMailer, createSmtpMailer } from '@petrel/blocks';
import { isPetrelError } from '@petrel/protocol';
import { attachmentBytes, startTestSmtpServer } from '@petrel/testing';

test('an email with attachments arrives intact', async () => {
  await using smtp = await startTestSmtpServer();
  await using mailer = createSmtpMailer({ host: smtp.host, port: smtp.port, ignoreTls: true });
  const pdf = randomBytes(40_000);
  const result = await mailer.send({
    from: 'Petrel <robot@petrel.test>',
    to: ['ops@example.test', 'Finance <finance@example.test>'],
    bcc: ['audit@example.test'],
    subject: 'Invoices — März 2026',
    text: 'Two invoices attached.\nTotal: $465.93',
    attachments: [
      { filename: 'invoice_ORD-10001.pdf', content: pdf, contentType: 'application/pdf' },
      { filename: 'summary.csv', content: Buffer.from('order,total\nORD-10001,465.93\n') },
    ],
  });
  assert.deepEqual(result.accepted.sort(), ['audit@example.test', 'finance@example.test', 'ops@example.test']);
  assert.match(result.response, /^250/);

  const [mail] = await smtp.waitFor(1);
  assert.ok(mail);
  assert.equal(mail.from, 'robot@petrel.test');
  assert.deepEqual(mail.to.sort(), ['audit@example.test', 'finance@example.test', 'ops@example.test']);
  assert.equal(mail.email.subject, 'Invoices — März 2026');
  assert.equal(mail.email.text?.trim(), 'Two invoices attached.\nTotal: $465.93');
  assert.deepEqual(
    mail.email.to?.map((a) => a.address),
    ['ops@example.test', 'finance@example.test'],
  );
  assert.equal(mail.email.bcc, undefined, 'bcc is not in the headers');
  const attachments = mail.email.attachments.map((a) => ({ name: a.filename, type: a.mimeType, bytes: attachmentBytes(a.content) }));
  assert.equal(attachments.length, 2);
  assert.equal(attachments[0]?.name, 'invoice_ORD-10001.pdf');
  assert.equal(attachments[0]?.type, 'application/pdf');
  assert.ok(attachments[0]?.bytes.equals(pdf));
  assert.equal(attachments[1]?.name, 'summary.csv');
  assert.equal(attachments[1]?.bytes.toString(), 'order,total\nORD-10001,465.93\n');
});

test('a login is used when given; a wrong password is a non-retryable UNAVAILABLE without the password in the message', async () => {
  await using smtp = await startTestSmtpServer({ auth: { user: 'mailer', pass: 'correct-horse' } });
  await using good = createSmtpMailer({ host: smtp.host, port: smtp.port, ignoreTls: true, auth: { user: 'mailer', pass: 'correct-horse' } });
  await good.send({ from: 'a@petrel.test', to: ['b@example.test'], subject: 'hi', text: 'x' });
  const [mail] = await smtp.waitFor(1);
  assert.equal(mail?.user, 'mailer');

  await using bad = createSmtpMailer({ host: smtp.host, port: smtp.port, ignoreTls: true, auth: { user: 'mailer', pass: 'wrong-battery' } });
  await assert.rejects(bad.send({ from: 'a@petrel.test', to: ['b@example.test'], subject: 'hi', text: 'x' }), (error: unknown) => {
    assert.ok(isPetrelError(error));
    assert.equal(error.code, 'UNAVAILABLE');
    assert.equal(error.nonRetryable, true);
    assert.match(error.message, /refused the login/);
    assert.doesNotMatch(error.message, /wrong-battery/);
    return true;
  });
});

test('an unreachable server is a retryable UNAVAILABLE', async () => {
  const smtp = await startTestSmtpServer();
  const port = smtp.port;
  await smtp.close();
  await using mailer = createSmtpMailer({ host: '127.0.0.1', port, ignoreTls: true, timeoutMs: 5_000 });
  await assert.rejects(mailer.send({ from: 'a@petrel.test', to: ['b@example.test'], subject: 'hi', text: 'x' }), (error: unknown) => {
    assert.ok(isPetrelError(error));
    assert.equal(error.code, 'UNAVAILABLE');
    assert.equal(error.nonRetryable, false);
    return true;
  });
});

test('bad messages and options are refused naming the field', async () => {
  await using mailer = createMemoryMailer();
  const cases: Array<[Parameters<typeof mailer.send>[0], string]> = [
    [{ from: 'not an address', to: ['b@example.test'], subject: 's' }, 'sender'],
    [{ from: 'a@petrel.test', to: [], subject: 's' }, 'recipients'],
    [{ from: 'a@petrel.test', to: ['ok@example.test', 'nope'], subject: 's' }, 'recipients[1]'],
    [{ from: 'a@petrel.test', to: ['b@example.test'], subject: 'line\nbreak' }, 'subject'],
    [{ from: 'a@petrel.test', to: ['b@example.test'], subject: 's', attachments: [{ filename: '../x', content: new Uint8Array(1) }] }, 'attachments[0].filename'],
  ];
  for (const [message, field] of cases) {
    await assert.rejects(mailer.send(message), (error: unknown) => isPetrelError(error) && (error.details as { field: string }).field === field);
  }
  assert.throws(() => createSmtpMailer({ host: '' }), /host/);
  assert.throws(() => createSmtpMailer({ host: 'mail.example.test', port: 70_000 }), /port/);
  assert.equal(mailer.sent.length, 0);
});

test('an abort before the answer rejects with CANCELED', async () => {
  await using smtp = await startTestSmtpServer();
  await using mailer = createSmtpMailer({ host: smtp.host, port: smtp.port, ignoreTls: true });
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(mailer.send({ from: 'a@petrel.test', to: ['b@example.test'], subject: 's', text: 'x' }, { signal: controller.signal }), /CANCELED|aborted/);
});
