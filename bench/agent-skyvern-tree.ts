// Bench-only: the page as Skyvern's agent puts it in its action prompt (reference/skyvern.md §3.1:
// `buildTreeFromBody` in domUtils.js, `trim_element_tree` and `json_to_html` in scraper.py), to compare
// prompt sizes on the same pages in the same run. It follows Skyvern's pipeline step by step:
// - walk the DOM from <html> (open shadow roots too; <head> and <option> skipped). An element is kept
//   only when it is visible (checkVisibility, visibility, a non-empty box, not display:none/hidden,
//   not script/style) and is interactable (`isInteractable`: widget roles, inputs, links with href,
//   buttons, selects, textareas, labels with a control, onclick/contenteditable, a pointer cursor on
//   div/span/a/img/li/p/td/svg/strong/h1-h4), an iframe, a shadow host, a table part, has ::before/
//   ::after content, is an svg, is a flex div with several children, or has text of its own. Elements
//   that are not kept are transparent: their children hang from the nearest kept ancestor (so wrapper
//   divs, <body>, <nav>, <ul>… without text of their own do not appear). Invisible elements' children
//   are still visited;
// - per kept element: own text (text nodes joined with ";"), pseudo-element text, attributes with the
//   boolean ones as true/false and the live DOM state on top (value of every input and textarea,
//   passwords as "*", checked of checkboxes/radios, the selected option's text as `selected` on a
//   select), the options of a select, and a 4-character unique id ("A" for the main frame, then a
//   per-document counter over every kept element, alphabet A-Za-z0-9);
// - `trimDuplicatedText` (a parent's text minus its children's), `removeOrphanNode` (a bare <label>);
// - trim: only RESERVED_ATTRIBUTES (plus role=listbox/option), base64 data dropped, ids only on
//   interactable (or disabled) elements, hrefs over 150 characters become `{{_<sha256>}}`;
// - render (`json_to_html`): `<tag attr="v" id="AAAB">text children</tag>`, booleans as "true"/"false",
//   an empty value as the bare attribute name, nothing escaped, `<option index="N">` children, void
//   tags without children left open.
// An svg is kept without attributes or children: Skyvern replaces it by an LLM-made shape description
// (`alt`), which this bench cannot make. Hover-style cursor rules and custom-dropdown detection are
// not modelled (the portal's CSS has neither). It is a re-implementation from reading the source, not
// Skyvern's code (AGPL).
import { createHash } from 'node:crypto';
import type { Page } from 'playwright-core';

/** Skyvern's `RESERVED_ATTRIBUTES` (trim_element_tree keeps only these). */
const RESERVED_ATTRIBUTES = new Set([
  'accept', 'alt', 'aria-checked', 'aria-current', 'aria-disabled', 'aria-label', 'aria-readonly', 'aria-required', 'aria-role', 'aria-selected',
  'checked', 'data-original-title', 'data-ui', 'disabled', 'for', 'href', 'maxlength', 'name', 'pattern', 'placeholder', 'readonly', 'required',
  'selected', 'shape-description', 'src', 'text-value', 'title', 'type', 'value',
]);
const BASE64_ATTRIBUTES = new Set(['href', 'src', 'poster', 'srcset', 'icon']);
const SELF_CLOSING = new Set(['img', 'input', 'br', 'hr', 'meta', 'link']);

/** An element as the in-page walk returns it (Skyvern's element object, the parts the prompt uses). */
type RawElement = {
  tag: string;
  id: string;
  interactable: boolean;
  attributes: Record<string, string | boolean>;
  text: string;
  before: string;
  after: string;
  options?: Array<{ index: number; text: string }>;
  children: RawElement[];
};

/** Runs in the page: Skyvern's element tree (the roots of `buildElementTree`). */
// The helpers must live inside: the function is serialised into the page.
/* oxlint-disable unicorn/consistent-function-scoping */
function walkPage(): RawElement[] {
  const WIDGET_ROLES = new Set(['button', 'link', 'checkbox', 'menuitem', 'menuitemcheckbox', 'menuitemradio', 'radio', 'tab', 'combobox', 'searchbox', 'slider', 'spinbutton', 'switch', 'gridcell', 'option']);
  const POINTER_TAGS = new Set(['div', 'img', 'span', 'a', 'i', 'li', 'p', 'td', 'svg', 'strong', 'h1', 'h2', 'h3', 'h4']);
  const TABLE_TAGS = new Set(['table', 'caption', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'colgroup', 'col']);
  const BOOLEAN_ATTRIBUTES = new Set(['required', 'aria-required', 'checked', 'aria-checked', 'selected', 'aria-selected', 'readonly', 'aria-readonly', 'disabled', 'aria-disabled']);
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let counter = 0;
  const uniqueId = (): string => {
    counter += 1;
    const n = counter % (62 * 62 * 62);
    return `A${ALPHABET[Math.floor(n / 3844)]}${ALPHABET[Math.floor(n / 62) % 62]}${ALPHABET[n % 62]}`;
  };
  const hoverOnly = (el: Element): boolean => {
    // The class attribute, not className: an svg's className is an SVGAnimatedString.
    const own = el.getAttribute('class') ?? '';
    const parentClass = el.parentElement?.getAttribute('class') ?? '';
    if (/hover-|-hover/.test(own) || /hover-|-hover/.test(parentClass)) return true;
    let parent = el.parentElement;
    for (let depth = 0; parent && parent !== document.body && depth < 5; depth++, parent = parent.parentElement) {
      if (/hover|card|item/.test(parent.getAttribute('class') ?? '')) return true;
    }
    return false;
  };
  const visible = (el: Element): boolean => {
    const tag = el.tagName.toLowerCase();
    if (tag === 'input' && ['radio', 'checkbox'].includes((el as HTMLInputElement).type)) return el.parentElement ? visible(el.parentElement) : false;
    const style = getComputedStyle(el);
    if (style.display === 'contents') return [...el.children].some(visible);
    if (!el.checkVisibility() || style.visibility !== 'visible') return false;
    const rect = el.getBoundingClientRect();
    if (rect.width <= 0 || rect.height <= 0) return hoverOnly(el);
    return (rect.left + rect.width) / 2 + window.scrollX >= 0;
  };
  const hidden = (el: Element): boolean => getComputedStyle(el).display === 'none' || (el as HTMLElement).hidden === true;
  const interactable = (el: Element): boolean => {
    const tag = el.tagName.toLowerCase();
    const role = el.getAttribute('role')?.toLowerCase().trim();
    if (role === 'textbox') return !(el as HTMLInputElement).readOnly && !el.hasAttribute('readonly');
    if (role && WIDGET_ROLES.has(role)) return true;
    const style = getComputedStyle(el);
    if (style.pointerEvents === 'none' && !(el as HTMLButtonElement).disabled && !hoverOnly(el)) return false;
    if (tag === 'input') return (el as HTMLInputElement).type !== 'hidden' || style.cursor === 'pointer';
    if (['html', 'iframe', 'frameset', 'frame'].includes(tag)) return false;
    if (tag === 'a' && (el as HTMLAnchorElement).href) return true;
    if (['button', 'select', 'option', 'textarea'].includes(tag)) return true;
    if (tag === 'label' && (el as HTMLLabelElement).control && !((el as HTMLLabelElement).control as HTMLInputElement).disabled) return true;
    if (el.hasAttribute('onclick') || (el as HTMLElement).isContentEditable || el.hasAttribute('jsaction')) return true;
    if ((tag === 'ul' || tag === 'div') && role === 'listbox') return true;
    if ((tag === 'li' || tag === 'div') && role === 'option') return true;
    if (POINTER_TAGS.has(tag) || /button|select|option|textarea/.test(tag)) return style.cursor === 'pointer';
    return false;
  };
  const ownText = (el: Element): string => {
    const parts: string[] = [];
    for (const node of el.childNodes) if (node.nodeType === Node.TEXT_NODE && (node.textContent ?? '').trim()) parts.push((node.textContent ?? '').trim());
    return parts.join(';');
  };
  const pseudo = (el: Element, which: '::before' | '::after'): string => {
    const content = getComputedStyle(el, which).content;
    if (!content || content === 'none' || content === 'normal') return '';
    return content.replace(/^["']|["']$/g, '');
  };
  const attributesOf = (el: Element): Record<string, string | boolean> => {
    const out: Record<string, string | boolean> = {};
    for (const attr of el.attributes) out[attr.name] = BOOLEAN_ATTRIBUTES.has(attr.name) ? attr.value.toLowerCase() !== 'false' : attr.value;
    const live = el as HTMLInputElement;
    const tag = el.tagName.toLowerCase();
    if (live.required !== undefined) {
      delete out.required;
      delete out['aria-required'];
      if (live.required) out.required = true;
    }
    if (live.checked !== undefined) {
      delete out.checked;
      delete out['aria-checked'];
      if (live.checked) out.checked = true;
      else if (tag === 'input' && (live.type === 'checkbox' || live.type === 'radio')) out.checked = false;
    }
    if (live.readOnly !== undefined) {
      delete out.readonly;
      delete out['aria-readonly'];
      if (live.readOnly) out.readonly = true;
    }
    if (live.disabled !== undefined) {
      delete out.disabled;
      delete out['aria-disabled'];
      if (live.disabled) out.disabled = true;
    }
    if (tag === 'input' || tag === 'textarea') out.value = live.type === 'password' ? '*'.repeat(live.value.length) : live.value;
    return out;
  };
  const build = (el: Element, isInteractable: boolean): RawElement => {
    const tag = el.tagName.toLowerCase();
    const node: RawElement = { tag, id: uniqueId(), interactable: isInteractable, attributes: attributesOf(el), text: ownText(el), before: pseudo(el, '::before'), after: pseudo(el, '::after'), children: [] };
    if (el instanceof HTMLSelectElement) {
      node.options = [...el.options].map((o) => ({ index: o.index, text: (o.textContent ?? '').replace(/\s+/g, ' ').trim() }));
      const selected = el.querySelector('option:checked');
      if (selected) node.attributes.selected = (selected.textContent ?? '').replace(/\s+/g, ' ').trim();
    }
    return node;
  };
  const roots: RawElement[] = [];
  const process = (el: Element, parent: RawElement | null, insideSvg: boolean): void => {
    const tag = el.tagName.toLowerCase();
    if (tag === 'head' || tag === 'option') return;
    let attachTo = parent;
    if (visible(el) && !hidden(el) && tag !== 'script' && tag !== 'style') {
      const isInteractable = interactable(el);
      const keep =
        isInteractable ||
        ['frameset', 'iframe', 'frame'].includes(tag) ||
        el.shadowRoot !== null ||
        TABLE_TAGS.has(tag) ||
        pseudo(el, '::before') !== '' ||
        pseudo(el, '::after') !== '' ||
        tag === 'svg' ||
        insideSvg ||
        (tag === 'div' && getComputedStyle(el).display === 'flex' && el.children.length > 1) ||
        (ownText(el).length > 0 && ownText(el).length <= 5000);
      if (keep) {
        const node = build(el, isInteractable);
        if (parent) parent.children.push(node);
        else roots.push(node);
        attachTo = node;
      }
    }
    const svg = insideSvg || tag === 'svg';
    for (const child of el.children) process(child, attachTo, svg);
    if (el.shadowRoot) for (const child of el.shadowRoot.children) process(child, attachTo, svg);
  };
  process(document.documentElement, null, false);
  const trimDuplicatedText = (node: RawElement): void => {
    if (node.children.length === 0 && !node.options) return;
    for (const option of node.options ?? []) node.text = node.text.replace(option.text, '');
    for (const child of node.children) {
      node.text = node.text.replace(child.text, '');
      trimDuplicatedText(child);
    }
    node.text = node.text.replace(/;+/g, ';').replace(/^;+|;+$/g, '');
  };
  const removeOrphans = (nodes: RawElement[]): RawElement[] =>
    nodes.filter((node) => {
      node.children = removeOrphans(node.children);
      return !(node.tag === 'label' && node.children.length === 0 && !node.attributes.for && !node.text);
    });
  const result = removeOrphans(roots);
  for (const root of result) trimDuplicatedText(root);
  return result;
}
/* oxlint-enable unicorn/consistent-function-scoping */

function keepId(node: RawElement): boolean {
  const { disabled, 'aria-disabled': ariaDisabled } = node.attributes;
  if (disabled === undefined && ariaDisabled === undefined) return node.interactable;
  return Boolean(disabled) || Boolean(ariaDisabled) || node.interactable;
}

function trimmedAttributes(node: RawElement): Array<[string, string | boolean]> {
  const out: Array<[string, string | boolean]> = [];
  for (const [name, value] of Object.entries(node.attributes)) {
    if (BASE64_ATTRIBUTES.has(name) && typeof value === 'string' && value.includes('data:')) continue;
    if (name === 'role' && (value === 'listbox' || value === 'option')) out.push([name, value]);
    if (RESERVED_ATTRIBUTES.has(name)) out.push([name, value]);
  }
  return out;
}

function attribute(name: string, value: string | boolean): string {
  if (typeof value === 'boolean') return `${name}="${String(value)}"`;
  return value ? `${name}="${value}"` : name;
}

/** `json_to_html` of one trimmed element. */
function render(node: RawElement): string {
  const children = node.children.map(render).join('');
  const options = (node.options ?? []).map((o) => `<option index="${o.index}">${o.text}</option>`).join('');
  if (node.tag === 'svg') return node.interactable ? `<svg id="${node.id}"></svg>` : '<svg></svg>';
  const attributes = trimmedAttributes(node).map(([name, value]): [string, string | boolean] =>
    name === 'href' && typeof value === 'string' && value.length > 150 ? [name, `{{_${createHash('sha256').update(value).digest('hex')}}}`] : [name, value],
  );
  if (keepId(node)) attributes.push(['id', node.id]);
  const open = `<${node.tag}${attributes.length > 0 ? ` ${attributes.map(([name, value]) => attribute(name, value)).join(' ')}` : ''}>`;
  if (SELF_CLOSING.has(node.tag) && !options && !children && !node.before && !node.after) return open;
  return `${open}${node.before}${node.text}${children}${options}${node.after}</${node.tag}>`;
}

/** The page as Skyvern's trimmed element tree in HTML form (main frame). */
export async function skyvernElementTree(page: Page): Promise<string> {
  const roots = await page.mainFrame().evaluate(walkPage);
  return roots.map(render).join('');
}
