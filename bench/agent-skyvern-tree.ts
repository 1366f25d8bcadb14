// Bench-only: the page as Skyvern's agent would put it in its prompt (reference/skyvern.md §3.1), to
// compare prompt sizes on the same pages in the same run. It follows Skyvern's pipeline:
// - walk the rendered DOM (open shadow roots included), skipping hidden subtrees, script/style/
//   noscript/template and SVG internals; mark elements interactable as Skyvern's `isInteractable` does
//   (native controls, ARIA widget roles, onclick, contenteditable, tabindex >= 0, pointer cursor);
//   give interactable elements a 4-character `unique_id`;
// - keep each element's own text, select options as `<option index=…>`, and its attributes;
// - trim (`trim_element_tree`): keep only RESERVED_ATTRIBUTES, drop `id` from non-interactable
//   elements, drop base64 values, replace hrefs over 150 characters with a `{{_<sha256>}}` token,
//   purge elements with no text, no kept children and nothing to act on;
// - render (`json_to_html`) as pseudo-HTML: `<tag id="AAAB" attr="v">text children</tag>`.
// It is a faithful re-implementation from the description, not Skyvern's code (AGPL).
import { createHash } from 'node:crypto';
import type { Page } from 'playwright-core';

/** Skyvern's `RESERVED_ATTRIBUTES` (trim_element_tree keeps only these). */
const RESERVED_ATTRIBUTES = new Set([
  'accept', 'alt', 'aria-checked', 'aria-current', 'aria-disabled', 'aria-label', 'aria-readonly', 'aria-required', 'aria-role', 'aria-selected',
  'checked', 'data-original-title', 'data-ui', 'disabled', 'for', 'href', 'maxlength', 'name', 'pattern', 'placeholder', 'readonly', 'required',
  'selected', 'shape-description', 'src', 'text-value', 'title', 'type', 'value',
]);
const VOID = new Set(['input', 'img', 'br', 'hr', 'meta', 'link', 'area', 'source', 'col', 'embed', 'wbr']);

/** An element as the in-page walk returns it. */
type RawElement = {
  tag: string;
  interactable: boolean;
  attributes: Record<string, string | boolean>;
  text: string;
  options?: Array<{ index: number; text: string; value: string }>;
  children: RawElement[];
};

/** Runs in the page: the element tree with interactability, own text, attributes and options. */
// The helpers must live inside: the function is serialised into the page.
/* oxlint-disable unicorn/consistent-function-scoping */
function walkPage(): RawElement | null {
  const SKIP = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'HEAD', 'META', 'LINK']);
  const ROLES = new Set(['button', 'link', 'checkbox', 'radio', 'tab', 'menuitem', 'menuitemcheckbox', 'menuitemradio', 'option', 'combobox', 'textbox', 'switch', 'searchbox', 'slider', 'spinbutton', 'treeitem', 'listbox']);
  const NATIVE = new Set(['A', 'BUTTON', 'INPUT', 'SELECT', 'TEXTAREA', 'OPTION', 'SUMMARY', 'DETAILS']);
  const interactable = (el: Element): boolean => {
    if (el.tagName === 'INPUT' && (el as HTMLInputElement).type === 'hidden') return false;
    if (NATIVE.has(el.tagName) && !(el.tagName === 'A' && !el.hasAttribute('href'))) return true;
    const role = el.getAttribute('role');
    if (role && ROLES.has(role)) return true;
    if (el.hasAttribute('onclick') || el.getAttribute('contenteditable') === 'true') return true;
    const tabindex = el.getAttribute('tabindex');
    if (tabindex !== null && Number(tabindex) >= 0) return true;
    const cursor = getComputedStyle(el).cursor;
    const parentCursor = el.parentElement ? getComputedStyle(el.parentElement).cursor : '';
    return cursor === 'pointer' && parentCursor !== 'pointer';
  };
  const visible = (el: Element): boolean => {
    if (typeof el.checkVisibility === 'function' && !el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) return false;
    const rect = el.getBoundingClientRect();
    return rect.width > 0 || rect.height > 0 || (el.tagName === 'INPUT' && ['checkbox', 'radio'].includes((el as HTMLInputElement).type));
  };
  const ownText = (el: Element): string => {
    let text = '';
    for (const node of el.childNodes) if (node.nodeType === Node.TEXT_NODE) text += ` ${node.textContent ?? ''}`;
    return text.replace(/\s+/g, ' ').trim();
  };
  const attributesOf = (el: Element): Record<string, string | boolean> => {
    const out: Record<string, string | boolean> = {};
    for (const attr of el.attributes) out[attr.name] = attr.value === '' ? true : attr.value;
    if (el instanceof HTMLInputElement) {
      if (el.type === 'password') out.value = '*'.repeat(el.value.length);
      else if (el.value) out.value = el.value;
      if (el.type === 'checkbox' || el.type === 'radio') out.checked = el.checked;
    } else if (el instanceof HTMLTextAreaElement && el.value) out.value = el.value;
    return out;
  };
  const build = (el: Element): RawElement | null => {
    if (SKIP.has(el.tagName) || !visible(el)) return null;
    const tag = el.tagName.toLowerCase();
    const node: RawElement = { tag, interactable: interactable(el), attributes: attributesOf(el), text: ownText(el), children: [] };
    if (el instanceof HTMLSelectElement) {
      node.options = [...el.options].map((o, index) => ({ index, text: o.text.trim(), value: o.value }));
      return node;
    }
    if (tag === 'svg') return node;
    const kids = el.shadowRoot ? [...el.shadowRoot.children] : [...el.children];
    for (const child of kids) {
      const built = build(child);
      if (built) node.children.push(built);
    }
    return node;
  };
  return document.body ? build(document.body) : null;
}
/* oxlint-enable unicorn/consistent-function-scoping */

type Trimmed = { tag: string; id?: string; attributes: Array<[string, string | boolean]>; text: string; options?: RawElement['options']; children: Trimmed[] };

function uniqueIds(): () => string {
  const base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let counter = 0;
  return () => {
    let n = counter++;
    let out = '';
    for (let i = 0; i < 3; i++) {
      out = base62[n % 62] + out;
      n = Math.floor(n / 62);
    }
    return `A${out}`;
  };
}

function trim(node: RawElement, nextId: () => string): Trimmed | null {
  const children = node.children.map((c) => trim(c, nextId)).filter((c): c is Trimmed => c !== null);
  const attributes: Array<[string, string | boolean]> = [];
  for (const [name, value] of Object.entries(node.attributes)) {
    if (!RESERVED_ATTRIBUTES.has(name)) continue;
    if (typeof value === 'string' && value.startsWith('data:') && value.includes('base64')) continue;
    if (name === 'href' && typeof value === 'string' && value.length > 150) {
      attributes.push([name, `{{_${createHash('sha256').update(value).digest('hex')}}}`]);
      continue;
    }
    attributes.push([name, value]);
  }
  if (!node.interactable && !node.text && children.length === 0 && !node.options) return null;
  const out: Trimmed = { tag: node.tag, attributes, text: node.text, children };
  if (node.interactable) out.id = nextId();
  if (node.options) out.options = node.options;
  return out;
}

function escape(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

function render(node: Trimmed): string {
  const attrs = [...(node.id ? [['id', node.id] as [string, string]] : []), ...node.attributes]
    .map(([name, value]) => (value === true ? name : value === false ? `${name}="false"` : `${name}="${escape(value)}"`))
    .join(' ');
  const open = `<${node.tag}${attrs ? ` ${attrs}` : ''}>`;
  const options = (node.options ?? []).map((o) => `<option index="${o.index}">${escape(o.text)}</option>`).join('');
  const inner = `${escape(node.text)}${node.children.map(render).join('')}${options}`;
  if (VOID.has(node.tag) && inner === '') return open;
  return `${open}${inner}</${node.tag}>`;
}

/** The page as Skyvern's trimmed element tree in HTML form (main frame). */
export async function skyvernElementTree(page: Page): Promise<string> {
  const raw = await page.mainFrame().evaluate(walkPage);
  if (!raw) return '';
  const trimmed = trim(raw, uniqueIds());
  return trimmed ? render(trimmed) : '';
}
