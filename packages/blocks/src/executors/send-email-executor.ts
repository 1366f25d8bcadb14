// The `send_email` block, as Skyvern sends it: the subject gets ` - Workflow Run ID: <run id>`, the
// sender is Bcc'd for a record, recipients that are not addresses are dropped (none left is an
// error), a recipient/subject/body that names a parameter takes its value, and
// `SKYVERN_DOWNLOAD_DIRECTORY` attaches every file the run downloaded. The body keeps secrets as
// placeholders (Skyvern does not reveal them in emails either).
//
// SMTP settings, first match wins: the block's `custom_smtp_host` (+ port, username, password, with
// secrets revealed); the `smtp_*_secret_parameter_key` parameters; the server's default mailer. When
// the secret parameters are of a vault kind Petrel lacks (Skyvern's cookbook uses `aws_secret`) and
// the server has a default mailer, that mailer is used, so such workflows run unchanged.
import type { SendEmailBlock } from '@petrel/protocol';
import { PetrelError, isPetrelError } from '@petrel/protocol';
import { detectFileType } from '../integrations/file-parsing.ts';
import { checkMailMessage, createSmtpMailer } from '../integrations/mailer.ts';
import type { MailAttachment, Mailer } from '../integrations/mailer.ts';
import { completed, failed, fieldError, loggerOf, throwIfCanceled } from './executor-context.ts';
import type { ExecutorContext } from './executor-context.ts';
import type { BlockResult } from '../interpreter/block-executor.ts';
import { getParameter, isDownloadDirectory, loadDownloads, loadFile } from './file-references.ts';
import type { LoadedFile } from './file-references.ts';

const OPERATION = 'send_email';
/** Most bytes of attachments in one email (common SMTP servers refuse more). */
const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;
const ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/;
const EXTENSIONS: Record<string, string> = {
  'application/pdf': 'pdf',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'application/zip': 'zip',
  'application/json': 'json',
  'text/csv': 'csv',
  'text/plain': 'txt',
};

type SmtpChoice = { kind: 'block'; host: string; port: number; username?: string; password?: string } | { kind: 'server'; mailer: Mailer };

function parameterText(ctx: ExecutorContext, key: string, field: string): string {
  const value = getParameter(ctx, key, field, OPERATION);
  if (typeof value === 'string') return ctx.redactor.revealIn(value);
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object' && value !== null && typeof (value as { secret_value?: unknown }).secret_value === 'string') {
    return ctx.redactor.revealIn((value as { secret_value: string }).secret_value);
  }
  throw fieldError(OPERATION, field, `names ${key}, whose value is not text`);
}

function chooseSmtp(block: SendEmailBlock, ctx: ExecutorContext): SmtpChoice {
  const customHost = block.custom_smtp_host ? ctx.redactor.revealIn(block.custom_smtp_host).trim() : '';
  if (customHost !== '') {
    const port = block.custom_smtp_port ?? 587;
    return {
      kind: 'block',
      host: customHost,
      port,
      ...(block.custom_smtp_username ? { username: ctx.redactor.revealIn(block.custom_smtp_username) } : {}),
      ...(block.custom_smtp_password ? { password: ctx.redactor.revealIn(block.custom_smtp_password) } : {}),
    };
  }
  const keys = {
    host: block.smtp_host_secret_parameter_key,
    port: block.smtp_port_secret_parameter_key,
    username: block.smtp_username_secret_parameter_key,
    password: block.smtp_password_secret_parameter_key,
  };
  if (keys.host) {
    try {
      const host = parameterText(ctx, keys.host, 'smtp_host_secret_parameter_key').trim();
      const portText = keys.port ? parameterText(ctx, keys.port, 'smtp_port_secret_parameter_key').trim() : '587';
      if (!/^\d{1,5}$/.test(portText)) throw fieldError(OPERATION, 'smtp_port_secret_parameter_key', 'names a parameter whose value is not a port number');
      return {
        kind: 'block',
        host,
        port: Number(portText),
        ...(keys.username ? { username: parameterText(ctx, keys.username, 'smtp_username_secret_parameter_key') } : {}),
        ...(keys.password ? { password: parameterText(ctx, keys.password, 'smtp_password_secret_parameter_key') } : {}),
      };
    } catch (error) {
      if (isPetrelError(error) && error.code === 'INTEGRATION_NOT_CONFIGURED' && ctx.mailer) {
        loggerOf(ctx).warn({ reason: error.message }, 'send_email: the SMTP parameters are not available; using the server mailer');
        return { kind: 'server', mailer: ctx.mailer };
      }
      throw error;
    }
  }
  if (ctx.mailer) return { kind: 'server', mailer: ctx.mailer };
  throw new PetrelError(
    'INTEGRATION_NOT_CONFIGURED',
    'send_email: no SMTP server: set custom_smtp_host on the block, smtp_*_secret_parameter_key parameters, or the server SMTP settings',
    { details: { integration: 'smtp' }, nonRetryable: true },
  );
}

function recipientsOf(block: SendEmailBlock, ctx: ExecutorContext): string[] {
  const found: string[] = [];
  for (const entry of block.recipients ?? []) {
    let values: unknown = entry;
    if (typeof entry === 'string' && Object.hasOwn(ctx.parameters, entry.trim())) values = ctx.parameters[entry.trim()];
    const list = Array.isArray(values) ? values : typeof values === 'string' ? values.split(/[,;]/) : [];
    for (const item of list) {
      if (typeof item !== 'string') continue;
      const address = ctx.redactor.revealIn(item).trim();
      if (ADDRESS.test(address)) found.push(address);
      else if (address !== '') loggerOf(ctx).warn({ index: found.length }, 'send_email: a recipient is not an email address and was dropped');
    }
  }
  return [...new Set(found)];
}

function textOf(ctx: ExecutorContext, value: string): string {
  const key = value.trim();
  const named = Object.hasOwn(ctx.parameters, key) ? ctx.parameters[key] : undefined;
  if (named === undefined) return value;
  return typeof named === 'string' ? named : JSON.stringify(named, null, 2);
}

async function attachmentName(file: LoadedFile): Promise<string> {
  if (/\.[A-Za-z0-9]{1,8}$/.test(file.name)) return file.name;
  const detected = await detectFileType(file.bytes, file.contentType ? { contentType: file.contentType } : {});
  const extension = detected ? EXTENSIONS[detected.mediaType] : undefined;
  return extension ? `${file.name}.${extension}` : file.name;
}

async function collectAttachments(block: SendEmailBlock, ctx: ExecutorContext): Promise<MailAttachment[]> {
  const files: LoadedFile[] = [];
  for (const [index, raw] of (block.file_attachments ?? []).entries()) {
    const field = `file_attachments[${index}]`;
    let reference = typeof raw === 'string' ? raw.trim() : '';
    if (reference === '') continue;
    if (Object.hasOwn(ctx.parameters, reference) && typeof ctx.parameters[reference] === 'string') reference = ctx.parameters[reference] as string;
    if (isDownloadDirectory(reference)) files.push(...(await loadDownloads(ctx, { field, operation: OPERATION })));
    else files.push(await loadFile(ctx, ctx.redactor.revealIn(reference), { field, operation: OPERATION }));
  }
  const total = files.reduce((sum, file) => sum + file.bytes.byteLength, 0);
  if (total > MAX_ATTACHMENT_BYTES) {
    throw new PetrelError('PAYLOAD_TOO_LARGE', `send_email: the attachments are ${total} bytes, more than the ${MAX_ATTACHMENT_BYTES} an email may carry`, {
      details: { field: 'file_attachments' },
    });
  }
  const attachments: MailAttachment[] = [];
  for (const file of files) {
    attachments.push({ filename: await attachmentName(file), content: file.bytes, ...(file.contentType ? { contentType: file.contentType.split(';')[0]!.trim() } : {}) });
  }
  return attachments;
}

/** Runs a `send_email` block. */
export async function executeSendEmailBlock(block: SendEmailBlock, ctx: ExecutorContext): Promise<BlockResult> {
  throwIfCanceled(ctx, OPERATION);
  const sender = ctx.redactor.revealIn(block.sender ?? '').trim();
  if (!ADDRESS.test(sender.replace(/^.*<([^<>]+)>\s*$/, '$1'))) throw fieldError(OPERATION, 'sender', 'must be an email address');
  const recipients = recipientsOf(block, ctx);
  if (recipients.length === 0) throw fieldError(OPERATION, 'recipients', 'has no valid email address');
  const subject = `${textOf(ctx, block.subject ?? '').replaceAll(/[\r\n]+/g, ' ').trim()} - Workflow Run ID: ${ctx.runId}`;
  const body = textOf(ctx, block.body ?? '');
  const html = (block.body_format ?? 'text').toLowerCase() === 'html';
  const attachments = await collectAttachments(block, ctx);
  const message = {
    from: sender,
    to: recipients,
    bcc: [sender.replace(/^.*<([^<>]+)>\s*$/, '$1')],
    subject,
    ...(html ? { html: body } : { text: body }),
    attachments,
  };
  checkMailMessage(message, OPERATION);

  const smtp = chooseSmtp(block, ctx);
  const mailer =
    smtp.kind === 'server'
      ? smtp.mailer
      : (ctx.createMailer ?? ((o: { host: string; port: number; username?: string; password?: string }) =>
          createSmtpMailer({ host: o.host, port: o.port, ...(o.username !== undefined && o.password !== undefined ? { auth: { user: o.username, pass: o.password } } : {}) })))({
          host: smtp.host,
          port: smtp.port,
          ...(smtp.username !== undefined ? { username: smtp.username } : {}),
          ...(smtp.password !== undefined ? { password: smtp.password } : {}),
        });
  const logger = loggerOf(ctx);
  try {
    const sent = await mailer.send(message, { signal: ctx.signal });
    logger.info({ recipients: recipients.length, attachments: attachments.length, via: mailer.description }, 'send_email sent');
    const names = attachments.map((a) => a.filename);
    return { ...completed({ success: true, message_id: sent.messageId, recipients, attachments: names }), timeline: { recipients, attachments: names } };
  } catch (error) {
    if (isPetrelError(error) && error.code === 'CANCELED') throw error;
    const reason = ctx.redactor.redact(error instanceof Error ? error.message : String(error));
    logger.warn({ reason }, 'send_email failed');
    return failed({ success: false, error: reason }, reason);
  } finally {
    if (smtp.kind === 'block') await mailer.close();
  }
}
