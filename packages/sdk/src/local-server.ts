// `Petrel.local()`'s server: `startServer` of @petrel/server in this process, on 127.0.0.1 and a
// free port, over a temporary (or given) data directory. The SDK still talks to it over HTTP only;
// @petrel/server is an optional peer dependency loaded here with a dynamic import — the one import of
// the server by the SDK that `scripts/check-deps.ts` allows. Node only: this module is loaded by
// `Petrel.local()` alone, so the SDK's main entry stays free of `node:` imports (browsers).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What `Petrel.local()` needs from @petrel/server (checked against its real types by the repo's type-check). */
export type LocalServerModule = {
  loadServerConfig(env: Readonly<Record<string, string | undefined>>): { dataDir: string };
  startServer(options: { config: never }): Promise<{
    readonly url: string;
    readonly bootstrap: { organizationId: string; apiKey: { api_key: string; key_id: string } } | undefined;
    readonly deps: { store: { organizations: { list(): Promise<readonly { organization_id: string }[]> } } };
    close(): Promise<void>;
  }>;
  createApiKey(store: never, organizationId: string, name: string, now: Date): Promise<{ api_key: string; key_id: string }>;
  revokeApiKey(store: never, organizationId: string, keyId: string, now: Date): Promise<unknown>;
};

/** Options of the embedded server. */
export type LocalServerOptions = {
  /** Data directory. Default: a new temporary directory, deleted when the server is closed. */
  dataDir?: string | undefined;
  /** An API key of the data directory's organization. Default: the first start's key, or a new key revoked on close. */
  apiKey?: string | undefined;
  /** Directory of code workflows to load (`--workflows`). Default none. */
  workflowsDir?: string | undefined;
  /** Port to listen on (127.0.0.1). Default 0: any free port. */
  port?: number | undefined;
  /** More server settings as `PETREL_*` variables; the process environment is not read unless passed here. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
};

/** A started embedded server. */
export type LocalServer = {
  /** Base URL of the server. */
  url: string;
  /** The API key the client uses. */
  apiKey: string;
  /** The data directory. */
  dataDir: string;
  /** Stops the server gracefully (and deletes a temporary data directory). */
  close(): Promise<void>;
};

async function loadServerModule(): Promise<LocalServerModule> {
  try {
    const server: LocalServerModule = await import('@petrel/server');
    return server;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error('Petrel.local: @petrel/server is not installed; install it next to @petrel/sdk, or start a server and use new Petrel({ baseUrl, apiKey })', { cause: error });
    }
    throw error;
  }
}

/** Starts the embedded server. */
export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const serverModule = await loadServerModule();
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'petrel-local-')));
  const removeTemporary = async (): Promise<void> => {
    if (temporary) await rm(dataDir, { recursive: true, force: true });
  };
  let server: Awaited<ReturnType<LocalServerModule['startServer']>>;
  try {
    const config = serverModule.loadServerConfig({
      PETREL_LOG_LEVEL: 'silent',
      ...options.env,
      ...(options.workflowsDir === undefined ? {} : { PETREL_WORKFLOWS_DIR: options.workflowsDir }),
      PETREL_DATA_DIR: dataDir,
      PETREL_HOST: '127.0.0.1',
      PETREL_PORT: String(options.port ?? 0),
      // Links in answers must point at the port actually chosen.
      PETREL_PUBLIC_URL: '',
    });
    server = await serverModule.startServer({ config: config as never });
  } catch (error) {
    await removeTemporary();
    throw error;
  }

  let apiKey = options.apiKey ?? server.bootstrap?.apiKey.api_key;
  let revoke: (() => Promise<unknown>) | undefined;
  if (apiKey === undefined) {
    // An existing data directory and no key given: a key for this process only.
    try {
      const store = server.deps.store;
      const [organization] = await store.organizations.list();
      if (organization === undefined) throw new Error('Petrel.local: the data directory has no organization');
      const created = await serverModule.createApiKey(store as never, organization.organization_id, 'sdk-local', new Date());
      apiKey = created.api_key;
      revoke = () => serverModule.revokeApiKey(store as never, organization.organization_id, created.key_id, new Date());
    } catch (error) {
      await server.close();
      throw error;
    }
  }

  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    apiKey,
    dataDir,
    close: () => {
      closing ??= (async () => {
        try {
          await revoke?.();
        } finally {
          try {
            await server.close();
          } finally {
            await removeTemporary();
          }
        }
      })();
      return closing;
    },
  };
}
