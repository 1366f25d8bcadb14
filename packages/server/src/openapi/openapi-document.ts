// The OpenAPI 3.1 document, generated from the routes' zod schemas (which live in `protocol`), and
// the docs page at `/docs`: Swagger UI served from the `swagger-ui-dist` package, so the page needs
// no CDN. `docs/openapi.json` is a committed snapshot; `npm run check:codegen` fails when it differs.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../http/app-env.ts';

/** The first field of the document, saying where it comes from. */
export const GENERATED_NOTE =
  'Generated from the zod schemas of @petrel/protocol by packages/server (npm run gen:openapi); do not edit. npm run check:codegen compares it.';

const INFO = {
  title: 'Petrel API',
  version: '0.1.0',
  description:
    'Self-hosted durable browser workflows. The `/v1` routes follow Skyvern\'s v1 API (paths, bodies, `{"detail": ...}` errors) with a stable `code` on every error. ' +
    'Authenticate with `x-api-key: pk_…` (or `Authorization: Bearer pk_…`).',
  license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
};

/** The OpenAPI 3.1 document of an app, with `x-generated` first. */
export function buildOpenApiDocument(app: OpenAPIHono<AppEnv>): Record<string, unknown> {
  const document = app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: INFO,
    tags: [
      { name: 'Credentials', description: 'Stored logins, cards and secrets (never returned), and pushed TOTP codes.' },
      { name: 'API keys', description: 'The organization\'s API keys (Petrel\'s own routes).' },
      { name: 'Webhooks', description: 'The signing secret of webhook deliveries.' },
      { name: 'Runs', description: 'The runs index: list, cancel, webhook replay and delivery log, artifacts, and live events (SSE).' },
      { name: 'Artifacts', description: 'Screenshots, HTML, traces, recordings, downloads and model exchanges of runs; bytes with `Range` and signed URLs.' },
      { name: 'Files', description: 'Uploaded files, usable as `file_url` parameters.' },
      { name: 'Browser sessions', description: 'Persistent Chromium sessions reachable over CDP, one run at a time.' },
      { name: 'Browser profiles', description: 'Saved cookies and storage that sessions and runs start from.' },
      {
        name: 'Workflows API',
        description:
          'Cloudflare Workflows\' REST API (`/client/v4/accounts/{account_id}/workflows…`): the official `cloudflare` npm client works against it. ' +
          'Answers use Cloudflare\'s envelope `{success, errors, messages, result, result_info}`; the account id is the organization id.',
      },
      { name: 'Operations', description: 'Health, readiness and metrics; no authentication.' },
    ],
  });
  return { 'x-generated': GENERATED_NOTE, ...document };
}

const require = createRequire(import.meta.url);
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};
const cache = new Map<string, Uint8Array<ArrayBuffer>>();

async function asset(name: string): Promise<Uint8Array<ArrayBuffer>> {
  let bytes = cache.get(name);
  if (bytes === undefined) {
    const dir = (require('swagger-ui-dist') as { getAbsoluteFSPath(): string }).getAbsoluteFSPath();
    bytes = new Uint8Array(await readFile(join(dir, name)));
    cache.set(name, bytes);
  }
  return bytes;
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Petrel API</title>
<link rel="icon" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout' });\n`;

/** Registers `/openapi.json`, `/docs` and the docs assets (none of them in the document). */
export function registerDocsRoutes(app: OpenAPIHono<AppEnv>): void {
  let document: Record<string, unknown> | undefined;
  app.get('/openapi.json', (c) => {
    document ??= buildOpenApiDocument(app);
    return c.json(document);
  });
  app.get('/docs', (c) => c.html(PAGE));
  app.get('/docs/assets/init.js', (c) => c.body(INIT, 200, { 'content-type': 'text/javascript; charset=utf-8' }));
  app.get('/docs/assets/:name', async (c) => {
    const name = c.req.param('name');
    const type = ASSETS[name];
    if (type === undefined) return c.notFound();
    return c.body(await asset(name), 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' });
  });
}
