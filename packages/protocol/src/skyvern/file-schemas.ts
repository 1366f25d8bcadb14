// Wire schemas of uploaded files (skyvern.md §1.16): `POST /v1/upload_file` takes multipart form
// data (`file`, optional `retention_days`) and answers `UploadFileResponse`. Petrel's `s3_uri` is a
// `petrel://files/<file_id>` reference that runs of the same organization resolve; `presigned_url`
// is a signed HTTP URL that works anywhere until it expires.
import { z } from 'zod';

/** The answer of `POST /v1/upload_file`. */
export const UploadFileResponseSchema = z
  .object({
    s3_uri: z.string().describe('`petrel://files/<file_id>`: use it as a `file_url` parameter; runs of your organization read it directly.'),
    presigned_url: z.string().describe('A signed URL that serves the file without an API key until `expires_at`.'),
    file_id: z.string().describe('`file_…`'),
    expires_at: z.string().describe('When `presigned_url` stops working (the file itself is kept until its retention ends).'),
    filename: z.string().describe('Petrel: the uploaded file\'s name.'),
    file_size: z.int().describe('Petrel: size in bytes.'),
    checksum: z.string().describe('Petrel: SHA-256 of the bytes, hex.'),
    content_type: z.string().describe('Petrel: the MIME type sent with the file.'),
    retention_expires_at: z.string().nullable().describe('Petrel: when the file is deleted (from `retention_days`); null keeps it.'),
  })
  .meta({ id: 'UploadFileResponse' });
/** An upload's answer. */
export type UploadFileResponse = z.infer<typeof UploadFileResponseSchema>;

/** Path parameter of the file routes. */
export const FileIdParamSchema = z.object({ file_id: z.string().max(100).describe('`file_…`') });
