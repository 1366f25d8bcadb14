// The variables a block's templates see (skyvern.md §2.5), converted once into the Jinja runtime's
// own values so that loops rendering many templates do not convert block outputs again.
//
// Precedence when names collide (later wins): built-ins < block outputs < parameters < loop
// variables. Save-time validation warns about such collisions.
//
// `<label>_output` is the block's raw output value. `<label>` is the same object plus `output`,
// which is the block's `extracted_information` when it has one and the raw value otherwise. On both,
// an attribute the output does not have is read from its `extracted_information` (when that is an
// object): `{{ extract_orders_output.orders }}` is `extract_orders_output.extracted_information.orders`.
// Only explicit attribute and subscript access falls back; printing `{{ label_output }}` shows the
// raw output.
import { jinja } from './jinja-library.ts';
import type { JinjaEnvironment } from './jinja-library.ts';
import { createRootEnvironment } from './jinja-sandbox.ts';

/** Names Petrel defines in every template context (besides Jinja's own globals). */
export const BUILTIN_TEMPLATE_VARIABLES = [
  'workflow_title',
  'workflow_id',
  'workflow_permanent_id',
  'workflow_run_id',
  'current_date',
  'browser_session_id',
  'workflow_run_outputs',
  'workflow_run_summary',
] as const;

/** Names defined only inside a loop body. */
export const LOOP_TEMPLATE_VARIABLES = ['current_value', 'current_item', 'current_index'] as const;

/** What a block's templates can see. */
export type TemplateContextInput = {
  /** Resolved parameter values by key (workflow, context and credential parameters). */
  parameters?: Record<string, unknown>;
  /** Raw output values of the blocks that have finished, by label. */
  blockOutputs?: Record<string, unknown>;
  /** The current loop iteration, inside a for_loop or while_loop. */
  loop?: LoopVariables;
  /** The workflow and run this render belongs to. */
  workflow?: {
    title?: string;
    workflowId?: string;
    workflowPermanentId?: string;
    workflowRunId?: string;
  };
  /** The persistent browser session of the run, if any. */
  browserSessionId?: string;
  /** A text summary of the run so far. */
  workflowRunSummary?: string;
  /** The clock for `current_date` (UTC, `YYYY-MM-DD`); defaults to now. */
  now?: Date;
};

/** Loop variables: `current_value` (alias `current_item`) and the 0-based `current_index`. */
export type LoopVariables = { value: unknown; index: number };

const contextBrand: unique symbol = Symbol('petrel.templateContext');

/** A prepared template context; build one with `createTemplateContext`. */
export type TemplateContext = {
  readonly [contextBrand]: true;
  /** The same context with loop variables set (the parent's conversions are reused). */
  withLoop(loop: LoopVariables): TemplateContext;
  /** True when a top-level name is defined in this context. */
  has(name: string): boolean;
};

type ContextInternals = { environment: JinjaEnvironment; blockOutputs: WeakSet<object>; names: ReadonlySet<string> };
const internals = new WeakMap<TemplateContext, ContextInternals>();

/** True when `value` is a context made by `createTemplateContext`. */
export function isTemplateContext(value: unknown): value is TemplateContext {
  return typeof value === 'object' && value !== null && internals.has(value as TemplateContext);
}

/** Internal: the environment and block-output marks of a context. */
export function getContextInternals(context: TemplateContext): ContextInternals {
  const found = internals.get(context);
  if (found === undefined) throw new TypeError('not a template context made by createTemplateContext');
  return found;
}

function makeContext(value: ContextInternals): TemplateContext {
  const context: TemplateContext = {
    [contextBrand]: true,
    withLoop: (loop) => {
      const environment = new jinja.Environment(value.environment);
      const names = new Set(value.names);
      for (const [name, item] of Object.entries(loopEntries(loop))) {
        environment.set(name, toTemplateData(item));
        names.add(name);
      }
      return makeContext({ environment, blockOutputs: value.blockOutputs, names });
    },
    has: (name) => value.names.has(name),
  };
  internals.set(context, value);
  return context;
}

function loopEntries(loop: LoopVariables): Record<string, unknown> {
  return { current_value: loop.value, current_item: loop.value, current_index: loop.index };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Copies a value into plain JSON-like data for templates: functions, symbols and class instances
 * without `toJSON` are dropped (a host function would otherwise become callable from a template),
 * dates become ISO strings, bigints strings, and cycles are cut.
 */
export function toTemplateData(value: unknown, seen: Set<object> = new Set(), depth = 0): unknown {
  if (value === null || value === undefined) return value;
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'function':
    case 'symbol':
      return undefined;
    case 'object':
    case 'undefined':
      break;
  }
  const object = value;
  if (seen.has(object) || depth > 200) return undefined;
  if (object instanceof Date) return Number.isNaN(object.getTime()) ? null : object.toISOString();
  seen.add(object);
  try {
    if (Array.isArray(object)) return object.map((item: unknown) => toTemplateData(item, seen, depth + 1) ?? null);
    if (!isPlainObject(object)) {
      const toJSON = (object as { toJSON?: unknown }).toJSON;
      return typeof toJSON === 'function' ? toTemplateData((toJSON as () => unknown).call(object), seen, depth + 1) : undefined;
    }
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(object)) {
      const data = toTemplateData(item, seen, depth + 1);
      if (data !== undefined) Object.defineProperty(copy, key, { value: data, enumerable: true, writable: true, configurable: true });
    }
    return copy;
  } finally {
    seen.delete(object);
  }
}

/** The `<label>` view of a block output: the output plus `output` (its extracted data, or itself). */
function labelView(output: unknown): unknown {
  if (isPlainObject(output)) {
    const extracted = output['extracted_information'];
    return { ...output, output: extracted === undefined ? output : extracted };
  }
  return { output };
}

/** Prepares the variables of §2.5 for rendering. */
export function createTemplateContext(input: TemplateContextInput = {}): TemplateContext {
  const environment = createRootEnvironment();
  const blockOutputs = new WeakSet<object>();
  const entries = new Map<string, { value: unknown; blockOutput: boolean }>();
  const now = input.now ?? new Date();
  const outputs = input.blockOutputs ?? {};
  const builtins: Record<string, unknown> = {
    workflow_title: input.workflow?.title,
    workflow_id: input.workflow?.workflowId,
    workflow_permanent_id: input.workflow?.workflowPermanentId,
    workflow_run_id: input.workflow?.workflowRunId,
    current_date: now.toISOString().slice(0, 10),
    browser_session_id: input.browserSessionId,
    workflow_run_outputs: outputs,
    workflow_run_summary: input.workflowRunSummary,
  };
  for (const [name, value] of Object.entries(builtins)) {
    if (value !== undefined) entries.set(name, { value, blockOutput: false });
  }
  for (const [label, output] of Object.entries(outputs)) {
    entries.set(`${label}_output`, { value: output, blockOutput: true });
    entries.set(label, { value: labelView(output), blockOutput: true });
  }
  for (const [key, value] of Object.entries(input.parameters ?? {})) entries.set(key, { value, blockOutput: false });
  if (input.loop !== undefined) {
    for (const [name, value] of Object.entries(loopEntries(input.loop))) entries.set(name, { value, blockOutput: false });
  }
  for (const [name, entry] of entries) {
    if (environment.variables.has(name)) environment.variables.delete(name);
    const runtime = environment.set(name, toTemplateData(entry.value));
    if (entry.blockOutput && runtime.type === 'ObjectValue') blockOutputs.add(runtime);
  }
  return makeContext({ environment, blockOutputs, names: new Set(entries.keys()) });
}
