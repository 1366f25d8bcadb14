// The parameters of one run: run inputs coerced to their declared types (defaults, required),
// credentials as references for the vault, context parameters left for the interpreter to derive
// once their source exists, block outputs listed per block, and vault-backed kinds (AWS Secrets
// Manager, Bitwarden, 1Password, Azure Key Vault) as markers that fail with
// `INTEGRATION_NOT_CONFIGURED` when a run needs them — Petrel has none of those integrations.
import { PetrelError, VAULT_PARAMETER_TYPES } from '@petrel/protocol';
import type {
  BlockWorkflowDefinition,
  BlockWorkflowParameter,
  ContextParameter,
  JsonValue,
  VaultParameterType,
} from '@petrel/protocol';
import { outputParameterKey, walkBlocks } from '../definition/block-fields.ts';
import type { DefinitionIssue } from '../definition/definition-issue.ts';
import { coerceParameterValue } from './coerce-parameter.ts';

/** The outside system each vault-backed parameter kind needs. */
export const VAULT_INTEGRATIONS: Readonly<Record<VaultParameterType, string>> = {
  aws_secret: 'AWS Secrets Manager',
  bitwarden_login_credential: 'Bitwarden',
  bitwarden_sensitive_information: 'Bitwarden',
  bitwarden_credit_card_data: 'Bitwarden',
  onepassword: '1Password',
  azure_vault_credential: 'Azure Key Vault',
};

/** One parameter of a run, ready for the interpreter. */
export type RunParameter =
  | { kind: 'value'; key: string; value: JsonValue }
  | {
      kind: 'credential';
      key: string;
      /** Where it came from: a `credential` parameter or a `workflow` parameter of type `credential_id`. */
      source: 'credential' | 'credential_id';
      credentialId: string;
      credentialIds: string[];
      fallbackCredentialIds: string[];
      selectionStrategy?: string;
      fallbackTrigger?: string;
    }
  | { kind: 'context'; key: string; sourceParameterKey: string }
  | { kind: 'unavailable'; key: string; parameterType: VaultParameterType; integration: string };

/** The parameters of a run by key, and notes about the input (e.g. undeclared keys that were ignored). */
export type ResolvedRunParameters = { parameters: Record<string, RunParameter>; warnings: string[] };

/** True for the vault-backed parameter kinds. */
export function isVaultParameter(parameter: BlockWorkflowParameter): parameter is Extract<BlockWorkflowParameter, { parameter_type: VaultParameterType }> {
  return (VAULT_PARAMETER_TYPES as readonly string[]).includes(parameter.parameter_type);
}

/** The error a run gets when a block needs a vault-backed parameter. */
export function unavailableParameterError(parameter: { key: string; parameterType: VaultParameterType }): PetrelError {
  const integration = VAULT_INTEGRATIONS[parameter.parameterType];
  return new PetrelError(
    'INTEGRATION_NOT_CONFIGURED',
    `parameter ${parameter.key}: ${parameter.parameterType} parameters need the ${integration} integration, which Petrel does not have`,
    { details: { parameter: parameter.key, parameter_type: parameter.parameterType, integration }, nonRetryable: true },
  );
}

/**
 * Resolves the parameters of a run from its input. Workflow parameters take the input value or their
 * default, coerced to their type (`null` counts as not given); one with neither is missing. All
 * problems are collected and thrown together as `VALIDATION_FAILED` with `details` of
 * `{ path: 'parameters.<key>', message }`. Input keys the workflow does not declare are ignored
 * and reported in `warnings`.
 */
export function resolveRunParameters(definition: Pick<BlockWorkflowDefinition, 'parameters'>, input: Record<string, unknown> = {}): ResolvedRunParameters {
  const parameters: Record<string, RunParameter> = {};
  const problems: DefinitionIssue[] = [];
  const declared = new Set<string>();
  for (const parameter of definition.parameters) {
    const { key } = parameter;
    declared.add(key);
    switch (parameter.parameter_type) {
      case 'workflow': {
        const given = Object.hasOwn(input, key) ? input[key] : undefined;
        const raw = given ?? parameter.default_value ?? undefined;
        if (raw === undefined || raw === null) {
          problems.push({ path: `parameters.${key}`, message: `parameter ${key} (${parameter.workflow_parameter_type}) is required and has no default` });
          break;
        }
        const coerced = coerceParameterValue(parameter.workflow_parameter_type, raw);
        if (!coerced.ok) {
          const origin = given === undefined || given === null ? 'default value' : 'value';
          problems.push({ path: `parameters.${key}`, message: `parameter ${key}: ${origin} does not fit ${parameter.workflow_parameter_type}: ${coerced.message}` });
          break;
        }
        parameters[key] =
          parameter.workflow_parameter_type === 'credential_id'
            ? { kind: 'credential', key, source: 'credential_id', credentialId: typeof coerced.value === 'string' ? coerced.value : '', credentialIds: [], fallbackCredentialIds: [] }
            : { kind: 'value', key, value: coerced.value };
        break;
      }
      case 'credential':
        parameters[key] = {
          kind: 'credential',
          key,
          source: 'credential',
          credentialId: parameter.credential_id,
          credentialIds: parameter.credential_ids ?? [],
          fallbackCredentialIds: parameter.fallback_credential_ids ?? [],
          ...(parameter.selection_strategy == null ? {} : { selectionStrategy: parameter.selection_strategy }),
          ...(parameter.fallback_trigger == null ? {} : { fallbackTrigger: parameter.fallback_trigger }),
        };
        break;
      case 'context':
        parameters[key] = { kind: 'context', key, sourceParameterKey: parameter.source_parameter_key };
        break;
      case 'output':
        // Block outputs exist once their block finishes; the interpreter records them.
        break;
      case 'aws_secret':
      case 'bitwarden_login_credential':
      case 'bitwarden_sensitive_information':
      case 'bitwarden_credit_card_data':
      case 'onepassword':
      case 'azure_vault_credential':
        parameters[key] = { kind: 'unavailable', key, parameterType: parameter.parameter_type, integration: VAULT_INTEGRATIONS[parameter.parameter_type] };
        break;
    }
  }
  if (problems.length > 0) {
    const first = problems[0]?.message ?? '';
    throw new PetrelError('VALIDATION_FAILED', `runs.parameters: ${problems.length === 1 ? first : `${problems.length} problems, first: ${first}`}`, {
      details: problems,
    });
  }
  const warnings = Object.keys(input)
    .filter((key) => !declared.has(key))
    .map((key) => `run parameter ${key} is not declared by the workflow and was ignored`);
  return { parameters, warnings };
}

/**
 * The value of a context parameter once its source exists: the source's
 * `extracted_information[key]` when present, else `source[key]`; undefined when neither exists.
 */
export function resolveContextParameter(parameter: Pick<ContextParameter, 'key'>, source: unknown): unknown {
  if (typeof source !== 'object' || source === null || Array.isArray(source)) return undefined;
  const record = source as Record<string, unknown>;
  const extracted = record['extracted_information'];
  if (typeof extracted === 'object' && extracted !== null && !Array.isArray(extracted) && Object.hasOwn(extracted, parameter.key)) {
    return (extracted as Record<string, unknown>)[parameter.key];
  }
  return Object.hasOwn(record, parameter.key) ? record[parameter.key] : undefined;
}

/** The output parameter each block gets automatically (`<label>_output`), nested loop blocks included. */
export function listOutputParameters(definition: Pick<BlockWorkflowDefinition, 'blocks'>): { key: string; label: string }[] {
  const outputs: { key: string; label: string }[] = [];
  walkBlocks(definition.blocks, ({ block }) => outputs.push({ key: outputParameterKey(block.label), label: block.label }));
  return outputs;
}
