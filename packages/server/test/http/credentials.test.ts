import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { revealCredentialSecret } from '@petrel/server';
import { createTestApp } from '../helpers/test-app.ts';
import type { TestApp } from '../helpers/test-app.ts';

// Distinct canaries per secret field: none may appear in a response, a log line, an error, or the
// database file in clear.
const CANARY = {
  password: 'canary-pw-7f3a9c',
  totp: 'JBSWY3DPEHPK3PXPCANARY',
  card: '4111111111114242',
  cvv: '937',
  holder: 'Canary Holder Name',
  secret: 'canary-secret-value-2b8e',
};

const password = (name = 'Shop login') => ({
  name,
  credential_type: 'password',
  credential: { username: 'user@example.com', password: CANARY.password, totp: CANARY.totp, totp_identifier: 'user@example.com' },
});
const card = {
  name: 'Company card',
  credential_type: 'credit_card',
  credential: {
    card_number: CANARY.card,
    card_cvv: CANARY.cvv,
    card_exp_month: '12',
    card_exp_year: '2030',
    card_brand: 'visa',
    card_holder_name: CANARY.holder,
    billing_address: { line1: '1 Main St', city: 'Springfield', country_code: 'US' },
  },
};
const secret = { name: 'API token', credential_type: 'secret', credential: { secret_value: CANARY.secret, secret_label: 'token' } };

async function create(t: TestApp, body: unknown, key?: string) {
  const response = await t.call('/v1/credentials', { method: 'POST', json: body, ...(key === undefined ? {} : { key }) });
  assert.equal(response.status, 201, await response.clone().text());
  return (await response.json()) as Record<string, unknown> & { credential_id: string; credential: Record<string, unknown> };
}

function assertNoCanary(text: string, where: string, minLength = 0) {
  for (const [field, value] of Object.entries(CANARY)) {
    if (value.length < minLength) continue;
    // A short canary (the 3-digit CVV) turns up by chance inside ids and timestamps (`…:37.937Z`);
    // a leak shows it as a value of its own.
    const leaked = value.length >= 6 ? text.includes(value) : new RegExp(`(?<![0-9A-Za-z._:-])${value}(?![0-9A-Za-z])`).test(text);
    assert.ok(!leaked, `${field} leaked into ${where}`);
  }
}

test('create answers 201 with the masked credential of each type', async () => {
  await using t = await createTestApp();
  const pw = await create(t, password());
  assert.match(pw.credential_id, /^cred_[0-9A-Z]{26}$/);
  assert.deepEqual(pw.credential, { username: 'user@example.com', totp_type: 'authenticator', totp_identifier: 'user@example.com' });
  assert.equal(pw.credential_type, 'password');
  assert.equal(pw.name, 'Shop login');
  assert.equal(pw.vault_type, 'skyvern');

  const cc = await create(t, card);
  assert.deepEqual(cc.credential, { last_four: '4242', brand: 'visa' });
  const sc = await create(t, secret);
  assert.deepEqual(sc.credential, { secret_label: 'token' });

  // The secret is really stored: the agent-side reveal gives it back.
  const revealed = await revealCredentialSecret(t.deps.store, t.deps.vault, t.organizationId, pw.credential_id);
  assert.equal(revealed.credential_type === 'password' ? revealed.password : undefined, CANARY.password);
  const revealedCard = await revealCredentialSecret(t.deps.store, t.deps.vault, t.organizationId, cc.credential_id);
  assert.equal(revealedCard.credential_type === 'credit_card' ? revealedCard.card_cvv : undefined, CANARY.cvv);
});

test('secrets never appear in responses, logs, errors or the database file', async () => {
  await using t = await createTestApp();
  const bodies: string[] = [];
  const pw = await create(t, password());
  bodies.push(JSON.stringify(pw), JSON.stringify(await create(t, card)), JSON.stringify(await create(t, secret)));
  for (const path of ['/v1/credentials', `/v1/credentials/${pw.credential_id}`]) bodies.push(await (await t.call(path)).text());
  bodies.push(await (await t.call(`/v1/credentials/${pw.credential_id}/update`, { method: 'POST', json: password('Renamed') })).text());
  // Failing requests that carry secrets: a validation error elsewhere in the body, a refused vault type, a bad key.
  const invalid = await t.call('/v1/credentials', { method: 'POST', json: { ...card, credential: { ...card.credential, card_brand: 7 } } });
  assert.equal(invalid.status, 422);
  bodies.push(await invalid.text());
  const refused = await t.call('/v1/credentials', { method: 'POST', json: { ...password(), vault_type: 'bitwarden' } });
  assert.equal(refused.status, 400);
  bodies.push(await refused.text());
  const badTotp = await t.call('/v1/credentials', { method: 'POST', json: { ...password(), credential: { ...password().credential, totp: `${CANARY.password}!` } } });
  assert.equal(badTotp.status, 422);
  bodies.push(await badTotp.text());
  const unauthenticated = await t.call('/v1/credentials', { method: 'POST', json: password(), key: 'pk_wrong' });
  assert.equal(unauthenticated.status, 403);
  bodies.push(await unauthenticated.text());

  for (const [index, body] of bodies.entries()) assertNoCanary(body, `response ${index}`);
  assert.ok(t.logs.lines.length >= bodies.length, 'requests were logged');
  assertNoCanary(t.logs.text(), 'the logs');
  assert.ok(!t.logs.text().includes(t.apiKey), 'the API key is not logged');

  // The SQLite file (and its WAL) hold ciphertexts only.
  assert.ok(t.database.sqlitePath);
  const dbDir = dirname(t.database.sqlitePath);
  assert.ok(readdirSync(dbDir).length >= 1);
  // The 3-digit CVV would turn up by chance in random bytes and base64 ciphertexts; the longer canaries cannot.
  for (const name of readdirSync(dbDir)) assertNoCanary(readFileSync(join(dbDir, name)).toString('latin1'), `database file ${name}`, 6);
});

test('get, list (paged, filtered), update and delete', async () => {
  await using t = await createTestApp();
  const ids: string[] = [];
  for (const name of ['Alpha', 'Beta', 'Gamma']) ids.push((await create(t, password(name))).credential_id);
  await create(t, card);

  const list = async (query: string) => ((await (await t.call(`/v1/credentials${query}`)).json()) as { name: string }[]).map((c) => c.name);
  assert.deepEqual(await list(''), ['Company card', 'Gamma', 'Beta', 'Alpha'], 'newest first');
  assert.deepEqual(await list('?page=2&page_size=3'), ['Alpha']);
  assert.deepEqual(await list('?credential_type=credit_card'), ['Company card']);
  assert.deepEqual(await list('?search=ET'), ['Beta']);
  assert.deepEqual(await list('?vault_type=skyvern&page_size=1'), ['Company card']);

  const got = await t.call(`/v1/credentials/${ids[0]}`);
  assert.equal(got.status, 200);
  assert.equal(((await got.json()) as { name: string }).name, 'Alpha');

  const updated = await t.call(`/v1/credentials/${ids[0]}/update`, { method: 'POST', json: secret });
  assert.equal(updated.status, 200);
  const body = (await updated.json()) as { name: string; credential_type: string; credential: unknown; credential_id: string };
  assert.equal(body.credential_id, ids[0]);
  assert.equal(body.name, 'API token');
  assert.equal(body.credential_type, 'secret');
  assert.deepEqual(body.credential, { secret_label: 'token' });
  const revealed = await revealCredentialSecret(t.deps.store, t.deps.vault, t.organizationId, ids[0]!);
  assert.equal(revealed.credential_type === 'secret' ? revealed.secret_value : undefined, CANARY.secret);

  const deleted = await t.call(`/v1/credentials/${ids[0]}/delete`, { method: 'POST' });
  assert.equal(deleted.status, 204);
  assert.equal(await deleted.text(), '');
  assert.equal((await t.call(`/v1/credentials/${ids[0]}`)).status, 404);
  assert.equal((await t.call(`/v1/credentials/${ids[0]}/delete`, { method: 'POST' })).status, 404);
  assert.deepEqual(await list(''), ['Company card', 'Gamma', 'Beta']);
});

test("another organization's credential answers 404 everywhere and is not listed", async () => {
  await using t = await createTestApp();
  const mine = await create(t, password());
  const other = { key: t.otherApiKey };
  const get = await t.call(`/v1/credentials/${mine.credential_id}`, other);
  assert.equal(get.status, 404);
  assert.deepEqual(await get.json(), { detail: `credentials.get: credential ${mine.credential_id} not found`, code: 'NOT_FOUND' });
  assert.equal((await t.call(`/v1/credentials/${mine.credential_id}/update`, { method: 'POST', json: secret, ...other })).status, 404);
  assert.equal((await t.call(`/v1/credentials/${mine.credential_id}/delete`, { method: 'POST', ...other })).status, 404);
  assert.deepEqual(await (await t.call('/v1/credentials', other)).json(), []);
  assert.equal((await t.call(`/v1/credentials/${mine.credential_id}`)).status, 200, 'still there for its owner');
  assert.equal((await t.call('/v1/credentials/cred_doesnotexist')).status, 404);
});

test('missing, wrong, malformed and revoked keys answer 403; Bearer works; x-api-key wins', async () => {
  await using t = await createTestApp();
  const invalid = { detail: 'Invalid credentials', code: 'UNAUTHENTICATED' };
  for (const init of [{ key: null }, { key: 'pk_nope' }, { key: `pk_${'A'.repeat(43)}` }, { key: '' }] as const) {
    const response = await t.call('/v1/credentials', init);
    assert.equal(response.status, 403, JSON.stringify(init));
    assert.deepEqual(await response.json(), invalid);
  }
  const bearer = await t.call('/v1/credentials', { key: null, headers: { authorization: `Bearer ${t.apiKey}` } });
  assert.equal(bearer.status, 200);
  const both = await t.call('/v1/credentials', { key: 'pk_wrong', headers: { authorization: `Bearer ${t.apiKey}` } });
  assert.equal(both.status, 403, 'x-api-key is used when both are sent');
  const basic = await t.call('/v1/credentials', { key: null, headers: { authorization: `Basic ${t.apiKey}` } });
  assert.equal(basic.status, 403);

  const created = (await (await t.call('/v1/keys', { method: 'POST', json: { name: 'temp' } })).json()) as { key_id: string; api_key: string };
  assert.equal((await t.call('/v1/credentials', { key: created.api_key })).status, 200);
  assert.equal((await t.call(`/v1/keys/${created.key_id}/revoke`, { method: 'POST' })).status, 200);
  const after = await t.call('/v1/credentials', { key: created.api_key });
  assert.equal(after.status, 403, 'revoked keys stop working at once');
});

test('validation: 422 with FastAPI-style locations; unknown fields are named; unsupported vaults refused', async () => {
  await using t = await createTestApp();
  const post = (json: unknown) => t.call('/v1/credentials', { method: 'POST', json });
  const missing = await post({ credential_type: 'password', credential: { username: 'u' } });
  assert.equal(missing.status, 422);
  assert.deepEqual(await missing.json(), {
    detail: [
      { loc: ['body', 'name'], msg: 'Field required', type: 'missing' },
      { loc: ['body', 'credential', 'password'], msg: 'Field required', type: 'missing' },
    ],
    code: 'VALIDATION_FAILED',
  });
  const wrongType = (await (await post({ ...password(), name: 5 })).json()) as { detail: { loc: unknown[]; type: string }[] };
  assert.deepEqual(wrongType.detail.map((d) => [d.loc, d.type]), [[['body', 'name'], 'string_type']]);
  const badTag = (await (await post({ name: 'x', credential_type: 'ssh_key', credential: {} })).json()) as { detail: { loc: unknown[]; type: string; msg: string }[] };
  assert.deepEqual(badTag.detail[0]?.loc, ['body', 'credential_type']);
  assert.equal(badTag.detail[0]?.type, 'union_tag_invalid');
  assert.match(badTag.detail[0]?.msg ?? '', /'password', 'credit_card', 'secret'/);
  const empty = (await (await post({ ...password(), credential: { username: '', password: 'p' } })).json()) as { detail: { loc: unknown[]; type: string }[] };
  assert.deepEqual(empty.detail.map((d) => [d.loc, d.type]), [[['body', 'credential', 'username'], 'too_short']]);
  const notObject = await post([1, 2]);
  assert.equal(notObject.status, 422);

  const extras = await post({ ...password(), unknown_field: true, credential: { ...password().credential, extra: 1 } });
  assert.equal(extras.status, 422, 'unknown fields are refused, not dropped');
  const extraLocs = ((await extras.json()) as { detail: { loc: unknown[]; type: string }[] }).detail.map((d) => [d.loc.join('.'), d.type]).sort(([a = ''], [b = '']) => a.localeCompare(b));
  assert.deepEqual(extraLocs, [
    ['body.credential.extra', 'extra_forbidden'],
    ['body.unknown_field', 'extra_forbidden'],
  ]);

  const bitwarden = await post({ ...password(), vault_type: 'bitwarden' });
  assert.equal(bitwarden.status, 400);
  assert.equal(((await bitwarden.json()) as { code: string }).code, 'INTEGRATION_NOT_CONFIGURED');

  const badQuery = await t.call('/v1/credentials?page=0&page_size=1000');
  assert.equal(badQuery.status, 422);
  const queryErrors = (await badQuery.json()) as { detail: { loc: unknown[] }[] };
  assert.deepEqual(queryErrors.detail.map((d) => d.loc), [['query', 'page'], ['query', 'page_size']]);
});
