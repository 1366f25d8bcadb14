// Seed 000's simple workflow, `{ name, tasks: [{ instructions?, target_url?, task_id? }] }`,
// compiled to an ordinary block workflow (then parsed and validated like any other).
//
// Mapping, for the task at position i (1-based):
// - `instructions` becomes a `task` block labelled `task_<i>` with `navigation_goal: instructions`.
//   A `task` block (not `navigation`) because it is Skyvern's all-in-one block: the same block a
//   saved task holds, and it can carry an extraction goal when a saved task has one.
// - `target_url` as a string becomes the block's `url`. Without it the block starts where the
//   previous step left the shared browser (an empty `url`).
// - `target_url` as a list becomes a `for_loop` labelled `task_<i>` over a `json` workflow
//   parameter `task_<i>_target_urls` (its default is the list, so a run may override it), whose body
//   is the task block `task_<i>_page` with `url: "{{ current_value }}"`: the same instructions on
//   each page, each page a durable step.
// - `task_id` names a saved task (Skyvern's `is_saved_task` workflows), resolved through the
//   injected `findSavedTask`; its fields fill the task block and its parameters join the workflow's.
//   A `target_url` given with it overrides the saved task's URL.
import { PetrelError, TaskListWorkflowSchema } from '@petrel/protocol';
import type { BlockWorkflowParameter, TaskListStep } from '@petrel/protocol';
import { parseWorkflowDefinition } from '../definition/parse-definition.ts';
import type { ParsedWorkflowDefinition } from '../definition/parse-definition.ts';
import { formatIssuePath } from '../definition/definition-issue.ts';
import type { DefinitionIssue } from '../definition/definition-issue.ts';

/** A saved task: the fields of a task block, and the parameters its templates use. */
export type SavedTask = {
  title?: string | null;
  url?: string | null;
  navigation_goal?: string | null;
  data_extraction_goal?: string | null;
  data_schema?: unknown;
  error_code_mapping?: Record<string, string> | null;
  max_steps_per_run?: number | null;
  complete_criterion?: string | null;
  terminate_criterion?: string | null;
  totp_identifier?: string | null;
  totp_verification_url?: string | null;
  parameter_keys?: string[] | null;
  /** Parameters the saved task declares; they are added to the workflow's (same key must mean the same parameter). */
  parameters?: BlockWorkflowParameter[];
};

/** Options of `compileTaskListWorkflow`. */
export type CompileTaskListOptions = {
  /** Looks up a saved task by id; undefined when there is none. Required when a task uses `task_id`. */
  findSavedTask?: (taskId: string, options: { signal?: AbortSignal }) => Promise<SavedTask | undefined>;
  /** Aborts pending lookups. */
  signal?: AbortSignal;
};

function fail(issues: DefinitionIssue[]): never {
  const first = issues[0];
  const summary = first === undefined ? 'invalid task list' : `${first.path}: ${first.message}`;
  throw new PetrelError('VALIDATION_FAILED', `workflows.compileTaskList: ${issues.length > 1 ? `${issues.length} problems; first: ${summary}` : summary}`, {
    details: issues,
  });
}

function withoutEmpty<T extends Record<string, unknown>>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined && value !== null)) as Partial<T>;
}

/**
 * Compiles a seed-000 task list to a block workflow and validates it. Throws
 * `PetrelError('VALIDATION_FAILED')` with `details` such as `{ path: 'tasks[1].task_id', message }`
 * for a malformed list or an unknown saved task.
 */
export async function compileTaskListWorkflow(input: unknown, options: CompileTaskListOptions = {}): Promise<ParsedWorkflowDefinition> {
  const parsed = TaskListWorkflowSchema.safeParse(input);
  if (!parsed.success) {
    fail(
      parsed.error.issues.map((issue) => ({
        path: formatIssuePath(issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol')),
        message: issue.message.replace(/^Invalid input: /, ''),
      })),
    );
  }
  const list = parsed.data;
  const parameters: BlockWorkflowParameter[] = [];
  const blocks: Record<string, unknown>[] = [];
  const problems: DefinitionIssue[] = [];

  const addParameter = (parameter: BlockWorkflowParameter, path: string): void => {
    const existing = parameters.find((candidate) => candidate.key === parameter.key);
    if (existing === undefined) parameters.push(parameter);
    else if (JSON.stringify(existing) !== JSON.stringify(parameter)) {
      problems.push({ path, message: `parameter '${parameter.key}' of this saved task differs from one already declared by another task` });
    }
  };

  for (const [index, step] of list.tasks.entries()) {
    const position = index + 1;
    const label = `task_${position}`;
    const path = `tasks[${index}]`;
    let fields: Record<string, unknown>;
    if (step.task_id != null) {
      const saved = await lookUp(step, options, path, problems);
      if (saved === undefined) continue;
      for (const parameter of saved.parameters ?? []) addParameter(parameter, `${path}.task_id`);
      fields = withoutEmpty({ ...saved, parameters: undefined });
    } else {
      fields = { navigation_goal: step.instructions ?? '' };
    }
    const targets = step.target_url;
    if (Array.isArray(targets)) {
      const listKey = `${label}_target_urls`;
      addParameter(
        {
          key: listKey,
          parameter_type: 'workflow',
          workflow_parameter_type: 'json',
          default_value: targets,
          description: `Start pages of task ${position}`,
        },
        `${path}.target_url`,
      );
      blocks.push({
        block_type: 'for_loop',
        label,
        loop_over_parameter_key: listKey,
        loop_blocks: [{ ...fields, block_type: 'task', label: `${label}_page`, url: '{{ current_value }}' }],
      });
    } else {
      blocks.push({ ...fields, block_type: 'task', label, ...(typeof targets === 'string' ? { url: targets } : {}) });
    }
  }
  if (problems.length > 0) fail(problems);

  return parseWorkflowDefinition({
    title: list.name,
    ...(list.description == null ? {} : { description: list.description }),
    workflow_definition: { parameters, blocks },
  });
}

async function lookUp(step: TaskListStep, options: CompileTaskListOptions, path: string, problems: DefinitionIssue[]): Promise<SavedTask | undefined> {
  const taskId = step.task_id as string;
  if (options.findSavedTask === undefined) {
    problems.push({ path: `${path}.task_id`, message: 'saved tasks cannot be resolved here (no findSavedTask lookup was given)' });
    return undefined;
  }
  options.signal?.throwIfAborted();
  const saved = await options.findSavedTask(taskId, options.signal === undefined ? {} : { signal: options.signal });
  if (saved === undefined) problems.push({ path: `${path}.task_id`, message: `no saved task '${taskId}'` });
  return saved;
}
