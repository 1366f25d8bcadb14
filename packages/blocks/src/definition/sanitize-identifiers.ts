// Skyvern's import sanitiser, reimplemented: block labels and parameter keys must be identifiers
// (they become Jinja variable names), so `my-block` is rewritten to `my_block`, made unique, and
// every reference is rewritten with it: Jinja references inside `{{ … }}` / `{% … %}` (including
// `my-block_output`), `next_block_label`, `finally_block_label`, branch targets, `parameter_keys`,
// `source_parameter_key`, `loop_over_parameter_key` and the other fields that name a parameter.
// Each rename is reported as a warning, not an error. Works on the raw parsed value, before schema
// validation, and returns a rewritten copy.
import type { RawIssue } from './definition-issue.ts';

const IDENTIFIER = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u;

/** True when `name` is an identifier in Python's sense (what Jinja variable names need). */
export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** Turns a name into an identifier: runs of other characters become `_`, a leading digit gets `_`. */
export function sanitizeIdentifier(name: string, fallback: string): string {
  let result = name.trim().replace(/[^\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]+/gu, '_');
  if (result !== '' && !/^[\p{L}\p{Nl}_]/u.test(result)) result = `_${result}`;
  return result === '' || result === '_' ? fallback : result;
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function makeUnique(candidate: string, seen: Set<string>): string {
  let unique = candidate;
  for (let counter = 2; seen.has(unique); counter += 1) unique = `${candidate}_${counter}`;
  seen.add(unique);
  return unique;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Rewrites names inside the Jinja regions of a string; substitutions apply at once (no chaining). */
export function rewriteTemplateReferences(text: string, renames: ReadonlyMap<string, string>): string {
  if (renames.size === 0 || !(text.includes('{{') || text.includes('{%'))) return text;
  const olds = [...renames.keys()].sort((a, b) => b.length - a.length);
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}_-])(${olds.map(escapeRegExp).join('|')})(?![\\p{L}\\p{N}_-])`, 'gu');
  return text.replace(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g, (region) => region.replace(pattern, (name) => renames.get(name) ?? name));
}

function rewriteDeep(value: unknown, renames: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') return rewriteTemplateReferences(value, renames);
  if (Array.isArray(value)) return value.map((item) => rewriteDeep(item, renames));
  if (isRecord(value)) {
    const copy: Json = {};
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(copy, key, { value: rewriteDeep(item, renames), enumerable: true, writable: true, configurable: true });
    }
    return copy;
  }
  return value;
}

const PARAMETER_NAME_FIELDS = [
  'loop_over_parameter_key',
  'smtp_host_secret_parameter_key',
  'smtp_port_secret_parameter_key',
  'smtp_username_secret_parameter_key',
  'smtp_password_secret_parameter_key',
] as const;

/** The result of sanitising: the rewritten value and one warning per rename. */
export type SanitizeResult = { value: unknown; warnings: RawIssue[]; labelRenames: ReadonlyMap<string, string>; keyRenames: ReadonlyMap<string, string> };

/** Rewrites invalid labels and keys of a raw definition (`{ workflow_definition: … }`) and their references. */
export function sanitizeDefinitionIdentifiers(raw: unknown): SanitizeResult {
  const empty: SanitizeResult = { value: raw, warnings: [], labelRenames: new Map(), keyRenames: new Map() };
  if (!isRecord(raw) || !isRecord(raw['workflow_definition'])) return empty;
  const definition = raw['workflow_definition'];
  const warnings: RawIssue[] = [];
  const labelRenames = new Map<string, string>();
  const keyRenames = new Map<string, string>();

  // Valid names are reserved first, so a renamed label never takes a name that is already in use.
  const seenLabels = new Set<string>();
  const reserveLabels = (blocks: unknown): void => {
    if (!Array.isArray(blocks)) return;
    for (const block of blocks as unknown[]) {
      if (!isRecord(block)) continue;
      if (typeof block['label'] === 'string' && isIdentifier(block['label'])) seenLabels.add(block['label']);
      reserveLabels(block['loop_blocks']);
    }
  };
  reserveLabels(definition['blocks']);
  const planLabels = (blocks: unknown, path: (string | number)[]): void => {
    if (!Array.isArray(blocks)) return;
    blocks.forEach((block: unknown, index) => {
      if (!isRecord(block)) return;
      const label = block['label'];
      if (typeof label === 'string' && label.trim() !== '') {
        if (!isIdentifier(label) && !labelRenames.has(label)) {
          const renamed = makeUnique(sanitizeIdentifier(label, 'block'), seenLabels);
          labelRenames.set(label, renamed);
          warnings.push({
            path: [...path, index, 'label'],
            code: 'identifier_rewritten',
            message: `label '${label}' is not an identifier; it was renamed to '${renamed}' and references to it were rewritten`,
          });
        }
      }
      planLabels(block['loop_blocks'], [...path, index, 'loop_blocks']);
    });
  };
  planLabels(definition['blocks'], ['workflow_definition', 'blocks']);

  const parameters: unknown[] = Array.isArray(definition['parameters']) ? definition['parameters'] : [];
  const seenKeys = new Set<string>();
  for (const parameter of parameters) {
    if (isRecord(parameter) && typeof parameter['key'] === 'string' && isIdentifier(parameter['key'])) seenKeys.add(parameter['key']);
  }
  parameters.forEach((parameter: unknown, index) => {
    if (!isRecord(parameter) || typeof parameter['key'] !== 'string' || parameter['key'].trim() === '') return;
    const key = parameter['key'];
    if (!isIdentifier(key) && !keyRenames.has(key)) {
      const renamed = makeUnique(sanitizeIdentifier(key, 'parameter'), seenKeys);
      keyRenames.set(key, renamed);
      warnings.push({
        path: ['workflow_definition', 'parameters', index, 'key'],
        code: 'identifier_rewritten',
        message: `parameter key '${key}' is not an identifier; it was renamed to '${renamed}' and references to it were rewritten`,
      });
    }
  });
  if (labelRenames.size === 0 && keyRenames.size === 0) return empty;

  // Names as they appear in templates and in fields that hold a parameter key.
  const nameRenames = new Map<string, string>();
  for (const [old, renamed] of labelRenames) {
    nameRenames.set(`${old}_output`, `${renamed}_output`);
    nameRenames.set(old, renamed);
  }
  for (const [old, renamed] of keyRenames) nameRenames.set(old, renamed);
  const renameKey = (value: unknown): unknown => (typeof value === 'string' ? (nameRenames.get(value) ?? value) : value);
  const renameLabel = (value: unknown): unknown => (typeof value === 'string' ? (labelRenames.get(value) ?? value) : value);

  const rewriteBlocks = (blocks: unknown): unknown => {
    if (!Array.isArray(blocks)) return blocks;
    return blocks.map((block: unknown) => {
      if (!isRecord(block)) return block;
      const copy = rewriteDeep(block, nameRenames) as Json;
      copy['label'] = renameLabel(block['label']);
      if ('next_block_label' in block) copy['next_block_label'] = renameLabel(block['next_block_label']);
      if (Array.isArray(block['branch_conditions'])) {
        copy['branch_conditions'] = (copy['branch_conditions'] as unknown[]).map((branch) =>
          isRecord(branch) && 'next_block_label' in branch ? { ...branch, next_block_label: renameLabel(branch['next_block_label']) } : branch,
        );
      }
      if (Array.isArray(block['parameter_keys'])) copy['parameter_keys'] = block['parameter_keys'].map(renameKey);
      for (const field of PARAMETER_NAME_FIELDS) if (field in block) copy[field] = renameKey(block[field]);
      if ('loop_blocks' in block) copy['loop_blocks'] = rewriteBlocks(block['loop_blocks']);
      return copy;
    });
  };

  const rewrittenDefinition: Json = { ...definition };
  rewrittenDefinition['blocks'] = rewriteBlocks(definition['blocks']);
  if (Array.isArray(definition['parameters'])) {
    rewrittenDefinition['parameters'] = definition['parameters'].map((parameter: unknown) => {
      if (!isRecord(parameter)) return parameter;
      const copy = rewriteDeep(parameter, nameRenames) as Json;
      copy['key'] = typeof parameter['key'] === 'string' ? (keyRenames.get(parameter['key']) ?? parameter['key']) : parameter['key'];
      for (const field of ['source_parameter_key', 'url_parameter_key']) if (field in parameter) copy[field] = renameKey(parameter[field]);
      return copy;
    });
  }
  if ('workflow_system_prompt' in definition) rewrittenDefinition['workflow_system_prompt'] = rewriteDeep(definition['workflow_system_prompt'], nameRenames);
  if ('error_code_mapping' in definition) rewrittenDefinition['error_code_mapping'] = rewriteDeep(definition['error_code_mapping'], nameRenames);
  if ('finally_block_label' in definition) rewrittenDefinition['finally_block_label'] = renameLabel(definition['finally_block_label']);
  return { value: { ...raw, workflow_definition: rewrittenDefinition }, warnings, labelRenames, keyRenames };
}
