// Wire schemas of stored credentials and pushed TOTP codes, in the shape of Skyvern's
// `skyvern/forge/sdk/schemas/credentials.py` and `totp_codes.py`. Request bodies are strict (the
// credential payloads too): an unknown field is a 422 naming it. Responses never carry a secret: a password answers with its
// username and 2FA settings, a card with its last four digits and brand, a secret with its label.
import { z } from 'zod';
import { PageQuerySchema } from './pagination.ts';

/** Kinds of stored credential. */
export const CREDENTIAL_TYPES = ['password', 'credit_card', 'secret'] as const;
/** A kind of stored credential. */
export type CredentialType = (typeof CREDENTIAL_TYPES)[number];

/** How a password credential's second factor arrives. */
export const TOTP_TYPES = ['authenticator', 'email', 'text', 'passkey', 'none'] as const;
/** A second-factor kind. */
export type TotpType = (typeof TOTP_TYPES)[number];

/** Where a credential is kept. Petrel stores only in its own vault (`skyvern`); the others are refused. */
export const CREDENTIAL_VAULT_TYPES = ['skyvern', 'bitwarden', 'azure_vault', 'gcp', 'custom'] as const;
/** A vault kind. */
export type CredentialVaultType = (typeof CREDENTIAL_VAULT_TYPES)[number];

/** Kinds of one-time password a pushed message can hold. */
export const OTP_TYPES = ['totp', 'magic_link'] as const;
/** A one-time password kind. */
export type OtpType = (typeof OTP_TYPES)[number];

const BASE32_SECRET = /^[A-Z2-7]+=*$/;

/** True when `value` is a TOTP seed Petrel can use: base32 (spaces allowed) or an `otpauth://totp/` URI with a secret. */
export function isTotpSecret(value: string): boolean {
  const trimmed = value.trim();
  if (trimmed.toLowerCase().startsWith('otpauth://')) {
    try {
      const url = new URL(trimmed);
      const secret = url.searchParams.get('secret');
      return url.host.toLowerCase() === 'totp' && secret !== null && BASE32_SECRET.test(secret.toUpperCase());
    } catch {
      return false;
    }
  }
  const compact = trimmed.replaceAll(/[\s-]/g, '').toUpperCase();
  return compact.length >= 8 && BASE32_SECRET.test(compact);
}

const ProxyLocationSchema = z
  .union([
    z.string(),
    z.object({ country: z.string(), subdivision: z.string().nullish(), city: z.string().nullish() }),
  ])
  .nullish()
  .describe('Accepted and stored for compatibility; Petrel has no managed proxies.');

/** A username and password, with an optional TOTP seed. */
export const PasswordCredentialSchema = z
  .strictObject({
    username: z.string().min(1),
    password: z.string().min(1),
    totp: z
      .string()
      .refine(isTotpSecret, { message: 'must be a base32 TOTP secret or an otpauth://totp/ URI' })
      .nullish()
      .describe('TOTP seed (base32) or otpauth:// URI used to generate 2FA codes.'),
    totp_type: z.enum(TOTP_TYPES).default('none').describe('How the 2FA code arrives; `authenticator` when `totp` is set.'),
    totp_identifier: z.string().nullish().describe('Email or phone number that pushed codes are matched by.'),
  })
  .meta({ id: 'PasswordCredential' });
/** A password credential as sent. */
export type PasswordCredential = z.infer<typeof PasswordCredentialSchema>;

/** A billing address of a card. */
export const CreditCardBillingAddressSchema = z
  .strictObject({
    line1: z.string().nullish(),
    line2: z.string().nullish(),
    city: z.string().nullish(),
    state: z.string().nullish(),
    state_code: z.string().nullish(),
    postal_code: z.string().nullish(),
    country: z.string().nullish(),
    country_code: z.string().nullish(),
  })
  .meta({ id: 'CreditCardBillingAddress' });

/** A payment card. */
export const CreditCardCredentialSchema = z
  .strictObject({
    card_number: z.string().min(1),
    card_cvv: z.string().min(1),
    card_exp_month: z.string().min(1),
    card_exp_year: z.string().min(1),
    card_brand: z.string().min(1),
    card_holder_name: z.string().min(1),
    billing_address: CreditCardBillingAddressSchema.nullish(),
    billing_email: z.string().nullish(),
    billing_phone: z.string().nullish(),
    metadata: z.record(z.string(), z.string()).nullish(),
  })
  .meta({ id: 'CreditCardCredential' });
/** A card credential as sent. */
export type CreditCardCredential = z.infer<typeof CreditCardCredentialSchema>;

/** A single secret value (an API token, a recovery code...). */
export const SecretCredentialSchema = z
  .strictObject({
    secret_value: z.string().min(1),
    secret_label: z.string().nullish(),
  })
  .meta({ id: 'SecretCredential' });
/** A secret credential as sent. */
export type SecretCredential = z.infer<typeof SecretCredentialSchema>;

const credentialRequestBase = {
  name: z.string().min(1).max(255).describe('Name of the credential.'),
  vault_type: z.enum(CREDENTIAL_VAULT_TYPES).nullish().describe('Only `skyvern` (Petrel\'s own vault) is supported.'),
  proxy_location: ProxyLocationSchema,
  proxy_session_id: z.string().nullish(),
  rotate_proxy_session_id: z.boolean().default(false),
  tested_url: z.string().nullish().describe('Login page URL used when the credential was tested.'),
  user_context: z.string().nullish().describe('Notes on the login sequence, e.g. "click SSO first".'),
};

/** The body of `POST /v1/credentials` and `POST /v1/credentials/{id}/update`; `credential_type` picks the shape of `credential`. */
export const CreateCredentialRequestSchema = z
  .discriminatedUnion('credential_type', [
    z.strictObject({ ...credentialRequestBase, credential_type: z.literal('password'), credential: PasswordCredentialSchema }),
    z.strictObject({ ...credentialRequestBase, credential_type: z.literal('credit_card'), credential: CreditCardCredentialSchema }),
    z.strictObject({ ...credentialRequestBase, credential_type: z.literal('secret'), credential: SecretCredentialSchema }),
  ])
  .meta({ id: 'CreateCredentialRequest' });
/** A credential create or update request after parsing. */
export type CreateCredentialRequest = z.infer<typeof CreateCredentialRequestSchema>;

/** What a response shows of a password credential: never the password or the TOTP seed. */
export const PasswordCredentialResponseSchema = z
  .object({
    username: z.string(),
    totp_type: z.enum(TOTP_TYPES),
    totp_identifier: z.string().nullable(),
  })
  .meta({ id: 'PasswordCredentialResponse' });

/** What a response shows of a card: its last four digits and brand. */
export const CreditCardCredentialResponseSchema = z
  .object({ last_four: z.string(), brand: z.string() })
  .meta({ id: 'CreditCardCredentialResponse' });

/** What a response shows of a secret: its label. */
export const SecretCredentialResponseSchema = z
  .object({ secret_label: z.string().nullable() })
  .meta({ id: 'SecretCredentialResponse' });

/** A stored credential as the API shows it (masked). */
export const CredentialResponseSchema = z
  .object({
    credential_id: z.string().describe('`cred_…`'),
    credential: z.union([PasswordCredentialResponseSchema, CreditCardCredentialResponseSchema, SecretCredentialResponseSchema]),
    credential_type: z.enum(CREDENTIAL_TYPES),
    name: z.string(),
    vault_type: z.enum(CREDENTIAL_VAULT_TYPES).nullable(),
    browser_profile_id: z.string().nullable(),
    tested_url: z.string().nullable(),
    user_context: z.string().nullable(),
    save_browser_session_intent: z.boolean().nullable(),
    folder_id: z.string().nullable(),
    proxy_location: z.unknown().nullable(),
    proxy_session_id: z.string().nullable(),
    created_at: z.string().describe('ISO-8601 time, UTC.'),
    modified_at: z.string().describe('ISO-8601 time, UTC.'),
  })
  .meta({ id: 'CredentialResponse' });
/** A masked credential. */
export type CredentialResponse = z.infer<typeof CredentialResponseSchema>;

/** Query of `GET /v1/credentials`. */
export const ListCredentialsQuerySchema = PageQuerySchema.extend({
  vault_type: z.enum(CREDENTIAL_VAULT_TYPES).optional(),
  credential_type: z.enum(CREDENTIAL_TYPES).optional(),
  search: z.string().max(255).optional().describe('Case-insensitive part of the name.'),
});
/** Parsed list query. */
export type ListCredentialsQuery = z.infer<typeof ListCredentialsQuerySchema>;

/** Path parameter of the credential routes. */
export const CredentialIdParamSchema = z.object({
  credential_id: z.string().max(100).describe('`cred_…`'),
});

/** The body of `POST /v1/credentials/totp`: a whole email or SMS (or a bare code) for an identifier. */
export const TotpCodeCreateSchema = z
  .strictObject({
    totp_identifier: z.string().min(1).max(255).describe('Email address, phone number or any id the code is for.'),
    content: z
      .string()
      .min(1)
      .max(65_536)
      .describe('The email or SMS body that contains the code, or the code itself.'),
    task_id: z.string().nullish(),
    workflow_id: z.string().nullish(),
    workflow_run_id: z.string().nullish(),
    source: z.string().max(100).nullish().describe('Where the code came from, e.g. `email`, `sms`.'),
    expired_at: z.iso.datetime({ offset: true, local: true }).nullish().describe('When the code stops being valid; default 10 minutes after it arrives.'),
    type: z.string().nullish().describe('Deprecated; ignored.'),
  })
  .meta({ id: 'TOTPCodeCreate' });
/** A pushed code as sent. */
export type TotpCodeCreate = z.infer<typeof TotpCodeCreateSchema>;

/** A stored pushed code. */
export const TotpCodeSchema = z
  .object({
    totp_code_id: z.string().describe('`totp_…`'),
    totp_identifier: z.string(),
    code: z.string().describe('The code (or magic link) found in the content.'),
    content: z.string(),
    task_id: z.string().nullable(),
    workflow_id: z.string().nullable(),
    workflow_run_id: z.string().nullable(),
    source: z.string().nullable(),
    expired_at: z.string().nullable(),
    organization_id: z.string(),
    otp_type: z.enum(OTP_TYPES),
    created_at: z.string(),
    modified_at: z.string(),
  })
  .meta({ id: 'TOTPCode' });
/** A stored pushed code. */
export type TotpCode = z.infer<typeof TotpCodeSchema>;
