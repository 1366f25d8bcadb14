// The compact text form: what it prints for elements, labels, tables, frames, headers and dialogs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { elementLine, serializeObservation, type ObservedElement, type TextHeader, type TextPiece } from '@petrel/browser';

const header: TextHeader = {
  url: 'http://127.0.0.1:1/form',
  title: 'Form',
  scroll: { x: 0, y: 0, width: 1280, height: 700, viewportWidth: 1280, viewportHeight: 720 },
  tabs: [],
  dialogs: [],
};

function el(id: string, role: string, name: string, extra: Partial<ObservedElement> = {}): ObservedElement {
  return { id, frameId: 'f0', tag: extra.tag ?? 'input', role, name, attributes: {}, bounds: { x: 0, y: 0, width: 10, height: 10 }, ...extra };
}

const text = (t: string): TextPiece => ({ kind: 'text', text: t });
const br: TextPiece = { kind: 'break' };
const element = (e: ObservedElement): TextPiece => ({ kind: 'element', element: e });

describe('serializeObservation', () => {
  it('prints a header, headings, plain text and one bracket per element', () => {
    const out = serializeObservation(header, [
      { kind: 'heading', level: 1 },
      text('Sign in'),
      br,
      text('Email'),
      br,
      element(el('e1', 'textbox', 'Email', { attributes: { type: 'email', placeholder: 'you@x.com', required: true } })),
      br,
      element(el('e2', 'button', 'Go', { tag: 'button' })),
    ]);
    assert.equal(out, ['url: http://127.0.0.1:1/form', 'title: Form', '---', '# Sign in', '[e1 textbox email placeholder=you@x.com required] Email', '[e2 button] Go'].join('\n'));
  });

  it('folds a label that only repeats the control name, before or after it', () => {
    const out = serializeObservation(header, [
      text('Remember me'),
      element(el('e1', 'checkbox', 'Remember me', { attributes: { type: 'checkbox', checked: true } })),
      br,
      element(el('e2', 'checkbox', 'Newsletter', { attributes: { type: 'checkbox' } })),
      text('Newsletter'),
      br,
      text('Name:'),
      br,
      element(el('e3', 'textbox', 'Name')),
    ]);
    assert.deepEqual(out.split('\n').slice(3), ['[e1 checkbox checked] Remember me', '[e2 checkbox] Newsletter', '[e3 textbox] Name']);
  });

  it('joins table cells with | and trims empty trailing cells', () => {
    const out = serializeObservation(header, [br, text('ORD-1'), text(' | '), text('$5.00'), text(' | '), br, text('A'), text(' | '), element(el('e4', 'link', 'Open', { tag: 'a', attributes: { href: '/o/1' } })), br]);
    assert.deepEqual(out.split('\n').slice(3), ['ORD-1 | $5.00', 'A | [e4 link /o/1] Open']);
  });

  it('quotes values with spaces, masks nothing itself, and lists select options with the selected one starred', () => {
    assert.equal(elementLine(el('e5', 'textbox', 'Notes', { attributes: { value: 'two words' } })), '[e5 textbox value="two words"] Notes');
    assert.equal(
      elementLine(el('e6', 'combobox', 'Size', { tag: 'select', options: [{ value: 's', label: 'Small', selected: false }, { value: 'l', label: 'Large', selected: true }] })),
      '[e6 combobox] Size {Small|Large*}',
    );
    const many = Array.from({ length: 30 }, (_, i) => ({ value: String(i), label: `O${i}`, selected: i === 0 }));
    assert.match(elementLine(el('e7', 'combobox', 'Many', { tag: 'select', options: many }), 3), /\{O0\*\|O1\|O2\|…\+27\}$/);
    assert.equal(elementLine(el('e8', 'generic', 'Card', { tag: 'div' })), '[e8 clickable] Card');
  });

  it('wraps frame content in braces and prints tabs, scroll and dialogs', () => {
    const frame = el('e9', 'iframe', 'Payment', { tag: 'iframe' });
    const out = serializeObservation(
      {
        ...header,
        scroll: { x: 0, y: 300, width: 1280, height: 3000, viewportWidth: 1280, viewportHeight: 720 },
        tabs: [
          { index: 0, url: 'http://a', title: 'A', active: false },
          { index: 1, url: 'http://b', title: 'B', active: true },
        ],
        dialogs: [{ type: 'confirm', message: 'Sure?' }],
      },
      [{ kind: 'frameStart', element: frame }, element(el('e10', 'textbox', 'Card')), { kind: 'frameEnd' }],
    );
    assert.deepEqual(out.split('\n'), [
      'url: http://127.0.0.1:1/form',
      'title: Form',
      'scroll: 300/2280px, viewport 1280x720',
      'tabs: 0 A | 1* B',
      'dialog confirm: "Sure?"',
      '---',
      '[e9 iframe] Payment {',
      '[e10 textbox] Card',
      '}',
    ]);
  });
});
