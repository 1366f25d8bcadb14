// The script that runs inside every frame. It is one self-contained function: `frame.evaluate`
// sends its source, and on first use in a document it installs its state under a symbol on
// `globalThis`; later calls reuse that state, so ids stay stable while a node lives and a whole
// observation is one round trip per frame. It must not reference anything outside its own body.
//
// oxlint-disable unicorn/consistent-function-scoping -- the helpers must live inside the one function that is sent to the page.
// Operations:
// - `observe`: walks the rendered tree (open shadow roots through their slots, iframes as
//   placeholders) and returns, as one JSON string, text runs, block breaks and the interactive
//   elements with their id, role, accessible name, attributes, options and position.
// - `describe`: the replay selectors of one element (role+name, label, placeholder, test id, text,
//   CSS, XPath), each with the number of matches in the frame.
// - `settleStart` / `settleWait`: a MutationObserver-based "DOM is quiet" wait.
// - `scrollPage`, `scrollElement`, `scrollToText`, `readText`, `readHtml`, `textVisible`: small helpers.

/** Arguments of one call into the page script. */
export type PageCall =
  | { op: 'observe'; maxText: number; maxName: number }
  | { op: 'describe'; ref: string; settle: boolean }
  | { op: 'settleStart' }
  | { op: 'settleWait'; quietMs: number; capMs: number }
  | { op: 'scrollPage'; dx: number; dy: number }
  | { op: 'scrollElement'; ref: string; dx: number; dy: number }
  | { op: 'scrollToText'; text: string }
  | { op: 'readText'; ref?: string; max: number }
  | { op: 'readHtml'; ref?: string; max: number }
  | { op: 'textVisible'; text: string };

/** The attribute the page script writes on every element it gives an id (`<doc>-<n>`). */
export const REF_ATTRIBUTE = 'data-petrel-id';

/**
 * Installed in every document at creation (`context.addInitScript`): remembers when the DOM last
 * changed after the parser finished, so settling after an action or a navigation can tell at once
 * whether the page is quiet instead of watching it for a fixed time. It also counts attempts to open
 * a new tab (`window.open`, a click on a link or a form submit aimed at a new browsing context): the
 * browser announces the new page only some time after the click returns, and settling must know to
 * wait for it. Self-contained, like pageScript.
 */
export function mutationTracker(): void {
  const KEY = Symbol.for('petrel.mutations.v1');
  const g = globalThis as unknown as Record<symbol, { last: number; popups: number } | undefined>;
  if (g[KEY]) return;
  const tracker = { last: Number.NEGATIVE_INFINITY, popups: 0 };
  Object.defineProperty(globalThis, KEY, { value: tracker, enumerable: false, configurable: true });
  const opensNewContext = (target: string | null): boolean => {
    const name = (target ?? '').trim().toLowerCase();
    return name !== '' && name !== '_self' && name !== '_parent' && name !== '_top';
  };
  const open = window.open;
  window.open = function (this: Window, ...args: Parameters<typeof window.open>) {
    tracker.popups++;
    return open.apply(this, args);
  };
  addEventListener(
    'click',
    (event) => {
      const link = event.target instanceof Element ? event.target.closest('a[href], area[href]') : null;
      if (link && (opensNewContext(link.getAttribute('target')) || event.ctrlKey || event.metaKey || event.shiftKey)) tracker.popups++;
    },
    true,
  );
  addEventListener(
    'submit',
    (event) => {
      const form = event.target instanceof HTMLFormElement ? event.target : null;
      if (form && opensNewContext(event.submitter?.getAttribute('formtarget') ?? form.getAttribute('target'))) tracker.popups++;
    },
    true,
  );
  const start = () => {
    // Parser insertions are not activity; only what scripts change once the document is parsed.
    new MutationObserver((records) => {
      if (document.readyState === 'loading') return;
      for (const record of records) {
        if (record.type === 'attributes' && record.attributeName === 'data-petrel-id') continue;
        tracker.last = performance.now();
        return;
      }
    }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  };
  if (document.documentElement) start();
  else document.addEventListener('readystatechange', start, { once: true });
}

/** The page script itself; call only through `frame.evaluate(pageScript, call)`. */
export function pageScript(call: PageCall): unknown {
  const KEY = Symbol.for('petrel.page-script.v1');
  const ATTR = 'data-petrel-id';
  type Rect = [number, number, number, number];
  type Item = string | Record<string, unknown>;
  type State = {
    doc: string;
    next: number;
    ids: WeakMap<Element, string>;
    lastMutation: number;
    /** The tracker's popup count at settleStart. */
    popupsBefore: number;
    observer: MutationObserver | undefined;
  };
  const g = globalThis as unknown as Record<symbol, State | undefined>;
  let state = g[KEY];
  if (!state) {
    state = {
      doc: Math.random().toString(36).slice(2, 8),
      next: 1,
      ids: new WeakMap(),
      lastMutation: Number.NEGATIVE_INFINITY,
      popupsBefore: 0,
      observer: undefined,
    };
    Object.defineProperty(globalThis, KEY, { value: state, enumerable: false, configurable: true });
  }
  const st = state;

  const INTERACTIVE_ROLES = new Set([
    'button', 'link', 'checkbox', 'radio', 'switch', 'tab', 'menuitem', 'menuitemcheckbox', 'menuitemradio',
    'option', 'combobox', 'textbox', 'searchbox', 'slider', 'spinbutton', 'listbox', 'treeitem', 'gridcell',
  ]);
  const BLOCK = new Set([
    'address', 'article', 'aside', 'blockquote', 'caption', 'dd', 'details', 'dialog', 'div', 'dl', 'dt', 'fieldset',
    'figcaption', 'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hgroup', 'hr', 'li',
    'main', 'nav', 'ol', 'p', 'pre', 'section', 'summary', 'table', 'tr', 'ul', 'br', 'legend', 'menu', 'tbody', 'thead', 'tfoot',
  ]);
  const SKIP = new Set(['script', 'style', 'noscript', 'template', 'head', 'meta', 'link', 'title', 'base']);
  const INPUT_ROLES: Record<string, string> = {
    button: 'button', submit: 'button', reset: 'button', image: 'button', file: 'button', checkbox: 'checkbox', radio: 'radio',
    range: 'slider', number: 'spinbutton', search: 'searchbox', email: 'textbox', tel: 'textbox', url: 'textbox',
    text: 'textbox', password: 'textbox', date: 'textbox', 'datetime-local': 'textbox', month: 'textbox', time: 'textbox',
    week: 'textbox', color: 'button',
  };
  const TEST_ID_ATTRS = ['data-testid', 'data-test-id', 'data-test', 'data-qa', 'data-cy'];

  const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();
  const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

  /** Visible text under a node, skipping controls whose text is not what a reader sees. */
  function textOf(node: Node, max: number): string {
    let out = '';
    const visit = (n: Node): boolean => {
      if (n.nodeType === 3) {
        out += n.nodeValue ?? '';
        return out.length < max * 2;
      }
      if (n.nodeType !== 1 && n.nodeType !== 11) return true;
      if (n.nodeType === 1) {
        const tag = (n as Element).localName;
        if (SKIP.has(tag) || tag === 'select' || tag === 'textarea' || tag === 'option' || tag === 'datalist') return true;
        if (tag === 'img') {
          const alt = (n as Element).getAttribute('alt');
          if (alt) out += ` ${alt} `;
          return true;
        }
        if (tag === 'input') {
          const t = (n as HTMLInputElement).type;
          if (t === 'submit' || t === 'button' || t === 'reset') out += ` ${(n as HTMLInputElement).value} `;
          return true;
        }
        const shadow = (n as Element).shadowRoot;
        if (shadow) return visit(shadow);
        if (tag === 'slot') {
          const assigned = (n as HTMLSlotElement).assignedNodes({ flatten: true });
          if (assigned.length > 0) {
            for (const a of assigned) if (!visit(a)) return false;
            return true;
          }
        }
        if (BLOCK.has(tag)) out += ' ';
      }
      for (let c = n.firstChild; c; c = c.nextSibling) if (!visit(c)) return false;
      return true;
    };
    visit(node);
    return cut(collapse(out), max);
  }

  function byIdRefs(el: Element, attr: string, max: number): string {
    const ids = el.getAttribute(attr);
    if (!ids) return '';
    const root = el.getRootNode() as Document | ShadowRoot;
    return cut(
      collapse(
        ids
          .split(/\s+/)
          .map((id) => {
            const target = root.getElementById ? root.getElementById(id) : null;
            return target ? textOf(target, max) : '';
          })
          .join(' '),
      ),
      max,
    );
  }

  function roleOf(el: Element): string {
    const explicit = el.getAttribute('role');
    if (explicit) return explicit.split(/\s+/)[0] ?? explicit;
    const tag = el.localName;
    switch (tag) {
      case 'a':
      case 'area':
        return el.hasAttribute('href') ? 'link' : 'generic';
      case 'button':
        return 'button';
      case 'input': {
        const type = (el as HTMLInputElement).type;
        if ((type === 'text' || type === 'search' || type === 'email' || type === 'tel' || type === 'url') && el.hasAttribute('list')) return 'combobox';
        return INPUT_ROLES[type] ?? 'textbox';
      }
      case 'select':
        return (el as HTMLSelectElement).multiple || (el as HTMLSelectElement).size > 1 ? 'listbox' : 'combobox';
      case 'textarea':
        return 'textbox';
      case 'summary':
        return 'button';
      case 'option':
        return 'option';
      case 'img':
        return el.getAttribute('alt') === '' ? 'presentation' : 'img';
      case 'iframe':
      case 'frame':
        return 'iframe';
      case 'h1':
      case 'h2':
      case 'h3':
      case 'h4':
      case 'h5':
      case 'h6':
        return 'heading';
      default:
        if ((el as HTMLElement).isContentEditable) return 'textbox';
        return 'generic';
    }
  }

  function labelText(el: Element, max: number): string {
    const labels = (el as HTMLInputElement).labels;
    if (!labels || labels.length === 0) return '';
    return cut(collapse(Array.from(labels, (l) => textOf(l, max)).join(' ')), max);
  }

  function nameOf(el: Element, role: string, max: number): string {
    const labelledBy = byIdRefs(el, 'aria-labelledby', max);
    if (labelledBy) return labelledBy;
    const aria = el.getAttribute('aria-label');
    if (aria && aria.trim()) return cut(collapse(aria), max);
    const tag = el.localName;
    if (tag === 'input' || tag === 'select' || tag === 'textarea') {
      const type = (el as HTMLInputElement).type;
      if (tag === 'input' && (type === 'submit' || type === 'button' || type === 'reset')) {
        return cut((el as HTMLInputElement).value || (type === 'submit' ? 'Submit' : type === 'reset' ? 'Reset' : ''), max);
      }
      if (tag === 'input' && type === 'image') return cut(el.getAttribute('alt') ?? '', max);
      const label = labelText(el, max);
      if (label) return label;
      return cut(collapse(el.getAttribute('title') ?? el.getAttribute('placeholder') ?? ''), max);
    }
    if (tag === 'img') return cut(collapse(el.getAttribute('alt') ?? el.getAttribute('title') ?? ''), max);
    if (tag === 'iframe' || tag === 'frame') return cut(collapse(el.getAttribute('title') ?? el.getAttribute('name') ?? ''), max);
    if (role === 'textbox' || role === 'combobox' || role === 'listbox' || role === 'searchbox') {
      const label = labelText(el, max);
      return label || cut(collapse(el.getAttribute('title') ?? el.getAttribute('placeholder') ?? el.getAttribute('aria-placeholder') ?? ''), max);
    }
    let text = textOf(el, max);
    if (!text) {
      const svgTitle = el.querySelector('svg title');
      text = collapse(el.getAttribute('title') ?? svgTitle?.textContent ?? el.querySelector('[aria-label]')?.getAttribute('aria-label') ?? '');
    }
    return cut(text, max);
  }

  function isInteractive(el: Element, tag: string, role: string, parentPointer: boolean, pointer: boolean): boolean {
    switch (tag) {
      case 'button':
      case 'select':
      case 'textarea':
      case 'summary':
        return true;
      case 'a':
        return el.hasAttribute('href') || el.hasAttribute('onclick') || pointer;
      case 'input':
        return (el as HTMLInputElement).type !== 'hidden';
      default:
        break;
    }
    if (INTERACTIVE_ROLES.has(role)) return true;
    if ((el as HTMLElement).isContentEditable && !el.parentElement?.isContentEditable) return true;
    const tabindex = el.getAttribute('tabindex');
    if (tabindex !== null && Number(tabindex) >= 0 && tag !== 'body' && tag !== 'html') return true;
    if (el.hasAttribute('onclick') || (el as HTMLElement).onclick) return true;
    // A pointer cursor that starts here (not inherited from a clickable parent) marks a click target
    // wired with addEventListener, which the DOM does not reveal otherwise.
    return pointer && !parentPointer && tag !== 'body' && tag !== 'html' && tag !== 'label';
  }

  function refOf(el: Element): string {
    let id = st.ids.get(el);
    if (!id) {
      id = `${st.doc}-${st.next++}`;
      st.ids.set(el, id);
    }
    // Compare first: a clone of a node carries a stale copy of the attribute and must be corrected.
    if (el.getAttribute(ATTR) !== id) el.setAttribute(ATTR, id);
    return id;
  }

  function findRef(ref: string): Element | null {
    const selector = `[${ATTR}="${CSS.escape(ref)}"]`;
    const direct = document.querySelector(selector);
    if (direct) return direct;
    // Elements inside shadow roots are not reachable by document.querySelector.
    let found: Element | null = null;
    const search = (root: Document | ShadowRoot | Element): void => {
      if (found) return;
      const hit = root.querySelector(selector);
      if (hit) {
        found = hit;
        return;
      }
      for (const el of Array.from(root.querySelectorAll('*'))) {
        if (el.shadowRoot) search(el.shadowRoot);
        if (found) return;
      }
    };
    search(document);
    return found;
  }

  function hrefOf(el: Element): string | undefined {
    const raw = el.getAttribute('href');
    if (raw === null) return undefined;
    if (raw.startsWith('javascript:')) return 'javascript:';
    // The element's `href` is already resolved against the base URL (and is the raw value when it
    // cannot be): no URL object per link, which on a page of hundreds of links is a cost.
    // (An SVG <a> has an SVGAnimatedString there, hence the type check.)
    const property: unknown = (el as HTMLAnchorElement).href;
    const resolved = typeof property === 'string' && property !== '' ? property : raw;
    const origin = location.origin;
    const sameOrigin = origin !== 'null' && resolved.startsWith(origin) && resolved.charAt(origin.length) === '/';
    return cut(sameOrigin ? resolved.slice(origin.length) : resolved, 80);
  }

  function attrsOf(el: Element, tag: string, role: string): Record<string, string | boolean> {
    const a: Record<string, string | boolean> = {};
    const put = (k: string, v: string | null | undefined | boolean) => {
      if (v !== null && v !== undefined && v !== '' && v !== false) a[k] = v;
    };
    if (tag === 'input') {
      const input = el as HTMLInputElement;
      put('type', input.type);
      if (input.type === 'checkbox' || input.type === 'radio') put('checked', input.checked);
      else if (input.type === 'password') put('value', input.value ? '********' : '');
      else if (input.type !== 'file' && input.type !== 'submit' && input.type !== 'button' && input.type !== 'reset') put('value', cut(input.value, 200));
      if (input.type === 'file') {
        put('accept', input.accept);
        put('multiple', input.multiple);
        if (input.files && input.files.length > 0) put('value', Array.from(input.files, (f) => f.name).join(', '));
      }
      put('readonly', input.readOnly);
    } else if (tag === 'textarea') {
      put('value', cut((el as HTMLTextAreaElement).value, 200));
      put('readonly', (el as HTMLTextAreaElement).readOnly);
    } else if (tag === 'select') {
      const select = el as HTMLSelectElement;
      put('value', Array.from(select.selectedOptions, (o) => collapse(o.label || o.text)).join(', '));
      put('multiple', select.multiple);
    } else if (role === 'textbox' && (el as HTMLElement).isContentEditable) {
      put('value', cut(collapse((el as HTMLElement).innerText), 200));
    }
    if (tag === 'input' || tag === 'select' || tag === 'textarea' || tag === 'button') {
      put('name', el.getAttribute('name'));
      put('required', (el as HTMLInputElement).required);
    }
    put('placeholder', el.getAttribute('placeholder') ?? el.getAttribute('aria-placeholder'));
    if (tag === 'a' || tag === 'area') put('href', hrefOf(el));
    if ((el as HTMLButtonElement).disabled || el.getAttribute('aria-disabled') === 'true') a['disabled'] = true;
    const checked = el.getAttribute('aria-checked');
    if (checked === 'true') a['checked'] = true;
    else if (checked === 'mixed') a['checked'] = 'mixed';
    if (el.getAttribute('aria-selected') === 'true') a['selected'] = true;
    const expanded = el.getAttribute('aria-expanded');
    if (expanded === 'true' || expanded === 'false') a['expanded'] = expanded === 'true';
    const pressed = el.getAttribute('aria-pressed');
    if (pressed === 'true') a['pressed'] = true;
    const current = el.getAttribute('aria-current');
    if (current && current !== 'false') a['current'] = current;
    put('haspopup', el.getAttribute('aria-haspopup') === 'false' ? null : el.getAttribute('aria-haspopup'));
    if (el.getAttribute('aria-invalid') === 'true') a['invalid'] = true;
    return a;
  }

  function rectOf(el: Element): Rect {
    const r = el.getBoundingClientRect();
    return [Math.round(r.left), Math.round(r.top), Math.round(r.width), Math.round(r.height)];
  }

  function observe(maxText: number, maxName: number): string {
    const items: Item[] = [];
    let count = 0;
    const cellCounts: number[] = [];
    const walk = (node: Node, inShadow: boolean, parentPointer: boolean, hidden: boolean): void => {
      if (node.nodeType === 3) {
        if (hidden) return;
        const value = node.nodeValue;
        if (value && /\S/.test(value)) items.push(cut(collapse(value), maxText));
        return;
      }
      if (node.nodeType === 11) {
        for (let c = node.firstChild; c; c = c.nextSibling) walk(c, inShadow, parentPointer, hidden);
        return;
      }
      if (node.nodeType !== 1) return;
      const el = node as Element;
      const tag = el.localName;
      if (SKIP.has(tag)) return;
      count += 1;
      // One check answers for the common case (shown, not visibility-hidden); only a failed one asks
      // whether the subtree is gone (display: none) or merely hidden (its children may show again).
      const shown = !hidden && el.checkVisibility({ visibilityProperty: true });
      if (!shown && !el.checkVisibility()) return;
      let style: CSSStyleDeclaration | undefined;
      const getStyle = () => (style ??= getComputedStyle(el));
      const selfHidden = hidden ? getStyle().visibility !== 'visible' : !shown;
      const pointer = selfHidden ? false : getStyle().cursor === 'pointer';
      const role = roleOf(el);
      const block = BLOCK.has(tag);
      if (block) items.push('\n');
      if (tag === 'svg') {
        // Icons: only their accessible label matters.
        const label = el.getAttribute('aria-label') ?? el.querySelector('title')?.textContent;
        if (!selfHidden && label && !parentPointer) items.push(cut(collapse(label), maxName));
        return;
      }
      if (tag === 'iframe' || tag === 'frame') {
        if (selfHidden) return;
        items.push({ k: 'f', ref: refOf(el), name: nameOf(el, role, maxName), r: rectOf(el), ...(inShadow ? { sh: 1 } : {}) });
        return;
      }
      if (tag === 'td' || tag === 'th') {
        const last = cellCounts.length - 1;
        if (last >= 0) {
          if ((cellCounts[last] ?? 0) > 0) items.push(' | ');
          cellCounts[last] = (cellCounts[last] ?? 0) + 1;
        }
      }
      if (tag === 'tr') cellCounts.push(0);
      const interactive = !selfHidden && isInteractive(el, tag, role, parentPointer, pointer);
      if (interactive) {
        const r = rectOf(el);
        const tiny = r[2] === 0 || r[3] === 0;
        const input = tag === 'input' ? (el as HTMLInputElement).type : '';
        if (!tiny || input === 'checkbox' || input === 'radio' || input === 'file') {
          const name = nameOf(el, role, maxName);
          const item: Record<string, unknown> = { k: 'e', ref: refOf(el), tag, role, name, r, a: attrsOf(el, tag, role) };
          if (inShadow) item['sh'] = 1;
          if (tag === 'select') {
            item['o'] = Array.from((el as HTMLSelectElement).options, (o) => [o.value, collapse(o.label || o.text), o.selected ? 1 : 0]);
          }
          if (role !== 'textbox' && role !== 'searchbox' && tag !== 'select') {
            const text = textOf(el, maxText);
            if (text && text !== name) item['x'] = text;
          }
          items.push(item);
          // Controls are leaves unless they hold other controls (a card link wrapping a button).
          if (
            tag === 'select' ||
            tag === 'textarea' ||
            tag === 'input' ||
            role === 'textbox' ||
            !el.querySelector('a[href],button,input,select,textarea,[role],[tabindex],[onclick],[contenteditable]')
          ) {
            if (tag === 'tr') cellCounts.pop();
            if (block) items.push('\n');
            return;
          }
          items.push({ k: 'in' });
          walkChildren(el, inShadow, pointer, selfHidden);
          items.push({ k: 'out' });
          if (tag === 'tr') cellCounts.pop();
          if (block) items.push('\n');
          return;
        }
      }
      if (tag === 'img') {
        const alt = el.getAttribute('alt');
        if (!selfHidden && alt && alt.trim()) items.push({ k: 'img', name: cut(collapse(alt), maxName) });
        return;
      }
      const heading = /^h[1-6]$/.test(tag) || role === 'heading';
      if (heading && !selfHidden) items.push({ k: 'h', level: Number(tag[1] ?? el.getAttribute('aria-level') ?? 2) || 2 });
      // Scroll containers get an id so the agent can scroll them. The style (already computed for the
      // cursor) comes first: reading scroll sizes costs a layout query per element, so only elements
      // that may scroll pay for it.
      if (!selfHidden && tag !== 'body' && tag !== 'html' && /auto|scroll/.test(getStyle().overflowY + getStyle().overflowX)) {
        if ((el.scrollHeight > el.clientHeight + 4 || el.scrollWidth > el.clientWidth + 4) && el.clientHeight > 0) {
          items.push({
            k: 'e',
            ref: refOf(el),
            tag,
            role: 'scrollable',
            name: '',
            r: rectOf(el),
            a: { scroll: `${Math.round(el.scrollTop)}/${Math.max(0, el.scrollHeight - el.clientHeight)}` },
            ...(inShadow ? { sh: 1 } : {}),
          });
        }
      }
      walkChildren(el, inShadow, pointer, selfHidden);
      if (tag === 'tr') cellCounts.pop();
      if (block) items.push('\n');
    };
    const walkChildren = (el: Element, inShadow: boolean, pointer: boolean, hidden: boolean) => {
      if (el.shadowRoot) {
        walk(el.shadowRoot, true, pointer, hidden);
        return;
      }
      if (el.localName === 'slot') {
        const assigned = (el as HTMLSlotElement).assignedNodes({ flatten: true });
        if (assigned.length > 0) {
          // Slotted light-DOM nodes are not inside the shadow root themselves.
          for (const n of assigned) walk(n, false, pointer, hidden);
          return;
        }
      }
      for (let c = el.firstChild; c; c = c.nextSibling) walk(c, inShadow, pointer, hidden);
    };
    if (document.body) walk(document.body, false, false, false);
    const se = document.scrollingElement ?? document.documentElement;
    return JSON.stringify({
      doc: st.doc,
      url: location.href,
      title: document.title,
      scroll: [Math.round(window.scrollX), Math.round(window.scrollY), se.scrollWidth, se.scrollHeight, window.innerWidth, window.innerHeight],
      count,
      items,
    });
  }

  // ---- replay selectors ----

  function cssEscapeIdent(value: string): string {
    return CSS.escape(value);
  }

  function quoteAttr(value: string): string {
    return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  }

  function deepAll(root: Document | ShadowRoot, selector: string, out: Element[] = []): Element[] {
    const found = Array.from(root.querySelectorAll(selector));
    for (const el of found) out.push(el);
    const hosts = selector === '*' ? found : Array.from(root.querySelectorAll('*'));
    for (const el of hosts) if (el.shadowRoot) deepAll(el.shadowRoot, selector, out);
    return out;
  }

  const looksGenerated = (value: string) => /\d{3,}|[a-f0-9]{8,}|^[a-z]{1,2}\d|:|__|--|^css-|^sc-|^jsx-/i.test(value);

  function cssPart(node: Element, root: Document | ShadowRoot): { part: string; unique: boolean } {
    const id = node.getAttribute('id');
    if (id && !looksGenerated(id) && root.querySelectorAll(`#${cssEscapeIdent(id)}`).length === 1) {
      return { part: `#${cssEscapeIdent(id)}`, unique: true };
    }
    const tag = node.localName;
    let part = tag;
    const name = node.getAttribute('name');
    const named = !!name && (tag === 'input' || tag === 'select' || tag === 'textarea' || tag === 'button');
    if (named) part += `[name=${quoteAttr(name)}]`;
    const parent = node.parentElement;
    if (parent) {
      const same = Array.from(parent.children).filter((c) => c.localName === tag);
      const uniqueByName = named && same.filter((c) => c.getAttribute('name') === name).length === 1;
      if (same.length > 1 && !uniqueByName) part += `:nth-of-type(${same.indexOf(node) + 1})`;
    }
    return { part, unique: false };
  }

  /**
   * A CSS path from the nearest ancestor with a unique, hand-written id. Each shadow scope is joined to
   * its host's path with a descendant combinator, which Playwright's CSS engine lets pierce open
   * shadow roots.
   */
  function cssPath(el: Element): string {
    const scopes: string[] = [];
    let cur: Element | null = el;
    while (cur) {
      const root = cur.getRootNode() as Document | ShadowRoot;
      const parts: string[] = [];
      for (let node: Element | null = cur; node; node = node.parentElement) {
        const { part, unique } = cssPart(node, root);
        parts.unshift(part);
        if (unique) break;
      }
      scopes.unshift(parts.join(' > '));
      cur = root instanceof ShadowRoot ? root.host : null;
      if (parts[0]?.startsWith('#') && !(root instanceof ShadowRoot)) break;
    }
    return scopes.join(' ');
  }

  function xpathOf(el: Element): string | undefined {
    if (el.getRootNode() !== document) return undefined;
    const steps: string[] = [];
    let cur: Element | null = el;
    while (cur && cur.nodeType === 1) {
      const parent: Element | null = cur.parentElement;
      const tag = cur.localName;
      const step = /^[a-z][a-z0-9-]*$/.test(tag) ? tag : `*[name()='${tag}']`;
      if (parent) {
        const same = Array.from(parent.children).filter((c) => c.localName === tag);
        steps.unshift(same.length > 1 ? `${step}[${same.indexOf(cur) + 1}]` : step);
      } else {
        steps.unshift(step);
      }
      cur = parent;
    }
    return `/${steps.join('/')}`;
  }

  function describe(ref: string): unknown {
    const el = findRef(ref);
    if (!el) return null;
    const tag = el.localName;
    const role = roleOf(el);
    const name = nameOf(el, role, 200);
    const inShadow = el.getRootNode() !== document;
    const candidates: Record<string, unknown>[] = [];
    // Every element, shadow roots included; counts below are matches in this frame, so a selector
    // that is not unique is kept with the index of this element among its matches.
    const all = deepAll(document, '*');
    const indexAmong = (matches: Element[]) => ({ count: matches.length, nth: matches.indexOf(el) });

    for (const attr of TEST_ID_ATTRS) {
      const value = el.getAttribute(attr);
      if (value) {
        candidates.push({ kind: 'testId', attribute: attr, value, ...indexAmong(all.filter((e) => e.getAttribute(attr) === value)) });
        break;
      }
    }
    if (role !== 'generic' && name) {
      const matches = all.filter((e) => e === el || (roleOf(e) === role && nameOf(e, role, 200) === name && e.checkVisibility()));
      candidates.push({ kind: 'role', role, name, ...indexAmong(matches) });
    }
    const isField = (e: Element) => e.localName === 'input' || e.localName === 'select' || e.localName === 'textarea';
    const label = isField(el) ? labelText(el, 200) : '';
    const ariaLabel = el.getAttribute('aria-label');
    const labelValue = label || (ariaLabel ? collapse(ariaLabel) : '');
    if (labelValue) {
      const matches = all.filter((e) => e === el || (isField(e) && labelText(e, 200) === labelValue) || collapse(e.getAttribute('aria-label') ?? '') === labelValue);
      candidates.push({ kind: 'label', text: labelValue, ...indexAmong(matches) });
    }
    const placeholder = el.getAttribute('placeholder');
    if (placeholder) {
      candidates.push({ kind: 'placeholder', text: placeholder, ...indexAmong(all.filter((e) => e.getAttribute('placeholder') === placeholder)) });
    }
    if (!isField(el)) {
      const text = textOf(el, 200);
      // getByText matches the smallest element whose text is this text; elements of other tags that
      // repeat it are rare enough that only this tag is counted.
      if (text && text.length <= 80 && !Array.from(el.children).some((c) => textOf(c, 200) === text)) {
        const matches = all.filter((e) => e === el || (e.localName === tag && textOf(e, 200) === text && !Array.from(e.children).some((c) => textOf(c, 200) === text)));
        candidates.push({ kind: 'text', text, ...indexAmong(matches) });
      }
    }
    const css = cssPath(el);
    let cssCount = 1;
    if (!inShadow) {
      try {
        cssCount = document.querySelectorAll(css).length;
      } catch {
        cssCount = 1;
      }
    }
    candidates.push({ kind: 'css', selector: css, count: Math.max(1, cssCount), nth: cssCount > 1 ? Array.from(document.querySelectorAll(css)).indexOf(el) : 0 });
    const xpath = xpathOf(el);
    if (xpath) candidates.push({ kind: 'xpath', selector: xpath, count: 1, nth: 0 });
    return { tag, role, name, inShadow, candidates };
  }

  // ---- settling ----

  const tracker = (globalThis as unknown as Record<symbol, { last: number; popups: number } | undefined>)[Symbol.for('petrel.mutations.v1')];

  function settleStart(): boolean {
    st.lastMutation = Number.NEGATIVE_INFINITY;
    st.popupsBefore = tracker?.popups ?? 0;
    // Documents created before the context installed the tracker get a watch from here on.
    if (tracker) return true;
    if (!st.observer) {
      st.observer = new MutationObserver((records) => {
        for (const record of records) {
          if (record.type === 'attributes' && record.attributeName === ATTR) continue;
          st.lastMutation = performance.now();
          return;
        }
      });
    }
    st.observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
    return true;
  }

  /**
   * Resolves once the document is parsed and has not changed for `quietMs` (`quiet: true`), or at
   * `capMs` (`quiet: false`); `popup` says whether the page tried to open a new tab since settleStart.
   */
  function settleWait(quietMs: number, capMs: number): Promise<{ quiet: boolean; popup: boolean }> {
    const start = performance.now();
    return new Promise((resolve) => {
      const finish = (quiet: boolean) => {
        st.observer?.disconnect();
        resolve({ quiet, popup: (tracker?.popups ?? 0) > st.popupsBefore });
      };
      const check = () => {
        const now = performance.now();
        if (now - start >= capMs) return finish(false);
        const last = Math.max(st.lastMutation, tracker?.last ?? Number.NEGATIVE_INFINITY);
        if (document.readyState !== 'loading' && now - last >= quietMs) return finish(true);
        setTimeout(check, document.readyState === 'loading' ? 10 : Math.max(5, last + quietMs - now));
      };
      // One task first, so work the action queued (timers, message handlers) gets to run.
      setTimeout(check, 0);
    });
  }

  // ---- scrolling and reading ----

  function scrollToText(text: string): boolean {
    const needle = collapse(text).toLowerCase();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if ((n.nodeValue ?? '').replace(/\s+/g, ' ').toLowerCase().includes(needle)) {
        const parent = n.parentElement;
        if (parent && parent.checkVisibility()) {
          parent.scrollIntoView({ block: 'center', inline: 'nearest' });
          return true;
        }
      }
    }
    return false;
  }

  function textVisible(text: string): boolean {
    const needle = collapse(text).toLowerCase();
    return collapse(document.body?.innerText ?? '').toLowerCase().includes(needle);
  }

  switch (call.op) {
    case 'observe':
      return observe(call.maxText, call.maxName);
    case 'describe': {
      // One round trip before an action: its replay selectors, and the mutation watch for settling.
      const described = describe(call.ref);
      if (call.settle) settleStart();
      return described;
    }
    case 'settleStart':
      return settleStart();
    case 'settleWait':
      return settleWait(call.quietMs, call.capMs);
    case 'scrollPage':
      window.scrollBy({ left: call.dx, top: call.dy, behavior: 'instant' });
      return [Math.round(window.scrollX), Math.round(window.scrollY)];
    case 'scrollElement': {
      const el = findRef(call.ref);
      if (!el) return null;
      el.scrollBy({ left: call.dx, top: call.dy, behavior: 'instant' });
      return [Math.round(el.scrollLeft), Math.round(el.scrollTop)];
    }
    case 'scrollToText':
      return scrollToText(call.text);
    case 'readText': {
      const el = call.ref ? findRef(call.ref) : document.body;
      if (!el) return null;
      return cut((el as HTMLElement).innerText ?? el.textContent ?? '', call.max);
    }
    case 'readHtml': {
      const el = call.ref ? findRef(call.ref) : document.documentElement;
      if (!el) return null;
      return cut(el.outerHTML.replace(/ data-petrel-id="[^"]*"/g, ''), call.max);
    }
    case 'textVisible':
      return textVisible(call.text);
    default:
      return null;
  }
}
