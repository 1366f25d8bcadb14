// Wire schemas of persistent browser sessions (skyvern.md §1.10): a Chromium kept alive between
// runs, reachable over CDP at `browser_address`, occupied by one run at a time. Request bodies are
// strict: Skyvern's documented fields are declared, an unknown one is a 422 naming it.
import { z } from 'zod';
import { FileInfoSchema } from './task-run-schemas.ts';

/** Session statuses, as Skyvern names them (`retry` is never produced by Petrel). */
export const BROWSER_SESSION_STATUSES = ['created', 'running', 'failed', 'completed', 'timeout', 'retry'] as const;
/** A session status. */
export type BrowserSessionStatusName = (typeof BROWSER_SESSION_STATUSES)[number];

/** The body of `POST /v1/browser_sessions`. */
export const CreateBrowserSessionRequestSchema = z
  .strictObject({
    url: z.url({ protocol: /^https?$/ }).nullish().describe('A page to open when the session starts.'),
    timeout: z
      .int()
      .min(5)
      .nullish()
      .transform((minutes) => (minutes === null || minutes === undefined ? 60 : Math.min(minutes, 1440)))
      .describe('Lifetime in minutes, 5 to 1440 (larger values are cut to 1440); default 60.'),
    proxy_location: z.unknown().optional().describe('Accepted for compatibility; Petrel has no managed proxies.'),
    proxy_session_id: z.string().nullish().describe('Accepted for compatibility; ignored.'),
    extensions: z.array(z.string()).nullish().describe('Browser extensions (`ad-blocker`, `captcha-solver`) are not available in Petrel: a non-empty list is refused.'),
    browser_type: z.string().nullish().describe('Accepted for compatibility; Petrel runs Chromium.'),
    browser_profile_id: z.string().max(100).nullish().describe('`bp_…`: start from this profile\'s cookies and storage.'),
    generate_browser_profile: z.boolean().default(false).describe('Accepted for compatibility; save a profile with `POST /v1/browser_profiles` instead.'),
  })
  .meta({ id: 'CreateBrowserSessionRequest' });
/** A session request after parsing. */
export type CreateBrowserSessionRequest = z.infer<typeof CreateBrowserSessionRequestSchema>;

/** A persistent browser session as the API shows it. */
export const BrowserSessionResponseSchema = z
  .object({
    browser_session_id: z.string().describe('`pbs_…`'),
    organization_id: z.string(),
    status: z.enum(BROWSER_SESSION_STATUSES),
    runnable_type: z.string().nullable().describe('What occupies the session (`task`, `workflow_run`), if anything.'),
    runnable_id: z.string().nullable().describe('The run occupying the session; one at a time.'),
    timeout: z.int().describe('Lifetime in minutes.'),
    browser_address: z.string().nullable().describe('CDP address (`http://127.0.0.1:<port>`) while running; reachable from the host that runs it.'),
    app_url: z.string().nullable(),
    extensions: z.array(z.string()),
    browser_type: z.string().nullable(),
    browser_profile_id: z.string().nullable(),
    generate_browser_profile: z.boolean(),
    vnc_streaming_supported: z.boolean(),
    download_path: z.string().nullable(),
    downloaded_files: z.array(FileInfoSchema),
    recordings: z.array(FileInfoSchema),
    started_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    created_at: z.string(),
    modified_at: z.string(),
    deleted_at: z.string().nullable(),
    expires_at: z.string().describe('Petrel: when the lifetime ends (the session also ends after 30 idle minutes).'),
    failure_reason: z.string().nullable().describe('Petrel: why the session failed or timed out.'),
  })
  .meta({ id: 'BrowserSessionResponse' });
/** A session as the API shows it. */
export type BrowserSessionResponse = z.infer<typeof BrowserSessionResponseSchema>;

/** Path parameter of the session routes. */
export const BrowserSessionIdParamSchema = z.object({ browser_session_id: z.string().max(100).describe('`pbs_…`') });
