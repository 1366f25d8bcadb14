// Wire schemas of run artifacts (skyvern.md §1.6): the `Artifact` shape, its signed URL, and the
// filters of a run's artifact list. Artifact types keep Skyvern's names; Petrel records a subset
// (screenshots, HTML, trace, recording, console log, downloads, model exchanges, element tree).
import { z } from 'zod';

/** Skyvern's `ArtifactType` values. */
export const ARTIFACT_TYPES = [
  'recording',
  'audio',
  'session_replay',
  'browser_console_log',
  'skyvern_log',
  'skyvern_log_raw',
  'screenshot',
  'screenshot_llm',
  'screenshot_action',
  'screenshot_final',
  'llm_prompt',
  'llm_request',
  'llm_response',
  'llm_response_parsed',
  'llm_response_rendered',
  'visible_elements_id_css_map',
  'visible_elements_id_frame_map',
  'visible_elements_tree',
  'visible_elements_tree_trimmed',
  'visible_elements_tree_in_prompt',
  'hashed_href_map',
  'visible_elements_id_xpath_map',
  'html',
  'html_scrape',
  'html_action',
  'trace',
  'har',
  'script_file',
  'pdf',
  'step_archive',
  'task_archive',
  'download',
] as const;
/** An artifact type. */
export type ArtifactKind = (typeof ARTIFACT_TYPES)[number];

/** A stored artifact of a run. */
export const ArtifactSchema = z
  .object({
    artifact_id: z.string().describe('`a_…`'),
    artifact_type: z.enum(ARTIFACT_TYPES),
    uri: z.string().describe('Where the bytes are kept (`petrel://blobs/<key>`); fetch them with `signed_url` or `/content`.'),
    bundle_key: z.null(),
    checksum: z.string().nullable().describe('SHA-256 of the bytes, hex.'),
    file_size: z.int().nullable(),
    content_type: z.string().describe('Petrel: the MIME type of the bytes.'),
    name: z.string().nullable().describe('Petrel: a file name for people (`trace.zip`, a download\'s name).'),
    task_id: z.string().nullable(),
    step_id: z.string().nullable().describe('The step the artifact belongs to (`step-3` for the third agent step); null for run-level artifacts.'),
    workflow_run_id: z.string().nullable(),
    workflow_run_block_id: z.string().nullable(),
    run_id: z.string().nullable(),
    browser_session_id: z.string().nullable(),
    observer_cruise_id: z.null(),
    observer_thought_id: z.null(),
    ai_suggestion_id: z.null(),
    signed_url: z.string().nullable().describe('A URL that serves the bytes without an API key until it expires.'),
    archived: z.boolean(),
    organization_id: z.string(),
    created_at: z.string(),
    modified_at: z.string(),
  })
  .meta({ id: 'Artifact' });
/** An artifact as the API shows it. */
export type Artifact = z.infer<typeof ArtifactSchema>;

/** `GET /v1/artifacts/{artifact_id}/signed-url`. */
export const ArtifactSignedUrlSchema = z
  .object({
    artifact_id: z.string(),
    signed_url: z.string().describe('Serves the bytes (with `Range` support) without an API key.'),
    expires_at: z.string().describe('When the URL stops working (ISO-8601, UTC).'),
  })
  .meta({ id: 'ArtifactSignedUrl' });
/** A signed artifact URL. */
export type ArtifactSignedUrl = z.infer<typeof ArtifactSignedUrlSchema>;

/** Path parameter of the artifact routes. */
export const ArtifactIdParamSchema = z.object({ artifact_id: z.string().max(100).describe('`a_…`') });

/** The query of signed content URLs: expiry (Unix seconds), key id and signature. */
export const SignedUrlQuerySchema = z.object({
  expiry: z.string().max(20).optional().describe('Unix seconds after which the signature is refused.'),
  kid: z.string().max(40).optional().describe('The signing key id.'),
  sig: z.string().max(200).optional().describe('HMAC-SHA256 of the resource and expiry, base64url.'),
});

const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.preprocess((value) => (value === undefined || Array.isArray(value) ? value : [value]), z.array(item).max(50).optional());

/** The query of `GET /v1/runs/{run_id}/artifacts`: `artifact_type` (repeatable). */
export const ListRunArtifactsQuerySchema = z.object({
  artifact_type: oneOrMany(z.enum(ARTIFACT_TYPES)).describe('Only artifacts of these types (repeat the parameter for several).'),
});
/** Parsed artifact list query. */
export type ListRunArtifactsQuery = z.infer<typeof ListRunArtifactsQuerySchema>;
