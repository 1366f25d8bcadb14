// Truth values of rendered text, as Skyvern parses the result of a Jinja branch condition.

/** Rendered texts that count as false (compared trimmed and lower-cased); the empty text is false too. */
export const FALSE_TEXTS: ReadonlySet<string> = new Set(['false', '0', 'no', 'n', 'off', 'null', 'none']);

/** Parses rendered text as a truth value: "", "false", "0", "no", "n", "off", "null", "none" are false. */
export function parseTruthy(text: string): boolean {
  const normalized = text.trim().toLowerCase();
  return normalized !== '' && !FALSE_TEXTS.has(normalized);
}
