// Skyvern's cookbooks write `data_schema` as a bare properties map (`jobs: { type: array, … }`); its
// extraction pastes that text into the prompt as it is. Petrel validates extracted data against a
// schema, so such a map is read as the properties of an object schema.

/** Normalises a Skyvern `data_schema` written as a bare properties map (`{ jobs: { type: array … } }`) into an object schema. */
export function normalizeDataSchema(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema;
  const record = schema as Record<string, unknown>;
  const keywords = ['type', 'properties', 'items', '$schema', 'anyOf', 'oneOf', 'allOf', 'enum', '$ref', 'const'];
  if (keywords.some((key) => key in record)) return schema;
  const entries = Object.entries(record);
  if (entries.length > 0 && entries.every(([, value]) => typeof value === 'object' && value !== null && 'type' in value)) {
    return { type: 'object', properties: record };
  }
  return schema;
}
