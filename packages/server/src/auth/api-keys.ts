// API keys: 32 random bytes in base64url behind a `pk_` prefix, shown once and stored as a SHA-256
// hash. A key has 256 bits of entropy, so a fast hash is enough: guessing a preimage is as hard as
// guessing the key, and a slow password hash would only make every request slower.
// The organization, its first key and its webhook secret are made here too.
import { createHash, randomBytes } from 'node:crypto';
import { PetrelError, newId } from '@petrel/protocol';
import type { ApiKey, CreatedApiKey } from '@petrel/protocol';
import { inTransaction } from '../store/server-store.ts';
import type { ApiKeyRow, ServerStore } from '../store/server-store.ts';
import type { Vault } from '../vault/vault.ts';
import { createWebhookSecretValue, webhookSecretContext } from '../webhooks/webhook-secrets.ts';

/** The prefix of every Petrel API key. */
export const API_KEY_PREFIX = 'pk_';
const KEY_BYTES = 32;
const DISPLAY_CHARS = 6;

/** Returns a new random API key (`pk_` + 43 base64url characters). */
export function generateApiKey(): string {
  return `${API_KEY_PREFIX}${randomBytes(KEY_BYTES).toString('base64url')}`;
}

/** The stored form of a key: hex SHA-256. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** True when `value` has the shape of a Petrel API key (cheap check before any lookup). */
export function looksLikeApiKey(value: string): boolean {
  return value.startsWith(API_KEY_PREFIX) && value.length === API_KEY_PREFIX.length + 43 && /^[A-Za-z0-9_-]+$/.test(value.slice(3));
}

/** The API view of a key row. */
export function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    key_id: row.key_id,
    organization_id: row.organization_id,
    name: row.name,
    key_prefix: row.key_prefix,
    created_at: row.created_at,
    last_used_at: row.last_used_at,
    revoked: row.revoked_at !== null,
    revoked_at: row.revoked_at,
  };
}

/** Creates a key for the organization and returns it with its secret (the only time it is shown). */
export async function createApiKey(store: ServerStore, organizationId: string, name: string, now: Date): Promise<CreatedApiKey> {
  const key = generateApiKey();
  const row: ApiKeyRow = {
    key_id: newId('apiKey'),
    organization_id: organizationId,
    name,
    key_hash: hashApiKey(key),
    key_prefix: key.slice(0, API_KEY_PREFIX.length + DISPLAY_CHARS),
    created_at: now.toISOString(),
    last_used_at: null,
    revoked_at: null,
  };
  await store.apiKeys.insert(row);
  return { ...toApiKey(row), api_key: key };
}

/** A new organization with its first API key. */
export type CreatedOrganization = { organizationId: string; name: string; apiKey: CreatedApiKey };

async function insertOrganization(
  store: ServerStore,
  vault: Vault,
  options: { name: string; keyName: string; now: Date },
): Promise<CreatedOrganization> {
  const organizationId = newId('organization');
  const at = options.now.toISOString();
  await store.organizations.insert({ organization_id: organizationId, name: options.name, created_at: at });
  const secret = vault.encrypt(createWebhookSecretValue(), webhookSecretContext(organizationId));
  await store.webhookSecrets.insertIfMissing({ organization_id: organizationId, secret_ciphertext: secret, key_id: vault.keyId, created_at: at });
  const apiKey = await createApiKey(store, organizationId, options.keyName, options.now);
  return { organizationId, name: options.name, apiKey };
}

/** Creates an organization, its webhook secret and a first API key named `keyName`, in one transaction. */
export async function createOrganization(
  store: ServerStore,
  vault: Vault,
  options: { name: string; keyName: string; now: Date },
): Promise<CreatedOrganization> {
  return inTransaction(store, (tx) => insertOrganization(tx, vault, options));
}

/**
 * On the very first start (no bootstrap recorded), creates the `default` organization and a key
 * named `bootstrap`, and returns them: the caller prints the key once. Later calls, and concurrent
 * calls that lose the race, return undefined.
 */
export async function ensureBootstrap(store: ServerStore, vault: Vault, now: Date = new Date()): Promise<CreatedOrganization | undefined> {
  if ((await store.organizations.list()).length > 0) return undefined;
  // One transaction: a crash leaves nothing behind (the next start bootstraps), and of two servers
  // starting together on PostgreSQL the second waits on the claim's key and then finds it taken.
  return inTransaction(store, async (tx) => {
    if (!(await tx.meta.claim('bootstrap', now.toISOString(), now.toISOString()))) return undefined;
    if ((await tx.organizations.list()).length > 0) return undefined;
    return insertOrganization(tx, vault, { name: 'default', keyName: 'bootstrap', now });
  });
}

/** Revokes a key; refuses to revoke the organization's last active key (that would lock it out). */
export async function revokeApiKey(store: ServerStore, organizationId: string, keyId: string, now: Date): Promise<ApiKey> {
  const row = await store.apiKeys.find(organizationId, keyId);
  if (row === undefined) throw new PetrelError('NOT_FOUND', `keys.revoke: key ${keyId} not found`);
  if (row.revoked_at === null) {
    if ((await store.apiKeys.countActive(organizationId)) <= 1) {
      throw new PetrelError('CONFLICT', `keys.revoke: key ${keyId} is the organization's last active key; create another first`);
    }
    await store.apiKeys.revoke(organizationId, keyId, now.toISOString());
  }
  const updated = await store.apiKeys.find(organizationId, keyId);
  return toApiKey(updated ?? row);
}
