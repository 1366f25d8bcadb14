// The SDK speaks camelCase; the wire speaks Skyvern's snake_case. Keys are converted at the edge,
// deeply, by one rule in both directions, except inside user data: the values of the fields named
// in VERBATIM_FIELDS (extracted output, workflow parameters and definitions, JSON schemas, header
// maps, error-code maps...) cross unchanged, because their keys are the user's, not ours.
// The type generator (`scripts/generate-types.ts`) reads the same list, so the generated types and
// the runtime conversion cannot disagree, and it refuses a wire field that would not round-trip.

/**
 * Wire names of fields whose values are user data and cross the edge verbatim (keys untouched).
 * The field name itself is still converted (`data_extraction_schema` → `dataExtractionSchema`).
 */
export const VERBATIM_FIELDS: ReadonlySet<string> = new Set([
  // Results and echoes of what the user sent.
  'output',
  'outputs',
  'extracted_information',
  'run_request',
  'payload',
  'details',
  // Workflow definitions and their inputs are documents in the wire's own format (JSON or YAML).
  'json_definition',
  'workflow_definition',
  'parameters',
  // Schemas and maps whose keys the user chooses.
  'data_extraction_schema',
  'error_code_mapping',
  'extra_http_headers',
  'cdp_connect_headers',
  'headers',
  'run_metadata',
  'metadata',
  'proxy_location',
  'model',
  // Timeline blocks: the block's inputs and loop values are the user's; actions are records whose
  // shape the contract leaves open (they hold typed text and chosen options).
  'navigation_payload',
  'data_schema',
  'loop_values',
  'current_value',
  'actions',
]);

const SNAKE_SEGMENT = /(?<=[a-z0-9])_([a-z])/g;
const UPPER = /[A-Z]/g;

/** `credential_id` → `credentialId`. An underscore before a digit stays (`line_2` → `line_2`), so the rule round-trips. */
export function toCamelKey(key: string): string {
  return key.replace(SNAKE_SEGMENT, (_match, letter: string) => letter.toUpperCase());
}

/** `credentialId` → `credential_id`: the inverse of `toCamelKey` for every key the wire uses. */
export function toSnakeKey(key: string): string {
  return key.replace(UPPER, (letter) => `_${letter.toLowerCase()}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function convert(value: unknown, renameKey: (key: string) => string, wireName: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => convert(item, renameKey, wireName));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    out[renameKey(key)] = VERBATIM_FIELDS.has(wireName(key)) ? item : convert(item, renameKey, wireName);
  }
  return out;
}

/** A wire value (parsed JSON) with its keys in camelCase, user data left as it came. */
export function fromWire(value: unknown): unknown {
  return convert(value, toCamelKey, (key) => key);
}

/** An SDK value with its keys in snake_case for the wire, user data left as given; `undefined` fields are dropped. */
export function toWire(value: unknown): unknown {
  return convert(value, toSnakeKey, toSnakeKey);
}
