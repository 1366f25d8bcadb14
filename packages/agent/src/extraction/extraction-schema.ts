// `data_extraction_schema` handling: accept what users write (a JSON Schema object, a one-item array as
// shorthand for "a list of these", a JSON string of either, or a plain-language description), turn it
// into a schema every provider's strict structured output accepts, map the model's answer back to the
// user's shape, and validate it against the user's schema with readable error paths.
//
// Strict structured output (OpenAI `strict: true`, Anthropic and Gemini native JSON) wants: an object at
// the root, `additionalProperties: false` and every property required, and only a small keyword set.
// The transformation: optional properties become required-but-nullable and their nulls are dropped on
// the way back; a non-object root is wrapped as `{ value }`; free-form parts (`{}`, objects without
// properties, tuples) become JSON-encoded strings that are parsed back; unsupported constraints
// (`minimum`, `pattern`, `format`, …) move into the description, and Ajv enforces them afterwards.
import { PetrelError } from '@petrel/protocol';
import { compileJsonSchema, formatSchemaIssues } from './json-schema-validator.ts';
import type { JsonSchema, SchemaIssue } from './json-schema-validator.ts';

/** A compiled `data_extraction_schema`. */
export type ExtractionSchema = {
  /** `schema` when the user gave a JSON Schema, `description` when they described the data in words. */
  kind: 'schema' | 'description';
  /** The user's schema (normalised: array shorthand expanded); absent for a description. */
  schema?: JsonSchema;
  /** The user's description, for prompts; absent for a schema. */
  description?: string;
  /** The structured-output schema to send (`ModelCall.output.schema`). */
  outputSchema: JsonSchema;
  /** Maps a structured answer (matching `outputSchema`) back to the user's shape. */
  fromOutput: (output: unknown) => unknown;
  /** Validates data against the user's schema (always valid for a description). */
  validate: (data: unknown) => SchemaIssue[];
};

/** Extracted data after mapping back and validation. */
export type ExtractionResult = { ok: true; data: unknown } | { ok: false; data: unknown; issues: SchemaIssue[]; message: string };

type Decoder = (value: unknown) => unknown;
type Transformed = { schema: JsonSchema; decode: Decoder; identity: boolean };
type Context = { root: JsonSchema; refs: string[]; depth: number };

const DROP = Symbol('drop');
const identity: Decoder = (value) => value;
const SCHEMA_KEYWORDS = ['type', 'properties', 'items', '$ref', 'anyOf', 'oneOf', 'allOf', 'enum', 'const', '$defs', 'definitions', 'prefixItems'];
const CONSTRAINTS = [
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
];
const MAX_DEPTH = 32;
const MAX_DESCRIPTION = 10_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJsonString(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function describe(node: JsonSchema, extra?: string): string | undefined {
  const parts: string[] = [];
  const base = typeof node.description === 'string' ? node.description : typeof node.title === 'string' ? node.title : undefined;
  if (base) parts.push(base);
  const constraints = Object.fromEntries(CONSTRAINTS.filter((k) => node[k] !== undefined).map((k) => [k, node[k]]));
  if (Object.keys(constraints).length > 0) parts.push(`Constraints: ${JSON.stringify(constraints)}.`);
  if (Array.isArray(node.examples) && node.examples.length > 0) parts.push(`Examples: ${JSON.stringify(node.examples.slice(0, 3))}.`);
  if (extra) parts.push(extra);
  return parts.length === 0 ? undefined : parts.join(' ');
}

function withDescription(schema: JsonSchema, description: string | undefined): JsonSchema {
  return description === undefined ? schema : { ...schema, description };
}

function jsonString(node: JsonSchema | undefined): Transformed {
  const shape = node !== undefined && Object.keys(node).length > 0 ? ` Its JSON Schema: ${JSON.stringify(node).slice(0, 2000)}` : '';
  return {
    schema: { type: 'string', description: `${describe(node ?? {}) ?? 'Any JSON value.'} Write the value as a JSON-encoded string.${shape}` },
    decode: parseJsonString,
    identity: false,
  };
}

function resolveRef(ref: string, root: JsonSchema): JsonSchema | undefined {
  if (ref === '#') return root;
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  if (!match?.[1] || !match[2]) return undefined;
  const defs = root[match[1]];
  const name = match[2].replaceAll('~1', '/').replaceAll('~0', '~');
  return isRecord(defs) && isRecord(defs[name]) ? defs[name] : undefined;
}

function allowsNull(node: unknown, ctx: Context): boolean {
  if (!isRecord(node)) return node === true;
  if (node.type === 'null' || (Array.isArray(node.type) && node.type.includes('null'))) return true;
  if (Array.isArray(node.enum) && node.enum.includes(null)) return true;
  if (node.const === null) return true;
  for (const key of ['anyOf', 'oneOf']) {
    const options = node[key];
    if (Array.isArray(options) && options.some((o) => allowsNull(o, ctx))) return true;
  }
  if (typeof node.$ref === 'string' && ctx.depth < MAX_DEPTH) {
    const target = resolveRef(node.$ref, ctx.root);
    return target !== undefined && target !== node && allowsNull(target, { ...ctx, depth: ctx.depth + 1 });
  }
  return false;
}

function transform(node: unknown, ctx: Context): Transformed {
  if (!isRecord(node) || ctx.depth > MAX_DEPTH) return jsonString(isRecord(node) ? node : undefined);
  const next: Context = { ...ctx, depth: ctx.depth + 1 };

  if (typeof node.$ref === 'string') {
    const target = resolveRef(node.$ref, ctx.root);
    // Recursive schemas cannot be inlined; the recursive part travels as a JSON string.
    if (target === undefined || ctx.refs.includes(node.$ref)) return jsonString(node);
    const { $ref: _ref, ...siblings } = node;
    return transform({ ...target, ...siblings }, { ...next, refs: [...ctx.refs, node.$ref] });
  }

  const union = Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : undefined;
  if (union !== undefined) {
    const branches = union.map((branch) => transform(branch, next));
    const schema = withDescription({ anyOf: branches.map((b) => b.schema) }, describe(node));
    if (branches.every((b) => b.identity)) return { schema, decode: identity, identity: true };
    const decode: Decoder = (value) => {
      for (const branch of branches) {
        if (compileJsonSchema(branch.schema).validate(value).length === 0) return branch.decode(value);
      }
      return value;
    };
    return { schema, decode, identity: false };
  }

  if (Array.isArray(node.allOf)) {
    const { allOf, ...rest } = node;
    const members = allOf.filter(isRecord);
    const merged: JsonSchema = { ...rest };
    for (const member of members) {
      for (const [key, value] of Object.entries(member)) {
        if (key === 'properties' && isRecord(value)) merged.properties = { ...(isRecord(merged.properties) ? merged.properties : {}), ...value };
        else if (key === 'required' && Array.isArray(value)) merged.required = [...new Set([...(Array.isArray(merged.required) ? merged.required : []), ...value])];
        else merged[key] ??= value;
      }
    }
    return transform(merged, next);
  }

  let type = node.type;
  if (type === undefined) {
    if (isRecord(node.properties)) type = 'object';
    else if (node.items !== undefined || node.prefixItems !== undefined) type = 'array';
  }

  if (type === 'object') {
    const properties = isRecord(node.properties) ? node.properties : {};
    const names = Object.keys(properties);
    if (names.length === 0) return jsonString(node);
    const required = new Set(Array.isArray(node.required) ? node.required.filter((r): r is string => typeof r === 'string') : []);
    const outProps: Record<string, JsonSchema> = {};
    const decoders: Record<string, Decoder> = {};
    let allIdentity = true;
    for (const name of names) {
      const sub = properties[name];
      const inner = transform(sub, next);
      if (required.has(name)) {
        outProps[name] = inner.schema;
        decoders[name] = inner.decode;
        allIdentity &&= inner.identity;
        continue;
      }
      const keepNull = allowsNull(sub, ctx);
      outProps[name] = keepNull
        ? inner.schema
        : Array.isArray(inner.schema.anyOf) && Object.keys(inner.schema).every((k) => k === 'anyOf' || k === 'description')
          ? { ...inner.schema, anyOf: [...inner.schema.anyOf, { type: 'null' }] }
          : { anyOf: [inner.schema, { type: 'null' }] };
      decoders[name] = keepNull ? inner.decode : (value) => (value === null ? DROP : inner.decode(value));
      allIdentity = false;
    }
    const schema = withDescription({ type: 'object', properties: outProps, required: names, additionalProperties: false }, describe(node));
    if (allIdentity) return { schema, decode: identity, identity: true };
    const decode: Decoder = (value) => {
      if (!isRecord(value)) return value;
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        const decoded = Object.hasOwn(decoders, key) ? decoders[key]!(item) : item;
        if (decoded !== DROP) out[key] = decoded;
      }
      return out;
    };
    return { schema, decode, identity: false };
  }

  if (type === 'array') {
    if (Array.isArray(node.items) || node.prefixItems !== undefined) return jsonString(node);
    const items = node.items === undefined || node.items === true ? jsonString(undefined) : transform(node.items, next);
    const schema = withDescription({ type: 'array', items: items.schema }, describe(node));
    if (items.identity) return { schema, decode: identity, identity: true };
    return { schema, decode: (value) => (Array.isArray(value) ? value.map(items.decode) : value), identity: false };
  }

  if (Array.isArray(type) && type.some((t) => t === 'object' || t === 'array')) return jsonString(node);
  if (type === undefined && node.enum === undefined && node.const === undefined) return jsonString(node);

  const schema: JsonSchema = {};
  if (type !== undefined) schema.type = type;
  if (Array.isArray(node.enum)) schema.enum = node.enum;
  if (node.const !== undefined) schema.const = node.const;
  return { schema: withDescription(schema, describe(node)), decode: identity, identity: true };
}

function looksLikeSchema(value: Record<string, unknown>): boolean {
  return SCHEMA_KEYWORDS.some((key) => key in value);
}

function fromDescription(description: string): ExtractionSchema {
  return {
    kind: 'description',
    description,
    outputSchema: {
      type: 'object',
      properties: {
        data: {
          type: 'string',
          description: `The extracted data as a JSON value (object, array, string or number), written as a JSON-encoded string. What to extract: ${description}`,
        },
      },
      required: ['data'],
      additionalProperties: false,
    },
    fromOutput: (output) => (isRecord(output) && 'data' in output ? parseJsonString(output.data) : output),
    validate: () => [],
  };
}

/**
 * Compiles a `data_extraction_schema`: a JSON Schema object, a one-item array (`[itemSchema]`, a list of
 * those), a JSON string of either, or a plain-language description. Throws `VALIDATION_FAILED` naming
 * `field` when it is none of these or not a valid JSON Schema.
 */
export function compileExtractionSchema(input: unknown, field = 'data_extraction_schema'): ExtractionSchema {
  const fail = (why: string): PetrelError =>
    new PetrelError('VALIDATION_FAILED', `extraction.schema: ${field} ${why}`, { details: { field } });

  if (typeof input === 'string') {
    const text = input.trim();
    if (text === '') throw fail('is empty');
    if (text.startsWith('{') || text.startsWith('[')) {
      try {
        return compileExtractionSchema(JSON.parse(text) as unknown, field);
      } catch (error) {
        if (error instanceof PetrelError) throw error;
        // Not JSON after all: a description that happens to start with a bracket.
      }
    }
    if (text.length > MAX_DESCRIPTION) throw fail(`is longer than ${MAX_DESCRIPTION} characters`);
    return fromDescription(text);
  }
  if (Array.isArray(input)) {
    if (input.length !== 1 || !isRecord(input[0])) throw fail('as an array must hold exactly one item schema, e.g. [{"type":"object",…}]');
    return compileExtractionSchema({ type: 'array', items: input[0] }, field);
  }
  if (!isRecord(input)) throw fail('must be a JSON Schema object, a one-item array or a description string');
  // An object that uses no schema keyword is an example of the wanted shape, not a schema: describe it.
  if (!looksLikeSchema(input)) return fromDescription(`JSON shaped like this example: ${JSON.stringify(input).slice(0, MAX_DESCRIPTION)}`);

  const validator = compileJsonSchema(input, field);
  const transformed = transform(input, { root: input, refs: [], depth: 0 });
  const wrapped = transformed.schema.type !== 'object';
  const outputSchema: JsonSchema = wrapped
    ? { type: 'object', properties: { value: transformed.schema }, required: ['value'], additionalProperties: false }
    : transformed.schema;
  return {
    kind: 'schema',
    schema: input,
    outputSchema,
    fromOutput: wrapped
      ? (output) => (isRecord(output) && 'value' in output ? transformed.decode(output.value) : output)
      : (output) => transformed.decode(output),
    validate: (data) => validator.validate(data),
  };
}

/** Maps a structured answer back to the user's shape and validates it against the user's schema. */
export function parseExtractionOutput(schema: ExtractionSchema, output: unknown): ExtractionResult {
  const data = schema.fromOutput(output);
  const issues = schema.validate(data);
  return issues.length === 0 ? { ok: true, data } : { ok: false, data, issues, message: formatSchemaIssues(issues) };
}
