// Artifacts and uploaded files (skyvern.md §1.6, §1.16): an artifact's record, its bytes with `Range`
// support, a signed URL, a run's artifact list, `POST /v1/upload_file` (multipart, streamed into the
// blob store) and an uploaded file's bytes. Content routes take an API key or a signed query
// (`?expiry=&kid=&sig=`), so links in run responses open in a browser.
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { BlobStore } from '@petrel/browser';
import {
  ArtifactIdParamSchema,
  ArtifactSchema,
  ArtifactSignedUrlSchema,
  FileIdParamSchema,
  ListRunArtifactsQuerySchema,
  PetrelError,
  RunIdParamSchema,
  SignedUrlQuerySchema,
  UploadFileResponseSchema,
} from '@petrel/protocol';
import { toArtifactResponse } from '../files/artifact-service.ts';
import { serveBlob } from '../files/blob-response.ts';
import type { SignedResource } from '../files/signed-urls.ts';
import { storeUpload } from '../files/upload-service.ts';
import type { AppEnv } from '../http/app-env.ts';
import { findRequestKey } from '../http/auth-middleware.ts';
import { API_KEY_SECURITY, errorResponses } from '../http/openapi-helpers.ts';
import type { RouteContext } from './route-context.ts';

const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } });

/** The paths whose bodies are multipart uploads (the JSON body limit does not apply to them). */
export const UPLOAD_PATHS: readonly string[] = ['/v1/upload_file', '/api/v1/upload_file'];

const SIGNED_SECURITY = [...API_KEY_SECURITY, {}];
const UPLOAD_FORM = {
  type: 'object' as const,
  required: ['file'],
  additionalProperties: false,
  properties: {
    file: { type: 'string' as const, format: 'binary', description: 'The file.' },
    retention_days: { type: 'string' as const, description: 'Delete the file after this many days (1 to 3650); default keep.' },
  },
};
const BINARY = { 'application/octet-stream': { schema: z.string().meta({ format: 'binary' }) } };

/** Registers the artifact and file routes. */
export function registerArtifactRoutes(app: OpenAPIHono<AppEnv>, ctx: RouteContext): void {
  const { store, urls, authenticator, now } = ctx.deps;
  const blobs = (op: string): BlobStore => {
    if (ctx.deps.blobStore === undefined) throw new PetrelError('UNAVAILABLE', `${op}: no blob store is configured in this process`);
    return ctx.deps.blobStore;
  };
  /** The organization allowed to read `resource`: the key's, or any when the signature is valid (undefined then). */
  const authorizeContent = async (c: Context<AppEnv>, resource: SignedResource): Promise<{ organizationId: string } | 'signed'> => {
    const query = c.req.query();
    if (query['sig'] !== undefined) {
      if (!urls.verify(resource, { ...(query['expiry'] === undefined ? {} : { expiry: query['expiry'] }), ...(query['kid'] === undefined ? {} : { kid: query['kid'] }), sig: query['sig'] })) {
        throw new PetrelError('UNAUTHENTICATED', 'Invalid or expired signature');
      }
      return 'signed';
    }
    const key = findRequestKey(c.req.raw.headers);
    const principal = key === undefined ? undefined : await authenticator.authenticate(key);
    if (principal === undefined) throw new PetrelError('UNAUTHENTICATED', 'Invalid credentials');
    c.set('principal', principal);
    return { organizationId: principal.organizationId };
  };

  app.openapi(
    createRoute({
      tags: ['Artifacts'],
      security: API_KEY_SECURITY,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '/v1/artifacts/{artifact_id}',
      operationId: 'getArtifact',
      summary: 'Get an artifact',
      request: { params: ArtifactIdParamSchema },
      responses: { 200: { description: 'The artifact, with a fresh signed URL.', ...json(ArtifactSchema) }, ...errorResponses(403, 404, 422) },
    }),
    async (c) => {
      const { artifact_id: artifactId } = c.req.valid('param');
      const row = await store.artifacts.find(c.get('principal').organizationId, artifactId);
      if (row === undefined) throw new PetrelError('NOT_FOUND', `artifacts.get: artifact ${artifactId} not found`);
      return c.json(toArtifactResponse(row, urls), 200);
    },
  );

  app.openapi(
    createRoute({
      tags: ['Artifacts'],
      security: API_KEY_SECURITY,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '/v1/artifacts/{artifact_id}/signed-url',
      operationId: 'getArtifactSignedUrl',
      summary: 'Get a signed URL of an artifact',
      request: { params: ArtifactIdParamSchema },
      responses: { 200: { description: 'A URL that serves the bytes without an API key until it expires.', ...json(ArtifactSignedUrlSchema) }, ...errorResponses(403, 404, 422) },
    }),
    async (c) => {
      const { artifact_id: artifactId } = c.req.valid('param');
      const row = await store.artifacts.find(c.get('principal').organizationId, artifactId);
      if (row === undefined) throw new PetrelError('NOT_FOUND', `artifacts.signedUrl: artifact ${artifactId} not found`);
      const signed = urls.signedUrl({ kind: 'artifact', id: artifactId });
      return c.json({ artifact_id: artifactId, signed_url: signed.url, expires_at: signed.expiresAt.toISOString() }, 200);
    },
  );

  app.openapi(
    createRoute({
      tags: ['Artifacts'],
      security: SIGNED_SECURITY,
      method: 'get',
      path: '/v1/artifacts/{artifact_id}/content',
      operationId: 'getArtifactContent',
      summary: 'Get an artifact\'s bytes',
      description:
        'Streams the bytes; `Range: bytes=a-b` answers 206 with `Content-Range`, a range outside the content 416. ' +
        'Authenticate with an API key, or with the signed query of `signed_url` (`expiry`, `kid`, `sig`) and no key.',
      request: { params: ArtifactIdParamSchema, query: SignedUrlQuerySchema },
      responses: {
        200: { description: 'The bytes.', content: BINARY },
        206: { description: 'The requested range of the bytes.', content: BINARY },
        416: { description: 'The range is outside the content (`Content-Range: bytes */<size>`).', ...json(z.object({ detail: z.string(), code: z.string() })) },
        ...errorResponses(403, 404, 422),
      },
    }),
    async (c) => {
      const { artifact_id: artifactId } = c.req.valid('param');
      const access = await authorizeContent(c, { kind: 'artifact', id: artifactId });
      const row = access === 'signed' ? await store.artifacts.findSigned(artifactId) : await store.artifacts.find(access.organizationId, artifactId);
      if (row === undefined) throw new PetrelError('NOT_FOUND', `artifacts.content: artifact ${artifactId} not found`);
      return serveBlob(
        blobs('artifacts.content'),
        { key: row.blob_key, size: row.size, sha256: row.sha256, contentType: row.content_type, filename: row.name },
        c.req.header('range'),
        c.req.raw.signal,
      );
    },
  );

  app.openapi(
    createRoute({
      tags: ['Runs'],
      security: API_KEY_SECURITY,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '/v1/runs/{run_id}/artifacts',
      operationId: 'getRunArtifacts',
      summary: 'List a run\'s artifacts',
      request: { params: RunIdParamSchema, query: ListRunArtifactsQuerySchema },
      responses: { 200: { description: 'The run\'s artifacts, oldest first.', ...json(z.array(ArtifactSchema)) }, ...errorResponses(403, 404, 422) },
    }),
    async (c) => {
      const organizationId = c.get('principal').organizationId;
      const { run_id: runId } = c.req.valid('param');
      const types = c.req.valid('query').artifact_type;
      const rows = await store.artifacts.listForRun(organizationId, runId, types);
      // A run with no artifacts yet is known from the runs index; artifacts of code workflows have no run row.
      if (rows.length === 0 && (await store.runs.find(organizationId, runId)) === undefined && !(await store.artifacts.hasRun(organizationId, runId))) {
        throw new PetrelError('RUN_NOT_FOUND', `runs.artifacts: run ${runId} not found`);
      }
      return c.json(rows.map((row) => toArtifactResponse(row, urls)), 200);
    },
  );

  for (const path of UPLOAD_PATHS) {
    app.openapi(
      createRoute({
        tags: ['Files'],
        security: API_KEY_SECURITY,
        middleware: [ctx.auth] as const,
        method: 'post',
        path,
        hide: path !== '/v1/upload_file',
        operationId: path === '/v1/upload_file' ? 'uploadFile' : 'uploadFileLegacy',
        summary: 'Upload a file',
        description:
          'Multipart form data: `file` (the bytes) and optional `retention_days`. Answers a `petrel://files/<file_id>` reference (`s3_uri`) to use as a `file_url` ' +
          'parameter, and a signed download URL. Files over the upload limit answer 413.',
        // A plain schema (not zod): the body is parsed as a stream by the handler, not by a validator.
        request: { body: { required: true, content: { 'multipart/form-data': { schema: UPLOAD_FORM } } } },
        responses: { 200: { description: 'The stored file.', ...json(UploadFileResponseSchema) }, ...errorResponses(400, 403, 413, 415, 422) },
      }),
      async (c) => {
        const response = await storeUpload(
          { store, blobStore: blobs('upload_file'), urls, maxBytes: ctx.deps.maxUploadBytes ?? 100 * 1024 * 1024, metrics: ctx.deps.metrics, now },
          c.get('principal').organizationId,
          c.req.raw,
        );
        return c.json(response, 200);
      },
    );
  }

  app.openapi(
    createRoute({
      tags: ['Files'],
      security: SIGNED_SECURITY,
      method: 'get',
      path: '/v1/files/{file_id}/content',
      operationId: 'getFileContent',
      summary: 'Get an uploaded file\'s bytes',
      description: 'Like artifact content: `Range` support; an API key or the signed query of `presigned_url`.',
      request: { params: FileIdParamSchema, query: SignedUrlQuerySchema },
      responses: {
        200: { description: 'The bytes.', content: BINARY },
        206: { description: 'The requested range of the bytes.', content: BINARY },
        416: { description: 'The range is outside the content.', ...json(z.object({ detail: z.string(), code: z.string() })) },
        ...errorResponses(403, 404, 422),
      },
    }),
    async (c) => {
      const { file_id: fileId } = c.req.valid('param');
      const access = await authorizeContent(c, { kind: 'file', id: fileId });
      const row = access === 'signed' ? await store.files.findSigned(fileId) : await store.files.find(access.organizationId, fileId);
      if (row === undefined) throw new PetrelError('NOT_FOUND', `files.content: file ${fileId} not found`);
      return serveBlob(blobs('files.content'), { key: row.blob_key, size: row.size, sha256: row.sha256, contentType: row.content_type, filename: row.filename }, c.req.header('range'), c.req.raw.signal);
    },
  );

  app.openapi(
    createRoute({
      tags: ['Files'],
      security: API_KEY_SECURITY,
      middleware: [ctx.auth] as const,
      method: 'delete',
      path: '/v1/files/{file_id}',
      operationId: 'deleteFile',
      summary: 'Delete an uploaded file',
      request: { params: FileIdParamSchema },
      responses: { 204: { description: 'Deleted (the bytes and the record).' }, ...errorResponses(403, 404, 422) },
    }),
    async (c) => {
      const organizationId = c.get('principal').organizationId;
      const { file_id: fileId } = c.req.valid('param');
      const row = await store.files.find(organizationId, fileId);
      if (row === undefined) throw new PetrelError('NOT_FOUND', `files.delete: file ${fileId} not found`);
      await blobs('files.delete').delete(row.blob_key);
      await store.files.delete(organizationId, fileId);
      return c.body(null, 204);
    },
  );
}
