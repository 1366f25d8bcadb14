// Writes the OpenAPI document of the app to docs/openapi.json (`npm run gen:openapi`), or with
// `--check` fails when the committed file differs from what the code generates
// (`npm run check:codegen`). The app is built over an in-memory SQLite database; nothing listens.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createApp } from '../app.ts';
import { buildOpenApiDocument } from '../openapi/openapi-document.ts';
import { createServerDeps } from '../server-deps.ts';
import { createServerMetrics } from '../observability/metrics.ts';
import { openDatabase } from '../store/database.ts';
import { createVault, generateMasterKey } from '../vault/vault.ts';

const target = fileURLToPath(new URL('../../../../docs/openapi.json', import.meta.url));

async function generate(): Promise<string> {
  await using database = await openDatabase({ sqlitePath: ':memory:' });
  await database.migrate();
  const deps = createServerDeps({ database, vault: createVault({ key: generateMasterKey() }), metrics: createServerMetrics({ processMetrics: false }) });
  try {
    return `${JSON.stringify(buildOpenApiDocument(createApp(deps)), null, 2)}\n`;
  } finally {
    await deps.outboundFetch[Symbol.asyncDispose]();
  }
}

const text = await generate();
if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(target, 'utf8');
  } catch {
    // Missing counts as different.
  }
  if (committed === text) {
    process.stdout.write('check:codegen: docs/openapi.json is up to date\n');
  } else {
    process.stderr.write('check:codegen: docs/openapi.json differs from the generated document; run `npm run gen:openapi` and commit it\n');
    process.exitCode = 1;
  }
} else {
  writeFileSync(target, text);
  process.stdout.write(`wrote ${target}\n`);
}
