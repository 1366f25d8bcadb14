// `parseWorkflowDefinition`: text (YAML or JSON) or an object in, a validated definition and its
// warnings out, or a `VALIDATION_FAILED` error whose details name every problem by path, with line
// and column when the input was text.
//
// Order: read the text → normalise (Skyvern's label/key sanitiser, the `prompt` alias of task
// blocks) → schema (the zod wire schemas of `@petrel/protocol`) → unknown-field warnings →
// semantic checks (see validate-definition.ts).
//
// Unknown fields: Skyvern's pydantic models ignore fields they do not know, so a Skyvern user's YAML
// with extra fields must load; Petrel drops them too, but reports each as a warning (with a
// "did you mean" when it looks like a typo) so that a misspelt field is visible. At the top level
// the read-only fields of Skyvern's `Workflow` response (ids, timestamps) are ignored silently, so an
// exported workflow loads without noise.
import {
  AwsSecretParameterSchema,
  AzureVaultCredentialParameterSchema,
  BitwardenCreditCardDataParameterSchema,
  BitwardenLoginCredentialParameterSchema,
  BitwardenSensitiveInformationParameterSchema,
  BLOCK_SCHEMAS,
  BlockWorkflowCreateRequestSchema,
  BlockWorkflowDefinitionSchema,
  BranchConditionSchema,
  BranchCriteriaSchema,
  ContextParameterSchema,
  CredentialParameterSchema,
  OnePasswordParameterSchema,
  OutputParameterSchema,
  PetrelError,
  WorkflowParameterSchema,
} from '@petrel/protocol';
import type { BlockWorkflowCreateRequest, BlockWorkflowDefinition, ParameterType } from '@petrel/protocol';
import type { z } from 'zod';
import { didYouMean } from './closest-name.ts';
import { formatIssuePath } from './definition-issue.ts';
import type { DefinitionIssue, DefinitionWarning, IssuePath, RawIssue } from './definition-issue.ts';
import { sanitizeDefinitionIdentifiers } from './sanitize-identifiers.ts';
import { readSourceDocument } from './source-document.ts';
import type { DefinitionFormat, SourceDocument, SourcePosition } from './source-document.ts';
import { validateDefinitionSemantics } from './validate-definition.ts';

/** Options of `parseWorkflowDefinition`. */
export type ParseDefinitionOptions = {
  /** Format of text input; default: JSON when the text is a JSON object, YAML otherwise. */
  format?: DefinitionFormat;
};

/** A validated definition: defaults filled in, labels and keys sanitised, `version` resolved. */
export type ParsedBlockWorkflow = Omit<BlockWorkflowCreateRequest, 'workflow_definition'> & {
  workflow_definition: BlockWorkflowDefinition & { version: number };
};

/** The result of `parseWorkflowDefinition`. */
export type ParsedWorkflowDefinition = {
  definition: ParsedBlockWorkflow;
  warnings: DefinitionWarning[];
};

/** Fields of Skyvern's `Workflow` response that an exported definition carries; ignored silently. */
const RESPONSE_ONLY_FIELDS: ReadonlySet<string> = new Set([
  'workflow_id',
  'organization_id',
  'workflow_permanent_id',
  'agent_id',
  'version',
  'is_template',
  'import_error',
  'created_by',
  'edited_by',
  'copilot_authored',
  'created_at',
  'modified_at',
  'deleted_at',
]);

const PARAMETER_SCHEMAS: Readonly<Record<ParameterType, z.ZodObject>> = {
  workflow: WorkflowParameterSchema,
  context: ContextParameterSchema,
  output: OutputParameterSchema,
  credential: CredentialParameterSchema,
  aws_secret: AwsSecretParameterSchema,
  bitwarden_login_credential: BitwardenLoginCredentialParameterSchema,
  bitwarden_sensitive_information: BitwardenSensitiveInformationParameterSchema,
  bitwarden_credit_card_data: BitwardenCreditCardDataParameterSchema,
  onepassword: OnePasswordParameterSchema,
  azure_vault_credential: AzureVaultCredentialParameterSchema,
};

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function keysOf(schema: z.ZodObject): Set<string> {
  return new Set(Object.keys(schema.shape));
}

/** Reports fields the schema does not know (they are dropped, as Skyvern drops them). */
function findUnknownFields(raw: unknown): RawIssue[] {
  const found: RawIssue[] = [];
  const check = (value: unknown, known: ReadonlySet<string>, path: IssuePath, what: string, silent: ReadonlySet<string> = new Set()): void => {
    if (!isRecord(value)) return;
    for (const key of Object.keys(value)) {
      if (known.has(key) || silent.has(key)) continue;
      found.push({ path: [...path, key], code: 'unknown_field', message: `unknown field '${key}' on ${what} is ignored${didYouMean(key, known)}` });
    }
  };
  if (!isRecord(raw)) return found;
  check(raw, keysOf(BlockWorkflowCreateRequestSchema), [], 'the workflow', RESPONSE_ONLY_FIELDS);
  const definition = raw['workflow_definition'];
  if (!isRecord(definition)) return found;
  check(definition, keysOf(BlockWorkflowDefinitionSchema), ['workflow_definition'], 'workflow_definition');
  const parameters: unknown[] = Array.isArray(definition['parameters']) ? definition['parameters'] : [];
  parameters.forEach((parameter, index) => {
    if (!isRecord(parameter)) return;
    const type = parameter['parameter_type'];
    if (typeof type === 'string' && Object.hasOwn(PARAMETER_SCHEMAS, type)) {
      check(parameter, keysOf(PARAMETER_SCHEMAS[type as ParameterType]), ['workflow_definition', 'parameters', index], `a ${type} parameter`);
    }
  });
  const blocks = (list: unknown, path: IssuePath): void => {
    if (!Array.isArray(list)) return;
    list.forEach((block: unknown, index) => {
      if (!isRecord(block)) return;
      const type = block['block_type'];
      if (typeof type !== 'string' || !Object.hasOwn(BLOCK_SCHEMAS, type)) return;
      const blockPath = [...path, index];
      check(block, keysOf(BLOCK_SCHEMAS[type as keyof typeof BLOCK_SCHEMAS]), blockPath, `a ${type} block`);
      if (Array.isArray(block['branch_conditions'])) {
        (block['branch_conditions'] as unknown[]).forEach((branch, branchIndex) => {
          const branchPath = [...blockPath, 'branch_conditions', branchIndex];
          check(branch, keysOf(BranchConditionSchema), branchPath, 'a branch condition');
          if (isRecord(branch)) check(branch['criteria'], keysOf(BranchCriteriaSchema), [...branchPath, 'criteria'], 'a branch criteria');
        });
      }
      if (type === 'while_loop') check(block['condition'], keysOf(BranchCriteriaSchema), [...blockPath, 'condition'], 'a while_loop condition');
      blocks(block['loop_blocks'], [...blockPath, 'loop_blocks']);
    });
  };
  blocks(definition['blocks'], ['workflow_definition', 'blocks']);
  return found;
}

/**
 * Normalisations before the schema: a `task` block's `prompt` (which seed 003's example writes and
 * Skyvern silently ignores) becomes its `navigation_goal` when that is absent; a `code` block with
 * `parameters` or `error_code` is refused as Skyvern refuses it.
 */
function normalizeBlocks(raw: unknown, warnings: RawIssue[], errors: RawIssue[]): unknown {
  if (!isRecord(raw) || !isRecord(raw['workflow_definition'])) return raw;
  const rewrite = (list: unknown, path: IssuePath): unknown => {
    if (!Array.isArray(list)) return list;
    return list.map((block: unknown, index) => {
      if (!isRecord(block)) return block;
      const blockPath = [...path, index];
      let copy: Json = block;
      if (block['block_type'] === 'task' && typeof block['prompt'] === 'string' && (block['navigation_goal'] ?? null) === null) {
        const { prompt, ...rest } = block;
        copy = { ...rest, navigation_goal: prompt };
        warnings.push({ path: [...blockPath, 'prompt'], code: 'field_alias', message: "a task block has no 'prompt' field; it was used as navigation_goal" });
      }
      if (block['block_type'] === 'code') {
        if ('parameters' in block) {
          errors.push({ path: [...blockPath, 'parameters'], message: "code blocks do not accept 'parameters'; list parameter names in 'parameter_keys'" });
        }
        if ('error_code' in block) errors.push({ path: [...blockPath, 'error_code'], message: "code blocks do not accept 'error_code'; use 'error_code_mapping'" });
      }
      if ('loop_blocks' in copy) copy = { ...copy, loop_blocks: rewrite(copy['loop_blocks'], [...blockPath, 'loop_blocks']) };
      return copy;
    });
  };
  const definition = raw['workflow_definition'];
  return { ...raw, workflow_definition: { ...definition, blocks: rewrite(definition['blocks'], ['workflow_definition', 'blocks']) } };
}

function valueAt(root: unknown, path: IssuePath): unknown {
  let node = root;
  for (const segment of path) {
    if (Array.isArray(node) && typeof segment === 'number') node = node[segment];
    else if (isRecord(node) && typeof segment === 'string' && Object.hasOwn(node, segment)) node = node[segment];
    else return undefined;
  }
  return node;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${JSON.stringify(value) ?? typeof value}`;
}

const EXPECTED_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

/** Turns a zod issue into a message a workflow author understands. */
function describeZodIssue(issue: z.core.$ZodIssue, raw: unknown): RawIssue {
  const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
  const actual = valueAt(raw, path);
  const field = path.at(-1);
  if (issue.code === 'invalid_type') {
    if (actual === undefined) return { path, message: `'${String(field)}' is required` };
    return { path, message: `expected ${EXPECTED_NAMES[issue.expected] ?? issue.expected}, got ${describeValue(actual)}` };
  }
  if (issue.code === 'invalid_union') {
    {
      const discriminator = (issue as { discriminator?: string }).discriminator;
      const options = (issue as { options?: unknown[] }).options;
      if (discriminator !== undefined && Array.isArray(options)) {
        const names = options.map(String);
        if (actual === undefined) return { path, message: `'${discriminator}' is required (one of ${names.join(', ')})` };
        return { path, message: `unknown ${discriminator} ${JSON.stringify(actual)}${didYouMean(typeof actual === 'string' ? actual : JSON.stringify(actual) ?? '', names)}; expected one of ${names.join(', ')}` };
      }
      return { path, message: `${describeValue(actual)} does not fit any allowed form of this field` };
    }
  }
  if (issue.code === 'invalid_value') {
    return { path, message: `${describeValue(actual)} is not allowed; expected one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}` };
  }
  return { path, message: issue.message.replace(/^Invalid input: /, '') };
}

function withPosition(issue: RawIssue, source: SourceDocument | undefined, key = false): DefinitionIssue {
  const position: SourcePosition | undefined = source?.locate(issue.path, { key });
  return {
    path: formatIssuePath(issue.path),
    message: issue.message,
    ...(position === undefined ? {} : { line: position.line, column: position.column }),
  };
}

function toWarning(issue: RawIssue, source: SourceDocument | undefined): DefinitionWarning {
  const keyed = issue.code === 'unknown_field' || issue.code === 'field_alias';
  return { ...withPosition(issue, source, keyed), code: issue.code ?? 'unknown_field' };
}

function fail(issues: DefinitionIssue[]): never {
  const first = issues[0];
  const where = first === undefined ? '' : `${first.path === '' ? '' : `${first.path}: `}${first.message}${first.line === undefined ? '' : ` (line ${first.line}, column ${first.column ?? 1})`}`;
  const summary = issues.length === 1 ? where : `${issues.length} problems; first: ${where}`;
  throw new PetrelError('VALIDATION_FAILED', `workflows.parse: ${summary}`, { details: issues });
}

function uniqueIssues(issues: DefinitionIssue[]): DefinitionIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Parses and validates a block workflow definition (Skyvern's format: `title`, …,
 * `workflow_definition: { version?, parameters, blocks, finally_block_label?, error_code_mapping? }`)
 * from YAML text, JSON text or an object. Returns the definition with defaults filled in and the
 * warnings, or throws `PetrelError('VALIDATION_FAILED')` whose `details` lists every problem as
 * `{ path, message, line?, column? }`.
 */
export function parseWorkflowDefinition(input: string | object, options: ParseDefinitionOptions = {}): ParsedWorkflowDefinition {
  let source: SourceDocument | undefined;
  let raw: unknown;
  const preWarnings: DefinitionWarning[] = [];
  if (typeof input === 'string') {
    const read = readSourceDocument(input, options.format);
    if (!read.ok) {
      fail(
        read.syntaxErrors.map((issue) => ({
          path: formatIssuePath(issue.path),
          message: issue.message,
          ...(issue.position === undefined ? {} : { line: issue.position.line, column: issue.position.column }),
        })),
      );
    }
    source = read.document;
    raw = source.value;
    for (const warning of source.warnings) {
      preWarnings.push({
        path: '',
        message: warning.message,
        code: 'yaml',
        ...(warning.position === undefined ? {} : { line: warning.position.line, column: warning.position.column }),
      });
    }
  } else {
    raw = input;
  }

  if (!isRecord(raw)) fail([withPosition({ path: [], message: `a workflow definition must be a mapping, got ${describeValue(raw)}` }, source)]);
  if (!('workflow_definition' in raw) && Array.isArray(raw['tasks'])) {
    fail([
      withPosition(
        { path: ['tasks'], message: 'this is a task list (name + tasks), not a block workflow definition; compile it with compileTaskListWorkflow' },
        source,
        true,
      ),
    ]);
  }

  const rawWarnings: RawIssue[] = [];
  const rawErrors: RawIssue[] = [];
  const sanitized = sanitizeDefinitionIdentifiers(raw);
  rawWarnings.push(...sanitized.warnings);
  const normalized = normalizeBlocks(sanitized.value, rawWarnings, rawErrors);

  const parsed = BlockWorkflowCreateRequestSchema.safeParse(normalized);
  if (!parsed.success || rawErrors.length > 0) {
    const schemaIssues = parsed.success ? [] : parsed.error.issues.map((issue) => describeZodIssue(issue, normalized));
    fail(uniqueIssues([...rawErrors, ...schemaIssues].map((issue) => withPosition(issue, source))));
  }
  rawWarnings.push(...findUnknownFields(normalized));

  const semantic = validateDefinitionSemantics(parsed.data);
  if (semantic.errors.length > 0) fail(uniqueIssues(semantic.errors.map((issue) => withPosition(issue, source))));
  rawWarnings.push(...semantic.warnings);

  const definition: ParsedBlockWorkflow = {
    ...parsed.data,
    workflow_definition: { ...parsed.data.workflow_definition, version: semantic.version },
  };
  return { definition, warnings: [...preWarnings, ...rawWarnings.map((warning) => toWarning(warning, source))] };
}
