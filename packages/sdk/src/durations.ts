// Durations as the rest of Petrel writes them (`parseDuration` in @petrel/protocol, which the SDK
// cannot import at run time): a number of milliseconds, or "<n> <unit>" such as "30 seconds".
// A unit test checks both parsers agree.

/** A duration: milliseconds, or a string such as `"30 seconds"`, `"5 minutes"` or `"1 hour"`. */
export type Duration = number | `${number} ${DurationUnit}` | `${number} ${DurationUnit}s`;

/** The units a duration string may use. */
export type DurationUnit = 'millisecond' | 'second' | 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';

const UNIT_MS: Record<DurationUnit, number> = {
  millisecond: 1,
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
  month: 30 * 86_400_000,
  year: 365 * 86_400_000,
};

const DURATION_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(millisecond|second|minute|hour|day|week|month|year)s?\s*$/i;

/** Milliseconds of a duration; throws a `RangeError` naming `field` when it is not one. */
export function toMilliseconds(input: Duration, field: string): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new RangeError(`${field}: ${input} is not a non-negative number of milliseconds`);
    return Math.round(input);
  }
  if (typeof input === 'string') {
    if (/^\s*\d+\s*$/.test(input)) return Number(input.trim());
    const match = DURATION_PATTERN.exec(input);
    if (match?.[1] && match[2]) return Math.round(Number(match[1]) * UNIT_MS[match[2].toLowerCase() as DurationUnit]);
  }
  throw new RangeError(`${field}: ${typeof input === 'string' ? JSON.stringify(input.slice(0, 64)) : typeof input} is not a duration; use milliseconds or "<n> <unit>" such as "30 seconds"`);
}
