// Wire schemas of the Workflows API's version routes (`…/workflows/{workflow_name}/versions…`).
import { z } from 'zod';
import { CfWorkflowParamSchema } from './workflow-schemas.ts';

/** Path parameters of one version's routes. */
export const CfVersionParamSchema = CfWorkflowParamSchema.extend({
  version_id: z.string().min(1).max(64).describe('A version id (UUID).'),
});

/** Query of `GET …/versions`. */
export const CfVersionListQuerySchema = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).optional(),
  per_page: z.coerce.number().int().min(1).max(1000).optional(),
});

/** A version of a workflow. */
export const CfVersionSchema = z
  .object({
    id: z.string(),
    workflow_id: z.string(),
    class_name: z.string(),
    created_on: z.string(),
    modified_on: z.string(),
    has_dag: z.boolean().describe('Whether the version has a step graph (code a worker loaded; a placeholder has none).'),
    language: z.literal('javascript'),
    default_retention: z.object({ success_retention: z.number().optional(), error_retention: z.number().optional() }).optional().describe('The workflow\'s current retention, in ms.'),
    limits: z.object({ steps: z.number().optional() }).optional(),
    concurrency: z.object({ limit: z.number().optional() }).optional(),
  })
  .meta({ id: 'CfVersion' });
/** A version. */
export type CfVersion = z.infer<typeof CfVersionSchema>;

/** A step graph in Cloudflare's shape (nodes `step_do`, `step_sleep`, `step_sleep_until`, `step_wait_for_event`, `loop`, `parallel`, `try`, `block`, `if`, `switch`, `function_call`, `break`). */
export const CfGraphSchema = z
  .object({
    version: z.number(),
    workflow: z.object({
      class_name: z.string(),
      functions: z.record(z.string(), z.unknown()),
      nodes: z.array(z.unknown()),
      payload: z.unknown().optional(),
    }),
  })
  .meta({ id: 'CfGraph' });

/** The answer to `GET …/versions/{version_id}/graph`. */
export const CfVersionGraphSchema = z
  .object({
    id: z.string(),
    workflow_id: z.string(),
    class_name: z.string(),
    created_on: z.string(),
    modified_on: z.string(),
    graph: CfGraphSchema.nullable(),
  })
  .meta({ id: 'CfVersionGraph' });
