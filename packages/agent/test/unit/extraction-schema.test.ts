// data_extraction_schema: what users write is accepted, turned into a strict structured-output schema,
// answers are mapped back to the user's shape and validated with readable paths.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPetrelError } from '@petrel/protocol';
import { compileExtractionSchema, compileJsonSchema, parseExtractionOutput } from '@petrel/agent';
import type { JsonSchema } from '@petrel/agent';

/** Strict structured output's rules, checked independently of the implementation. */
function assertStrict(node: unknown, path = '$'): void {
  if (Array.isArray(node)) {
    node.forEach((n, i) => assertStrict(n, `${path}[${i}]`));
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const s = node as JsonSchema;
  if (s.type === 'object') {
    assert.equal(s.additionalProperties, false, `${path}: additionalProperties`);
    assert.deepEqual([...(s.required as string[])].sort(), Object.keys(s.properties as object).sort(), `${path}: all required`);
  }
  for (const key of ['minimum', 'pattern', 'format', 'minLength', 'oneOf', 'allOf', '$ref', 'title', 'default']) {
    assert.ok(!(key in s), `${path}: ${key} is not sent`);
  }
  for (const [key, value] of Object.entries(s)) {
    if (key === 'properties') for (const [name, sub] of Object.entries(value as object)) assertStrict(sub, `${path}.${name}`);
    else if (key !== 'enum' && key !== 'const') assertStrict(value, `${path}.${key}`);
  }
}

const invoiceSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: {
    invoice_number: { type: 'string', pattern: '^INV-' },
    total: { type: 'number', minimum: 0, description: 'Grand total' },
    due_date: { type: 'string', format: 'date' },
    notes: { type: ['string', 'null'] },
    lines: {
      type: 'array',
      items: { $ref: '#/definitions/line' },
    },
    meta: { type: 'object' },
  },
  required: ['invoice_number', 'total', 'lines'],
  definitions: {
    line: { type: 'object', properties: { sku: { type: 'string' }, qty: { type: 'integer' } }, required: ['sku'] },
  },
};

test('an object schema becomes strict; optional fields come back absent, JSON-string fields parsed', () => {
  const schema = compileExtractionSchema(invoiceSchema);
  assert.equal(schema.kind, 'schema');
  assertStrict(schema.outputSchema);
  const props = schema.outputSchema.properties as Record<string, JsonSchema>;
  assert.match(String(props.total?.description), /Grand total/);
  assert.match(String(props.total?.description), /"minimum":0/);
  assert.deepEqual(props.due_date?.anyOf, [{ type: 'string', description: 'Constraints: {"format":"date"}.' }, { type: 'null' }]);
  assert.deepEqual(props.notes, { type: ['string', 'null'] }, 'a field that allows null keeps its own null');

  const answer = {
    invoice_number: 'INV-7',
    total: 99.5,
    due_date: null,
    notes: null,
    lines: [{ sku: 'A', qty: null }, { sku: 'B', qty: 2 }],
    meta: '{"source":"portal"}',
  };
  assert.equal(compileJsonSchema(schema.outputSchema).validate(answer).length, 0, 'the answer fits the strict schema');
  const result = parseExtractionOutput(schema, answer);
  assert.deepEqual(result, {
    ok: true,
    data: { invoice_number: 'INV-7', total: 99.5, notes: null, lines: [{ sku: 'A' }, { sku: 'B', qty: 2 }], meta: { source: 'portal' } },
  });
});

test('validation against the user schema gives readable paths', () => {
  const schema = compileExtractionSchema(invoiceSchema);
  const result = parseExtractionOutput(schema, {
    invoice_number: 'X-1',
    total: -3,
    due_date: null,
    notes: null,
    lines: [{ sku: 'A', qty: 1.5 }],
    meta: '{}',
  });
  assert.equal(result.ok, false);
  assert.ok(!result.ok);
  assert.deepEqual(
    result.issues.map((i) => `${i.path}: ${i.message}`),
    ['invoice_number: must match pattern "^INV-"', 'total: must be >= 0', 'lines[0].qty: must be integer'],
  );
  assert.match(result.message, /lines\[0\]\.qty: must be integer/);
});

test('a non-object root is wrapped as { value } and unwrapped', () => {
  const list = compileExtractionSchema({ type: 'array', items: { type: 'object', properties: { title: { type: 'string' } }, required: ['title'] } });
  assertStrict(list.outputSchema);
  assert.deepEqual(list.outputSchema.required, ['value']);
  assert.deepEqual(parseExtractionOutput(list, { value: [{ title: 'a' }, { title: 'b' }] }), { ok: true, data: [{ title: 'a' }, { title: 'b' }] });

  const price = compileExtractionSchema({ type: 'number' });
  assert.deepEqual(parseExtractionOutput(price, { value: 12 }), { ok: true, data: 12 });
  assert.equal(parseExtractionOutput(price, { value: 'twelve' }).ok, false);
});

test('array shorthand and JSON strings are accepted', () => {
  const shorthand = compileExtractionSchema([{ type: 'object', properties: { name: { type: 'string' } }, required: ['name'] }]);
  assert.deepEqual(shorthand.schema, { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } });
  const fromString = compileExtractionSchema('{"type":"object","properties":{"n":{"type":"integer"}}}');
  assert.equal(fromString.kind, 'schema');
  assert.deepEqual(parseExtractionOutput(fromString, { n: null }), { ok: true, data: {} });
});

test('a description (or an example object) is asked for as a JSON string and parsed back', () => {
  const described = compileExtractionSchema('the product name and its price in euros');
  assert.equal(described.kind, 'description');
  assertStrict(described.outputSchema);
  assert.match(JSON.stringify(described.outputSchema), /price in euros/);
  assert.deepEqual(parseExtractionOutput(described, { data: '{"name":"Lamp","price":12}' }), { ok: true, data: { name: 'Lamp', price: 12 } });
  assert.deepEqual(parseExtractionOutput(described, { data: 'just text' }), { ok: true, data: 'just text' });

  const example = compileExtractionSchema({ name: 'string', price: 'number' });
  assert.equal(example.kind, 'description');
  assert.match(example.description ?? '', /"price":"number"/);
});

test('unions, allOf, recursion and free-form parts stay valid and round-trip', () => {
  const schema = compileExtractionSchema({
    type: 'object',
    properties: {
      contact: { oneOf: [{ type: 'string' }, { type: 'object', properties: { email: { type: 'string' } } }] },
      person: { allOf: [{ type: 'object', properties: { first: { type: 'string' } }, required: ['first'] }, { properties: { last: { type: 'string' } } }] },
      tree: { $ref: '#/$defs/node' },
      tuple: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }] },
    },
    required: ['contact', 'person', 'tree', 'tuple'],
    $defs: { node: { type: 'object', properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/node' } } }, required: ['label'] } },
  });
  assertStrict(schema.outputSchema);
  const answer = {
    contact: { email: null },
    person: { first: 'Ada', last: null },
    tree: { label: 'root', children: ['{"label":"leaf"}'] },
    tuple: '["a", 1]',
  };
  assert.equal(compileJsonSchema(schema.outputSchema).validate(answer).length, 0);
  assert.deepEqual(parseExtractionOutput(schema, answer), {
    ok: true,
    data: { contact: {}, person: { first: 'Ada' }, tree: { label: 'root', children: [{ label: 'leaf' }] }, tuple: ['a', 1] },
  });
});

test('bad input is VALIDATION_FAILED naming the field', () => {
  for (const bad of [42, null, true, '', [], [{ type: 'string' }, { type: 'number' }], { type: 'object', properties: { a: { type: 'nonsense' } } }]) {
    assert.throws(
      () => compileExtractionSchema(bad, 'blocks[0].data_schema'),
      (error: unknown) => {
        assert.ok(isPetrelError(error), String(error));
        assert.equal(error.code, 'VALIDATION_FAILED');
        assert.deepEqual(error.details, { field: 'blocks[0].data_schema' });
        return true;
      },
      JSON.stringify(bad),
    );
  }
});
