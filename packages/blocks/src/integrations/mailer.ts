// The `Mailer` port: send one email with attachments. `send_email` and `human_interaction` blocks
// use it; the server builds the default one from its SMTP settings, and a block with its own SMTP
// settings gets a mailer of its own for one send. Two adapters: SMTP through nodemailer (vendor
// types stay in this file) and an in-memory twin for unit tests.
import { createTransport } from 'nodemailer';
import { PetrelError } from '@petrel/protocol';

/** A file attached to an email. */
export type MailAttachment = {
  /** The file name the recipient sees. */
  filename: string;
  content: Uint8Array;
  /** MIME type; default guessed by the mail library from the name. */
  contentType?: string;
};

/** One email. */
export type MailMessage = {
  /** The sender address, e.g. `Petrel <bot@example.com>`. */
  from: string;
  to: string[];
  cc?: string[];
  bcc?: string[];
  replyTo?: string;
  subject: string;
  /** Plain-text body. */
  text?: string;
  /** HTML body (sent as multipart/alternative next to `text` when both are given). */
  html?: string;
  attachments?: MailAttachment[];
};

/** What the server said about a sent email. */
export type MailSendResult = {
  /** The `Message-ID` header of the email. */
  messageId: string;
  /** Recipients the server accepted. */
  accepted: string[];
  /** Recipients the server refused. */
  rejected: string[];
  /** The server's final answer line, e.g. `250 OK: queued`. */
  response: string;
};

/** The port: sends emails. */
export type Mailer = AsyncDisposable & {
  /** A label for logs without secrets, e.g. `smtp:mail.example.com:587`. */
  readonly description: string;
  /**
   * Sends one email. Rejects with `VALIDATION_FAILED` for a bad message, `UNAVAILABLE` when the server
   * cannot be reached or refuses (retryable unless it answered a permanent 5xx), `CANCELED` on abort
   * (the email may still have been sent if the abort came after the server took the data).
   */
  send(message: MailMessage, options?: { signal?: AbortSignal }): Promise<MailSendResult>;
  /** Closes connections. */
  close(): Promise<void>;
};

/** Options of `createSmtpMailer`. */
export type SmtpMailerOptions = {
  /** SMTP server host name or address. Required. */
  host: string;
  /** Port; default 465 when `secure`, else 587. */
  port?: number;
  /** TLS from the first byte (SMTPS, usually port 465); default true on port 465, else false (STARTTLS when offered). */
  secure?: boolean;
  /** Login; default none. */
  auth?: { user: string; pass: string };
  /** Refuse to send unless the server upgrades with STARTTLS; default false. */
  requireTls?: boolean;
  /** Never upgrade with STARTTLS, even when offered (local test servers); default false. */
  ignoreTls?: boolean;
  /** Accept self-signed or otherwise unverifiable server certificates; default false. */
  allowInvalidCertificates?: boolean;
  /** Time limit to connect, to get the greeting and of socket inactivity; default 30 000 ms. */
  timeoutMs?: number;
  /** The name sent in EHLO; default the machine's host name. */
  clientName?: string;
};

const ADDRESS = /^[^\s@<>]+@[^\s@<>]+$/;

function addressOf(value: string): string | undefined {
  const trimmed = value.trim();
  const angle = /<([^<>]+)>\s*$/.exec(trimmed);
  const address = angle?.[1]?.trim() ?? trimmed;
  return ADDRESS.test(address) ? address : undefined;
}

/** Checks a message: a sender, at least one valid recipient, a subject and a body; throws `VALIDATION_FAILED` naming the field. */
export function checkMailMessage(message: MailMessage, operation = 'mail.send'): void {
  const bad = (field: string, why: string) => new PetrelError('VALIDATION_FAILED', `${operation}: ${field} ${why}`, { details: { field } });
  if (typeof message?.from !== 'string' || addressOf(message.from) === undefined) throw bad('sender', 'must be an email address');
  const lists: Array<[string, string[] | undefined]> = [
    ['recipients', message.to],
    ['cc', message.cc],
    ['bcc', message.bcc],
  ];
  for (const [field, list] of lists) {
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw bad(field, 'must be a list of email addresses');
    const index = list.findIndex((entry) => typeof entry !== 'string' || addressOf(entry) === undefined);
    if (index >= 0) throw bad(`${field}[${index}]`, 'is not an email address');
  }
  if (message.to.length === 0) throw bad('recipients', 'must name at least one recipient');
  if (typeof message.subject !== 'string') throw bad('subject', 'must be a string');
  if (/[\r\n]/.test(message.subject)) throw bad('subject', 'must be one line');
  for (const [index, attachment] of (message.attachments ?? []).entries()) {
    if (typeof attachment?.filename !== 'string' || attachment.filename === '' || /[\r\n/\\]/.test(attachment.filename)) {
      throw bad(`attachments[${index}].filename`, 'must be a plain file name');
    }
    if (!(attachment.content instanceof Uint8Array)) throw bad(`attachments[${index}].content`, 'must be bytes');
  }
}

function badOption(field: string, why: string): PetrelError {
  return new PetrelError('VALIDATION_FAILED', `createSmtpMailer: ${field} ${why}`, { details: { field } });
}

function compileSmtpOptions(options: SmtpMailerOptions): Required<Pick<SmtpMailerOptions, 'host' | 'port' | 'secure' | 'timeoutMs'>> & SmtpMailerOptions {
  if (typeof options?.host !== 'string' || options.host.trim() === '' || /[\s/]/.test(options.host.trim())) throw badOption('host', 'must be a host name or address');
  const secure = options.secure ?? options.port === 465;
  const port = options.port ?? (secure ? 465 : 587);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw badOption('port', 'must be an integer from 1 to 65535');
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw badOption('timeoutMs', 'must be a positive integer');
  if (options.auth !== undefined && (typeof options.auth.user !== 'string' || typeof options.auth.pass !== 'string')) throw badOption('auth', 'must have a user and a password');
  if (options.requireTls && options.ignoreTls) throw badOption('requireTls', 'cannot be combined with ignoreTls');
  return { ...options, host: options.host.trim(), port, secure, timeoutMs };
}

/** A `Mailer` over SMTP (nodemailer). Call `close` or `[Symbol.asyncDispose]` when done. */
export function createSmtpMailer(options: SmtpMailerOptions): Mailer {
  const config = compileSmtpOptions(options);
  const transport = createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure,
    ...(config.auth ? { auth: { user: config.auth.user, pass: config.auth.pass } } : {}),
    ...(config.requireTls ? { requireTLS: true } : {}),
    ...(config.ignoreTls ? { ignoreTLS: true } : {}),
    ...(config.allowInvalidCertificates ? { tls: { rejectUnauthorized: false } } : {}),
    ...(config.clientName ? { name: config.clientName } : {}),
    connectionTimeout: config.timeoutMs,
    greetingTimeout: config.timeoutMs,
    socketTimeout: config.timeoutMs,
    // No logger: nodemailer's debug output would print credentials and message bodies.
    logger: false,
    debug: false,
  });
  const description = `smtp:${config.host}:${config.port}`;

  async function send(message: MailMessage, sendOptions: { signal?: AbortSignal } = {}): Promise<MailSendResult> {
    checkMailMessage(message);
    const signal = sendOptions.signal;
    if (signal?.aborted) throw new PetrelError('CANCELED', 'mail.send: aborted before sending', { cause: signal.reason });
    const sending = transport.sendMail({
      from: message.from,
      to: message.to,
      ...(message.cc?.length ? { cc: message.cc } : {}),
      ...(message.bcc?.length ? { bcc: message.bcc } : {}),
      ...(message.replyTo ? { replyTo: message.replyTo } : {}),
      subject: message.subject,
      ...(message.text !== undefined ? { text: message.text } : {}),
      ...(message.html !== undefined ? { html: message.html } : {}),
      attachments: (message.attachments ?? []).map((attachment) => ({
        filename: attachment.filename,
        content: Buffer.from(attachment.content.buffer, attachment.content.byteOffset, attachment.content.byteLength),
        ...(attachment.contentType ? { contentType: attachment.contentType } : {}),
      })),
    });
    let onAbort: (() => void) | undefined;
    try {
      const info = await (signal
        ? Promise.race([
            sending,
            new Promise<never>((_, reject) => {
              onAbort = () => reject(new PetrelError('CANCELED', 'mail.send: aborted', { cause: signal.reason }));
              signal.addEventListener('abort', onAbort, { once: true });
            }),
          ])
        : sending);
      return {
        messageId: info.messageId ?? '',
        accepted: (info.accepted ?? []).map(String),
        rejected: (info.rejected ?? []).map(String),
        response: info.response ?? '',
      };
    } catch (error) {
      if (error instanceof PetrelError) throw error;
      throw smtpError(error, description);
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      sending.catch(() => {});
    }
  }

  const close = async () => {
    transport.close();
  };
  return { description, send, close, [Symbol.asyncDispose]: close };
}

function smtpError(error: unknown, description: string): PetrelError {
  const e = error as { code?: unknown; responseCode?: unknown; command?: unknown };
  const responseCode = typeof e?.responseCode === 'number' ? e.responseCode : undefined;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  // The server's text can echo addresses; the message keeps only codes.
  const what = code === 'EAUTH' ? 'the SMTP server refused the login' : code === 'ECONNECTION' || code === 'ETIMEDOUT' || code === 'ESOCKET' ? 'the SMTP server could not be reached' : 'the SMTP server refused the email';
  return new PetrelError('UNAVAILABLE', `mail.send: ${what} (${description}${responseCode ? `, ${responseCode}` : ''}${code ? `, ${code}` : ''})`, {
    cause: error,
    details: { ...(responseCode ? { smtp_status: responseCode } : {}), ...(code ? { smtp_code: code } : {}) },
    // A permanent refusal (5xx, a failed login) will not pass on a retry.
    nonRetryable: code === 'EAUTH' || (responseCode !== undefined && responseCode >= 500),
  });
}

/** An in-memory `Mailer` that keeps what it was asked to send (the unit-test twin). */
export function createMemoryMailer(): Mailer & { readonly sent: readonly MailMessage[] } {
  const sent: MailMessage[] = [];
  let counter = 0;
  return {
    description: 'memory',
    sent,
    async send(message, options = {}) {
      checkMailMessage(message);
      if (options.signal?.aborted) throw new PetrelError('CANCELED', 'mail.send: aborted before sending');
      sent.push(structuredClone(message));
      counter++;
      return { messageId: `<memory-${counter}@petrel.local>`, accepted: [...message.to], rejected: [], response: '250 OK (memory)' };
    },
    async close() {},
    async [Symbol.asyncDispose]() {},
  };
}
