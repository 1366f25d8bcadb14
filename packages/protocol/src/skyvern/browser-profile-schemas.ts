// Wire schemas of browser profiles (skyvern.md §1.11): saved cookies and storage that sessions and
// runs start from, made from a live session, a finished run's saved state, or blank. Request bodies
// are strict: Skyvern's documented fields are declared, an unknown one is a 422 naming it.
import { z } from 'zod';
import { PageQuerySchema } from './pagination.ts';

/** The body of `POST /v1/browser_profiles`. */
export const CreateBrowserProfileRequestSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).nullish(),
    browser_session_id: z.string().max(100).nullish().describe('`pbs_…`: save the state of this running session.'),
    workflow_run_id: z.string().max(100).nullish().describe('A finished run whose saved browser state becomes the profile.'),
    proxy_location: z.unknown().optional().describe('Accepted for compatibility; ignored.'),
    proxy_session_id: z.string().nullish().describe('Accepted for compatibility; ignored.'),
  })
  .meta({ id: 'CreateBrowserProfileRequest' });
/** A profile request after parsing. */
export type CreateBrowserProfileRequest = z.infer<typeof CreateBrowserProfileRequestSchema>;

/** The body of `PATCH /v1/browser_profiles/{browser_profile_id}`. */
export const UpdateBrowserProfileRequestSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).nullish(),
    description: z.string().max(2000).nullish(),
    proxy_location: z.unknown().optional(),
    proxy_session_id: z.string().nullish(),
    rotate_proxy_session_id: z.boolean().nullish(),
  })
  .meta({ id: 'UpdateBrowserProfileRequest' });
/** A profile update after parsing. */
export type UpdateBrowserProfileRequest = z.infer<typeof UpdateBrowserProfileRequestSchema>;

/** A saved browser profile. */
export const BrowserProfileSchema = z
  .object({
    browser_profile_id: z.string().describe('`bp_…`'),
    organization_id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    source_browser_type: z.string().nullable(),
    proxy_location: z.null(),
    proxy_session_id: z.null(),
    is_managed: z.boolean(),
    workflow_permanent_id: z.string().nullable(),
    browser_profile_key_digest: z.string().nullable().describe('SHA-256 of the stored state.'),
    source_browser_session_id: z.string().nullable().describe('Petrel: the session it was saved from.'),
    source_run_id: z.string().nullable().describe('Petrel: the run it was saved from.'),
    cookie_count: z.int().describe('Petrel: cookies in the saved state.'),
    created_at: z.string(),
    modified_at: z.string(),
    deleted_at: z.string().nullable(),
  })
  .meta({ id: 'BrowserProfile' });
/** A profile as the API shows it. */
export type BrowserProfileResponse = z.infer<typeof BrowserProfileSchema>;

/** The query of `GET /v1/browser_profiles`. */
export const ListBrowserProfilesQuerySchema = PageQuerySchema.extend({
  include_deleted: z
    .enum(['true', 'false'])
    .optional()
    .transform((value) => value === 'true')
    .describe('Also list deleted profiles.'),
  search_key: z.string().max(200).optional().describe('Only profiles whose name or description contains this text.'),
  managed: z.string().optional().describe('Accepted for compatibility; ignored.'),
});
/** Parsed profile list query. */
export type ListBrowserProfilesQuery = z.infer<typeof ListBrowserProfilesQuerySchema>;

/** Path parameter of the profile routes. */
export const BrowserProfileIdParamSchema = z.object({ browser_profile_id: z.string().max(100).describe('`bp_…`') });
