// Human output: aligned tables, "key: value" records, times, durations, sizes and run statuses.
// `--json` bypasses all of it and prints the SDK's objects as they are.
import type { CommandContext, Style } from './cli-context.ts';

/** A column of a table: its heading and how to read a row's cell. */
export type Column<Row> = { header: string; value: (row: Row) => string | number | null | undefined; maxWidth?: number };

function cell(value: string | number | null | undefined, maxWidth: number | undefined): string {
  const text = value === null || value === undefined || value === '' ? '-' : String(value).replace(/\s+/g, ' ');
  return maxWidth !== undefined && text.length > maxWidth ? `${text.slice(0, maxWidth - 1)}…` : text;
}

/** Prints rows as an aligned table (or `empty` when there are none). */
export function printTable<Row>(ctx: CommandContext, rows: readonly Row[], columns: readonly Column<Row>[], empty = 'nothing found'): void {
  if (rows.length === 0) {
    ctx.note(empty);
    return;
  }
  const cells = rows.map((row) => columns.map((column) => cell(column.value(row), column.maxWidth)));
  const widths = columns.map((column, index) => Math.max(column.header.length, ...cells.map((line) => line[index]?.length ?? 0)));
  const renderLine = (line: readonly string[]): string =>
    line
      .map((text, index) => (index === line.length - 1 ? text : text.padEnd(widths[index] ?? 0)))
      .join('  ')
      .trimEnd();
  ctx.print(ctx.style(renderLine(columns.map((column) => column.header.toUpperCase())), 'bold'));
  for (const line of cells) ctx.print(renderLine(line));
}

/** Prints `label: value` lines, skipping undefined values. */
export function printRecord(ctx: CommandContext, entries: ReadonlyArray<[string, string | number | boolean | null | undefined]>): void {
  const shown = entries.filter(([, value]) => value !== undefined);
  const width = Math.max(0, ...shown.map(([label]) => label.length));
  for (const [label, value] of shown) ctx.print(`${`${label}:`.padEnd(width + 1)} ${value === null || value === '' ? '-' : String(value)}`);
}

/** An ISO time as `2026-06-01 12:03:04` (UTC), or `-`. */
export function formatTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '-';
  const date = new Date(iso.endsWith('Z') || /[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().slice(0, 19).replace('T', ' ');
}

/** Milliseconds as `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`. */
export function formatElapsed(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(Math.floor(seconds % 60)).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** The time between two ISO times, or undefined when either is missing. */
export function durationBetween(start: string | null | undefined, end: string | null | undefined): string | undefined {
  if (!start || !end) return undefined;
  const ms = new Date(end).getTime() - new Date(start).getTime();
  return Number.isFinite(ms) ? formatElapsed(ms) : undefined;
}

/** Bytes as `512 B`, `3.4 KiB`, `1.2 MiB`. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '-';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

const STATUS_STYLES: Record<string, Style> = {
  completed: 'green',
  failed: 'red',
  terminated: 'red',
  timed_out: 'red',
  canceled: 'yellow',
  paused: 'yellow',
  running: 'cyan',
  queued: 'gray',
  created: 'gray',
};

/** A run status, colored on a terminal. */
export function styleStatus(ctx: CommandContext, status: string): string {
  const style = STATUS_STYLES[status];
  return style === undefined ? status : ctx.style(status, style);
}

function inline(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `[${value.map(inline).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, inner]) => inner !== undefined);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([key, inner]) => `${JSON.stringify(key)}: ${inline(inner)}`).join(', ')} }`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** `value` at nesting `indent`, its first line starting at `column`. */
function render(value: unknown, indent: number, column: number, width: number): string {
  const flat = inline(value);
  if (value === null || typeof value !== 'object' || column + flat.length <= width) return flat;
  const pad = ' '.repeat(indent + 2);
  if (Array.isArray(value)) return `[\n${value.map((item) => `${pad}${render(item, indent + 2, indent + 2, width)}`).join(',\n')}\n${' '.repeat(indent)}]`;
  const entries = Object.entries(value).filter(([, inner]) => inner !== undefined);
  const lines = entries.map(([key, inner]) => {
    const label = `${JSON.stringify(key)}: `;
    return `${pad}${label}${render(inner, indent + 2, indent + 2 + label.length, width)}`;
  });
  return `{\n${lines.join(',\n')}\n${' '.repeat(indent)}}`;
}

/**
 * A value as JSON for people: objects and arrays that fit in `width` columns on one line, larger
 * ones one entry per line (strings print as they are).
 */
export function prettyJson(value: unknown, width = 100): string {
  return typeof value === 'string' ? value : render(value, 0, 0, width);
}
