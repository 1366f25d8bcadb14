// Parsers of option values (commander `argParser`s: a bad value is a usage error, exit 2, naming the
// option) and readers of the files options point at.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { usageError } from './cli-errors.ts';
import type { InputStream } from './cli-context.ts';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};
const DURATION = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i;

/** `"90"` (seconds), `"30 seconds"`, `"10m"`, `"1 hour"` → milliseconds. */
export function parseDurationMs(value: string): number {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const match = DURATION.exec(trimmed);
  const factor = match?.[2] === undefined ? undefined : UNIT_MS[match[2].toLowerCase()];
  if (match?.[1] === undefined || factor === undefined) {
    throw new InvalidArgumentError('not a duration; use seconds or "<n> <unit>" such as "90", "30 seconds", "10m", "1 hour".');
  }
  return Math.round(Number(match[1]) * factor);
}

/** A whole number ≥ 1. */
export function parsePositiveInt(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new InvalidArgumentError('must be a whole number ≥ 1.');
  return Number(value);
}

/** A whole number ≥ 0. */
export function parseNonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('must be a whole number ≥ 0.');
  return Number(value);
}

/** Collects a repeatable option into a list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * A `key=value` pair; the value stays text (the server converts workflow parameters to their declared
 * type: `3` to an integer, `true` to a boolean, `[1,2]` to JSON).
 */
export function parseKeyValue(pair: string, option: string): [string, string] {
  const index = pair.indexOf('=');
  if (index <= 0) throw usageError(`${option} ${JSON.stringify(pair.slice(0, 60))}: expected key=value`);
  return [pair.slice(0, index).trim(), pair.slice(index + 1)];
}

/** Reads all of stdin as text. */
export async function readStdin(stdin: InputStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** The text of a file option (`-` reads stdin). */
export async function readTextArgument(path: string, option: string, stdin: InputStream): Promise<string> {
  if (path === '-') return readStdin(stdin);
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw usageError(`${option} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : 'cannot be read'}`);
  }
}

/** A JSON file option's value (`-` reads stdin). */
export async function readJsonArgument(path: string, option: string, stdin: InputStream): Promise<unknown> {
  const textValue = await readTextArgument(path, option, stdin);
  try {
    return JSON.parse(textValue) as unknown;
  } catch (error) {
    throw usageError(`${option} ${path}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}
