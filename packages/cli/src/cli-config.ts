// The CLI's configuration: every setting comes from a flag, else the environment, else a config
// file, else its default — in that order — and `petrel config` prints where each one came from.
// Config files are JSON objects of snake_case keys (`{"api_key": "pk_…", "base_url": "http://…"}`):
// `--config FILE` (or PETREL_CONFIG) alone when given; otherwise `./petrel.config.json` over the user
// file `$XDG_CONFIG_HOME/petrel/config.json` (default `~/.config/petrel/config.json`). A key is its
// environment variable without `PETREL_`, lower-cased: the client's `api_key` and `base_url`, and
// every server setting (`data_dir`, `database_url`, `llm_provider`, …), which the server commands
// read as if they were set in the environment.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { usageError } from './cli-errors.ts';

/** How a setting's value is shown by `petrel config`. */
type Masking = 'none' | 'secret' | 'url-password';

/** One setting the CLI knows. */
export type ConfigKeyInfo = {
  /** The key in a config file (`api_key`). */
  key: string;
  /** Its environment variable (`PETREL_API_KEY`). */
  env: string;
  /** Client settings drive API commands; server settings drive serve, worker, migrate, doctor. */
  scope: 'client' | 'server';
  /** Never printed in full. */
  masking: Masking;
  /** The value when nothing sets it, as `petrel config` shows it; undefined: unset. */
  defaultValue?: string;
};

/** The server settings' variables (as @petrel/server's SERVER_ENV, S3_ENV, LLM_ENV and SMTP_ENV; a unit test keeps them equal). */
export const SERVER_CONFIG_ENV: readonly string[] = [
  'PETREL_DATA_DIR',
  'PETREL_DATABASE_URL',
  'PETREL_HOST',
  'PETREL_PORT',
  'PETREL_MASTER_KEY',
  'PETREL_PUBLIC_URL',
  'PETREL_OUTBOUND_BLOCK_PRIVATE',
  'PETREL_MAX_BODY_BYTES',
  'PETREL_MAX_UPLOAD_BYTES',
  'PETREL_LOG_LEVEL',
  'PETREL_SHUTDOWN_TIMEOUT_MS',
  'PETREL_WORKFLOWS_DIR',
  'PETREL_WORKER_SLOTS',
  'PETREL_WORKER_ID',
  'PETREL_METRICS_PORT',
  'PETREL_BLOB_DIR',
  'PETREL_ARTIFACT_RETENTION_DAYS',
  'PETREL_SIGNED_URL_TTL_SECONDS',
  'PETREL_CHROMIUM_PATH',
  'PETREL_BROWSER_CONTEXTS',
  'PETREL_BROWSER_SESSIONS',
  'PETREL_BROWSER_ADDRESS',
  'PETREL_LLM_PROVIDER',
  'PETREL_LLM_MODEL',
  'PETREL_LLM_API_KEY',
  'PETREL_LLM_BASE_URL',
  'PETREL_LLM_STRUCTURED',
  'PETREL_LLM_ALLOWED_MODELS',
  'PETREL_S3_BUCKET',
  'PETREL_S3_ENDPOINT',
  'PETREL_S3_REGION',
  'PETREL_S3_ACCESS_KEY_ID',
  'PETREL_S3_SECRET_ACCESS_KEY',
  'PETREL_S3_FORCE_PATH_STYLE',
  'PETREL_S3_PREFIX',
  'PETREL_SMTP_HOST',
  'PETREL_SMTP_PORT',
  'PETREL_SMTP_SECURE',
  'PETREL_SMTP_USERNAME',
  'PETREL_SMTP_PASSWORD',
];

const SECRET_ENV = new Set(['PETREL_API_KEY', 'PETREL_MASTER_KEY', 'PETREL_LLM_API_KEY', 'PETREL_S3_SECRET_ACCESS_KEY', 'PETREL_SMTP_PASSWORD']);
const SERVER_DEFAULTS: Record<string, string> = {
  PETREL_DATA_DIR: './.petrel',
  PETREL_HOST: '127.0.0.1',
  PETREL_PORT: '8000',
  PETREL_LOG_LEVEL: 'info',
  PETREL_WORKER_SLOTS: '10',
};

/** The default base URL of API commands (`petrel serve`'s default address). */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:8000';

function keyOf(env: string): string {
  return env.replace(/^PETREL_/, '').toLowerCase();
}

/** Every setting, client ones first. */
export const CONFIG_KEYS: readonly ConfigKeyInfo[] = [
  { key: 'api_key', env: 'PETREL_API_KEY', scope: 'client', masking: 'secret' },
  { key: 'base_url', env: 'PETREL_BASE_URL', scope: 'client', masking: 'none', defaultValue: DEFAULT_BASE_URL },
  ...SERVER_CONFIG_ENV.map(
    (env): ConfigKeyInfo => ({
      key: keyOf(env),
      env,
      scope: 'server',
      masking: SECRET_ENV.has(env) ? 'secret' : env === 'PETREL_DATABASE_URL' ? 'url-password' : 'none',
      ...(SERVER_DEFAULTS[env] === undefined ? {} : { defaultValue: SERVER_DEFAULTS[env] }),
    }),
  ),
];

const BY_KEY = new Map(CONFIG_KEYS.map((info) => [info.key, info]));

/** The setting named `key`, or undefined. */
export function findConfigKey(key: string): ConfigKeyInfo | undefined {
  return BY_KEY.get(key);
}

/** Edit distance, for "did you mean" on unknown keys. */
function distance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0] ?? 0;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j] ?? 0;
      previous[j] = Math.min(above + 1, (previous[j - 1] ?? 0) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length] ?? 0;
}

/** The setting named `key`; a usage error with a suggestion otherwise. */
export function getConfigKey(key: string, where: string): ConfigKeyInfo {
  const info = findConfigKey(key);
  if (info !== undefined) return info;
  const best = CONFIG_KEYS.map((candidate) => ({ candidate, d: distance(key, candidate.key) })).sort((a, b) => a.d - b.d)[0];
  const suggestion = best !== undefined && best.d <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean ${best.candidate.key}?)` : '';
  throw usageError(`${where}: unknown key "${key.slice(0, 60)}"${suggestion}; \`petrel config keys\` lists them`);
}

/** Where config files are looked for. */
export type ConfigPaths = {
  /** `--config FILE` or PETREL_CONFIG: when set, the only file read. */
  explicit: string | undefined;
  /** `./petrel.config.json`. */
  project: string;
  /** `$XDG_CONFIG_HOME/petrel/config.json` (default `~/.config/petrel/config.json`). */
  user: string;
};

/** The config file paths for this environment and working directory. */
export function configPaths(env: Readonly<Record<string, string | undefined>>, cwd: string, homedir: string, explicit: string | undefined): ConfigPaths {
  const fromEnv = env['PETREL_CONFIG'];
  const chosen = explicit ?? (fromEnv === undefined || fromEnv === '' ? undefined : fromEnv);
  const xdg = env['XDG_CONFIG_HOME'];
  const configHome = xdg === undefined || xdg === '' ? join(homedir, '.config') : xdg;
  return {
    explicit: chosen === undefined ? undefined : resolve(cwd, chosen),
    project: join(cwd, 'petrel.config.json'),
    user: join(configHome, 'petrel', 'config.json'),
  };
}

/** A config file's settings (values as strings); `{}` when the file does not exist and need not. */
export function readConfigFile(path: string, mustExist = false): Record<string, string> {
  if (!existsSync(path)) {
    if (mustExist) throw usageError(`config: ${path} does not exist`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw usageError(`config: ${path} is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw usageError(`config: ${path} must hold a JSON object of settings`);
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    getConfigKey(key, `config: ${path}`);
    if (value === null) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw usageError(`config: ${path}: ${key} must be a string, number or boolean`);
    }
    values[key] = String(value);
  }
  return values;
}

/** Writes a config file (creating its folder), readable by its owner only: it may hold keys. */
export function writeConfigFile(path: string, values: Record<string, string>): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const sorted = Object.fromEntries(Object.entries(values).sort(([a], [b]) => a.localeCompare(b)));
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(sorted, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/** Where a resolved value came from. */
export type ConfigSource = { kind: 'flag'; flag: string } | { kind: 'env'; name: string } | { kind: 'file'; path: string } | { kind: 'default' };

/** A resolved setting. */
export type ResolvedSetting = { info: ConfigKeyInfo; value: string; source: ConfigSource };

/** The files read and every setting that has a value, with where it came from. */
export type ResolvedConfig = {
  paths: ConfigPaths;
  /** The files actually read, highest precedence first. */
  files: string[];
  settings: Map<string, ResolvedSetting>;
  /** The value of a setting, or undefined. */
  get(key: string): string | undefined;
};

/** Resolves every setting: flags, then the environment, then config files, then defaults. */
export function resolveConfig(input: {
  env: Readonly<Record<string, string | undefined>>;
  paths: ConfigPaths;
  /** Values given as flags, by key (`api_key` from `--api-key`), with the flag's name. */
  flags?: Record<string, { value: string; flag: string } | undefined>;
}): ResolvedConfig {
  const { env, paths } = input;
  const layers: Array<{ path: string; values: Record<string, string> }> = [];
  if (paths.explicit !== undefined) {
    layers.push({ path: paths.explicit, values: readConfigFile(paths.explicit, true) });
  } else {
    for (const path of [paths.project, paths.user]) if (existsSync(path)) layers.push({ path, values: readConfigFile(path) });
  }
  const settings = new Map<string, ResolvedSetting>();
  for (const info of CONFIG_KEYS) {
    const flag = input.flags?.[info.key];
    const fromEnv = env[info.env];
    let resolved: ResolvedSetting | undefined;
    if (flag !== undefined) resolved = { info, value: flag.value, source: { kind: 'flag', flag: flag.flag } };
    else if (fromEnv !== undefined && fromEnv !== '') resolved = { info, value: fromEnv, source: { kind: 'env', name: info.env } };
    else {
      const layer = layers.find((candidate) => candidate.values[info.key] !== undefined);
      if (layer !== undefined) resolved = { info, value: layer.values[info.key] ?? '', source: { kind: 'file', path: layer.path } };
      else if (info.defaultValue !== undefined) resolved = { info, value: info.defaultValue, source: { kind: 'default' } };
    }
    if (resolved !== undefined) settings.set(info.key, resolved);
  }
  return {
    paths,
    files: layers.map((layer) => layer.path),
    settings,
    get: (key) => settings.get(key)?.value,
  };
}

/**
 * The environment the server commands hand to `loadServerConfig`: the process environment over the
 * config files' server settings (flags are passed to it separately and win over both).
 */
export function serverEnvironment(env: Readonly<Record<string, string | undefined>>, config: ResolvedConfig): Record<string, string | undefined> {
  const merged: Record<string, string | undefined> = {};
  for (const setting of config.settings.values()) {
    if (setting.info.scope === 'server' && setting.source.kind === 'file') merged[setting.info.env] = setting.value;
  }
  return { ...merged, ...env };
}

/** A value as `petrel config` shows it: secrets masked to their first characters, URL passwords hidden. */
export function maskValue(info: ConfigKeyInfo, value: string): string {
  if (info.masking === 'secret') return value.length <= 8 ? '********' : `${value.slice(0, value.startsWith('pk_') ? 6 : 3)}…(${value.length} chars)`;
  if (info.masking === 'url-password') {
    try {
      const url = new URL(value);
      if (url.password !== '') url.password = '********';
      return url.toString();
    } catch {
      return '********';
    }
  }
  return value;
}

/** How a source reads in `petrel config`. */
export function describeSource(source: ConfigSource): string {
  if (source.kind === 'flag') return source.flag;
  if (source.kind === 'env') return `env ${source.name}`;
  if (source.kind === 'file') return source.path;
  return 'default';
}
