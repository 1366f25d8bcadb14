// `petrel workflows create|update|list|get|versions|delete|run`: block workflows (Skyvern's YAML or
// JSON, or seed 000's `{ name, tasks }`). A definition file is sent as written: YAML as YAML (errors
// come back with line and column), JSON as JSON. `run` takes parameters from `--params-file` and
// `--param key=value` (later ones win) and, with `--wait`, shows the run live.
import type { Command } from 'commander';
import type { Petrel } from '@petrel/sdk';
import type { CommandContext } from '../cli-context.ts';
import { usageError } from '../cli-errors.ts';
import type { ActionRunner } from '../cli-program.ts';
import { collect, parseKeyValue, parsePositiveInt, readJsonArgument, readTextArgument } from '../option-parsers.ts';
import { formatTime, printRecord, printTable, prettyJson } from '../output-format.ts';
import { startedRun, withWaitOptions } from './run-commands.ts';
import type { WaitOptions } from './run-commands.ts';

type CreateWorkflowParams = Parameters<Petrel['createWorkflow']>[0];
type WorkflowDefinitionParams = Parameters<Petrel['updateWorkflow']>[1];
type Workflow = Awaited<ReturnType<Petrel['getWorkflow']>>;

/** Reads a definition file: JSON (by extension or a leading `{`) as an object, anything else as YAML text. */
async function readDefinition(ctx: CommandContext, path: string): Promise<CreateWorkflowParams> {
  const text = await readTextArgument(path, 'definition', ctx.io.stdin);
  if (text.trim() === '') throw usageError(`${path}: the definition is empty`);
  const looksJson = path.toLowerCase().endsWith('.json') || text.trimStart().startsWith('{');
  if (!looksJson) return { yamlDefinition: text };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw usageError(`${path}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw usageError(`${path}: a workflow definition is a JSON object`);
  const object = parsed as Record<string, unknown>;
  // Skyvern's request envelope, seed 000's task list, or a bare definition.
  if (typeof object['yaml_definition'] === 'string') return { yamlDefinition: object['yaml_definition'] };
  if (typeof object['json_definition'] === 'object' && object['json_definition'] !== null) return { jsonDefinition: object['json_definition'] as Record<string, unknown> };
  if (Array.isArray(object['tasks']) && typeof object['name'] === 'string') return object as unknown as CreateWorkflowParams;
  return { jsonDefinition: object };
}

function asDefinition(params: CreateWorkflowParams): WorkflowDefinitionParams {
  if ('yamlDefinition' in params && typeof params.yamlDefinition === 'string') return { yamlDefinition: params.yamlDefinition };
  if ('jsonDefinition' in params && params.jsonDefinition !== undefined) return { jsonDefinition: params.jsonDefinition };
  throw usageError('an update takes a workflow definition (YAML or JSON), not a task list');
}

function textOf(value: unknown, fallback: string): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : fallback;
}

function blocksOf(workflow: Workflow): Array<{ label: string; type: string }> {
  const blocks: unknown = workflow.workflowDefinition['blocks'];
  if (!Array.isArray(blocks)) return [];
  return blocks.map((block: Record<string, unknown>) => ({ label: textOf(block['label'], '?'), type: textOf(block['block_type'] ?? block['blockType'], '?') }));
}

function parametersOf(workflow: Workflow): string[] {
  const parameters: unknown = workflow.workflowDefinition['parameters'];
  if (!Array.isArray(parameters)) return [];
  return parameters
    .filter((parameter: Record<string, unknown>) => parameter['parameter_type'] === undefined || parameter['parameter_type'] === 'workflow')
    .map((parameter: Record<string, unknown>) => {
      const fallback = parameter['default_value'];
      return `${textOf(parameter['key'], '?')} (${textOf(parameter['workflow_parameter_type'], 'any')}${fallback === undefined || fallback === null ? '' : `, default ${JSON.stringify(fallback)}`})`;
    });
}

function printWorkflow(ctx: CommandContext, workflow: Workflow, withDefinition = false): void {
  printRecord(ctx, [
    ['workflow', workflow.workflowPermanentId],
    ['title', workflow.title],
    ['version', `${workflow.version} (${workflow.workflowId})`],
    ['status', workflow.status],
    ['description', workflow.description ?? undefined],
    ['parameters', parametersOf(workflow).join(', ') || undefined],
    ['blocks', blocksOf(workflow).map((block) => `${block.label} (${block.type})`).join(', ') || undefined],
    ['modified', formatTime(workflow.modifiedAt)],
  ]);
  if (withDefinition) {
    ctx.print('definition:');
    ctx.print(prettyJson(workflow.workflowDefinition));
  }
}

function warn(ctx: CommandContext, workflow: Workflow): void {
  for (const warning of workflow.warnings) {
    ctx.note(`warning: ${warning.path}${warning.line === undefined ? '' : ` (line ${warning.line}${warning.column === undefined ? '' : `, column ${warning.column}`})`}: ${warning.message}`);
  }
}

type RunOptions = WaitOptions & {
  param?: string[];
  paramsFile?: string;
  user?: string;
  title?: string;
  webhookUrl?: string;
  session?: string;
  profile?: string;
  maxSteps?: number;
};

/** Registers `workflows` and its subcommands. */
export function registerWorkflowCommands(program: Command, run: ActionRunner): void {
  const workflows = program.command('workflows').alias('agents').description('block workflows: create from YAML/JSON, version, run');

  workflows
    .command('create')
    .description('create a workflow from a YAML or JSON file (- reads stdin); prints its id (wpid_…)')
    .argument('<file>', 'definition: Skyvern YAML/JSON, or seed 000 {"name", "tasks"}')
    .option('--folder <fld_id>', 'put it in this folder')
    .action(
      run<{ folder?: string }>(async (ctx, [file = ''], options) => {
        const params = await readDefinition(ctx, file);
        const client = await ctx.client();
        const created = await client.createWorkflow({ ...params, ...(options.folder === undefined ? {} : { folderId: options.folder }) }, ctx.requestOptions);
        warn(ctx, created);
        ctx.result(created, () => {
          ctx.print(`${created.workflowPermanentId} version ${created.version}: ${created.title}`);
          ctx.note(`run it: petrel workflows run ${created.workflowPermanentId} --param key=value --wait`);
        });
      }),
    );

  workflows
    .command('update')
    .description('save a new version of a workflow from a YAML or JSON file (runs started before keep theirs)')
    .argument('<workflow_id>', 'wpid_…')
    .argument('<file>', 'definition file (- reads stdin)')
    .action(
      run(async (ctx, [workflowId = '', file = '']) => {
        const params = asDefinition(await readDefinition(ctx, file));
        const client = await ctx.client();
        const updated = await client.updateWorkflow(workflowId, params, ctx.requestOptions);
        warn(ctx, updated);
        ctx.result(updated, () => ctx.print(`${updated.workflowPermanentId} version ${updated.version}: ${updated.title}`));
      }),
    );

  workflows
    .command('list')
    .description('list workflows (the latest version of each)')
    .option('--search <text>', 'search titles')
    .option('--saved-tasks', 'only saved tasks')
    .option('--page <n>', 'page number', parsePositiveInt)
    .option('--page-size <n>', 'workflows per page', parsePositiveInt)
    .action(
      run<{ search?: string; savedTasks?: boolean; page?: number; pageSize?: number }>(async (ctx, _args, options) => {
        const client = await ctx.client();
        const list = await client.getWorkflows(
          {
            ...(options.search === undefined ? {} : { searchKey: options.search }),
            ...(options.savedTasks === true ? { onlySavedTasks: true } : {}),
            ...(options.page === undefined ? {} : { page: options.page }),
            ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
          },
          ctx.requestOptions,
        );
        ctx.result(list, () =>
          printTable(
            ctx,
            list,
            [
              { header: 'workflow', value: (workflow) => workflow.workflowPermanentId },
              { header: 'version', value: (workflow) => workflow.version },
              { header: 'blocks', value: (workflow) => blocksOf(workflow).length },
              { header: 'modified', value: (workflow) => formatTime(workflow.modifiedAt) },
              { header: 'title', value: (workflow) => workflow.title, maxWidth: 60 },
            ],
            'no workflows',
          ),
        );
      }),
    );

  workflows
    .command('get')
    .description('show a workflow: title, version, parameters, blocks (--definition prints it whole)')
    .argument('<workflow_id>', 'wpid_…')
    .argument('[version]', 'this version instead of the latest', parsePositiveInt)
    .option('--definition', 'also print the definition')
    .action(
      run<{ definition?: boolean }>(async (ctx, [workflowId = '', version], options) => {
        const client = await ctx.client();
        const workflow = await client.getWorkflow(workflowId, version === undefined ? {} : { version: Number(version) }, ctx.requestOptions);
        ctx.result(workflow, () => printWorkflow(ctx, workflow, options.definition === true));
      }),
    );

  workflows
    .command('versions')
    .description('list every version of a workflow')
    .argument('<workflow_id>', 'wpid_…')
    .action(
      run(async (ctx, [workflowId = '']) => {
        const client = await ctx.client();
        const versions = await client.getWorkflowVersions(workflowId, ctx.requestOptions);
        ctx.result(versions, () =>
          printTable(ctx, versions, [
            { header: 'version', value: (workflow) => workflow.version },
            { header: 'id', value: (workflow) => workflow.workflowId },
            { header: 'created', value: (workflow) => formatTime(workflow.createdAt) },
            { header: 'blocks', value: (workflow) => blocksOf(workflow).length },
            { header: 'title', value: (workflow) => workflow.title, maxWidth: 60 },
          ]),
        );
      }),
    );

  workflows
    .command('delete')
    .description('delete a workflow (every version) and its schedules; its runs stay readable')
    .argument('<workflow_id>', 'wpid_…')
    .action(
      run(async (ctx, [workflowId = '']) => {
        const client = await ctx.client();
        await client.deleteWorkflow(workflowId, ctx.requestOptions);
        ctx.result({ deleted: workflowId }, () => ctx.print(`deleted ${workflowId}`));
      }),
    );

  withWaitOptions(
    workflows
      .command('run')
      .description('run a workflow with parameters; --wait shows it live and exits 1 unless it completed')
      .argument('<workflow_id>', 'wpid_…')
      .option('-p, --param <key=value>', 'a parameter (repeatable); the server converts the text to the parameter\'s type', collect)
      .option('--params-file <file>', 'parameters as a JSON object (- reads stdin); --param values win')
      .option('--user <id>', 'the end user the run is for (developer_user_id)')
      .option('--title <title>', 'title of the run')
      .option('--webhook-url <url>', 'POST the finished run here (signed)')
      .option('--session <pbs_id>', 'run in this persistent browser session')
      .option('--profile <bp_id>', 'start the browser from this profile')
      .option('--max-steps <n>', 'most agent steps of each browser block', parsePositiveInt),
  )
    .addHelpText('after', '\nExamples:\n  petrel workflows run wpid_01K… --param portal_url=https://portal.example --param login=cred_01K… --wait\n  petrel workflows run wpid_01K… --params-file params.json --json')
    .action(
      run<RunOptions>(async (ctx, [workflowId = ''], options) => {
        let parameters: Record<string, unknown> = {};
        if (options.paramsFile !== undefined) {
          const fromFile = await readJsonArgument(options.paramsFile, '--params-file', ctx.io.stdin);
          if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) throw usageError('--params-file: expected a JSON object of parameters');
          parameters = { ...(fromFile as Record<string, unknown>) };
        }
        for (const pair of options.param ?? []) {
          const [key, value] = parseKeyValue(pair, '--param');
          parameters[key] = value;
        }
        const client = await ctx.client();
        const started = await client.runWorkflow(
          {
            workflowId,
            parameters,
            ...(options.user === undefined ? {} : { developerUserId: options.user }),
            ...(options.title === undefined ? {} : { title: options.title }),
            ...(options.webhookUrl === undefined ? {} : { webhookUrl: options.webhookUrl }),
            ...(options.session === undefined ? {} : { browserSessionId: options.session }),
            ...(options.profile === undefined ? {} : { browserProfileId: options.profile }),
            ...(options.maxSteps === undefined ? {} : { maxStepsOverride: options.maxSteps }),
          },
          ctx.requestOptions,
        );
        await startedRun(ctx, client, started, options);
      }),
    );
}
