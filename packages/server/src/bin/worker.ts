// `node packages/server/src/bin/worker.ts --workflows DIR [--slots N] [--metrics-port P] ...` (or
// `npm run worker -- ...`): runs workflow instances from the shared database with the code of DIR,
// until the `petrel worker` CLI lands. SIGINT/SIGTERM stop gracefully (in-flight instances get
// PETREL_SHUTDOWN_TIMEOUT_MS to finish, then their leases are released); a second signal exits at once.
import { isPetrelError } from '@petrel/protocol';
import { loadServerConfig } from '../config/server-config.ts';
import { startWorker } from '../worker.ts';

try {
  const config = loadServerConfig(process.env, process.argv.slice(2));
  const worker = await startWorker({ config });
  process.stdout.write(
    `Petrel worker ${worker.engine.workerId} is running ${worker.engine.slots} slot(s) with ${worker.engine.workflows.units.length} code workflow(s)` +
      `${worker.metricsUrl === undefined ? '' : ` (metrics: ${worker.metricsUrl}/metrics)`}\n`,
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      process.stderr.write(`${signal} again: exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    worker.close().then(
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
  process.stderr.write(`petrel worker: ${isPetrelError(error) ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
