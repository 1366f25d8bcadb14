// A run's view of its secrets. Each secret value registered for the run gets a placeholder; prompts
// carry only placeholders, the executor turns a placeholder back into the value at the moment it types
// it (`reveal`), and everything recorded (prompts, responses, logs, artifacts) goes through `redact`,
// which replaces the value, and its common encodings, with the placeholder.
//
// Placeholder format: `petrel_secret_<field>_<6 random chars>`, e.g. `petrel_secret_password_k7m2qx`.
// Identifier characters only, so the token survives JSON escaping, URL and HTML encoding and template
// engines unchanged (a `{{ … }}` token would be re-rendered by block templating); models copy such
// tokens exactly; the random part makes a collision with page text practically impossible and
// differs per run.
import { randomBytes } from 'node:crypto';
import type { CreditCardCredential, PasswordCredential, SecretCredential } from '@petrel/protocol';
import { PetrelError } from '@petrel/protocol';
import { generateTotpCode, totpSeedOf } from './totp.ts';

/** How a registered secret is revealed. */
export type SecretKind = 'value' | 'totp';

/** Options of `register`. */
export type RegisterSecretOptions = {
  /** A short field name that goes into the placeholder (`password`, `card_number`); default `secret`. */
  label?: string;
  /** `totp`: the value is a TOTP seed and `reveal` answers the current code; default `value`. */
  kind?: SecretKind;
  /**
   * Use this placeholder instead of a random one (a run rebuilt in another process keeps the
   * placeholders its earlier prompts used); it must be `petrel_secret_` followed by letters, digits or `_`.
   */
  placeholder?: string;
};

/** Options of `registerCredential`. */
export type RegisterCredentialOptions = {
  /** The placeholder of each field (see `RegisterSecretOptions.placeholder`); default random ones. */
  placeholderFor?: (field: string) => string;
};

/** A stored credential as the vault hands it to a run. */
export type CredentialValues =
  | ({ credential_type: 'password' } & Pick<PasswordCredential, 'username' | 'password'> & { totp?: string | null | undefined })
  | ({ credential_type: 'credit_card' } & Pick<
      CreditCardCredential,
      'card_number' | 'card_cvv' | 'card_exp_month' | 'card_exp_year' | 'card_brand' | 'card_holder_name'
    >)
  | ({ credential_type: 'secret' } & Pick<SecretCredential, 'secret_value'> & { secret_label?: string | null | undefined });

/** The values of a credential as the model sees them: placeholders for secrets, clear text for the rest. */
export type CredentialView = Record<string, string>;

/** A run's secrets: placeholders for prompts, redaction for records, reveal for the executor. */
export type SecretRedactor = {
  /** Registers a value and returns its placeholder (the same placeholder for the same value). */
  register: (value: string, options?: RegisterSecretOptions) => string;
  /**
   * Registers a credential's secret fields and returns the model's view of it. Password: username,
   * password and TOTP seed become placeholders. Card: number and CVV do; expiry, brand and holder stay
   * clear (short, low-risk values whose redaction would blank every "12" in every log). Secret: the value.
   */
  registerCredential: (credential: CredentialValues, options?: RegisterCredentialOptions) => CredentialView;
  /** Replaces every registered secret (raw, JSON-escaped, URL- and HTML-encoded, base64) in `text`. */
  redact: (text: string) => string;
  /** `redact` applied to every string (and key) of a JSON-like value; returns a copy (errors become `{ name, message, stack }`). */
  redactJson: <T>(value: T) => T;
  /** The value to type for a placeholder (the current code for a TOTP seed); throws `NOT_FOUND`. */
  reveal: (placeholder: string, options?: { now?: number }) => string;
  /** The value behind a placeholder, or undefined. */
  findSecret: (placeholder: string) => string | undefined;
  /** `text` with every placeholder in it replaced by its revealed value (for text typed around a placeholder). */
  revealIn: (text: string, options?: { now?: number }) => string;
  /** True when `text` contains at least one placeholder of this run. */
  hasPlaceholder: (text: string) => boolean;
  /** How many secrets are registered. */
  readonly size: number;
};

type Entry = { placeholder: string; value: string; kind: SecretKind };

const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
const PLACEHOLDER = /^petrel_secret_[a-z0-9_]{1,80}$/;
const BOUNDARY_BELOW = 6; // values shorter than this (and all-digit values) are redacted only as whole tokens

function randomSuffix(): string {
  const bytes = randomBytes(6);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length];
  return out;
}

function sanitizeLabel(label: string): string {
  const clean = label
    .toLowerCase()
    .replaceAll(/[^a-z0-9]+/g, '_')
    .replaceAll(/^_+|_+$/g, '')
    .slice(0, 32);
  return clean === '' ? 'secret' : clean;
}

function escapeRegExp(text: string): string {
  return text.replaceAll(/[.*+?^${}()|[\]\\]/g, String.raw`\$&`);
}

function htmlEscape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

/**
 * The stretches of base64 text that encode `value` whatever its byte offset in a larger encoded blob:
 * for each of the three alignments, the characters fully determined by the value's own bytes.
 */
function base64Cores(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const first = Math.ceil((offset * 8) / 6);
    const last = Math.floor(((offset + bytes.length) * 8) / 6); // exclusive
    const core = encoded.slice(first, last);
    if (core.length >= 8) {
      cores.push(core);
      const urlSafe = core.replaceAll('+', '-').replaceAll('/', '_');
      if (urlSafe !== core) cores.push(urlSafe);
    }
  }
  return cores;
}

function variantsOf(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const doubleJson = JSON.stringify(json).slice(1, -1);
  const url = encodeURIComponent(value);
  const form = url.replaceAll('%20', '+');
  const lowerHex = url.replaceAll(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
  return [...new Set([value, json, doubleJson, url, form, lowerHex, htmlEscape(value), ...base64Cores(value)])];
}

/** Creates an empty redactor for one run. */
export function createSecretRedactor(): SecretRedactor {
  const byPlaceholder = new Map<string, Entry>();
  const byValue = new Map<string, Entry>();
  /** Text to find → its replacement (a placeholder; placeholders map to themselves so redaction never splits one). */
  const replacements = new Map<string, string>();
  const boundaryVariants = new Set<string>();
  let pattern: RegExp | undefined;
  let placeholderPattern: RegExp | undefined;

  function rebuild(): void {
    const alternatives = [...replacements.keys()]
      .sort((a, b) => b.length - a.length)
      .map((text) => (boundaryVariants.has(text) ? `(?<![A-Za-z0-9])${escapeRegExp(text)}(?![A-Za-z0-9])` : escapeRegExp(text)));
    pattern = alternatives.length === 0 ? undefined : new RegExp(alternatives.join('|'), 'g');
    const placeholders = [...byPlaceholder.keys()].map(escapeRegExp);
    placeholderPattern = placeholders.length === 0 ? undefined : new RegExp(placeholders.join('|'), 'g');
  }

  function addRedaction(value: string, placeholder: string): void {
    const wholeTokenOnly = value.length < BOUNDARY_BELOW || /^\d+$/.test(value);
    for (const variant of variantsOf(value)) {
      if (variant === '' || replacements.has(variant)) continue;
      replacements.set(variant, placeholder);
      if (wholeTokenOnly) boundaryVariants.add(variant);
    }
  }

  function register(value: string, options: RegisterSecretOptions = {}): string {
    if (typeof value !== 'string' || value === '') {
      throw new PetrelError('VALIDATION_FAILED', 'secrets.register: a secret must be a non-empty string');
    }
    const existing = byValue.get(value);
    if (existing) return existing.placeholder;
    let placeholder: string;
    if (options.placeholder !== undefined) {
      if (!PLACEHOLDER.test(options.placeholder) || byPlaceholder.has(options.placeholder)) {
        throw new PetrelError('VALIDATION_FAILED', 'secrets.register: the placeholder must be unused and look like petrel_secret_<letters, digits or _>');
      }
      placeholder = options.placeholder;
    } else {
      do placeholder = `petrel_secret_${sanitizeLabel(options.label ?? 'secret')}_${randomSuffix()}`;
      while (byPlaceholder.has(placeholder));
    }
    const entry: Entry = { placeholder, value, kind: options.kind ?? 'value' };
    byPlaceholder.set(placeholder, entry);
    byValue.set(value, entry);
    replacements.set(placeholder, placeholder);
    addRedaction(value, placeholder);
    const seed = entry.kind === 'totp' ? totpSeedOf(value) : undefined;
    if (seed !== undefined && seed !== value) addRedaction(seed, placeholder);
    rebuild();
    return placeholder;
  }

  function redact(text: string): string {
    if (pattern === undefined || text === '') return text;
    return text.replace(pattern, (match) => replacements.get(match) ?? match);
  }

  function redactJson<T>(value: T): T {
    const walk = (node: unknown, depth: number): unknown => {
      if (typeof node === 'string') return redact(node);
      if (depth > 64 || node === null || typeof node !== 'object') return node;
      if (Array.isArray(node)) return node.map((item) => walk(item, depth + 1));
      if (node instanceof Date || ArrayBuffer.isView(node)) return node;
      // Errors keep their message and stack (non-enumerable, so a plain walk would drop them).
      if (node instanceof Error) {
        const code = (node as Error & { code?: unknown }).code;
        return { name: node.name, message: redact(node.message), ...(node.stack ? { stack: redact(node.stack) } : {}), ...(code === undefined ? {} : { code }) };
      }
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(node)) out[redact(key)] = walk(item, depth + 1);
      return out;
    };
    return (pattern === undefined ? value : walk(value, 0)) as T;
  }

  function reveal(placeholder: string, options: { now?: number } = {}): string {
    const entry = byPlaceholder.get(placeholder.trim());
    if (!entry) throw new PetrelError('NOT_FOUND', 'secrets.reveal: no secret of this run has that placeholder', { details: { placeholder } });
    if (entry.kind === 'value') return entry.value;
    const code = generateTotpCode(entry.value, options.now === undefined ? {} : { now: options.now });
    // A typed code is a secret for as long as the run lasts: screenshots' HTML and logs must not show it.
    if (!replacements.has(code)) {
      addRedaction(code, entry.placeholder);
      rebuild();
    }
    return code;
  }

  function registerCredential(credential: CredentialValues, credentialOptions: RegisterCredentialOptions = {}): CredentialView {
    const secret = (value: string, label: string, kind: SecretKind = 'value'): string =>
      register(value, { label, kind, ...(credentialOptions.placeholderFor ? { placeholder: credentialOptions.placeholderFor(label) } : {}) });
    switch (credential.credential_type) {
      case 'password': {
        const view: CredentialView = {
          username: secret(credential.username, 'username'),
          password: secret(credential.password, 'password'),
        };
        if (credential.totp) view.totp = secret(credential.totp, 'totp', 'totp');
        return view;
      }
      case 'credit_card':
        return {
          card_number: secret(credential.card_number, 'card_number'),
          card_cvv: secret(credential.card_cvv, 'card_cvv'),
          card_exp_month: credential.card_exp_month,
          card_exp_year: credential.card_exp_year,
          card_brand: credential.card_brand,
          card_holder_name: credential.card_holder_name,
        };
      case 'secret':
        return {
          secret_value: secret(credential.secret_value, 'secret'),
          ...(credential.secret_label ? { secret_label: credential.secret_label } : {}),
        };
      default: {
        const unknownType: never = credential;
        throw new PetrelError('VALIDATION_FAILED', `secrets.registerCredential: unknown credential type ${String((unknownType as { credential_type?: unknown }).credential_type)}`);
      }
    }
  }

  return {
    register,
    registerCredential,
    redact,
    redactJson,
    reveal,
    findSecret: (placeholder) => byPlaceholder.get(placeholder.trim())?.value,
    revealIn: (text, options = {}) =>
      placeholderPattern === undefined ? text : text.replace(placeholderPattern, (placeholder) => reveal(placeholder, options)),
    hasPlaceholder: (text) => placeholderPattern !== undefined && new RegExp(placeholderPattern.source).test(text),
    get size() {
      return byPlaceholder.size;
    },
  };
}
