// What the Workflows API route modules share: the engine host (or a 503 when this process runs
// none), the organization of the request, and workflow lookups.
import type { Context } from 'hono';
import type { WorkflowRow } from '@petrel/engine';
import { CF_ERROR_CODES, PetrelError } from '@petrel/protocol';
import type { EngineHost } from '../../engine/engine-host.ts';
import type { AppEnv } from '../../http/app-env.ts';
import type { RouteContext } from '../route-context.ts';

/** The engine host of the app; `UNAVAILABLE` when the app runs without one. */
export function engineHost(ctx: RouteContext): EngineHost {
  const host = ctx.deps.engine;
  if (host === undefined) throw new PetrelError('UNAVAILABLE', 'workflows: the workflow engine is not running in this process');
  return host;
}

/** The organization (engine namespace) of the request. */
export function organizationOf(c: Context<AppEnv>): string {
  return c.get('principal').organizationId;
}

/** The workflow row, or `WORKFLOW_NOT_FOUND`. One indexed read, without instance counts. */
export async function getWorkflowRow(host: EngineHost, namespace: string, name: string, op: string): Promise<WorkflowRow> {
  const row = await host.engine.store.findWorkflow(namespace, name);
  if (row === undefined) throw new PetrelError('WORKFLOW_NOT_FOUND', `${op}: no workflow "${name.slice(0, 64)}"`);
  return row;
}

/** The envelope message saying that no running worker has a class. */
export function classNotLoadedMessage(workflowName: string, className: string): { code: number; message: string } {
  return {
    code: CF_ERROR_CODES.codeNotLoaded,
    message: `class "${className}" is not loaded by any running worker; instances of "${workflowName}" stay queued until a worker started with --workflows DIR that exports it runs`,
  };
}
