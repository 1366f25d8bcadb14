// @petrel/blocks: block workflow definitions (Skyvern's JSON/YAML format and seed 000's task lists),
// their save-time validation with line and column, the sandboxed Jinja templating, run parameters,
// the step graph of a version, the block executors, the interpreter that runs a version as durable
// engine steps, and the workflow service (versions, runs, timeline) over a repository port.
export { parseWorkflowDefinition } from './definition/parse-definition.ts';
export type { ParseDefinitionOptions, ParsedBlockWorkflow, ParsedWorkflowDefinition } from './definition/parse-definition.ts';
export { WARNING_CODES, formatIssuePath } from './definition/definition-issue.ts';
export type { DefinitionIssue, DefinitionWarning, WarningCode } from './definition/definition-issue.ts';
export type { DefinitionFormat } from './definition/source-document.ts';
export { isIdentifier, sanitizeIdentifier } from './definition/sanitize-identifiers.ts';
export {
  TEMPLATED_FIELDS,
  UNSUPPORTED_BLOCK_TYPES,
  MAX_LOOP_ITERATIONS,
  isLoopBlock,
  outputParameterKey,
  walkBlocks,
  listTemplatedStrings,
} from './definition/block-fields.ts';
export type { BlockPlace, TemplatedString } from './definition/block-fields.ts';
export { routeBlocks, usesGraphRouting, conditionalFallbackTarget } from './definition/block-routing.ts';
export type { BlockRouting } from './definition/block-routing.ts';

export { renderTemplate, renderValue, evaluateCondition, checkTemplateSyntax } from './templating/render-template.ts';
export type { RenderOptions, TemplateVariables } from './templating/render-template.ts';
export { createTemplateContext, BUILTIN_TEMPLATE_VARIABLES, LOOP_TEMPLATE_VARIABLES } from './templating/template-context.ts';
export type { TemplateContext, TemplateContextInput, LoopVariables } from './templating/template-context.ts';
export { findTemplateVariables } from './templating/template-variables.ts';
export type { TemplateVariable } from './templating/template-variables.ts';
export { parseTruthy, FALSE_TEXTS } from './templating/truthiness.ts';
export { TEMPLATE_LIMITS } from './templating/jinja-sandbox.ts';

export { coerceParameterValue } from './parameters/coerce-parameter.ts';
export type { CoercionResult } from './parameters/coerce-parameter.ts';
export {
  VAULT_INTEGRATIONS,
  isVaultParameter,
  unavailableParameterError,
  resolveRunParameters,
  resolveContextParameter,
  listOutputParameters,
} from './parameters/run-parameters.ts';
export type { RunParameter, ResolvedRunParameters } from './parameters/run-parameters.ts';

export { compileTaskListWorkflow } from './seed000/compile-task-list.ts';
export type { SavedTask, CompileTaskListOptions } from './seed000/compile-task-list.ts';

export { buildVersionGraph, blockStepConfig, humanInteractionEventType, childWorkflowEventType } from './graph/block-graph.ts';
// The graph's node types are the engine's (`WorkflowGraph`, `GraphNode` from @petrel/engine).
export type { VersionGraphOptions, GraphStepConfig } from './graph/block-graph.ts';

// Non-browser executors' integrations: the code sandbox, the Mailer port, file parsing.
export { runSandboxedCode, analyzeCode, resolveSandboxLimits, DEFAULT_SANDBOX_LIMITS } from './integrations/code-sandbox.ts';
export type {
  SandboxLimits,
  SandboxHostFunction,
  SandboxRunOptions,
  SandboxLogLine,
  SandboxFailure,
  SandboxFailureKind,
  SandboxResult,
  CodeAnalysis,
} from './integrations/code-sandbox.ts';
export { createSmtpMailer, createMemoryMailer, checkMailMessage } from './integrations/mailer.ts';
export type { Mailer, MailMessage, MailAttachment, MailSendResult, SmtpMailerOptions } from './integrations/mailer.ts';
export { parseFile, detectFileType, PARSED_FILE_TYPES } from './integrations/file-parsing.ts';
export type { ParsedFile, ParsedFileType, ParseFileOptions } from './integrations/file-parsing.ts';
export { fetchBytes, checkHttpUrl, suggestedFileName } from './integrations/outbound-http.ts';
export type { OutboundFetchLike, OutboundInit, OutboundResponse, FetchBytesOptions, FetchedBytes } from './integrations/outbound-http.ts';

// Non-browser block executors (code, text_prompt, http_request, send_email, file_url_parser,
// pdf_parser, upload_to_s3, download_to_s3, file_upload).
export { executeNonBrowserBlock, isNonBrowserBlock, registerNonBrowserExecutors, NON_BROWSER_BLOCK_TYPES } from './executors/non-browser-executors.ts';
export type { NonBrowserBlockType } from './executors/non-browser-executors.ts';
export { DOWNLOAD_DIRECTORY, createMemoryRunFiles } from './executors/executor-context.ts';
export type { ExecutorContext, ExecutorResult, RunFiles, RunFile, SavedRunFile } from './executors/executor-context.ts';
export { executeCodeBlock } from './executors/code-executor.ts';
export { CODE_PAGE_FUNCTIONS } from './executors/code-page.ts';
export { executeHttpRequestBlock, applySecretResponsePaths, SECRET_RESPONSE_BODY_REDACTED } from './executors/http-request-executor.ts';
export { executeSendEmailBlock } from './executors/send-email-executor.ts';
export { executeTextPromptBlock, DEFAULT_TEXT_PROMPT_SCHEMA } from './executors/text-prompt-executor.ts';
export { executeFileUrlParserBlock, executePdfParserBlock } from './executors/file-parser-executor.ts';
export { executeFileUploadBlock, executeUploadToS3Block, executeDownloadToS3Block } from './executors/s3-executors.ts';

// The interpreter: executor interface and registry, the engine workflow of a version, run shapes.
export { BLOCK_STATUSES, createBlockExecutorRegistry } from './interpreter/block-executor.ts';
export type {
  BlockStatus,
  BlockOfType,
  BlockPosition,
  BlockContext,
  DurableBlockContext,
  AgentBlockContext,
  RunServices,
  BlockResult,
  BlockExecutor,
  DurableBlockExecutor,
  RegisteredExecutor,
  BlockExecutorRegistry,
} from './interpreter/block-executor.ts';
export { createDefaultBlockExecutors } from './interpreter/default-executors.ts';
export { interpretWorkflowRun, renderBlock, normalizeLoopValues, DEFAULT_MAX_ELAPSED_MINUTES } from './interpreter/block-interpreter.ts';
export type { InterpretInput } from './interpreter/block-interpreter.ts';
export { createBlockWorkflowDefinition, blockWorkflowVersionKey, workflowIdOfVersionKey } from './interpreter/block-workflow.ts';
export { resolveInterpreterOptions } from './interpreter/interpreter-deps.ts';
export type { InterpreterOptions, InterpreterDeps, ChildRunRequest, ChildRunStarter } from './interpreter/interpreter-deps.ts';
export { humanInteractionToken, verifyHumanInteractionToken, humanInteractionLinks } from './interpreter/human-interaction.ts';
export { persistedStateKey } from './interpreter/browser-state.ts';
export type { BrowserSeedSource } from './interpreter/browser-state.ts';
export { normalizeDataSchema } from './interpreter/data-schema.ts';
export { INTERPRETER_VERSION, blockStepName, isBlockRecord, isWorkflowRunOutcome, runOutputOf } from './interpreter/run-types.ts';
export type { WorkflowRunParams, WorkflowRunOutcome, BlockRecord, RunDownload, LoopPosition, ExecutedBranch } from './interpreter/run-types.ts';

// The workflow service and its repository port.
export { createWorkflowService } from './service/workflow-service.ts';
export type { WorkflowService, WorkflowServiceOptions, RunWorkflowOptions } from './service/workflow-service.ts';
export { createMemoryWorkflowRepository } from './service/workflow-repository.ts';
export type { WorkflowRepository, WorkflowVersionRow, WorkflowRunRow, WorkflowListFilter, WorkflowRunListFilter } from './service/workflow-repository.ts';
export { toWorkflowResponse, toWorkflowRunResponse, buildRunTimeline, blockRecordsOf, isWaitingForHuman } from './service/workflow-responses.ts';
export type { WorkflowResponseOptions } from './service/workflow-responses.ts';
