// JSON Schema validation with Ajv (draft 2020-12), shared by structured output, tool inputs and
// extraction. Lenient where users' schemas usually are: unknown keywords and formats are ignored
// (`strict: false`, no format validation), and a draft-04/06/07 `$schema` is dropped rather than
// refused, since those schemas almost always mean the same under 2020-12.
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { PetrelError } from '@petrel/protocol';

/** A JSON Schema object. */
export type JsonSchema = Record<string, unknown>;

/** One reason a value does not match a schema, with a readable path (`items[0].price`) and its JSON pointer. */
export type SchemaIssue = { path: string; pointer: string; message: string };

/** A compiled schema. */
export type JsonSchemaValidator = {
  /** The issues of `value` against the schema; empty when it matches. */
  validate: (value: unknown) => SchemaIssue[];
};

const compiled = new WeakMap<object, JsonSchemaValidator>();
const OLD_DRAFTS = /json-schema\.org\/(draft-0[3-7]|schema)/;

/** `/items/0/price` → `items[0].price`; the root is `(root)`. */
export function formatJsonPointer(pointer: string): string {
  if (pointer === '') return '(root)';
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (/^\d+$/.test(segment)) out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function issueOf(error: ErrorObject): SchemaIssue {
  let pointer = error.instancePath;
  let message = error.message ?? 'is invalid';
  if (error.keyword === 'required' && typeof error.params.missingProperty === 'string') {
    pointer = `${pointer}/${error.params.missingProperty.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    message = 'is required';
  } else if (error.keyword === 'additionalProperties' && typeof error.params.additionalProperty === 'string') {
    pointer = `${pointer}/${error.params.additionalProperty.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    message = 'is not allowed';
  } else if (error.keyword === 'enum' && Array.isArray(error.params.allowedValues)) {
    message = `must be one of ${error.params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return { path: formatJsonPointer(pointer), pointer, message };
}

/** Renders issues as one line each: `items[0].price: must be number`. */
export function formatSchemaIssues(issues: readonly SchemaIssue[]): string {
  return issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
}

/**
 * Compiles a JSON Schema (cached per schema object). Throws `VALIDATION_FAILED` naming `field` when the
 * schema itself is not a valid schema.
 */
export function compileJsonSchema(schema: JsonSchema, field = 'schema'): JsonSchemaValidator {
  const cached = compiled.get(schema);
  if (cached) return cached;
  const source = typeof schema.$schema === 'string' && OLD_DRAFTS.test(schema.$schema) ? withoutKey(schema, '$schema') : schema;
  // One Ajv per schema: users' `$id`s would otherwise collide across runs.
  const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false, logger: false });
  let check: ValidateFunction;
  try {
    check = ajv.compile(source);
  } catch (error) {
    throw new PetrelError('VALIDATION_FAILED', `schema.compile: ${field} is not a valid JSON Schema: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
      details: { field },
    });
  }
  const validator: JsonSchemaValidator = {
    validate: (value) => (check(value) ? [] : (check.errors ?? []).map(issueOf)),
  };
  compiled.set(schema, validator);
  return validator;
}

function withoutKey(schema: JsonSchema, key: string): JsonSchema {
  const { [key]: _dropped, ...rest } = schema;
  return rest;
}
