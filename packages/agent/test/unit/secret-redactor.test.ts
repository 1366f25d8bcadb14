// Secrets: placeholders, redaction of every common encoding, whole-token matching for short values,
// reveal for the executor (TOTP seeds reveal the current code, which is then redacted too), credential
// views, and the redacting logger.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPetrelError } from '@petrel/protocol';
import type { Logger } from '@petrel/protocol';
import { createRedactingLogger, createSecretRedactor, generateTotpCode } from '@petrel/agent';

const CANARY = 'Canary-P@ss w0rd/"ü"';

test('placeholders: identifier-shaped, labelled, stable per value, unique per secret', () => {
  const r = createSecretRedactor();
  const a = r.register(CANARY, { label: 'Password' });
  assert.match(a, /^petrel_secret_password_[a-z2-9]{6}$/);
  assert.equal(r.register(CANARY), a, 'the same value keeps its placeholder');
  const b = r.register('another-secret-value');
  assert.match(b, /^petrel_secret_secret_[a-z2-9]{6}$/);
  assert.notEqual(a, b);
  assert.equal(r.size, 2);
  assert.equal(JSON.stringify(a), `"${a}"`, 'JSON leaves it alone');
  assert.equal(encodeURIComponent(a), a, 'URL encoding leaves it alone');
  assert.notEqual(createSecretRedactor().register(CANARY), a, 'another run gets another placeholder');
});

test('redact: raw, JSON-escaped (once and twice), URL, form, HTML and base64 forms', () => {
  const r = createSecretRedactor();
  const p = r.register(CANARY, { label: 'password' });
  const json = JSON.stringify({ password: CANARY });
  const nested = JSON.stringify({ arguments: JSON.stringify({ text: CANARY }) });
  const forms = [
    `typed ${CANARY} into the box`,
    json,
    nested,
    `https://x.test/login?pw=${encodeURIComponent(CANARY)}&next=1`,
    `pw=${encodeURIComponent(CANARY).replaceAll('%20', '+')}`,
    `<input value="${CANARY.replaceAll('&', '&amp;').replaceAll('"', '&quot;')}">`,
    `Authorization: Basic ${Buffer.from(`alice:${CANARY}`).toString('base64')}`,
    Buffer.from(`xx${CANARY}yyy`).toString('base64'),
    Buffer.from(`x${CANARY}`).toString('base64url'),
  ];
  for (const text of forms) {
    const out = r.redact(text);
    assert.ok(out.includes(p), `placeholder in: ${out}`);
    assert.ok(!out.includes(CANARY), `raw value gone from: ${out}`);
    assert.ok(!out.includes(encodeURIComponent(CANARY)), `encoded value gone from: ${out}`);
    assert.ok(!Buffer.from(out.replaceAll(p, ''), 'base64').toString('latin1').includes('Canary-P@ss'), `no decodable value in: ${out}`);
  }
  assert.equal(r.redact(r.redact(forms[0]!)), r.redact(forms[0]!), 'idempotent');
  assert.equal(r.redact('nothing secret here'), 'nothing secret here');
});

test('short and all-digit secrets are redacted only as whole tokens; placeholders are never split', () => {
  const r = createSecretRedactor();
  const cvv = r.register('123', { label: 'card_cvv' });
  assert.equal(r.redact('CVV 123.'), `CVV ${cvv}.`);
  assert.equal(r.redact('order 41234 on 2024-01-23'), 'order 41234 on 2024-01-23');
  const word = r.register('secret');
  const long = r.register('a-long-password');
  assert.equal(r.redact(`${long} and secret`), `${long} and ${word}`, 'a secret inside another placeholder is left alone');
});

test('redactJson walks values and keys, keeps non-strings, and flattens errors', () => {
  const r = createSecretRedactor();
  const p = r.register('tok_live_ABCDEF123456');
  const input = { headers: { authorization: 'Bearer tok_live_ABCDEF123456' }, list: ['tok_live_ABCDEF123456', 3, null, true], tok_live_ABCDEF123456: 1 };
  const out = r.redactJson(input);
  assert.deepEqual(out, { headers: { authorization: `Bearer ${p}` }, list: [p, 3, null, true], [p]: 1 });
  assert.equal(input.headers.authorization, 'Bearer tok_live_ABCDEF123456', 'the input is not mutated');
  const err = r.redactJson({ err: new Error('login failed for tok_live_ABCDEF123456') }) as { err: { message: string; stack: string } };
  assert.equal(err.err.message, `login failed for ${p}`);
  assert.ok(!err.err.stack.includes('tok_live'));
});

test('reveal, findSecret, revealIn, hasPlaceholder; unknown placeholders are NOT_FOUND', () => {
  const r = createSecretRedactor();
  const user = r.register('alice@example.com', { label: 'username' });
  const pass = r.register(CANARY, { label: 'password' });
  assert.equal(r.reveal(pass), CANARY);
  assert.equal(r.reveal(` ${pass}\n`), CANARY, 'whitespace around a copied placeholder is tolerated');
  assert.equal(r.findSecret(user), 'alice@example.com');
  assert.equal(r.findSecret('petrel_secret_password_zzzzzz'), undefined);
  assert.equal(r.revealIn(`${user} / ${pass}`), `alice@example.com / ${CANARY}`);
  assert.equal(r.hasPlaceholder(`type ${pass}`), true);
  assert.equal(r.hasPlaceholder('type hunter2'), false);
  assert.throws(
    () => r.reveal('petrel_secret_password_zzzzzz'),
    (error: unknown) => isPetrelError(error) && error.code === 'NOT_FOUND',
  );
});

test('a TOTP seed reveals the current code, and the code is redacted from then on', () => {
  const r = createSecretRedactor();
  const seed = 'JBSW Y3DP EHPK 3PXP';
  const placeholder = r.register(seed, { label: 'totp', kind: 'totp' });
  const now = Date.UTC(2026, 0, 1, 12, 0, 10);
  const code = r.reveal(placeholder, { now });
  assert.equal(code, generateTotpCode(seed, { now }));
  assert.match(code, /^\d{6}$/);
  assert.equal(r.redact(`entered ${code}`), `entered ${placeholder}`);
  assert.equal(r.redact(`seed ${seed}`), `seed ${placeholder}`);
  const uri = `otpauth://totp/Petrel:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Petrel`;
  const fromUri = r.register(uri, { label: 'totp', kind: 'totp' });
  assert.equal(r.redact('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'), fromUri, 'the bare secret of a URI seed is redacted too');
});

test('registerCredential: the model sees placeholders for secrets, clear text for the rest', () => {
  const r = createSecretRedactor();
  const login = r.registerCredential({ credential_type: 'password', username: 'alice@example.com', password: CANARY, totp: 'JBSWY3DPEHPK3PXP' });
  assert.deepEqual(Object.keys(login), ['username', 'password', 'totp']);
  for (const value of Object.values(login)) assert.match(value, /^petrel_secret_/);
  assert.equal(r.reveal(login.password!), CANARY);
  assert.match(r.reveal(login.totp!), /^\d{6}$/);

  const card = r.registerCredential({
    credential_type: 'credit_card',
    card_number: '4242424242424242',
    card_cvv: '314',
    card_exp_month: '12',
    card_exp_year: '2030',
    card_brand: 'visa',
    card_holder_name: 'Alice Doe',
  });
  assert.match(card.card_number!, /^petrel_secret_card_number_/);
  assert.match(card.card_cvv!, /^petrel_secret_card_cvv_/);
  assert.equal(card.card_exp_month, '12');
  assert.equal(r.redact('at 12:30 the card 4242424242424242 (cvv 314) expired 12/2030'), `at 12:30 the card ${card.card_number} (cvv ${card.card_cvv}) expired 12/2030`);

  const secret = r.registerCredential({ credential_type: 'secret', secret_value: 'recovery-code-1234', secret_label: 'Recovery code' });
  assert.deepEqual(Object.keys(secret), ['secret_value', 'secret_label']);
  assert.equal(secret.secret_label, 'Recovery code');
});

test('register refuses empty values', () => {
  assert.throws(
    () => createSecretRedactor().register(''),
    (error: unknown) => isPetrelError(error) && error.code === 'VALIDATION_FAILED',
  );
});

test('createRedactingLogger redacts fields, messages and child bindings', () => {
  const lines: Array<{ level: string; fields: Record<string, unknown>; message?: string }> = [];
  const make = (bindings: Record<string, unknown>): Logger => ({
    debug: (fields, message) => lines.push({ level: 'debug', fields: { ...bindings, ...fields }, ...(message === undefined ? {} : { message }) }),
    info: (fields, message) => lines.push({ level: 'info', fields: { ...bindings, ...fields }, ...(message === undefined ? {} : { message }) }),
    warn: (fields, message) => lines.push({ level: 'warn', fields: { ...bindings, ...fields }, ...(message === undefined ? {} : { message }) }),
    error: (fields, message) => lines.push({ level: 'error', fields: { ...bindings, ...fields }, ...(message === undefined ? {} : { message }) }),
    child: (fields) => make({ ...bindings, ...fields }),
  });
  const r = createSecretRedactor();
  const p = r.register(CANARY);
  const log = createRedactingLogger(make({}), r);
  log.info({ typed: CANARY }, `typed ${CANARY}`);
  log.child({ password: CANARY }).error({ err: new Error(`bad ${CANARY}`) });
  const text = JSON.stringify(lines);
  assert.ok(!text.includes('Canary-P@ss'), text);
  assert.equal(lines[0]?.message, `typed ${p}`);
  assert.equal(lines[1]?.fields.password, p);
  assert.equal(lines[1]?.level, 'error');
});
