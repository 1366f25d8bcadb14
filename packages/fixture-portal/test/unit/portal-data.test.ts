// The seeded data: deterministic per seed, and shaped as the brief promises.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPortalData, DEFAULT_SEED, ORDER_STATUSES } from '@petrel/fixture-portal';

const cents = (n: number) => Math.round(n * 100);

test('the same seed gives equal data; another seed gives other data', () => {
  assert.deepEqual(createPortalData(7), createPortalData(7));
  assert.deepEqual(createPortalData(), createPortalData(DEFAULT_SEED));
  assert.notDeepEqual(createPortalData(7).orders, createPortalData(8).orders);
});

test('the default seed is stable across versions (golden values)', () => {
  const { orders } = createPortalData();
  // Pinned so that a change to the generator, which would break recorded examples, is noticed.
  assert.deepEqual(
    orders.slice(0, 2).map((o) => [o.id, o.date, o.status, o.total]),
    [
      ['ORD-10001', '2026-01-01', 'refunded', 465.93],
      ['ORD-10002', '2026-01-01', 'delivered', 839.19],
    ],
  );
});

test('orders: at least 200, ids in date order, every status, several months of 2026, exact money', () => {
  const { orders } = createPortalData();
  assert.ok(orders.length >= 200);
  orders.forEach((o, i) => {
    assert.equal(o.id, `ORD-${10001 + i}`);
    assert.equal(o.invoiceId, `INV-2026-${10001 + i}`);
    assert.match(o.date, /^2026-\d{2}-\d{2}$/);
    assert.ok(!Number.isNaN(Date.parse(o.date)));
    if (i > 0) assert.ok(o.date >= (orders[i - 1]?.date ?? ''));
    for (const value of [o.total, o.subtotal, o.tax, o.shipping, ...o.items.flatMap((it) => [it.amount, it.unitPrice])]) {
      assert.equal(cents(value) / 100, value, `${o.id}: ${value} has at most two decimals`);
    }
    assert.equal(cents(o.subtotal), o.items.reduce((s, it) => s + cents(it.amount), 0));
    for (const it of o.items) assert.equal(cents(it.amount), cents(it.unitPrice) * it.quantity);
    assert.equal(cents(o.total), cents(o.subtotal) + cents(o.shipping) + cents(o.tax));
  });
  assert.deepEqual(new Set(orders.map((o) => o.status)), new Set(ORDER_STATUSES));
  assert.ok(new Set(orders.map((o) => o.date.slice(0, 7))).size >= 4);
});

test('users, jobs and reports', () => {
  const data = createPortalData();
  assert.deepEqual(
    data.users.map((u) => [u.email, u.locked]),
    [
      ['demo@petrel.test', false],
      ['locked@petrel.test', true],
    ],
  );
  for (const u of data.users) assert.match(u.totpSecret, /^[A-Z2-7]{32}$/);
  assert.ok(data.jobs.length >= 10);
  for (const job of data.jobs) {
    assert.ok(job.questions.length >= 3 && job.questions.length <= 4, job.id);
    assert.ok(job.title && job.employer && job.location && job.type);
  }
  assert.equal(new Set(data.jobs.map((j) => j.id)).size, data.jobs.length);
  for (const r of data.reports) assert.equal(r.rows.length, r.rowCount);
  const times = data.reports.map((r) => r.generatedAt);
  assert.deepEqual(times, times.toSorted().toReversed(), 'newest report first');
});

test('a seed that is not an integer is rejected', () => {
  assert.throws(() => createPortalData(1.5), /seed must be an integer/);
});
