// The server process of `npm run bench:api`: `startServer` on a fresh data directory (SQLite, or
// PostgreSQL with PETREL_DATABASE_URL), port 0, the default worker slots; prints one JSON line
// `{ url, apiKey }` on stdout once it listens, and shuts down gracefully on SIGTERM. Request logs go
// to stdout at PETREL_LOG_LEVEL (the benchmark discards them), as in production.
import { loadServerConfig, startServer } from '@petrel/server';

const server = await startServer({ config: loadServerConfig({ ...process.env, PETREL_PORT: '0' }) });
if (server.bootstrap === undefined) throw new Error('bench: the data directory was not fresh');
process.stderr.write(`${JSON.stringify({ url: server.url, apiKey: server.bootstrap.apiKey.api_key })}\n`);
process.once('SIGTERM', () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
