// Problems found in a workflow definition: errors (the definition is refused) and warnings (it is
// accepted, but something is probably not what the author meant). Both name the field by path and,
// when the definition came as text, give its line and column (1-based).

/** A path into the definition, e.g. `['workflow_definition', 'blocks', 2, 'url']`. */
export type IssuePath = readonly (string | number)[];

/** One problem with a definition; `path` reads like `workflow_definition.blocks[2].url`. */
export type DefinitionIssue = {
  path: string;
  message: string;
  line?: number;
  column?: number;
};

/** Kinds of warnings, stable for tools (the editor can group or silence them). */
export const WARNING_CODES = [
  'unknown_field',
  'field_alias',
  'identifier_rewritten',
  'unreachable_block',
  'cycle_without_exit',
  'previous_iteration_output',
  'name_collision',
  'condition_without_template',
  'empty_loop',
  'missing_credential',
  'vault_parameter',
  'unsupported_block',
  'unused_output_parameter',
  'ignored_field',
  'yaml',
] as const;
/** A kind of warning. */
export type WarningCode = (typeof WARNING_CODES)[number];

/** A warning about a definition that was accepted. */
export type DefinitionWarning = DefinitionIssue & { code: WarningCode };

/** A problem before positions are attached. */
export type RawIssue = { path: IssuePath; message: string; code?: WarningCode };

/** Formats a path as `workflow_definition.blocks[2].url` (the root is the empty string). */
export function formatIssuePath(path: IssuePath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}
