// Coercion of run-time values to a `workflow` parameter's `workflow_parameter_type`, close to
// Skyvern's `convert_value` but stricter where Python would silently truncate (`int(3.7)`).
import type { JsonValue, WorkflowParameterType } from '@petrel/protocol';

/** The outcome of coercing one value: the value, or why it does not fit. */
export type CoercionResult = { ok: true; value: JsonValue } | { ok: false; message: string };

const TRUE_TEXTS = new Set(['true', '1', 'yes', 'y', 'on']);
const FALSE_TEXTS = new Set(['false', '0', 'no', 'n', 'off']);
const INTEGER_TEXT = /^[+-]?\d+$/;
const FLOAT_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

function isJsonValue(value: unknown, depth = 0): value is JsonValue {
  if (depth > 200) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((item) => isJsonValue(item, depth + 1));
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    return (proto === Object.prototype || proto === null) && Object.values(value).every((item) => isJsonValue(item, depth + 1));
  }
  return false;
}

/**
 * Coerces a value to a workflow parameter type:
 * - `string`: strings as they are; numbers and booleans as text; objects and lists as JSON text.
 * - `integer`: integers, or text of an integer (`"42"`); not `3.7`, not booleans.
 * - `float`: finite numbers, or numeric text (`"2.5"`, `"1e3"`).
 * - `boolean`: booleans, 1/0, or text `true/false/1/0/yes/no/y/n/on/off` (any case).
 * - `json`: text is parsed as JSON; other JSON values are kept.
 * - `file_url` and `credential_id`: non-empty text.
 */
export function coerceParameterValue(type: WorkflowParameterType, value: unknown): CoercionResult {
  switch (type) {
    case 'string':
      if (typeof value === 'string') return { ok: true, value };
      if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, value: String(value) };
      if (typeof value === 'boolean') return { ok: true, value: String(value) };
      if (isJsonValue(value) && value !== null) return { ok: true, value: JSON.stringify(value) };
      return { ok: false, message: `expected a string, got ${describe(value)}` };
    case 'integer': {
      if (typeof value === 'number' && Number.isSafeInteger(value)) return { ok: true, value };
      if (typeof value === 'string' && INTEGER_TEXT.test(value.trim())) {
        const parsed = Number(value.trim());
        if (Number.isSafeInteger(parsed)) return { ok: true, value: parsed };
      }
      return { ok: false, message: `expected an integer, got ${describe(value)}` };
    }
    case 'float': {
      if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, value };
      if (typeof value === 'string' && FLOAT_TEXT.test(value.trim())) {
        const parsed = Number(value.trim());
        if (Number.isFinite(parsed)) return { ok: true, value: parsed };
      }
      return { ok: false, message: `expected a number, got ${describe(value)}` };
    }
    case 'boolean': {
      if (typeof value === 'boolean') return { ok: true, value };
      if (value === 1 || value === 0) return { ok: true, value: value === 1 };
      if (typeof value === 'string') {
        const text = value.trim().toLowerCase();
        if (TRUE_TEXTS.has(text)) return { ok: true, value: true };
        if (FALSE_TEXTS.has(text)) return { ok: true, value: false };
      }
      return { ok: false, message: `expected a boolean (true/false), got ${describe(value)}` };
    }
    case 'json': {
      if (typeof value === 'string') {
        try {
          return { ok: true, value: JSON.parse(value) as JsonValue };
        } catch {
          return { ok: false, message: 'expected JSON, got text that is not valid JSON' };
        }
      }
      if (isJsonValue(value)) return { ok: true, value };
      return { ok: false, message: `expected a JSON value, got ${describe(value)}` };
    }
    case 'file_url':
    case 'credential_id':
      if (typeof value === 'string' && value.trim() !== '') return { ok: true, value };
      return { ok: false, message: `expected a non-empty string (${type === 'file_url' ? 'a URL or file path' : 'a credential id'}), got ${describe(value)}` };
  }
  return { ok: false, message: `unknown parameter type ${String(type)}` };
}
