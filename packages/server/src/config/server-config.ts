// The server's configuration, read in one place from the environment and command-line flags. Only
// the entry points (`startServer` callers: the CLI, `bin/`) pass `process.env` and `process.argv`;
// everything below takes the parsed `ServerConfig`.
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MODEL_PROVIDERS, compileModelConfig } from '@petrel/agent';
import type { ModelConfig, ModelProvider } from '@petrel/agent';
import { PetrelError } from '@petrel/protocol';

/** Log levels pino understands, quietest last. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
/** A log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The validated configuration of `petrel serve`. */
export type ServerConfig = {
  /** Directory for the SQLite file, the master key file and local files. Default `./.petrel` (resolved). */
  dataDir: string;
  /** PostgreSQL URL; when undefined the server uses SQLite at `<dataDir>/petrel.db`. */
  databaseUrl: string | undefined;
  /** Interface to listen on. Default `127.0.0.1`. */
  host: string;
  /** Port to listen on; 0 picks a free one. Default 8000 (Skyvern's local port). */
  port: number;
  /** Base64 of the 32-byte vault master key, from the environment; undefined means the key file. */
  masterKey: string | undefined;
  /** URL clients reach the server at (for links in responses). Default `http://<host>:<port>`. */
  publicUrl: string | undefined;
  /** Refuse outbound requests to loopback, private, link-local, CGNAT and ULA addresses. Default false. */
  outboundBlockPrivate: boolean;
  /** Largest JSON request body, in bytes. Default 2 MiB. */
  maxBodyBytes: number;
  /** Largest file upload (`POST /v1/upload_file`), in bytes. Default 100 MiB. */
  maxUploadBytes: number;
  /** Log level. Default `info`. */
  logLevel: LogLevel;
  /** How long shutdown waits for requests in flight before closing their connections, in ms. Default 10 000. */
  shutdownTimeoutMs: number;
  /** Directory of code workflows to load (`--workflows DIR`); undefined loads none. */
  workflowsDir: string | undefined;
  /** Workflow instances this process runs at once; 0 runs none (API only). Default 10. */
  workerSlots: number;
  /** A stable worker id (unique among live processes), so a restarted worker takes its instances back at once. Default random. */
  workerId: string | undefined;
  /** `petrel worker` only: serve `/healthz`, `/readyz` and `/metrics` on this port. Default none. */
  metricsPort: number | undefined;
  /** Where artifacts, uploads and profiles are kept. Default a folder `<dataDir>/blobs`; S3-compatible when a bucket is set. */
  blobStore: BlobStoreConfig;
  /** Artifacts older than this many days are deleted (bytes and rows); 0 keeps them. Default 30. */
  artifactRetentionDays: number;
  /** How long signed artifact and file URLs work, in seconds. Default 86 400 (24 hours, as Skyvern's presigned URLs). */
  signedUrlTtlSeconds: number;
  /** Chromium executable for the browser pool and sessions; default discovered (Playwright's, then system paths). */
  chromiumPath: string | undefined;
  /** Most browser contexts this process runs at once. Default 4. */
  browserContexts: number;
  /** Most persistent browser sessions this process keeps at once. Default 16. */
  browserSessions: number;
  /** Attach the run browser pool to this remote Chromium over CDP instead of launching one. Default none (local Chromium). */
  browserAddress: string | undefined;
  /** The language model of agent steps (`PETREL_LLM_*`); undefined means runs that need one fail with `LLM_NOT_CONFIGURED`. */
  llm: ModelConfig | undefined;
  /** Model ids a run's `model.model_name` may pick; undefined allows any (the configured provider, endpoint and key are kept either way). */
  llmAllowedModels: string[] | undefined;
  /** The SMTP server of `send_email` blocks without their own settings and of `human_interaction` emails; undefined: none. */
  smtp: SmtpConfig | undefined;
};

/** How to reach the server's SMTP server (`PETREL_SMTP_*`). */
export type SmtpConfig = {
  host: string;
  /** Default 465 when `secure`, else 587. */
  port: number | undefined;
  /** TLS from the first byte (SMTPS). Default true on port 465. */
  secure: boolean | undefined;
  username: string | undefined;
  password: string | undefined;
};

/** Where blobs go: a local folder, or an S3-compatible bucket. */
export type BlobStoreConfig =
  | { kind: 'disk'; root: string }
  | {
      kind: 's3';
      bucket: string;
      /** Endpoint of an S3-compatible service (MinIO, R2, …); default AWS. */
      endpoint: string | undefined;
      region: string;
      /** Static credentials; default the AWS SDK's provider chain. */
      accessKeyId: string | undefined;
      secretAccessKey: string | undefined;
      /** Path-style addressing (needed by most S3-compatible servers). Default true with an endpoint, else false. */
      forcePathStyle: boolean;
      /** A prefix put before every key. Default none. */
      prefix: string;
    };

/** Environment variables the server reads, by config field. */
export const SERVER_ENV = {
  dataDir: 'PETREL_DATA_DIR',
  databaseUrl: 'PETREL_DATABASE_URL',
  host: 'PETREL_HOST',
  port: 'PETREL_PORT',
  masterKey: 'PETREL_MASTER_KEY',
  publicUrl: 'PETREL_PUBLIC_URL',
  outboundBlockPrivate: 'PETREL_OUTBOUND_BLOCK_PRIVATE',
  maxBodyBytes: 'PETREL_MAX_BODY_BYTES',
  maxUploadBytes: 'PETREL_MAX_UPLOAD_BYTES',
  logLevel: 'PETREL_LOG_LEVEL',
  shutdownTimeoutMs: 'PETREL_SHUTDOWN_TIMEOUT_MS',
  workflowsDir: 'PETREL_WORKFLOWS_DIR',
  workerSlots: 'PETREL_WORKER_SLOTS',
  workerId: 'PETREL_WORKER_ID',
  metricsPort: 'PETREL_METRICS_PORT',
  blobStore: 'PETREL_BLOB_DIR',
  artifactRetentionDays: 'PETREL_ARTIFACT_RETENTION_DAYS',
  signedUrlTtlSeconds: 'PETREL_SIGNED_URL_TTL_SECONDS',
  chromiumPath: 'PETREL_CHROMIUM_PATH',
  browserContexts: 'PETREL_BROWSER_CONTEXTS',
  browserSessions: 'PETREL_BROWSER_SESSIONS',
  browserAddress: 'PETREL_BROWSER_ADDRESS',
  llm: 'PETREL_LLM_PROVIDER',
  llmAllowedModels: 'PETREL_LLM_ALLOWED_MODELS',
  smtp: 'PETREL_SMTP_HOST',
} as const satisfies Record<keyof ServerConfig, string>;

/** Environment variables of the SMTP server (used when `PETREL_SMTP_HOST` is set). */
export const SMTP_ENV = {
  host: 'PETREL_SMTP_HOST',
  port: 'PETREL_SMTP_PORT',
  secure: 'PETREL_SMTP_SECURE',
  username: 'PETREL_SMTP_USERNAME',
  password: 'PETREL_SMTP_PASSWORD',
} as const;

/** Environment variables of the language model (used when `PETREL_LLM_PROVIDER` is set). */
export const LLM_ENV = {
  provider: 'PETREL_LLM_PROVIDER',
  model: 'PETREL_LLM_MODEL',
  apiKey: 'PETREL_LLM_API_KEY',
  baseUrl: 'PETREL_LLM_BASE_URL',
  structuredOutputs: 'PETREL_LLM_STRUCTURED',
  allowedModels: 'PETREL_LLM_ALLOWED_MODELS',
} as const;

/** Environment variables of the S3-compatible blob store (used when `PETREL_S3_BUCKET` is set). */
export const S3_ENV = {
  bucket: 'PETREL_S3_BUCKET',
  endpoint: 'PETREL_S3_ENDPOINT',
  region: 'PETREL_S3_REGION',
  accessKeyId: 'PETREL_S3_ACCESS_KEY_ID',
  secretAccessKey: 'PETREL_S3_SECRET_ACCESS_KEY',
  forcePathStyle: 'PETREL_S3_FORCE_PATH_STYLE',
  prefix: 'PETREL_S3_PREFIX',
} as const;

function fail(message: string): never {
  throw new PetrelError('INVALID_CONFIG', `config: ${message}`);
}

function parseInteger(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw.trim())) fail(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  const value = Number(raw.trim());
  if (value < min || value > max) fail(`${name} must be a whole number from ${min} to ${max} (got ${value})`);
  return value;
}

function parseBoolean(name: string, raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(value)) return false;
  return fail(`${name} must be true or false (got "${raw}")`);
}

function parseUrl(name: string, raw: string, protocols: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The raw value may hold a password; never echo it.
    return fail(`${name} is not a valid URL`);
  }
  if (!protocols.includes(url.protocol)) fail(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  return raw;
}

/**
 * Reads the server configuration from `env` (and `argv`, the arguments after the command, e.g.
 * `['--port', '9000']`; flags win over env). Throws `INVALID_CONFIG` naming the variable at fault.
 */
export function loadServerConfig(env: Readonly<Record<string, string | undefined>>, argv: readonly string[] = []): ServerConfig {
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        'data-dir': { type: 'string' },
        'database-url': { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'public-url': { type: 'string' },
        'outbound-block-private': { type: 'boolean' },
        'log-level': { type: 'string' },
        workflows: { type: 'string' },
        slots: { type: 'string' },
        'worker-id': { type: 'string' },
        'metrics-port': { type: 'string' },
      },
    }).values;
  } catch (error) {
    return fail(error instanceof Error ? error.message : 'bad command-line flags');
  }
  const pick = (flag: string, name: keyof ServerConfig): string | undefined => {
    const fromFlag = flags[flag];
    if (typeof fromFlag === 'string') return fromFlag;
    const fromEnv = env[SERVER_ENV[name]];
    return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
  };

  const dataDir = resolve(pick('data-dir', 'dataDir') ?? './.petrel');
  const rawDatabaseUrl = pick('database-url', 'databaseUrl');
  const databaseUrl =
    rawDatabaseUrl === undefined ? undefined : parseUrl(SERVER_ENV.databaseUrl, rawDatabaseUrl, ['postgres:', 'postgresql:']);
  const host = pick('host', 'host') ?? '127.0.0.1';
  const rawPort = pick('port', 'port');
  const port = rawPort === undefined ? 8000 : parseInteger(SERVER_ENV.port, rawPort, 0, 65_535);
  const rawPublicUrl = pick('public-url', 'publicUrl');
  const publicUrl = rawPublicUrl === undefined ? undefined : parseUrl(SERVER_ENV.publicUrl, rawPublicUrl, ['http:', 'https:']).replace(/\/+$/, '');
  const masterKey = env[SERVER_ENV.masterKey] === '' ? undefined : env[SERVER_ENV.masterKey];
  const outboundBlockPrivate =
    flags['outbound-block-private'] === true ||
    parseBoolean(SERVER_ENV.outboundBlockPrivate, env[SERVER_ENV.outboundBlockPrivate] ?? 'false');
  const rawBody = env[SERVER_ENV.maxBodyBytes];
  const maxBodyBytes = rawBody ? parseInteger(SERVER_ENV.maxBodyBytes, rawBody, 1024, 1024 ** 3) : 2 * 1024 * 1024;
  const rawUpload = env[SERVER_ENV.maxUploadBytes];
  const maxUploadBytes = rawUpload ? parseInteger(SERVER_ENV.maxUploadBytes, rawUpload, 1024, 16 * 1024 ** 3) : 100 * 1024 * 1024;
  const rawLevel = (pick('log-level', 'logLevel') ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(rawLevel)) fail(`${SERVER_ENV.logLevel} must be one of ${LOG_LEVELS.join(', ')} (got "${rawLevel}")`);
  const rawShutdown = env[SERVER_ENV.shutdownTimeoutMs];
  const shutdownTimeoutMs = rawShutdown ? parseInteger(SERVER_ENV.shutdownTimeoutMs, rawShutdown, 0, 3_600_000) : 10_000;

  const rawWorkflows = pick('workflows', 'workflowsDir');
  const workflowsDir = rawWorkflows === undefined ? undefined : resolve(rawWorkflows);
  const rawSlots = pick('slots', 'workerSlots');
  const workerSlots = rawSlots === undefined ? 10 : parseInteger(SERVER_ENV.workerSlots, rawSlots, 0, 10_000);
  const workerId = pick('worker-id', 'workerId');
  if (workerId !== undefined && !/^[A-Za-z0-9._:-]{1,128}$/.test(workerId)) fail(`${SERVER_ENV.workerId} must be 1 to 128 letters, digits, ".", "_", ":" or "-"`);
  const rawMetricsPort = pick('metrics-port', 'metricsPort');
  const metricsPort = rawMetricsPort === undefined ? undefined : parseInteger(SERVER_ENV.metricsPort, rawMetricsPort, 0, 65_535);

  const env1 = (name: string): string | undefined => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  let blobStore: BlobStoreConfig;
  const bucket = env1(S3_ENV.bucket);
  if (bucket === undefined) {
    for (const name of Object.values(S3_ENV)) if (env1(name) !== undefined) fail(`${name} is set but ${S3_ENV.bucket} is not`);
    const rawBlobDir = env1(SERVER_ENV.blobStore);
    blobStore = { kind: 'disk', root: rawBlobDir === undefined ? join(dataDir, 'blobs') : resolve(rawBlobDir) };
  } else {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) fail(`${S3_ENV.bucket} must be a bucket name (3 to 63 lowercase letters, digits, "." or "-")`);
    if (env1(SERVER_ENV.blobStore) !== undefined) fail(`${SERVER_ENV.blobStore} and ${S3_ENV.bucket} cannot both be set`);
    const endpoint = env1(S3_ENV.endpoint);
    if (endpoint !== undefined) parseUrl(S3_ENV.endpoint, endpoint, ['http:', 'https:']);
    const accessKeyId = env1(S3_ENV.accessKeyId);
    const secretAccessKey = env1(S3_ENV.secretAccessKey);
    if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) fail(`${S3_ENV.accessKeyId} and ${S3_ENV.secretAccessKey} go together`);
    const prefix = env1(S3_ENV.prefix) ?? '';
    if (prefix !== '' && !/^[A-Za-z0-9._~@=+,/-]+$/.test(prefix)) fail(`${S3_ENV.prefix} may hold only letters, digits, "/" and ._~@=+,-`);
    blobStore = {
      kind: 's3',
      bucket,
      endpoint,
      region: env1(S3_ENV.region) ?? 'us-east-1',
      accessKeyId,
      secretAccessKey,
      forcePathStyle: parseBoolean(S3_ENV.forcePathStyle, env1(S3_ENV.forcePathStyle) ?? (endpoint === undefined ? 'false' : 'true')),
      prefix,
    };
  }
  const rawRetention = env1(SERVER_ENV.artifactRetentionDays);
  const artifactRetentionDays = rawRetention === undefined ? 30 : parseInteger(SERVER_ENV.artifactRetentionDays, rawRetention, 0, 36_500);
  const rawTtl = env1(SERVER_ENV.signedUrlTtlSeconds);
  const signedUrlTtlSeconds = rawTtl === undefined ? 86_400 : parseInteger(SERVER_ENV.signedUrlTtlSeconds, rawTtl, 10, 7 * 86_400);
  const rawChromium = env1(SERVER_ENV.chromiumPath);
  const rawContexts = env1(SERVER_ENV.browserContexts);
  const browserContexts = rawContexts === undefined ? 4 : parseInteger(SERVER_ENV.browserContexts, rawContexts, 1, 256);
  const rawSessions = env1(SERVER_ENV.browserSessions);
  const browserSessions = rawSessions === undefined ? 16 : parseInteger(SERVER_ENV.browserSessions, rawSessions, 0, 1000);

  const rawBrowserAddress = env1(SERVER_ENV.browserAddress);
  const browserAddress = rawBrowserAddress === undefined ? undefined : parseUrl(SERVER_ENV.browserAddress, rawBrowserAddress, ['http:', 'https:', 'ws:', 'wss:']);
  const { llm, llmAllowedModels } = loadModelConfig(env1);
  const smtpHost = env1(SMTP_ENV.host);
  let smtp: SmtpConfig | undefined;
  if (smtpHost === undefined) {
    for (const name of [SMTP_ENV.port, SMTP_ENV.secure, SMTP_ENV.username, SMTP_ENV.password]) if (env1(name) !== undefined) fail(`${name} is set but ${SMTP_ENV.host} is not`);
  } else {
    const rawSmtpPort = env1(SMTP_ENV.port);
    const rawSecure = env1(SMTP_ENV.secure);
    const username = env1(SMTP_ENV.username);
    const password = env1(SMTP_ENV.password);
    if ((username === undefined) !== (password === undefined)) fail(`${SMTP_ENV.username} and ${SMTP_ENV.password} go together`);
    smtp = {
      host: smtpHost,
      port: rawSmtpPort === undefined ? undefined : parseInteger(SMTP_ENV.port, rawSmtpPort, 1, 65_535),
      secure: rawSecure === undefined ? undefined : parseBoolean(SMTP_ENV.secure, rawSecure),
      username,
      password,
    };
  }

  return {
    dataDir,
    databaseUrl,
    host,
    port,
    masterKey,
    publicUrl,
    outboundBlockPrivate,
    maxBodyBytes,
    maxUploadBytes,
    logLevel: rawLevel as LogLevel,
    shutdownTimeoutMs,
    workflowsDir,
    workerSlots,
    workerId,
    metricsPort,
    blobStore,
    artifactRetentionDays,
    signedUrlTtlSeconds,
    chromiumPath: rawChromium === undefined ? undefined : resolve(rawChromium),
    browserContexts,
    browserSessions,
    browserAddress,
    llm,
    llmAllowedModels,
    smtp,
  };
}

/** The model of `PETREL_LLM_*`, checked as the agent will check it (the key is never echoed). */
function loadModelConfig(env1: (name: string) => string | undefined): { llm: ModelConfig | undefined; llmAllowedModels: string[] | undefined } {
  const rawAllowed = env1(LLM_ENV.allowedModels);
  const llmAllowedModels = rawAllowed === undefined ? undefined : rawAllowed.split(',').map((id) => id.trim()).filter((id) => id !== '');
  if (llmAllowedModels !== undefined && llmAllowedModels.length === 0) fail(`${LLM_ENV.allowedModels} must list at least one model id`);
  const provider = env1(LLM_ENV.provider);
  if (provider === undefined) {
    for (const name of [LLM_ENV.model, LLM_ENV.apiKey, LLM_ENV.baseUrl]) if (env1(name) !== undefined) fail(`${name} is set but ${LLM_ENV.provider} is not`);
    return { llm: undefined, llmAllowedModels };
  }
  if (!(MODEL_PROVIDERS as readonly string[]).includes(provider)) fail(`${LLM_ENV.provider} must be one of ${MODEL_PROVIDERS.join(', ')} (got "${provider.slice(0, 40)}")`);
  const model = env1(LLM_ENV.model);
  if (model === undefined) fail(`${LLM_ENV.model} is required with ${LLM_ENV.provider}`);
  const baseUrl = env1(LLM_ENV.baseUrl);
  const apiKey = env1(LLM_ENV.apiKey);
  const llm: ModelConfig = {
    provider: provider as ModelProvider,
    model,
    ...(baseUrl === undefined ? {} : { baseUrl: parseUrl(LLM_ENV.baseUrl, baseUrl, ['http:', 'https:']) }),
    ...(apiKey === undefined ? {} : { apiKey }),
    ...(parseBoolean(LLM_ENV.structuredOutputs, env1(LLM_ENV.structuredOutputs) ?? 'false') ? { supportsStructuredOutputs: true } : {}),
  };
  try {
    compileModelConfig(llm);
  } catch (error) {
    // The agent's message names the field; map it to the variable.
    const field = (error as { details?: { field?: string } }).details?.field ?? 'model';
    const variable = field === 'apiKey' ? LLM_ENV.apiKey : field === 'baseUrl' ? LLM_ENV.baseUrl : field === 'provider' ? LLM_ENV.provider : LLM_ENV.model;
    fail(`${variable} is missing or invalid for ${LLM_ENV.provider}=${provider}`);
  }
  return { llm, llmAllowedModels };
}
