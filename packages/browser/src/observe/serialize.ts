// The compact text form of an observation, the page as a language model sees it. Design, from what
// Browser Use, Stagehand and Skyvern send (agents.md A1) and measured against Playwright's
// ariaSnapshot with a real tokenizer:
// - plain text lines for what a reader sees; headings start with `#`; table rows are one line with
//   cells joined by ` | `;
// - every element that can be acted on is one line: `[e12 role attrs] name`, where attrs are only the
//   ones that are set (type when not plain text, value, placeholder, href, checked, disabled, …);
// - no indentation, no `- ` bullets, no container lines, link targets inline and shortened;
// - a label line that only repeats the next control's name is dropped;
// - iframes are `[e7 iframe] name {` … `}` with their content in place; shadow DOM is transparent.
import type { ObservedElement, ObservedTab, PendingDialog, ScrollState } from './observation.ts';

/** One piece of the stitched page, in document order. */
export type TextPiece =
  | { kind: 'text'; text: string }
  | { kind: 'break' }
  | { kind: 'heading'; level: number }
  | { kind: 'image'; alt: string }
  | { kind: 'element'; element: ObservedElement }
  | { kind: 'frameStart'; element: ObservedElement }
  | { kind: 'frameEnd' };

/** The page-level facts printed above the content. */
export type TextHeader = { url: string; title: string; scroll: ScrollState; tabs: ObservedTab[]; dialogs: PendingDialog[]; note?: string };

/** Options of `serializeObservation`. */
export type SerializeOptions = {
  /** Most select options listed per select; default 25. */
  maxOptions?: number;
};

const BARE = /^[^\s"\]=[]+$/;

function quote(value: string): string {
  return BARE.test(value) ? value : JSON.stringify(value);
}

/** True when a text only repeats a control's name (as its label). */
function isLabelOf(text: string, name: string): boolean {
  return !!name && (text === name || text === `${name}:` || text === `${name} *` || text === `${name}*`);
}

/** The bracket part and name of one element line. */
export function elementLine(element: ObservedElement, maxOptions = 25): string {
  const a = element.attributes;
  const parts: string[] = [element.id, element.role === 'generic' ? 'clickable' : element.role];
  const type = a.type;
  if (type && !['text', 'submit', 'button', 'checkbox', 'radio', 'search', 'number', 'range', 'reset'].includes(type)) parts.push(type);
  if (a.href !== undefined) parts.push(quote(a.href));
  if (a.value !== undefined && element.tag !== 'select') parts.push(`value=${quote(a.value)}`);
  if (a.placeholder !== undefined && a.placeholder !== element.name) parts.push(`placeholder=${quote(a.placeholder)}`);
  if (a.name !== undefined && !element.name) parts.push(`name=${quote(a.name)}`);
  if (a.checked === true) parts.push('checked');
  if (a.checked === 'mixed') parts.push('mixed');
  if (a.selected) parts.push('selected');
  if (a.expanded === true) parts.push('expanded');
  if (a.expanded === false) parts.push('collapsed');
  if (a.pressed) parts.push('pressed');
  if (a.disabled) parts.push('disabled');
  if (a.readonly) parts.push('readonly');
  if (a.required) parts.push('required');
  if (a.invalid) parts.push('invalid');
  if (a.multiple) parts.push('multiple');
  if (a.accept) parts.push(`accept=${quote(a.accept)}`);
  if (a.current) parts.push(`current=${quote(a.current)}`);
  if (a.haspopup && element.role !== 'combobox') parts.push(`popup=${quote(a.haspopup)}`);
  if (a.scroll) parts.push(`scroll=${a.scroll}`);
  let line = `[${parts.join(' ')}]`;
  const name = element.name || element.text || '';
  if (name) line += ` ${name}`;
  if (element.text && element.name && element.text !== element.name) line += ` (${element.text})`;
  if (element.options) {
    const shown = element.options.slice(0, maxOptions).map((o) => (o.selected ? `${o.label}*` : o.label));
    const more = element.options.length > maxOptions ? `|…+${element.options.length - maxOptions}` : '';
    line += ` {${shown.join('|')}${more}}`;
  }
  return line;
}

/** Renders the header and the stitched pieces as the compact text form. */
export function serializeObservation(header: TextHeader, pieces: readonly TextPiece[], options: SerializeOptions = {}): string {
  const maxOptions = options.maxOptions ?? 25;
  const lines: string[] = [];
  const s = header.scroll;
  lines.push(`url: ${header.url}`);
  if (header.title) lines.push(`title: ${header.title}`);
  if (s.height > s.viewportHeight || s.y > 0) lines.push(`scroll: ${s.y}/${Math.max(0, s.height - s.viewportHeight)}px, viewport ${s.viewportWidth}x${s.viewportHeight}`);
  if (header.tabs.length > 1) {
    lines.push(`tabs: ${header.tabs.map((t) => `${t.index}${t.active ? '*' : ''} ${t.title || t.url}`).join(' | ')}`);
  }
  for (const dialog of header.dialogs) {
    lines.push(`dialog ${dialog.type}: ${JSON.stringify(dialog.message)}${dialog.defaultValue ? ` default=${JSON.stringify(dialog.defaultValue)}` : ''}`);
  }
  if (header.note) lines.push(header.note);
  lines.push('---');

  let current = '';
  let prefix = '';
  // The name of the element that ends the current line, so a label right after it is not repeated.
  let trailingName = '';
  let lastTextLine = -1;
  const flush = () => {
    const text = current.replace(/( \|\s*)+$/, '').replace(/^(\s*\|\s*)+/, '').replace(/ {2,}/g, ' ').trim();
    current = '';
    trailingName = '';
    if (!text) return;
    lastTextLine = prefix || text.startsWith('[e') ? -1 : lines.length;
    lines.push(prefix + text);
    prefix = '';
  };
  const append = (text: string) => {
    current = current && !current.endsWith(' ') && !text.startsWith(' ') ? `${current} ${text}` : current + text;
  };
  for (const piece of pieces) {
    switch (piece.kind) {
      case 'text': {
        const text = piece.text;
        if (trailingName && isLabelOf(text.trim(), trailingName)) {
          trailingName = '';
          break;
        }
        trailingName = '';
        append(text);
        break;
      }
      case 'break':
        flush();
        break;
      case 'heading':
        flush();
        prefix = `${'#'.repeat(Math.min(3, Math.max(1, piece.level)))} `;
        break;
      case 'image':
        trailingName = '';
        append(`[img] ${piece.alt}`);
        break;
      case 'element': {
        const name = piece.element.name;
        // A label just before a control that it names is folded into the control.
        const before = current.trimEnd();
        if (name && before) {
          for (const label of [name, `${name}:`, `${name} *`, `${name}*`]) {
            if (before === label || before.endsWith(` ${label}`)) {
              current = before.slice(0, before.length - label.length);
              break;
            }
          }
        }
        if (!current.trim() && lastTextLine >= 0 && lastTextLine === lines.length - 1 && isLabelOf(lines[lastTextLine] ?? '', name)) {
          lines.pop();
        }
        lastTextLine = -1;
        append(elementLine(piece.element, maxOptions));
        trailingName = name;
        break;
      }
      case 'frameStart':
        flush();
        lines.push(`${elementLine(piece.element, maxOptions)} {`);
        break;
      case 'frameEnd':
        flush();
        lines.push('}');
        break;
      default: {
        const unreachable: never = piece;
        throw new Error(`unknown piece ${JSON.stringify(unreachable)}`);
      }
    }
  }
  flush();
  return lines.join('\n');
}
