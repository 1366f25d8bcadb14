// Stored credentials: the fields a response may show are kept in clear, everything secret (the
// password, the TOTP seed, every card field, the secret value) is encrypted by the vault under a
// context naming the organization and the credential. Nothing here returns or logs a secret except
// `revealCredentialSecret`, which the agent uses at typing time.
import { PetrelError, newId } from '@petrel/protocol';
import type { CreateCredentialRequest, CredentialResponse, CredentialType, CredentialVaultType, TotpType } from '@petrel/protocol';
import type { CredentialRow, ServerStore } from '../store/server-store.ts';
import type { Vault } from '../vault/vault.ts';

type PublicData =
  | { username: string; totp_type: TotpType; totp_identifier: string | null }
  | { last_four: string; brand: string }
  | { secret_label: string | null };

type Extra = {
  tested_url: string | null;
  user_context: string | null;
  proxy_location: unknown;
  proxy_session_id: string | null;
};

/** The secret fields of a credential, as the agent gets them. */
export type CredentialSecret =
  | { credential_type: 'password'; username: string; password: string; totp: string | null; totp_type: TotpType; totp_identifier: string | null }
  | {
      credential_type: 'credit_card';
      card_number: string;
      card_cvv: string;
      card_exp_month: string;
      card_exp_year: string;
      card_brand: string;
      card_holder_name: string;
      billing_address: unknown;
      billing_email: string | null;
      billing_phone: string | null;
      metadata: Record<string, string> | null;
    }
  | { credential_type: 'secret'; secret_value: string; secret_label: string | null };

/** The vault context of a credential's secret fields. */
export function credentialContext(organizationId: string, credentialId: string): string {
  return `credential:${organizationId}:${credentialId}`;
}

function split(request: CreateCredentialRequest): { publicData: PublicData; secret: CredentialSecret } {
  if (request.credential_type === 'password') {
    const c = request.credential;
    const totp = c.totp ?? null;
    // A seed without a type would never be used; Skyvern's UI sets `authenticator` in that case too.
    const totpType: TotpType = totp !== null && c.totp_type === 'none' ? 'authenticator' : c.totp_type;
    return {
      publicData: { username: c.username, totp_type: totpType, totp_identifier: c.totp_identifier ?? null },
      secret: {
        credential_type: 'password',
        username: c.username,
        password: c.password,
        totp,
        totp_type: totpType,
        totp_identifier: c.totp_identifier ?? null,
      },
    };
  }
  if (request.credential_type === 'credit_card') {
    const c = request.credential;
    const digits = c.card_number.replaceAll(/\D/g, '');
    return {
      publicData: { last_four: digits.slice(-4), brand: c.card_brand },
      secret: {
        credential_type: 'credit_card',
        card_number: c.card_number,
        card_cvv: c.card_cvv,
        card_exp_month: c.card_exp_month,
        card_exp_year: c.card_exp_year,
        card_brand: c.card_brand,
        card_holder_name: c.card_holder_name,
        billing_address: c.billing_address ?? null,
        billing_email: c.billing_email ?? null,
        billing_phone: c.billing_phone ?? null,
        metadata: c.metadata ?? null,
      },
    };
  }
  const c = request.credential;
  return {
    publicData: { secret_label: c.secret_label ?? null },
    secret: { credential_type: 'secret', secret_value: c.secret_value, secret_label: c.secret_label ?? null },
  };
}

function checkVaultType(operation: string, vaultType: CredentialVaultType | null | undefined): void {
  if (vaultType !== undefined && vaultType !== null && vaultType !== 'skyvern') {
    throw new PetrelError('INTEGRATION_NOT_CONFIGURED', `${operation}: vault_type ${vaultType} is not supported; Petrel stores credentials in its own vault (skyvern)`);
  }
}

function rowValues(request: CreateCredentialRequest, vault: Vault, organizationId: string, credentialId: string, now: string) {
  const { publicData, secret } = split(request);
  const extra: Extra = {
    tested_url: request.tested_url ?? null,
    user_context: request.user_context ?? null,
    proxy_location: request.proxy_location ?? null,
    proxy_session_id: request.proxy_session_id ?? null,
  };
  return {
    name: request.name,
    credential_type: request.credential_type,
    vault_type: 'skyvern',
    public_data: JSON.stringify(publicData),
    secret_ciphertext: vault.encrypt(JSON.stringify(secret), credentialContext(organizationId, credentialId)),
    key_id: vault.keyId,
    extra: JSON.stringify(extra),
    modified_at: now,
  };
}

/** The masked API view of a credential row. */
export function toCredentialResponse(row: CredentialRow): CredentialResponse {
  const extra = JSON.parse(row.extra) as Extra;
  return {
    credential_id: row.credential_id,
    credential: JSON.parse(row.public_data) as PublicData,
    credential_type: row.credential_type as CredentialType,
    name: row.name,
    vault_type: row.vault_type as CredentialVaultType,
    browser_profile_id: null,
    tested_url: extra.tested_url,
    user_context: extra.user_context,
    save_browser_session_intent: null,
    folder_id: null,
    proxy_location: extra.proxy_location ?? null,
    proxy_session_id: extra.proxy_session_id,
    created_at: row.created_at,
    modified_at: row.modified_at,
  };
}

/** Creates a credential and returns its masked view. */
export async function createCredential(
  store: ServerStore,
  vault: Vault,
  organizationId: string,
  request: CreateCredentialRequest,
  now: Date,
): Promise<CredentialResponse> {
  checkVaultType('credentials.create', request.vault_type);
  const credentialId = newId('credential');
  const at = now.toISOString();
  const row: CredentialRow = {
    credential_id: credentialId,
    organization_id: organizationId,
    created_at: at,
    ...rowValues(request, vault, organizationId, credentialId, at),
  };
  await store.credentials.insert(row);
  return toCredentialResponse(row);
}

/** Replaces a credential's data; throws `NOT_FOUND` when the organization has no such credential. */
export async function updateCredential(
  store: ServerStore,
  vault: Vault,
  organizationId: string,
  credentialId: string,
  request: CreateCredentialRequest,
  now: Date,
): Promise<CredentialResponse> {
  checkVaultType('credentials.update', request.vault_type);
  const values = rowValues(request, vault, organizationId, credentialId, now.toISOString());
  if (!(await store.credentials.replace(organizationId, credentialId, values))) {
    throw new PetrelError('NOT_FOUND', `credentials.update: credential ${credentialId} not found`);
  }
  return getCredential(store, organizationId, credentialId);
}

/** One credential's masked view; throws `NOT_FOUND`. */
export async function getCredential(store: ServerStore, organizationId: string, credentialId: string): Promise<CredentialResponse> {
  const row = await store.credentials.find(organizationId, credentialId);
  if (row === undefined) throw new PetrelError('NOT_FOUND', `credentials.get: credential ${credentialId} not found`);
  return toCredentialResponse(row);
}

/** Decrypts a credential's secret fields for the agent; throws `NOT_FOUND`. Never send the result to a client or a log. */
export async function revealCredentialSecret(store: ServerStore, vault: Vault, organizationId: string, credentialId: string): Promise<CredentialSecret> {
  const row = await store.credentials.find(organizationId, credentialId);
  if (row === undefined) throw new PetrelError('NOT_FOUND', `credentials.reveal: credential ${credentialId} not found`);
  return JSON.parse(vault.decrypt(row.secret_ciphertext, credentialContext(organizationId, credentialId))) as CredentialSecret;
}
