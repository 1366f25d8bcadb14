// One store contract, run against SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId } from '@petrel/protocol';
import {
  MIGRATION_TABLE,
  createApiKey,
  createOrganization,
  createServerStore,
  createVault,
  ensureBootstrap,
  findPushedTotpCode,
  generateMasterKey,
  hashApiKey,
  revokeApiKey,
  storePushedTotpCode,
} from '@petrel/server';
import type { CredentialRow, ServerStore } from '@petrel/server';
import { sql } from 'kysely';
import { DIALECTS } from '../helpers/databases.ts';
import type { TestDatabase } from '../helpers/databases.ts';

const T0 = new Date('2026-03-01T12:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

function credentialRow(organizationId: string, name: string, createdAt: Date, type = 'password'): CredentialRow {
  return {
    credential_id: newId('credential'),
    organization_id: organizationId,
    name,
    credential_type: type,
    vault_type: 'skyvern',
    public_data: '{}',
    secret_ciphertext: 'pv1.mk_0.x.y',
    key_id: 'mk_0',
    extra: '{}',
    created_at: createdAt.toISOString(),
    modified_at: createdAt.toISOString(),
  };
}

async function runWithStore(open: () => Promise<TestDatabase>, body: (store: ServerStore, database: TestDatabase) => Promise<void>) {
  await using database = await open();
  await body(createServerStore(database), database);
}

for (const dialect of DIALECTS) {
  const skip = await dialect.skip();
  const withStore = (body: (store: ServerStore, database: TestDatabase) => Promise<void>) => runWithStore(dialect.open, body);
  describe(`server store on ${dialect.name}`, { skip }, () => {
    const vault = createVault({ key: generateMasterKey() });

    test('migrations are recorded in server_migrations and re-running them is a no-op', () =>
      withStore(async (_store, database) => {
        assert.deepEqual(await database.pendingMigrations(), []);
        await database.migrate();
        const rows = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)}`.execute(database.db);
        assert.deepEqual(rows.rows.map((row) => row.name), ['0001_foundation', '0002_workflow_bindings', '0003_runs_files_browsers', '0004_run_totp_identifiers', '0005_block_workflows']);
        await database.ping();
      }));

    test('a sibling deployment in another schema does not stand in for this one', { skip: dialect.name === 'sqlite' ? 'PostgreSQL schemas only' : false }, () =>
      withStore(async (_store, first) => {
        await using second = await dialect.open();
        assert.deepEqual(await second.pendingMigrations(), []);
        await createServerStore(second).organizations.insert({ organization_id: 'o_x', name: 'x', created_at: T0.toISOString() });
        assert.equal((await createServerStore(first).organizations.list()).length, 0, 'the schemas are separate');
      }));

    test('bootstrap happens once; keys are stored hashed and revocable', () =>
      withStore(async (store) => {
        const boot = await ensureBootstrap(store, vault, T0);
        assert.ok(boot);
        assert.match(boot.apiKey.api_key, /^pk_[A-Za-z0-9_-]{43}$/);
        assert.equal(await ensureBootstrap(store, vault, T0), undefined, 'second call does nothing');

        const row = await store.apiKeys.findByHash(hashApiKey(boot.apiKey.api_key));
        assert.equal(row?.key_id, boot.apiKey.key_id);
        assert.notEqual(row?.key_hash, boot.apiKey.api_key);
        assert.equal(row?.key_prefix, boot.apiKey.api_key.slice(0, 9));

        const second = await createApiKey(store, boot.organizationId, 'ci', at(1000));
        assert.equal(await store.apiKeys.countActive(boot.organizationId), 2);
        const revoked = await revokeApiKey(store, boot.organizationId, second.key_id, at(2000));
        assert.equal(revoked.revoked, true);
        assert.equal(revoked.revoked_at, at(2000).toISOString());
        await assert.rejects(revokeApiKey(store, boot.organizationId, boot.apiKey.key_id, at(3000)), { code: 'CONFLICT' });
        const listed = await store.apiKeys.list(boot.organizationId, { page: 1, pageSize: 10, includeRevoked: false });
        assert.deepEqual(listed.map((key) => key.key_id), [boot.apiKey.key_id]);
        const all = await store.apiKeys.list(boot.organizationId, { page: 1, pageSize: 10, includeRevoked: true });
        assert.deepEqual(all.map((key) => key.key_id), [second.key_id, boot.apiKey.key_id], 'newest first');
      }));

    test('concurrent first starts bootstrap exactly once', () =>
      withStore(async (store) => {
        const results = await Promise.all([ensureBootstrap(store, vault, T0), ensureBootstrap(store, vault, T0), ensureBootstrap(store, vault, T0)]);
        assert.equal(results.filter((result) => result !== undefined).length, 1);
        assert.equal((await store.organizations.list()).length, 1);
      }));

    test('a failed bootstrap leaves nothing behind, so the next start bootstraps', () =>
      withStore(async (store) => {
        const broken = { ...vault, encrypt: () => { throw new Error('disk full'); } };
        await assert.rejects(ensureBootstrap(store, broken, T0), /disk full/);
        assert.deepEqual(await store.organizations.list(), []);
        assert.ok(await ensureBootstrap(store, vault, T0));
      }));

    test('every read and write is scoped by organization', () =>
      withStore(async (store) => {
        const a = await createOrganization(store, vault, { name: 'a', keyName: 'k', now: T0 });
        const b = await createOrganization(store, vault, { name: 'b', keyName: 'k', now: T0 });
        const row = credentialRow(a.organizationId, 'Shop', T0);
        await store.credentials.insert(row);
        assert.equal((await store.credentials.find(a.organizationId, row.credential_id))?.name, 'Shop');
        assert.equal(await store.credentials.find(b.organizationId, row.credential_id), undefined);
        assert.deepEqual(await store.credentials.list(b.organizationId, { page: 1, pageSize: 10 }), []);
        assert.equal(await store.credentials.replace(b.organizationId, row.credential_id, { ...row, name: 'stolen' }), false);
        assert.equal(await store.credentials.delete(b.organizationId, row.credential_id), false);
        assert.equal(await store.apiKeys.find(b.organizationId, a.apiKey.key_id), undefined);
        assert.equal(await store.apiKeys.revoke(b.organizationId, a.apiKey.key_id, T0.toISOString()), false);
        assert.equal((await store.credentials.find(a.organizationId, row.credential_id))?.name, 'Shop', 'untouched');
        assert.equal(await store.credentials.delete(a.organizationId, row.credential_id), true);
        assert.equal(await store.credentials.find(a.organizationId, row.credential_id), undefined);
      }));

    test('credential lists page, filter and search names literally', () =>
      withStore(async (store) => {
        const org = await createOrganization(store, vault, { name: 'a', keyName: 'k', now: T0 });
        const names = ['Amazon', 'amazon business', 'Bank 100%', 'bank_x', 'Card'];
        for (const [index, name] of names.entries()) {
          await store.credentials.insert(credentialRow(org.organizationId, name, at(index * 1000), name === 'Card' ? 'credit_card' : 'password'));
        }
        const page = (p: number, pageSize: number) => store.credentials.list(org.organizationId, { page: p, pageSize });
        assert.deepEqual((await page(1, 2)).map((r) => r.name), ['Card', 'bank_x']);
        assert.deepEqual((await page(2, 2)).map((r) => r.name), ['Bank 100%', 'amazon business']);
        assert.deepEqual((await page(3, 2)).map((r) => r.name), ['Amazon']);
        assert.deepEqual(await page(4, 2), []);
        const search = async (text: string) => (await store.credentials.list(org.organizationId, { page: 1, pageSize: 10, search: text })).map((r) => r.name);
        assert.deepEqual(await search('AMAZON'), ['amazon business', 'Amazon'], 'case-insensitive');
        assert.deepEqual(await search('%'), ['Bank 100%'], '% is literal');
        assert.deepEqual(await search('_'), ['bank_x'], '_ is literal');
        const cards = await store.credentials.list(org.organizationId, { page: 1, pageSize: 10, credentialType: 'credit_card' });
        assert.deepEqual(cards.map((r) => r.name), ['Card']);
      }));

    test('idempotency records: reserve, replay, release and expiry', () =>
      withStore(async (store) => {
        const org = await createOrganization(store, vault, { name: 'a', keyName: 'k', now: T0 });
        const base = {
          organization_id: org.organizationId,
          route: 'POST /v1/credentials',
          idempotency_key: 'key-1',
          request_hash: 'h1',
          created_at: T0.toISOString(),
          expires_at: at(86_400_000).toISOString(),
        };
        const target = { organizationId: org.organizationId, route: base.route, idempotencyKey: 'key-1' };
        assert.deepEqual(await store.idempotency.reserve(base, T0.toISOString()), { state: 'reserved' });
        const inFlight = await store.idempotency.reserve(base, T0.toISOString());
        assert.equal(inFlight.state, 'in_flight');
        await store.idempotency.release(target);
        assert.deepEqual(await store.idempotency.reserve(base, T0.toISOString()), { state: 'reserved' }, 'released keys can be reused');
        await store.idempotency.complete(target, { statusCode: 201, body: '{"a":1}', contentType: 'application/json' });
        const done = await store.idempotency.reserve(base, at(1000).toISOString());
        assert.equal(done.state, 'completed');
        assert.equal(done.state === 'completed' ? done.row.response_body : undefined, '{"a":1}');
        await store.idempotency.release(target);
        assert.equal((await store.idempotency.reserve(base, at(2000).toISOString())).state, 'completed', 'release leaves completed records');
        const other = await createOrganization(store, vault, { name: 'b', keyName: 'k', now: T0 });
        assert.deepEqual(await store.idempotency.reserve({ ...base, organization_id: other.organizationId }, T0.toISOString()), { state: 'reserved' });
        assert.deepEqual(await store.idempotency.reserve({ ...base, request_hash: 'h2' }, at(86_400_000).toISOString()), { state: 'reserved' }, 'expired records are replaced');
        assert.equal(await store.idempotency.purgeExpired(at(3 * 86_400_000).toISOString()), 2);
      }));

    test('pushed TOTP codes: newest unexpired since a time, per identifier and organization', () =>
      withStore(async (store) => {
        const org = await createOrganization(store, vault, { name: 'a', keyName: 'k', now: T0 });
        const other = await createOrganization(store, vault, { name: 'b', keyName: 'k', now: T0 });
        await storePushedTotpCode(store, org.organizationId, { totp_identifier: 'me@x.com', content: 'code 111111' }, T0);
        await storePushedTotpCode(store, org.organizationId, { totp_identifier: 'me@x.com', content: 'code 222222' }, at(60_000));
        await storePushedTotpCode(store, org.organizationId, { totp_identifier: 'you@x.com', content: 'code 333333' }, at(61_000));
        await storePushedTotpCode(
          store,
          org.organizationId,
          { totp_identifier: 'me@x.com', content: 'code 444444', expired_at: at(90_000).toISOString() },
          at(62_000),
        );
        const find = (orgId: string, since: Date, now: Date) => findPushedTotpCode(store, orgId, 'me@x.com', since, now);
        assert.equal((await find(org.organizationId, T0, at(63_000)))?.code, '444444');
        assert.equal((await find(org.organizationId, T0, at(95_000)))?.code, '222222', 'the newest expired; the one before is still valid');
        assert.equal((await find(org.organizationId, at(61_000), at(95_000)))?.code, undefined, 'nothing valid since then');
        assert.equal(await find(other.organizationId, T0, at(63_000)), undefined);
        assert.equal(await find(org.organizationId, T0, at(11 * 60_000)), undefined, 'codes live 10 minutes');
      }));

    test('webhook secrets are created with the organization, encrypted, and replaced on rotation', () =>
      withStore(async (store) => {
        const org = await createOrganization(store, vault, { name: 'a', keyName: 'k', now: T0 });
        const row = await store.webhookSecrets.find(org.organizationId);
        assert.ok(row);
        assert.match(row.secret_ciphertext, /^pv1\./);
        assert.match(vault.decrypt(row.secret_ciphertext, `webhook-secret:${org.organizationId}`), /^whsec_/);
        assert.equal(await store.webhookSecrets.insertIfMissing({ ...row, secret_ciphertext: 'other' }), false);
        await store.webhookSecrets.put({ ...row, secret_ciphertext: 'replaced', created_at: at(1).toISOString() });
        assert.equal((await store.webhookSecrets.find(org.organizationId))?.secret_ciphertext, 'replaced');
      }));

    test('workflow bindings: upsert keeps created_at, lookups by name and by class span organizations', () =>
      withStore(async (store) => {
        const a = await createOrganization(store, vault, { name: 'a', keyName: 'k', now: T0 });
        const b = await createOrganization(store, vault, { name: 'b', keyName: 'k', now: T0 });
        const bind = (organization_id: string, workflow_name: string, class_name: string, ms: number) =>
          store.workflowBindings.upsert({ organization_id, workflow_name, class_name, script_name: 's', created_at: at(ms).toISOString(), modified_at: at(ms).toISOString() });
        await bind(a.organizationId, 'orders', 'OrderWorkflow', 0);
        const rebound = await bind(a.organizationId, 'orders', 'OtherWorkflow', 5000);
        assert.equal(rebound.class_name, 'OtherWorkflow');
        assert.equal(rebound.created_at, T0.toISOString(), 'created_at stays');
        assert.equal(rebound.modified_at, at(5000).toISOString());
        await bind(b.organizationId, 'orders', 'OrderWorkflow', 0);
        await bind(b.organizationId, 'refunds', 'RefundWorkflow', 0);
        assert.equal(await store.workflowBindings.find(b.organizationId, 'nope'), undefined);
        assert.deepEqual((await store.workflowBindings.listNames(b.organizationId, ['orders', 'refunds', 'nope'])).map((r) => r.workflow_name).sort(), ['orders', 'refunds']);
        assert.deepEqual(await store.workflowBindings.listNames(b.organizationId, []), []);
        const byClass = await store.workflowBindings.listClasses(['OrderWorkflow', 'OtherWorkflow']);
        assert.deepEqual(byClass.map((r) => `${r.organization_id === a.organizationId ? 'a' : 'b'}:${r.workflow_name}:${r.class_name}`).sort(), ['a:orders:OtherWorkflow', 'b:orders:OrderWorkflow']);
        assert.equal(await store.workflowBindings.delete(a.organizationId, 'orders'), true);
        assert.equal(await store.workflowBindings.delete(a.organizationId, 'orders'), false);
      }));

    test('worker code: announce, refresh, freshness, withdraw and stale purge', () =>
      withStore(async (store) => {
        await store.workerCode.announce('w1', [{ className: 'A', scriptName: 'a' }, { className: 'B', scriptName: 'b' }], at(0).toISOString());
        await store.workerCode.announce('w2', [{ className: 'B', scriptName: 'b' }], at(0).toISOString());
        assert.equal(await store.workerCode.isLoaded('A', at(0).toISOString()), true);
        assert.equal(await store.workerCode.isLoaded('A', at(1).toISOString()), false, 'stale');
        assert.equal(await store.workerCode.refresh('w1', at(10_000).toISOString()), 2);
        assert.equal(await store.workerCode.refresh('nobody', at(10_000).toISOString()), 0);
        assert.equal(await store.workerCode.isLoaded('A', at(5000).toISOString()), true);
        await store.workerCode.announce('w1', [{ className: 'C', scriptName: 'c' }], at(11_000).toISOString());
        assert.equal(await store.workerCode.isLoaded('A', at(0).toISOString()), false, 'a new announcement replaces the old one');
        assert.equal(await store.workerCode.purgeStale(at(5000).toISOString()), 1, 'w2 never refreshed');
        assert.equal(await store.workerCode.isLoaded('B', at(0).toISOString()), false);
        await store.workerCode.remove('w1');
        assert.equal(await store.workerCode.isLoaded('C', at(0).toISOString()), false);
      }));
  });
}
