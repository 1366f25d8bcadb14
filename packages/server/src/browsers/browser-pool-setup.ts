// The browser pool of a process's runs, from the config: local headless Chromium (the config's
// executable, or discovered), or a remote Chromium over CDP when `PETREL_BROWSER_ADDRESS` is set.
// The pool launches or attaches lazily, on the first run that needs a browser; dispose it at
// shutdown (after the engine and the agent's run browsers).
import { join } from 'node:path';
import { createBrowserPool } from '@petrel/browser';
import type { BlobStore, BrowserPool } from '@petrel/browser';
import type { Logger } from '@petrel/protocol';
import type { ServerConfig } from '../config/server-config.ts';

/** Builds the configured browser pool; artifacts go to `blobStore`, downloads under `<dataDir>/downloads`. */
export function createConfiguredBrowserPool(
  config: Pick<ServerConfig, 'dataDir' | 'browserContexts' | 'chromiumPath' | 'browserAddress'>,
  blobStore: BlobStore,
  logger: Logger,
): BrowserPool {
  return createBrowserPool({
    blobStore,
    logger,
    maxContexts: config.browserContexts,
    downloadsRoot: join(config.dataDir, 'downloads'),
    ...(config.browserAddress === undefined ? {} : { browserAddress: config.browserAddress }),
    ...(config.chromiumPath === undefined || config.browserAddress !== undefined ? {} : { executablePath: config.chromiumPath }),
  });
}
