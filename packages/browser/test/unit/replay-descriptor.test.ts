// Replay descriptors as data: Playwright code generation and the action schema.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BROWSER_ACTION_TYPES, browserActionSchema, candidateCode, replayToPlaywrightCode, type ReplayDescriptor } from '@petrel/browser';

const target = {
  framePath: [{ selector: 'iframe[name="pay"]' }],
  selectors: [
    { kind: 'role' as const, role: 'button', name: "Pay 'now'" },
    { kind: 'css' as const, selector: '#pay' },
  ],
  tag: 'button',
  role: 'button',
  name: "Pay 'now'",
};

function page(action: ReplayDescriptor['action']): string {
  return replayToPlaywrightCode({ version: 1, action, tab: 0, url: 'http://x' });
}

describe('replay descriptors', () => {
  it('prints the best selector through the frame path as Playwright code', () => {
    const descriptor: ReplayDescriptor = { version: 1, action: { type: 'click' }, target, tab: 0, url: 'http://x' };
    assert.equal(
      replayToPlaywrightCode(descriptor),
      "await page.frameLocator('iframe[name=\"pay\"]').getByRole('button', { name: 'Pay \\'now\\'', exact: true }).click();",
    );
    assert.equal(candidateCode([], { kind: 'xpath', selector: '/html/body/a[2]', nth: 1 }), "page.locator('xpath=/html/body/a[2]').nth(1)");
    assert.equal(candidateCode([], { kind: 'testId', attribute: 'data-testid', value: 'save' }), 'page.locator(\'[data-testid="save"]\')');
  });

  it('never prints a sensitive value', () => {
    const descriptor: ReplayDescriptor = { version: 1, action: { type: 'input_text', text: '', sensitive: true }, target, tab: 0, url: 'http://x' };
    assert.match(replayToPlaywrightCode(descriptor), /\.fill\(secret\);$/);
  });

  it('prints page-level actions', () => {
    assert.equal(page({ type: 'goto_url', url: 'http://a/b' }), "await page.goto('http://a/b');");
    assert.equal(page({ type: 'keypress', keys: 'Control+A' }), "await page.keyboard.press('Control+A');");
    assert.equal(page({ type: 'go_back' }), 'await page.goBack();');
  });

  it('validates actions with one schema covering every type', () => {
    assert.equal(BROWSER_ACTION_TYPES.length, 22);
    assert.ok(browserActionSchema.safeParse({ type: 'click', elementId: 'e3', double: true }).success);
    assert.ok(!browserActionSchema.safeParse({ type: 'click', elementId: '3' }).success);
    assert.ok(!browserActionSchema.safeParse({ type: 'upload_file', elementId: 'e1', files: [] }).success);
    assert.ok(!browserActionSchema.safeParse({ type: 'fly' }).success);
    assert.ok(browserActionSchema.safeParse({ type: 'scroll', direction: 'down', pages: 0.5 }).success);
  });
});
