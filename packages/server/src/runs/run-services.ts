// The run services of a process with an engine: the task service (the agent's) and the workflow
// service (the blocks package's, on the server's Kysely repository), the run kinds they register
// (`task`, `workflow_run`), the schedules of block workflows and their scheduler. Both `startServer`
// and `startWorker` attach them right after the engine host starts, before the outbox consumer
// handles its backlog. The block workflow resolver is handed to the host before the service exists
// (`createDeferredResolver`): an instance claimed in between waits for it instead of being parked as
// "code missing".
import { createTaskService } from '@petrel/agent';
import type { AgentRuntime } from '@petrel/agent';
import { createSmtpMailer, createWorkflowService, resolveRunParameters } from '@petrel/blocks';
import type { Mailer, ParsedBlockWorkflow, RunFile, WorkflowService } from '@petrel/blocks';
import type { WorkflowResolver } from '@petrel/engine';
import { PetrelError } from '@petrel/protocol';
import type { WorkflowSchedule } from '@petrel/protocol';
import type { AppDeps } from '../app-deps.ts';
import type { SmtpConfig } from '../config/server-config.ts';
import type { EngineHost } from '../engine/engine-host.ts';
import { openUploadedFile, parseFileReference } from '../files/upload-service.ts';
import { registerTaskRuns } from '../tasks/task-runs.ts';
import { getWebhookSecret } from '../webhooks/webhook-secrets.ts';
import { WORKFLOW_RUN_KIND, registerWorkflowRuns, workflowTotpIdentifiers } from '../workflows/workflow-runs.ts';
import { createScheduleService, startWorkflowScheduler } from '../workflows/workflow-schedules.ts';
import type { WorkflowScheduler } from '../workflows/workflow-schedules.ts';

/** A resolver whose target is set later; calls made before wait for it (or resolve to nothing once it is known to be absent). */
export function createDeferredResolver(): { resolver: WorkflowResolver; set(target: WorkflowResolver | undefined): void } {
  const { promise: ready, resolve: settle } = Promise.withResolvers<WorkflowResolver | undefined>();
  return {
    resolver: async (ref) => {
      // Only block workflows are served by the late resolver; anything else answers at once.
      if (!ref.workflowName.startsWith('wpid_')) return undefined;
      const target = await ready;
      return target === undefined ? undefined : target(ref);
    },
    set: (target) => settle(target),
  };
}

/** Options of `attachRunServices`. */
export type RunServicesOptions = {
  /** The agent runtime; without one (no browser pool) runs are still shown, but none can be started here. */
  runtime: AgentRuntime | undefined;
  /** Check at run creation that a model is configured; off for an API process whose workers hold the model settings. */
  requireModel: boolean;
  /** Where the workflow service's resolver goes (given to the engine host at its creation). */
  deferredResolver?: ReturnType<typeof createDeferredResolver>;
  /** The server's SMTP server (send_email without settings, human_interaction). Default none. */
  smtp?: SmtpConfig | undefined;
  /** A mailer instead of `smtp` (tests). Default none. */
  mailer?: Mailer;
  /** Base URL of human_interaction links, or a function answering it once known (a server on port 0); default none (the email says how to answer through the API). */
  publicBaseUrl?: string | (() => string | undefined) | undefined;
  /** Fire block workflow schedules in this process. Default true when the engine runs instances. */
  scheduler?: boolean;
};

/** What `attachRunServices` started; dispose it before the engine. */
export type RunServices = AsyncDisposable & {
  /** The scheduler of block workflow schedules, when this process fires them. */
  readonly scheduler: WorkflowScheduler | undefined;
};

function fileOf(opened: Awaited<ReturnType<typeof openUploadedFile>>): RunFile {
  return {
    name: opened.filename,
    size: opened.size,
    contentType: opened.contentType,
    async read() {
      const chunks: Buffer[] = [];
      for await (const chunk of opened.body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
      return new Uint8Array(Buffer.concat(chunks));
    },
  };
}

/** Builds the run services on the deps (`deps.tasks`, `deps.workflows`, `deps.schedules`) and registers their kinds. */
export function attachRunServices(deps: AppDeps, host: EngineHost, options: RunServicesOptions): RunServices {
  const artifactUrl = (id: string): string => deps.urls.artifactUrl(id);
  const now = deps.now ?? (() => new Date());
  const { runtime } = options;
  if (runtime !== undefined) {
    deps.tasks = createTaskService({ engine: host.engine, runtime, response: { artifactUrl }, requireModel: options.requireModel });
  }
  let workflows: WorkflowService | undefined;
  if (runtime !== undefined && deps.blobStore !== undefined) {
    const blobStore = deps.blobStore;
    const smtp = options.smtp;
    const mailer =
      options.mailer ??
      (smtp === undefined
        ? undefined
        : createSmtpMailer({
            host: smtp.host,
            ...(smtp.port === undefined ? {} : { port: smtp.port }),
            ...(smtp.secure === undefined ? {} : { secure: smtp.secure }),
            ...(smtp.username === undefined || smtp.password === undefined ? {} : { auth: { user: smtp.username, pass: smtp.password } }),
          }));
    workflows = createWorkflowService({
      engine: host.engine,
      repository: deps.store.workflows,
      runtime,
      blobStore,
      fetch: deps.outboundFetch,
      ...(mailer === undefined ? {} : { mailer }),
      ...(deps.browserProfiles === undefined ? {} : { loadBrowserProfile: (namespace: string, profileId: string) => deps.browserProfiles!.loadState(namespace, profileId) }),
      async resolveFile(namespace, reference, fileOptions) {
        if (parseFileReference(reference) === undefined) return undefined;
        return fileOf(await openUploadedFile({ store: deps.store, blobStore }, namespace, reference, fileOptions));
      },
      humanInteractionSecret: async (namespace) => (await getWebhookSecret(deps.store, deps.vault, namespace, now())).secret,
      ...(options.publicBaseUrl === undefined ? {} : { publicBaseUrl: options.publicBaseUrl }),
      logger: deps.logger,
      now: () => now().getTime(),
      response: { artifactUrl },
      requireModel: options.requireModel,
    });
    deps.workflows = workflows;
  }
  options.deferredResolver?.set(workflows?.resolveWorkflow);
  const removeTasks = registerTaskRuns({ runs: deps.runs, blobStore: deps.blobStore, runtime });
  const removeWorkflows = registerWorkflowRuns({ runs: deps.runs, service: workflows, blobStore: deps.blobStore });

  let scheduler: WorkflowScheduler | undefined;
  deps.schedules = createScheduleService({
    store: deps.store,
    now,
    onChange: () => scheduler?.wake(),
    async checkWorkflow(organizationId, workflowPermanentId, parameters) {
      const row = await deps.store.workflows.findVersion(organizationId, workflowPermanentId);
      if (row === undefined) throw workflowNotFound(workflowPermanentId);
      resolveRunParameters((row.definition as unknown as ParsedBlockWorkflow).workflow_definition, parameters);
    },
  });
  const service = workflows;
  scheduler =
    service !== undefined && (options.scheduler ?? host.slots > 0)
      ? startWorkflowScheduler({
          store: deps.store,
          logger: deps.logger,
          now,
          fire: (schedule, runId) => startScheduledRun(deps, service, schedule, runId),
        })
      : undefined;
  return {
    scheduler,
    async [Symbol.asyncDispose]() {
      await scheduler?.stop();
      removeTasks();
      removeWorkflows();
    },
  };
}

function workflowNotFound(workflowPermanentId: string): PetrelError {
  return new PetrelError('WORKFLOW_NOT_FOUND', `schedules: no workflow ${workflowPermanentId.slice(0, 100)}`);
}

/** Starts the run of one firing of a schedule and indexes it (trigger `cron`). */
async function startScheduledRun(deps: AppDeps, workflows: WorkflowService, schedule: WorkflowSchedule, runId: string): Promise<string> {
  const response = await workflows.runWorkflow(
    schedule.organization_id,
    {
      workflow_id: schedule.workflow_permanent_id,
      parameters: schedule.parameters,
      ...(schedule.webhook_url === null ? {} : { webhook_url: schedule.webhook_url }),
      ...(schedule.name === null ? {} : { title: schedule.name }),
    },
    { runId },
  );
  await indexWorkflowRun(deps, schedule.organization_id, response, { triggerType: 'cron' });
  return response.run_id;
}

/** Indexes a workflow run the service just started (right after its instance). */
export async function indexWorkflowRun(
  deps: AppDeps,
  organizationId: string,
  response: { run_id: string; status: string; created_at: string; workflow_permanent_id: string; workflow_id: string; workflow_title: string | null; developer_user_id: string | null; run_request: Record<string, unknown> | null },
  extra: { triggerType?: string; definition?: unknown } = {},
): Promise<void> {
  const request = (response.run_request ?? {}) as { title?: string | null; webhook_url?: string | null; webhook_callback_url?: string | null; browser_session_id?: string | null; totp_identifier?: string | null };
  await deps.runs.insert({
    runId: response.run_id,
    organizationId,
    kind: WORKFLOW_RUN_KIND,
    runType: 'workflow_run',
    engineWorkflow: response.workflow_permanent_id,
    engineInstanceId: response.run_id,
    status: response.status as 'queued',
    title: request.title ?? response.workflow_title,
    webhookUrl: request.webhook_url ?? request.webhook_callback_url ?? null,
    workflowPermanentId: response.workflow_permanent_id,
    workflowId: response.workflow_id,
    developerUserId: response.developer_user_id,
    browserSessionId: request.browser_session_id ?? null,
    triggerType: extra.triggerType ?? 'api',
    createdAt: new Date(response.created_at),
    totpIdentifiers: workflowTotpIdentifiers({ request: request as never }, extra.definition),
  });
}
