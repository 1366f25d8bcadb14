// Wire schemas of the parameters of a block workflow, in the shape of Skyvern's `ParameterYAML`
// models (`parameter_type` is the discriminator). Like Skyvern's pydantic models these objects
// ignore fields they do not know (zod strips them); `@petrel/blocks` reports them as warnings.
// Keys are checked to be identifiers by `@petrel/blocks`, which can also rewrite invalid ones.
import { z } from 'zod';

/** The `parameter_type` values Skyvern accepts in a definition. */
export const PARAMETER_TYPES = [
  'workflow',
  'context',
  'output',
  'credential',
  'aws_secret',
  'bitwarden_login_credential',
  'bitwarden_sensitive_information',
  'bitwarden_credit_card_data',
  'onepassword',
  'azure_vault_credential',
] as const;
/** A `parameter_type` value. */
export type ParameterType = (typeof PARAMETER_TYPES)[number];

/** Parameter kinds whose values live in an outside vault; they parse, and fail when a run needs them. */
export const VAULT_PARAMETER_TYPES = [
  'aws_secret',
  'bitwarden_login_credential',
  'bitwarden_sensitive_information',
  'bitwarden_credit_card_data',
  'onepassword',
  'azure_vault_credential',
] as const satisfies readonly ParameterType[];
/** A vault-backed `parameter_type`. */
export type VaultParameterType = (typeof VAULT_PARAMETER_TYPES)[number];

/** The value types of a `workflow` parameter (`workflow_parameter_type`). */
export const WORKFLOW_PARAMETER_TYPES = ['string', 'integer', 'float', 'boolean', 'json', 'file_url', 'credential_id'] as const;
/** A `workflow_parameter_type` value. */
export type WorkflowParameterType = (typeof WORKFLOW_PARAMETER_TYPES)[number];

/** Any JSON value, as a default value or a payload may hold. */
export const JsonValueSchema = z.json();
/** A JSON value. */
export type JsonValue = z.infer<typeof JsonValueSchema>;

const parameterBase = {
  /** The name templates and `parameter_keys` use. */
  key: z.string().min(1),
  description: z.string().nullish(),
};

/** A run-time input of the workflow (`parameter_type: workflow`). */
export const WorkflowParameterSchema = z.object({
  ...parameterBase,
  parameter_type: z.literal('workflow'),
  workflow_parameter_type: z.enum(WORKFLOW_PARAMETER_TYPES),
  default_value: JsonValueSchema.optional(),
});
/** A run-time input of the workflow. */
export type WorkflowParameter = z.infer<typeof WorkflowParameterSchema>;

/** A value derived from another parameter or a block output once it exists (`parameter_type: context`). */
export const ContextParameterSchema = z.object({
  ...parameterBase,
  parameter_type: z.literal('context'),
  source_parameter_key: z.string().min(1),
});
/** A derived value. */
export type ContextParameter = z.infer<typeof ContextParameterSchema>;

/** A block output declared by hand (`<label>_output`); normally created automatically per block. */
export const OutputParameterSchema = z.object({
  ...parameterBase,
  parameter_type: z.literal('output'),
});
/** A hand-declared block output. */
export type OutputParameter = z.infer<typeof OutputParameterSchema>;

/** A credential stored in Petrel's vault (`cred_…`), with optional rotation and fallback. */
export const CredentialParameterSchema = z.object({
  ...parameterBase,
  parameter_type: z.literal('credential'),
  credential_id: z.string().min(1),
  credential_ids: z.array(z.string()).nullish(),
  selection_strategy: z.string().nullish(),
  fallback_credential_ids: z.array(z.string()).nullish(),
  fallback_trigger: z.string().nullish(),
});
/** A stored-credential parameter. */
export type CredentialParameter = z.infer<typeof CredentialParameterSchema>;

/** A secret read from AWS Secrets Manager (Skyvern uses it for SMTP settings). */
export const AwsSecretParameterSchema = z.object({
  ...parameterBase,
  parameter_type: z.literal('aws_secret'),
  aws_key: z.string().min(1),
});
/** An AWS Secrets Manager parameter. */
export type AwsSecretParameter = z.infer<typeof AwsSecretParameterSchema>;

const bitwardenAccess = {
  bitwarden_client_id_aws_secret_key: z.string(),
  bitwarden_client_secret_aws_secret_key: z.string(),
  bitwarden_master_password_aws_secret_key: z.string(),
};

/** A login read from Bitwarden. */
export const BitwardenLoginCredentialParameterSchema = z.object({
  ...parameterBase,
  ...bitwardenAccess,
  parameter_type: z.literal('bitwarden_login_credential'),
  url_parameter_key: z.string().nullish(),
  bitwarden_collection_id: z.string().nullish(),
  bitwarden_item_id: z.string().nullish(),
  totp_identifier: z.string().nullish(),
});
/** A Bitwarden login parameter. */
export type BitwardenLoginCredentialParameter = z.infer<typeof BitwardenLoginCredentialParameterSchema>;

/** Identity fields read from Bitwarden. */
export const BitwardenSensitiveInformationParameterSchema = z.object({
  ...parameterBase,
  ...bitwardenAccess,
  parameter_type: z.literal('bitwarden_sensitive_information'),
  bitwarden_collection_id: z.string(),
  bitwarden_identity_key: z.string(),
  bitwarden_identity_fields: z.array(z.string()),
});
/** A Bitwarden identity parameter. */
export type BitwardenSensitiveInformationParameter = z.infer<typeof BitwardenSensitiveInformationParameterSchema>;

/** A credit card read from Bitwarden. */
export const BitwardenCreditCardDataParameterSchema = z.object({
  ...parameterBase,
  ...bitwardenAccess,
  parameter_type: z.literal('bitwarden_credit_card_data'),
  bitwarden_collection_id: z.string(),
  bitwarden_item_id: z.string(),
});
/** A Bitwarden credit card parameter. */
export type BitwardenCreditCardDataParameter = z.infer<typeof BitwardenCreditCardDataParameterSchema>;

/** A login read from 1Password. */
export const OnePasswordParameterSchema = z.object({
  ...parameterBase,
  parameter_type: z.literal('onepassword'),
  vault_id: z.string(),
  item_id: z.string(),
  totp_field_name: z.string().nullish(),
  totp_identifier: z.string().nullish(),
});
/** A 1Password parameter. */
export type OnePasswordParameter = z.infer<typeof OnePasswordParameterSchema>;

/** A login read from Azure Key Vault. */
export const AzureVaultCredentialParameterSchema = z.object({
  ...parameterBase,
  parameter_type: z.literal('azure_vault_credential'),
  vault_name: z.string(),
  username_key: z.string(),
  password_key: z.string(),
  totp_secret_key: z.string().nullish(),
});
/** An Azure Key Vault parameter. */
export type AzureVaultCredentialParameter = z.infer<typeof AzureVaultCredentialParameterSchema>;

/** Any parameter of a block workflow, discriminated by `parameter_type`. */
export const BlockWorkflowParameterSchema = z.discriminatedUnion('parameter_type', [
  WorkflowParameterSchema,
  ContextParameterSchema,
  OutputParameterSchema,
  CredentialParameterSchema,
  AwsSecretParameterSchema,
  BitwardenLoginCredentialParameterSchema,
  BitwardenSensitiveInformationParameterSchema,
  BitwardenCreditCardDataParameterSchema,
  OnePasswordParameterSchema,
  AzureVaultCredentialParameterSchema,
]);
/** Any parameter of a block workflow. */
export type BlockWorkflowParameter = z.infer<typeof BlockWorkflowParameterSchema>;
/** A vault-backed parameter. */
export type VaultParameter = Extract<BlockWorkflowParameter, { parameter_type: VaultParameterType }>;
