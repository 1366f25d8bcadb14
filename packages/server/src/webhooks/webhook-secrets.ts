// Each organization's webhook signing secret: `whsec_` + 32 random bytes in base64url, kept
// encrypted by the vault, made with the organization, and rotatable (the new secret applies to
// every delivery signed after the rotation).
import { randomBytes } from 'node:crypto';
import type { WebhookSecret } from '@petrel/protocol';
import type { ServerStore } from '../store/server-store.ts';
import type { Vault } from '../vault/vault.ts';

/** Returns a new random webhook secret. */
export function createWebhookSecretValue(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** The vault context of an organization's webhook secret. */
export function webhookSecretContext(organizationId: string): string {
  return `webhook-secret:${organizationId}`;
}

/** The organization's webhook secret, created on first use when missing. */
export async function getWebhookSecret(store: ServerStore, vault: Vault, organizationId: string, now: Date): Promise<WebhookSecret> {
  let row = await store.webhookSecrets.find(organizationId);
  if (row === undefined) {
    const ciphertext = vault.encrypt(createWebhookSecretValue(), webhookSecretContext(organizationId));
    await store.webhookSecrets.insertIfMissing({ organization_id: organizationId, secret_ciphertext: ciphertext, key_id: vault.keyId, created_at: now.toISOString() });
    row = await store.webhookSecrets.find(organizationId);
    if (row === undefined) throw new Error('webhooks.secret: secret vanished after insert');
  }
  return { secret: vault.decrypt(row.secret_ciphertext, webhookSecretContext(organizationId)), created_at: row.created_at };
}

/** Replaces the organization's webhook secret with a new one and returns it. */
export async function rotateWebhookSecret(store: ServerStore, vault: Vault, organizationId: string, now: Date): Promise<WebhookSecret> {
  const secret = createWebhookSecretValue();
  const createdAt = now.toISOString();
  await store.webhookSecrets.put({
    organization_id: organizationId,
    secret_ciphertext: vault.encrypt(secret, webhookSecretContext(organizationId)),
    key_id: vault.keyId,
    created_at: createdAt,
  });
  return { secret, created_at: createdAt };
}
