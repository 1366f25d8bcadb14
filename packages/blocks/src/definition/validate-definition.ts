// Save-time checks of a definition that has the right shape: identifiers and unique labels (nested
// loop blocks included), version detection, `finally_block_label`, `next_block_label` and branch
// targets, parameter references, and every `{{ … }}` in every templated field (collected on the
// template engine's syntax tree) against what can exist when that block runs: parameters, built-in
// variables, loop variables inside loops, and `<label>_output` / `<label>` of blocks that can have
// run before it. Problems a run would hit later are reported now.
import type { Block, BlockWorkflowCreateRequest, BlockWorkflowParameter, ForLoopBlock, WhileLoopBlock } from '@petrel/protocol';
import { isPetrelError } from '@petrel/protocol';
import { JINJA_GLOBALS } from '../templating/jinja-sandbox.ts';
import { checkTemplateSyntax } from '../templating/render-template.ts';
import { BUILTIN_TEMPLATE_VARIABLES, LOOP_TEMPLATE_VARIABLES } from '../templating/template-context.ts';
import { findTemplateVariables } from '../templating/template-variables.ts';
import { coerceParameterValue } from '../parameters/coerce-parameter.ts';
import { isVaultParameter, VAULT_INTEGRATIONS } from '../parameters/run-parameters.ts';
import { isLoopBlock, listTemplatedStrings, outputParameterKey, UNSUPPORTED_BLOCK_TYPES, walkBlocks } from './block-fields.ts';
import type { BlockPlace } from './block-fields.ts';
import { findCycles, reachableBlocks, reachableFrom, routeBlocks, usesGraphRouting } from './block-routing.ts';
import { didYouMean } from './closest-name.ts';
import { formatIssuePath } from './definition-issue.ts';
import type { IssuePath, RawIssue, WarningCode } from './definition-issue.ts';
import { isIdentifier } from './sanitize-identifiers.ts';

/** The outcome of the semantic checks. */
export type SemanticResult = { errors: RawIssue[]; warnings: RawIssue[]; version: number };

const BUILTINS: ReadonlySet<string> = new Set(BUILTIN_TEMPLATE_VARIABLES);
const LOOP_VARIABLES: ReadonlySet<string> = new Set(LOOP_TEMPLATE_VARIABLES);
const CREDENTIAL_KINDS: ReadonlySet<string> = new Set([
  'credential',
  'bitwarden_login_credential',
  'onepassword',
  'azure_vault_credential',
]);

/** What a templated field may reference. */
type NameScope = {
  /** Labels whose outputs exist when the field is rendered. */
  available: ReadonlySet<string>;
  /** Labels whose outputs exist only from a previous loop iteration. */
  previousIteration: ReadonlySet<string>;
  /** Inside a loop body (loop variables defined). */
  inLoop: boolean;
  /** Parameters only (workflow-level keys rendered before any block runs). */
  parametersOnly?: boolean;
  /** The label of the block the field belongs to. */
  self?: string;
};

class Validator {
  readonly errors: RawIssue[] = [];
  readonly warnings: RawIssue[] = [];
  readonly parameters = new Map<string, { parameter: BlockWorkflowParameter; index: number }>();
  readonly labels = new Map<string, BlockPlace>();
  readonly request: BlockWorkflowCreateRequest;
  version = 1;

  constructor(request: BlockWorkflowCreateRequest) {
    this.request = request;
  }

  error(path: IssuePath, message: string): void {
    this.errors.push({ path, message });
  }

  warn(path: IssuePath, code: WarningCode, message: string): void {
    this.warnings.push({ path, message, code });
  }

  get definition(): BlockWorkflowCreateRequest['workflow_definition'] {
    return this.request.workflow_definition;
  }

  run(): SemanticResult {
    this.collectLabels();
    this.collectParameters();
    this.checkParameters();
    this.checkVersion();
    this.checkFinallyBlock();
    const finallyLabel = this.definition.finally_block_label ?? undefined;
    this.checkList(this.definition.blocks, ['workflow_definition', 'blocks'], { available: new Set(), loops: [], finallyLabel });
    this.checkWorkflowTemplates();
    return { errors: this.errors, warnings: this.warnings, version: this.version };
  }

  collectLabels(): void {
    walkBlocks(this.definition.blocks, (place) => {
      const { label } = place.block;
      const path = [...place.path, 'label'];
      if (label.trim() === '') {
        this.error(path, 'a block label cannot be empty');
        return;
      }
      if (!isIdentifier(label)) {
        this.error(path, `label '${label}' is not an identifier (letters, digits and _, not starting with a digit)`);
      }
      const first = this.labels.get(label);
      if (first === undefined) this.labels.set(label, place);
      else this.error(path, `label '${label}' is already used by the block at ${formatIssuePath(first.path)}; labels must be unique, loop blocks included`);
    });
  }

  collectParameters(): void {
    this.definition.parameters.forEach((parameter, index) => {
      const path = ['workflow_definition', 'parameters', index, 'key'];
      if (!isIdentifier(parameter.key)) {
        this.error(path, `parameter key '${parameter.key}' is not an identifier (letters, digits and _, not starting with a digit)`);
      }
      if (this.parameters.has(parameter.key)) this.error(path, `parameter key '${parameter.key}' is declared twice`);
      else this.parameters.set(parameter.key, { parameter, index });
    });
  }

  /** True when `key` names a declared parameter or a block output (`<label>_output`). */
  isParameterOrOutput(key: string): boolean {
    return this.parameters.has(key) || (key.endsWith('_output') && this.labels.has(key.slice(0, -'_output'.length)));
  }

  parameterNames(): string[] {
    return [...this.parameters.keys(), ...[...this.labels.keys()].map(outputParameterKey)];
  }

  checkParameters(): void {
    for (const { parameter, index } of this.parameters.values()) {
      const base = ['workflow_definition', 'parameters', index];
      const { key } = parameter;
      if (parameter.parameter_type === 'output') {
        if (!(key.endsWith('_output') && this.labels.has(key.slice(0, -'_output'.length)))) {
          this.warn([...base, 'key'], 'unused_output_parameter', `output parameter '${key}' matches no block (block outputs are named <label>_output)`);
        }
      } else {
        if (key.endsWith('_output') && this.labels.has(key.slice(0, -'_output'.length))) {
          this.error([...base, 'key'], `parameter '${key}' has the name of the output of block '${key.slice(0, -'_output'.length)}'`);
        } else if (this.labels.has(key)) {
          this.warn([...base, 'key'], 'name_collision', `parameter '${key}' has the name of a block label; in templates the parameter wins`);
        }
        if (BUILTINS.has(key) || LOOP_VARIABLES.has(key) || JINJA_GLOBALS.has(key)) {
          this.warn([...base, 'key'], 'name_collision', `parameter '${key}' has the name of a built-in template variable`);
        }
      }
      if (parameter.parameter_type === 'workflow') {
        if (parameter.default_value !== undefined && parameter.default_value !== null) {
          const coerced = coerceParameterValue(parameter.workflow_parameter_type, parameter.default_value);
          if (!coerced.ok) this.error([...base, 'default_value'], `default value does not fit ${parameter.workflow_parameter_type}: ${coerced.message}`);
        }
      } else if (parameter.parameter_type === 'context') {
        if (parameter.source_parameter_key === key) {
          this.error([...base, 'source_parameter_key'], `context parameter '${key}' cannot be its own source`);
        } else if (!this.isParameterOrOutput(parameter.source_parameter_key)) {
          this.error(
            [...base, 'source_parameter_key'],
            `unknown source '${parameter.source_parameter_key}': not a parameter or a block output${didYouMean(parameter.source_parameter_key, this.parameterNames())}`,
          );
        }
      } else if (parameter.parameter_type === 'bitwarden_login_credential') {
        const urlKey = parameter.url_parameter_key;
        if (urlKey != null && urlKey !== '' && !this.parameters.has(urlKey)) {
          this.error([...base, 'url_parameter_key'], `unknown parameter '${urlKey}'${didYouMean(urlKey, this.parameters.keys())}`);
        }
      }
      if (isVaultParameter(parameter)) {
        this.warn(
          [...base, 'parameter_type'],
          'vault_parameter',
          `${parameter.parameter_type} parameters need the ${VAULT_INTEGRATIONS[parameter.parameter_type]} integration, which Petrel does not have; a run fails with INTEGRATION_NOT_CONFIGURED when a block uses '${key}'`,
        );
      }
    }
  }

  checkVersion(): void {
    const graph = usesGraphRouting(this.definition.blocks);
    const declared = this.definition.version ?? undefined;
    if (declared === undefined) {
      this.version = graph ? 2 : 1;
      return;
    }
    this.version = declared;
    if (declared < 2 && graph) {
      this.error(
        ['workflow_definition', 'version'],
        'version must be 2 or more when the top-level blocks use a conditional block or next_block_label (omit version to detect it)',
      );
    }
  }

  checkFinallyBlock(): void {
    const label = this.definition.finally_block_label;
    if (label === null || label === undefined) return;
    const path = ['workflow_definition', 'finally_block_label'];
    const topLevel = this.definition.blocks.map((block) => block.label);
    if (!topLevel.includes(label)) {
      if (this.labels.has(label)) this.error(path, `finally_block_label '${label}' names a block inside a loop; it must name a top-level block`);
      else this.error(path, `finally_block_label '${label}' names no block${didYouMean(label, topLevel)}`);
      return;
    }
    const block = this.definition.blocks.find((candidate) => candidate.label === label);
    if (block !== undefined && (block.next_block_label ?? '') !== '') {
      const index = this.definition.blocks.indexOf(block);
      this.warn(['workflow_definition', 'blocks', index, 'next_block_label'], 'ignored_field', 'the finally block runs last; its next_block_label is ignored');
    }
  }

  /**
   * Checks one list of blocks. `available` holds the labels whose outputs exist before the list
   * starts; inside a loop, `loops` holds the loops around it.
   */
  checkList(
    blocks: readonly Block[],
    basePath: IssuePath,
    context: { available: ReadonlySet<string>; loops: readonly (ForLoopBlock | WhileLoopBlock)[]; finallyLabel?: string | undefined },
  ): void {
    const routing = routeBlocks(blocks, context.finallyLabel);
    const siblings = new Set(blocks.map((block) => block.label));
    const pathOf = (label: string): IssuePath => [...basePath, blocks.findIndex((block) => block.label === label)];
    const checkTarget = (target: string | null | undefined, path: IssuePath, owner: string): void => {
      if (target === null || target === undefined || target === '') return;
      if (siblings.has(target)) {
        if (target === context.finallyLabel) this.warn(path, 'ignored_field', `'${owner}' routes to the finally block '${target}', which then runs twice`);
        return;
      }
      const where = this.labels.has(target) ? ` ('${target}' is in another list of blocks; routing stays within one list)` : didYouMean(target, siblings);
      this.error(path, `next_block_label '${target}' names no block in this list${where}`);
    };
    blocks.forEach((block, index) => {
      const path = [...basePath, index];
      if (block.label === context.finallyLabel) return;
      checkTarget(block.next_block_label, [...path, 'next_block_label'], block.label);
      if (block.block_type === 'conditional') {
        block.branch_conditions.forEach((branch, branchIndex) =>
          checkTarget(branch.next_block_label, [...path, 'branch_conditions', branchIndex, 'next_block_label'], block.label),
        );
      }
    });

    const reached = reachableBlocks(routing);
    for (const block of routing.flow) {
      if (!reached.has(block.label)) {
        this.warn([...pathOf(block.label), 'label'], 'unreachable_block', `block '${block.label}' can never run: no route leads to it`);
      }
    }
    for (const cycle of findCycles(routing)) {
      const exits = cycle.some((label) => {
        const block = blocks.find((candidate) => candidate.label === label);
        return block?.block_type === 'conditional' || (routing.successors.get(label) ?? []).some((next) => !cycle.includes(next));
      });
      if (!exits) {
        this.warn([...pathOf(cycle[0] as string), 'next_block_label'], 'cycle_without_exit', `blocks ${cycle.map((label) => `'${label}'`).join(', ')} form a cycle with no way out`);
      }
    }

    const reach = new Map(routing.flow.map((other) => [other.label, reachableFrom(routing, other.label)]));
    const inLoop = context.loops.length > 0;
    const allInList = new Set<string>();
    for (const block of blocks) for (const label of subtreeLabels(block)) allInList.add(label);
    blocks.forEach((block, index) => {
      const path = [...basePath, index];
      if (block.label === context.finallyLabel) {
        const everything = new Set(this.labels.keys());
        everything.delete(block.label);
        this.checkBlock(block, path, { available: everything, previousIteration: new Set(), inLoop: false, self: block.label }, context.loops);
        return;
      }
      const available = new Set(context.available);
      for (const other of routing.flow) {
        if (reach.get(other.label)?.has(block.label) === true) for (const label of subtreeLabels(other)) available.add(label);
      }
      const previousIteration = new Set<string>();
      if (inLoop) for (const label of allInList) if (!available.has(label)) previousIteration.add(label);
      this.checkBlock(block, path, { available, previousIteration, inLoop, self: block.label }, context.loops);
    });
  }

  checkBlock(block: Block, path: IssuePath, scope: NameScope, loops: readonly (ForLoopBlock | WhileLoopBlock)[]): void {
    if (UNSUPPORTED_BLOCK_TYPES.has(block.block_type)) {
      this.warn([...path, 'block_type'], 'unsupported_block', `${block.block_type} blocks parse, but Petrel cannot run them yet; a run fails at '${block.label}' with UNSUPPORTED_BLOCK`);
    }
    // A loop's own fields are rendered before its body runs; a while condition is checked again after
    // each iteration, so it may read the body's outputs (undefined before the first iteration).
    const ownScope: NameScope =
      block.block_type === 'while_loop' ? { ...scope, available: new Set([...scope.available, ...block.loop_blocks.flatMap(subtreeLabels)]) } : scope;
    for (const field of listTemplatedStrings(block, path)) this.checkTemplate(field.text, field.path, ownScope);
    this.checkParameterKeys(block, path);
    if (block.block_type === 'for_loop') {
      const key = block.loop_over_parameter_key;
      if (key !== '' && !this.isParameterOrOutput(key)) {
        this.error([...path, 'loop_over_parameter_key'], `unknown parameter '${key}'${didYouMean(key, this.parameterNames())}`);
      }
      if (key === '' && (block.loop_variable_reference ?? '').trim() === '') {
        this.error([...path, 'loop_variable_reference'], 'a for_loop needs loop_variable_reference (or the legacy loop_over_parameter_key) to know what to iterate over');
      }
    } else if (block.block_type === 'while_loop') {
      if (block.condition.criteria_type === 'jinja2_template') this.checkConditionHasTemplate(block.condition.expression, [...path, 'condition', 'expression']);
    } else if (block.block_type === 'conditional') {
      block.branch_conditions.forEach((branch, index) => {
        if (branch.criteria?.criteria_type === 'jinja2_template') {
          this.checkConditionHasTemplate(branch.criteria.expression, [...path, 'branch_conditions', index, 'criteria', 'expression']);
        }
      });
    } else if (block.block_type === 'send_email') {
      for (const field of ['smtp_host_secret_parameter_key', 'smtp_port_secret_parameter_key', 'smtp_username_secret_parameter_key', 'smtp_password_secret_parameter_key'] as const) {
        const key = block[field];
        if (key != null && key !== '' && !this.parameters.has(key)) {
          this.error([...path, field], `unknown parameter '${key}'${didYouMean(key, this.parameters.keys())}`);
        }
      }
    } else if (block.block_type === 'login') {
      const hasCredential = (block.parameter_keys ?? []).some((key) => {
        const parameter = this.parameters.get(key)?.parameter;
        return parameter !== undefined && (CREDENTIAL_KINDS.has(parameter.parameter_type) || (parameter.parameter_type === 'workflow' && parameter.workflow_parameter_type === 'credential_id'));
      });
      if (!hasCredential) {
        this.warn([...path, 'parameter_keys'], 'missing_credential', `login block '${block.label}' lists no credential parameter in parameter_keys, so it has nothing to log in with`);
      }
    }
    if (isLoopBlock(block)) {
      if (block.loop_blocks.length === 0) this.warn([...path, 'loop_blocks'], 'empty_loop', `${block.block_type} '${block.label}' has no blocks to run`);
      this.checkList(block.loop_blocks, [...path, 'loop_blocks'], { available: scope.available, loops: [...loops, block] });
    }
  }

  checkParameterKeys(block: Block, path: IssuePath): void {
    const keys = 'parameter_keys' in block ? block.parameter_keys : undefined;
    (keys ?? []).forEach((key, index) => {
      if (!this.isParameterOrOutput(key)) {
        this.error([...path, 'parameter_keys', index], `unknown parameter '${key}'${didYouMean(key, this.parameterNames())}`);
      }
    });
  }

  checkConditionHasTemplate(expression: string, path: IssuePath): void {
    if (!expression.includes('{{') && !expression.includes('{%')) {
      this.warn(path, 'condition_without_template', `this jinja2_template condition has no {{ … }}, so it is the constant text '${expression}'; write e.g. "{{ ${expression} }}"`);
    }
  }

  checkTemplate(text: string, path: IssuePath, scope: NameScope): void {
    if (!text.includes('{{') && !text.includes('{%') && !text.includes('{#')) return;
    let variables;
    try {
      checkTemplateSyntax(text);
      variables = findTemplateVariables(text);
    } catch (error) {
      this.error(path, isPetrelError(error) ? error.message.replace(/^templating: /, 'template ') : String(error));
      return;
    }
    for (const variable of variables) this.checkReference(variable.name, path, scope);
  }

  checkReference(name: string, path: IssuePath, scope: NameScope): void {
    if (this.parameters.has(name) || BUILTINS.has(name)) return;
    if (LOOP_VARIABLES.has(name)) {
      if (!scope.inLoop && scope.parametersOnly !== true) {
        this.error(path, `'${name}' is only defined inside a for_loop or while_loop`);
      } else if (scope.parametersOnly === true) {
        this.error(path, `'${name}' is not available here (only parameters and built-in variables are)`);
      }
      return;
    }
    const label = this.labels.has(name) ? name : name.endsWith('_output') ? name.slice(0, -'_output'.length) : undefined;
    if (label !== undefined && this.labels.has(label)) {
      if (scope.parametersOnly === true) {
        this.error(path, `'${name}' is not available here (only parameters and built-in variables are)`);
      } else if (scope.available.has(label)) {
        return;
      } else if (scope.previousIteration.has(label)) {
        this.warn(path, 'previous_iteration_output', `'${name}' is the output of block '${label}' from the previous loop iteration (undefined in the first one)`);
      } else if (label === scope.self) {
        this.error(path, `block '${label}' cannot use its own output '${name}'`);
      } else {
        this.error(path, `'${name}' is the output of block '${label}', which cannot have run before this block`);
      }
      return;
    }
    const candidates = [...this.parameterNames(), ...this.labels.keys(), ...BUILTINS, ...(scope.inLoop ? LOOP_VARIABLES : [])];
    this.error(path, `unknown variable '${name}': not a parameter, a block output or a built-in variable${didYouMean(name, candidates)}`);
  }

  checkWorkflowTemplates(): void {
    const everything: NameScope = { available: new Set(this.labels.keys()), previousIteration: new Set(), inLoop: true };
    const prompt = this.definition.workflow_system_prompt;
    if (typeof prompt === 'string') this.checkTemplate(prompt, ['workflow_definition', 'workflow_system_prompt'], everything);
    // Rendered inside each block that inherits it, so any block's names may appear.
    for (const [code, description] of Object.entries(this.definition.error_code_mapping ?? {})) {
      this.checkTemplate(description, ['workflow_definition', 'error_code_mapping', code], everything);
    }
    const parametersOnly: NameScope = { available: new Set(), previousIteration: new Set(), inLoop: false, parametersOnly: true };
    for (const field of ['cache_key', 'sequential_key', 'browser_profile_key'] as const) {
      const value = this.request[field];
      if (typeof value === 'string') this.checkTemplate(value, [field], parametersOnly);
    }
  }
}

function subtreeLabels(block: Block): string[] {
  const labels = [block.label];
  if (isLoopBlock(block)) for (const child of block.loop_blocks) labels.push(...subtreeLabels(child));
  return labels;
}

/** Runs the save-time checks on a definition that passed the schema. */
export function validateDefinitionSemantics(request: BlockWorkflowCreateRequest): SemanticResult {
  return new Validator(request).run();
}
