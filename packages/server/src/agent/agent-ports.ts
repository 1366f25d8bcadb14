// The agent's ports, implemented on the server: credentials from the vault (decrypted only here, at
// typing time), 2FA codes pushed to `/v1/credentials/totp`, the artifacts table, persistent browser
// sessions, the outbound policy's fetch for `totp_url`, and the organization's webhook secret as the
// key `totp_url` requests are signed with.
import type { BrowserSessionResolver, CredentialResolver, CredentialValues, FetchLike, PushedTotpSource } from '@petrel/agent';
import { PetrelError } from '@petrel/protocol';
import { revealCredentialSecret } from '../credentials/credential-service.ts';
import { findPushedTotpCode } from '../credentials/totp-service.ts';
import type { BrowserSessionService } from '../browsers/session-service.ts';
import type { OutboundFetch } from '../outbound/outbound-fetch.ts';
import type { ServerStore } from '../store/server-store.ts';
import type { Vault } from '../vault/vault.ts';
import { getWebhookSecret } from '../webhooks/webhook-secrets.ts';

/** A `CredentialResolver` over the vault: the organization is the agent's namespace. */
export function createVaultCredentialResolver(store: ServerStore, vault: Vault): CredentialResolver {
  return {
    async get(namespace, credentialId) {
      const secret = await revealCredentialSecret(store, vault, namespace, credentialId);
      // Only the fields the agent types; the rest of the record stays here.
      if (secret.credential_type === 'password') {
        return { credential_type: 'password', username: secret.username, password: secret.password, totp: secret.totp } satisfies CredentialValues;
      }
      if (secret.credential_type === 'credit_card') {
        return {
          credential_type: 'credit_card',
          card_number: secret.card_number,
          card_cvv: secret.card_cvv,
          card_exp_month: secret.card_exp_month,
          card_exp_year: secret.card_exp_year,
          card_brand: secret.card_brand,
          card_holder_name: secret.card_holder_name,
        } satisfies CredentialValues;
      }
      return { credential_type: 'secret', secret_value: secret.secret_value, secret_label: secret.secret_label } satisfies CredentialValues;
    },
  };
}

/** A `PushedTotpSource` over the `totp_codes` table. */
export function createStoredTotpSource(store: ServerStore, now: () => Date): PushedTotpSource {
  return {
    async find(namespace, identifier, since) {
      const code = await findPushedTotpCode(store, namespace, identifier, since, now());
      return code === undefined ? undefined : { code: code.code, createdAt: new Date(code.created_at) };
    },
  };
}

/** A `BrowserSessionResolver` over the sessions table (any process may resolve any session). */
export function createSessionResolver(sessions: BrowserSessionService | undefined): BrowserSessionResolver {
  return {
    async get(namespace, browserSessionId) {
      if (sessions === undefined) throw new PetrelError('INTEGRATION_NOT_CONFIGURED', 'agent.sessions: this process has no browser session service', { nonRetryable: true });
      return sessions.resolve(namespace, browserSessionId);
    },
  };
}

/** The agent's `fetch` (a `fetch`-shaped function) over the outbound policy's fetch. */
export function outboundFetchLike(outbound: OutboundFetch): FetchLike {
  return async (input, init = {}) => {
    const request = input instanceof Request ? input : undefined;
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers: Record<string, string> = {};
    new Headers(init.headers ?? request?.headers).forEach((value, name) => {
      headers[name] = value;
    });
    let body: string | Uint8Array | undefined;
    const raw = init.body ?? (request === undefined ? undefined : await request.arrayBuffer());
    if (typeof raw === 'string') body = raw;
    else if (raw instanceof ArrayBuffer) body = new Uint8Array(raw);
    else if (raw instanceof Uint8Array) body = raw;
    else if (raw !== undefined && raw !== null) throw new PetrelError('VALIDATION_FAILED', 'agent.fetch: only string and byte bodies are supported');
    const signal = init.signal ?? request?.signal ?? undefined;
    // undici's `Response` is the same class Node's `fetch` returns, typed by another copy of the types.
    return (await outbound(url, {
      method: init.method ?? request?.method ?? 'GET',
      headers,
      ...(body === undefined ? {} : { body }),
      ...(signal === undefined || signal === null ? {} : { signal }),
      redirect: init.redirect === 'manual' ? 'manual' : 'follow',
    })) as unknown as Response;
  };
}

/** The organization's webhook secret, the HMAC key of `totp_url` requests (as of webhooks). */
export function createTotpSigningSecret(store: ServerStore, vault: Vault, now: () => Date): (namespace: string) => Promise<string> {
  return async (namespace) => (await getWebhookSecret(store, vault, namespace, now())).secret;
}
