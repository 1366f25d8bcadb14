// The README's Workflows API example runs as written: a server with `--workflows examples/workflows-api/`
// and `examples/workflows-api/client/cloudflare-client.ts` driving it with the `cloudflare` client.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createServerLogger, loadServerConfig, startServer } from '@petrel/server';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

test('examples/workflows-api: the cloudflare client script against a server serving the example workflow', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-cf-example-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await using server = await startServer({
    config: loadServerConfig({ PETREL_DATA_DIR: dir, PETREL_PORT: '0', PETREL_WORKFLOWS_DIR: join(root, 'examples/workflows-api') }),
    logger: createServerLogger({ level: 'silent' }),
  });
  const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'examples/workflows-api/client/cloudflare-client.ts')], {
    env: { ...process.env, PETREL_URL: server.url, PETREL_API_KEY: server.bootstrap!.apiKey.api_key },
    timeout: 60_000,
  });
  assert.match(stdout, /workflow orders -> class OrderWorkflow/);
  assert.match(stdout, /listed \(auto-paginated, 1 per page\): order-b-\w+:waiting, order-a-\w+:waiting/);
  assert.match(stdout, /order-a-\w+: complete, output \{"orderId":"a-\w+","charged":42,"approvedBy":"dana","tracking":"TRK-A-\w+"\}/);
  assert.match(stdout, /step charge card-1: 2 attempt\(s\), output \[REDACTED\]/);
  assert.match(stdout, /order-b-\w+: terminated, rollback \{"outcome":"complete","error":null\}/);
  assert.match(stdout, /restarted from "ship": complete/);
  assert.match(stdout, /graph: step_do validate order -> step_do charge card -> step_sleep wait for the warehouse -> step_wait_for_event manager approval -> step_do ship/);
});
