// Wire schemas of Petrel's API-key routes (`/v1/keys`). Skyvern has no public route for keys; these
// are Petrel's own, so their request bodies are strict (an unknown field is a 422).
import { z } from 'zod';
import { PageQuerySchema } from './pagination.ts';

/** An API key as listed: never the secret, only its first characters to recognise it. */
export const ApiKeySchema = z
  .object({
    key_id: z.string().describe('`oat_…`'),
    organization_id: z.string().describe('`o_…`'),
    name: z.string(),
    key_prefix: z.string().describe('The first characters of the key, e.g. `pk_Xy12ab`, to tell keys apart.'),
    created_at: z.string(),
    last_used_at: z.string().nullable().describe('Updated at most about once a minute per key.'),
    revoked: z.boolean(),
    revoked_at: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });
/** An API key as listed. */
export type ApiKey = z.infer<typeof ApiKeySchema>;

/** The answer to creating a key: the listed fields plus the secret, shown this once. */
export const CreatedApiKeySchema = ApiKeySchema.extend({
  api_key: z.string().describe('The secret. It is stored hashed and cannot be shown again.'),
}).meta({ id: 'CreatedApiKey' });
/** A new key with its secret. */
export type CreatedApiKey = z.infer<typeof CreatedApiKeySchema>;

/** The body of `POST /v1/keys`. */
export const CreateApiKeyRequestSchema = z
  .strictObject({
    name: z.string().min(1).max(100).describe('A label, e.g. `ci` or `laptop`.'),
  })
  .meta({ id: 'CreateApiKeyRequest' });
/** A key create request. */
export type CreateApiKeyRequest = z.infer<typeof CreateApiKeyRequestSchema>;

/** Query of `GET /v1/keys`. */
export const ListApiKeysQuerySchema = PageQuerySchema.extend({
  include_revoked: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
    .describe('Also list revoked keys.'),
});

/** Path parameter of the key routes. */
export const ApiKeyIdParamSchema = z.object({ key_id: z.string().max(100).describe('`oat_…`') });
