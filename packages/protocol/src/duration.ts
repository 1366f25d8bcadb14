// Durations as Cloudflare Workflows writes them: a number of milliseconds, or `"<n> <unit>"` with
// units second, minute, hour, day, week, month (30 days) and year (365 days), singular or plural.
import { PetrelError } from './errors.ts';

/** A duration: milliseconds, or a string such as `"10 seconds"` or `"1 hour"`. */
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

/**
 * Parses a duration into milliseconds. `field` names the input in the error message.
 * Throws `INVALID_DURATION` for negative, non-finite or unparseable input.
 */
export function parseDuration(input: unknown, field = 'duration'): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) {
      throw new PetrelError('INVALID_DURATION', `${field}: ${input} is not a non-negative number of milliseconds`);
    }
    return Math.round(input);
  }
  if (typeof input === 'string') {
    if (/^\s*\d+\s*$/.test(input)) return Number(input.trim());
    const match = DURATION_PATTERN.exec(input);
    if (match?.[1] && match[2]) return Math.round(Number(match[1]) * UNIT_MS[match[2].toLowerCase() as DurationUnit]);
    throw new PetrelError(
      'INVALID_DURATION',
      `${field}: "${input.slice(0, 64)}" is not a duration; use milliseconds or "<n> <unit>" such as "10 seconds" or "1 hour"`,
    );
  }
  throw new PetrelError('INVALID_DURATION', `${field}: expected milliseconds or a string such as "10 seconds", got ${typeof input}`);
}

/** Formats milliseconds the way Cloudflare's API echoes durations (`"10 seconds"`, `"1 hour"`, or ms when uneven). */
export function formatDuration(ms: number): string | number {
  for (const unit of ['year', 'week', 'day', 'hour', 'minute', 'second'] as const) {
    const size = UNIT_MS[unit];
    if (ms >= size && ms % size === 0) {
      const count = ms / size;
      return `${count} ${unit}${count === 1 ? '' : 's'}`;
    }
  }
  return ms;
}
