// `node packages/server/src/bin/serve.ts [--port N] [--data-dir DIR] ...` (or `npm run serve`):
// starts the server from the environment and flags until the `petrel serve` CLI lands. On the first
// start it prints the URL and the bootstrap API key once. SIGINT/SIGTERM shut down gracefully; a
// second signal exits at once.
import { isPetrelError } from '@petrel/protocol';
import { loadServerConfig } from '../config/server-config.ts';
import { startServer } from '../server.ts';

try {
  const config = loadServerConfig(process.env, process.argv.slice(2));
  const server = await startServer({ config });
  if (server.bootstrap !== undefined) {
    process.stdout.write(
      `\nPetrel is running at ${server.url}\n` +
        `Organization ${server.bootstrap.organizationId} was created with this API key (shown once, store it now):\n\n` +
        `  ${server.bootstrap.apiKey.api_key}\n\n` +
        `Try: curl -H 'x-api-key: ${server.bootstrap.apiKey.api_key}' ${server.url}/v1/workflows   (README: Quick start)\n` +
        `Workflows API (Cloudflare-shaped): ${server.url}/client/v4/accounts/${server.bootstrap.organizationId}/workflows\n` +
        `API docs: ${server.url}/docs\n\n`,
    );
  } else {
    process.stdout.write(`Petrel is running at ${server.url} (docs: ${server.url}/docs)\n`);
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      process.stderr.write(`${signal} again: exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    server.close().then(
      () => {
        process.exitCode = 0;
      },
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
} catch (error) {
  process.stderr.write(`petrel: ${isPetrelError(error) ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
