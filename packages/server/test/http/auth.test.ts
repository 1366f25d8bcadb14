import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestApp } from '../helpers/test-app.ts';

type Operation = { security?: unknown[] };

test('every documented authenticated route answers 403 without a key or with a wrong one', async () => {
  await using t = await createTestApp();
  const document = (await (await t.call('/openapi.json', { key: null })).json()) as { paths: Record<string, Record<string, Operation>> };
  let checked = 0;
  for (const [template, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const path = template.replaceAll(/\{[^}]+\}/g, 'x_01ABCDEFGHJKMNPQRSTVWXYZ0');
      const init = { method: method.toUpperCase(), ...(method === 'post' || method === 'put' || method === 'patch' ? { json: {} } : {}) };
      if (operation.security === undefined) {
        assert.notEqual((await t.call(path, { ...init, key: null })).status, 403, `${method} ${template} is public`);
        continue;
      }
      // `{}` among the requirements: the key is optional (a signed link may stand in); a wrong key still fails.
      const optional = operation.security.some((requirement) => typeof requirement === 'object' && requirement !== null && Object.keys(requirement).length === 0);
      for (const key of optional ? ['pk_wrong', `pk_${'x'.repeat(43)}`] : [null, 'pk_wrong', `pk_${'x'.repeat(43)}`]) {
        const response = await t.call(path, { ...init, key });
        assert.equal(response.status, 403, `${method} ${template} with key ${String(key)}`);
        // The Workflows API answers in Cloudflare's envelope; the rest in Skyvern's shape.
        const expected = template.startsWith('/client/v4/')
          ? { success: false, errors: [{ code: 10000, message: 'Authentication error', petrel_code: 'UNAUTHENTICATED' }], messages: [], result: null }
          : { detail: 'Invalid credentials', code: 'UNAUTHENTICATED' };
        assert.deepEqual(await response.json(), expected, `${method} ${template}`);
      }
      checked++;
    }
  }
  assert.ok(checked >= 12, `checked ${checked} authenticated operations`);
});
