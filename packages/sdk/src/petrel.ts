// The client: one method per API operation, named as the seed SDKs name them, in camelCase.
// Arguments and answers are camelCase objects typed from the OpenAPI document; the HTTP layer
// converts keys at the edge (user data excepted, see wire-casing.ts) and throws typed errors.
import type { Duration } from './durations.ts';
import { toMilliseconds } from './durations.ts';
import type {
  ApiKey,
  CreateApiKeyRequest,
  CreateCredentialRequest,
  CreatedApiKey,
  CredentialResponse,
  GetCredentialsQuery,
  ListApiKeysQuery,
  Operations,
  TOTPCode,
  TOTPCodeCreate,
  WebhookSecret,
} from './generated/api-types.ts';
import type { OperationId } from './generated/operations.ts';
import { OPERATIONS } from './generated/operations.ts';
import type { CallInput, FetchFunction, RequestOptions } from './http-client.ts';
import { HttpClient } from './http-client.ts';
import type { LocalServer, LocalServerOptions } from './local-server.ts';
import type { VerifyWebhookOptions, WebhookHeaders } from './verify-webhook.ts';
import { verifyWebhook } from './verify-webhook.ts';

/** Options of `new Petrel(...)`. */
export type PetrelOptions = {
  /** API key (`pk_…`), sent as `x-api-key`. Required. */
  apiKey: string;
  /** Base URL of the server. Default `http://127.0.0.1:8000` (`petrel serve`'s default). */
  baseUrl?: string;
  /** Time limit of each HTTP attempt: milliseconds or a string such as `"30 seconds"`. Default 60 seconds. */
  timeout?: Duration;
  /** Retries of retry-safe requests after a network error, 408, 429 or 5xx. Default 2. */
  maxRetries?: number;
  /** Headers sent with every request. Default none. */
  headers?: Record<string, string>;
  /** The `fetch` to call. Default the global `fetch`. */
  fetch?: FetchFunction;
};

/** Options of `Petrel.local()`: the embedded server's and the client's. */
export type LocalPetrelOptions = LocalServerOptions & Omit<PetrelOptions, 'apiKey' | 'baseUrl'>;

/** A TOTP code to push, as `sendTotpCode` takes it (`expiredAt` may be a `Date`). */
export type SendTotpCodeParams = Omit<TOTPCodeCreate, 'expiredAt'> & { expiredAt?: string | Date | null };

const DEFAULT_BASE_URL = 'http://127.0.0.1:8000';
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RETRIES = 2;

function validateOptions(options: PetrelOptions): { baseUrl: string; timeoutMs: number; maxRetries: number } {
  if (typeof options !== 'object' || options === null) throw new TypeError('new Petrel: options are required ({ apiKey, baseUrl })');
  if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '') throw new TypeError('new Petrel: apiKey is required');
  const rawBaseUrl = options.baseUrl ?? DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(rawBaseUrl);
  } catch {
    throw new TypeError('new Petrel: baseUrl is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('new Petrel: baseUrl must start with http:// or https://');
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new RangeError('new Petrel: maxRetries must be a whole number ≥ 0');
  return {
    baseUrl: rawBaseUrl.replace(/\/+$/, ''),
    timeoutMs: options.timeout === undefined ? DEFAULT_TIMEOUT_MS : toMilliseconds(options.timeout, 'new Petrel: timeout'),
    maxRetries,
  };
}

/** A client of a Petrel server. */
export class Petrel {
  /** The base URL requests go to. */
  readonly baseUrl: string;
  readonly #http: HttpClient;

  constructor(options: PetrelOptions) {
    const { baseUrl, timeoutMs, maxRetries } = validateOptions(options);
    this.baseUrl = baseUrl;
    const fetchFunction = options.fetch ?? ((input: string, init: RequestInit) => globalThis.fetch(input, init));
    this.#http = new HttpClient({ baseUrl, apiKey: options.apiKey, timeoutMs, maxRetries, headers: { ...options.headers }, fetch: fetchFunction });
  }

  /**
   * Starts a Petrel server in this process (Node only; needs `@petrel/server` installed) on
   * 127.0.0.1 and a free port, over a temporary data directory unless `dataDir` is given, and
   * returns a client bound to it. Dispose it (`await using`, or `close()`) to stop the server.
   */
  static async local(options: LocalPetrelOptions = {}): Promise<LocalPetrel> {
    const { startLocalServer } = await import('./local-server.ts');
    const { dataDir, apiKey, workflowsDir, port, env, ...clientOptions } = options;
    const server = await startLocalServer({ dataDir, apiKey, workflowsDir, port, env });
    try {
      return new LocalPetrel({ ...clientOptions, apiKey: server.apiKey, baseUrl: server.url }, server);
    } catch (error) {
      await server.close();
      throw error;
    }
  }

  /** Calls an operation by its OpenAPI operationId. */
  protected async call<Op extends OperationId>(operation: Op, input: CallInput, options?: RequestOptions): Promise<Operations[Op]['response']> {
    return (await this.#http.call(operation, OPERATIONS[operation], input, options)) as Operations[Op]['response'];
  }

  // Credentials (seed 002) and TOTP codes.

  /** Stores a credential (password with an optional TOTP seed, credit card, or secret), encrypted; the answer never holds the secret. */
  async createCredential(params: CreateCredentialRequest, options?: RequestOptions): Promise<CredentialResponse> {
    return this.call('createCredential', { body: params }, options);
  }

  /** Lists the organization's credentials, newest first (masked). */
  async getCredentials(params: GetCredentialsQuery = {}, options?: RequestOptions): Promise<CredentialResponse[]> {
    return this.call('getCredentials', { query: params }, options);
  }

  /** Gets one credential (masked). */
  async getCredential(credentialId: string, options?: RequestOptions): Promise<CredentialResponse> {
    return this.call('getCredential', { path: { credential_id: credentialId } }, options);
  }

  /** Replaces a credential's name and data. */
  async updateCredential(credentialId: string, params: CreateCredentialRequest, options?: RequestOptions): Promise<CredentialResponse> {
    return this.call('updateCredential', { path: { credential_id: credentialId }, body: params }, options);
  }

  /** Deletes a credential and its ciphertext. */
  async deleteCredential(credentialId: string, options?: RequestOptions): Promise<void> {
    await this.call('deleteCredential', { path: { credential_id: credentialId } }, options);
  }

  /** Pushes a 2FA code (or the whole email/SMS that holds it) for runs waiting on `totpIdentifier`. */
  async sendTotpCode(params: SendTotpCodeParams, options?: RequestOptions): Promise<TOTPCode> {
    const expiredAt = params.expiredAt instanceof Date ? params.expiredAt.toISOString() : params.expiredAt;
    return this.call('sendTotpCode', { body: { ...params, expiredAt } }, options);
  }

  // Webhooks.

  /** Gets the organization's webhook signing secret (`whsec_…`), for `verifyWebhook`. */
  async getWebhookSecret(options?: RequestOptions): Promise<WebhookSecret> {
    return this.call('getWebhookSecret', {}, options);
  }

  /** Replaces the webhook signing secret; deliveries signed afterwards use the new one. */
  async rotateWebhookSecret(options?: RequestOptions): Promise<WebhookSecret> {
    return this.call('rotateWebhookSecret', { body: {} }, options);
  }

  /** `verifyWebhook` (seed 000 has it on the client): true when a delivery is authentic and recent. */
  async verifyWebhook(rawBody: string | Uint8Array | ArrayBuffer, headers: WebhookHeaders, secret: string, options?: VerifyWebhookOptions): Promise<boolean> {
    return verifyWebhook(rawBody, headers, secret, options);
  }

  // API keys (Petrel's own).

  /** Lists the organization's API keys (never their secrets). */
  async getApiKeys(params: ListApiKeysQuery = {}, options?: RequestOptions): Promise<ApiKey[]> {
    return this.call('listApiKeys', { query: params }, options);
  }

  /** Creates an API key; the answer holds the secret this once. */
  async createApiKey(params: CreateApiKeyRequest, options?: RequestOptions): Promise<CreatedApiKey> {
    return this.call('createApiKey', { body: params }, options);
  }

  /** Gets one API key (never its secret). */
  async getApiKey(keyId: string, options?: RequestOptions): Promise<ApiKey> {
    return this.call('getApiKey', { path: { key_id: keyId } }, options);
  }

  /** Revokes an API key (not the organization's last active one). */
  async revokeApiKey(keyId: string, options?: RequestOptions): Promise<ApiKey> {
    return this.call('revokeApiKey', { path: { key_id: keyId } }, options);
  }
}

/** A client bound to a server `Petrel.local()` started in this process; dispose it to stop the server. */
export class LocalPetrel extends Petrel {
  /** The embedded server: its URL, API key and data directory. */
  readonly server: { readonly url: string; readonly apiKey: string; readonly dataDir: string };
  readonly #server: LocalServer;

  constructor(options: PetrelOptions, server: LocalServer) {
    super(options);
    this.#server = server;
    this.server = { url: server.url, apiKey: server.apiKey, dataDir: server.dataDir };
  }

  /** Stops the embedded server gracefully and deletes its temporary data directory. */
  async close(): Promise<void> {
    await this.#server.close();
  }

  /** Same as `close()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
