// @petrel/agent: the LLM agent that drives browser tasks as durable workflows — the loop (observe →
// decide → act as durable steps, with completion checks, extraction, 2FA codes and error codes), the
// task workflow and service behind Skyvern's task API, run-scoped browsers with checkpoints, browser
// steps for code workflows, and the model layer, secrets handling and extraction schemas under them.
export { createLanguageModel } from './model/ai-sdk-language-model.ts';
export { MODEL_PROVIDERS } from './model/language-model.ts';
export type {
  LanguageModel,
  ModelCall,
  ModelContentPart,
  ModelFinishReason,
  ModelHttpExchange,
  ModelImagePart,
  ModelMessage,
  ModelOutputSpec,
  ModelProvider,
  ModelResult,
  ModelTextPart,
  ModelTool,
  ModelToolCall,
  ModelToolChoice,
  ModelUsage,
} from './model/language-model.ts';
export { compileModelConfig, resolveModelConfig } from './model/model-config.ts';
export type { CompiledModelConfig, FetchLike, ModelConfig, ModelOverride } from './model/model-config.ts';
export { MODEL_PRICES, computeCostUsd, findModelPrice } from './model/model-prices.ts';
export type { ModelPrice, ModelPrices } from './model/model-prices.ts';

export { createSecretRedactor } from './secrets/secret-redactor.ts';
export type { CredentialValues, CredentialView, RegisterCredentialOptions, RegisterSecretOptions, SecretKind, SecretRedactor } from './secrets/secret-redactor.ts';
export { createRedactingLogger } from './secrets/redacting-logger.ts';
export { generateTotpCode, totpRemainingMs } from './secrets/totp.ts';
export type { TotpOptions } from './secrets/totp.ts';
export { fetchTotpFromUrl } from './secrets/totp-url.ts';
export type { TotpUrlOptions, TotpUrlResult } from './secrets/totp-url.ts';

export { compileExtractionSchema, parseExtractionOutput } from './extraction/extraction-schema.ts';
export type { ExtractionResult, ExtractionSchema } from './extraction/extraction-schema.ts';
export { compileJsonSchema, formatJsonPointer, formatSchemaIssues } from './extraction/json-schema-validator.ts';
export type { JsonSchema, JsonSchemaValidator, SchemaIssue } from './extraction/json-schema-validator.ts';

export { createAgentRuntime } from './runtime/agent-runtime.ts';
export type { AgentRuntime, AgentRuntimeOptions, RunCredentialRefs, RunSecrets, StepObservedEvent } from './runtime/agent-runtime.ts';
export { createRunBrowserManager } from './runtime/run-browser-manager.ts';
export type { EnsureRunContextOptions, RunBrowserManager, RunBrowserManagerOptions } from './runtime/run-browser-manager.ts';
export { createMemoryArtifactSink, createMemoryCredentialResolver, createMemoryPushedTotpSource } from './runtime/agent-ports.ts';
export type {
  ArtifactOrigin,
  ArtifactSink,
  BrowserSessionInfo,
  BrowserSessionResolver,
  CredentialResolver,
  MemoryArtifactSink,
  MemoryCredentialResolver,
  MemoryPushedTotpSource,
  PushedTotpCode,
  PushedTotpSource,
} from './runtime/agent-ports.ts';

export { runAgentTask, summarizeRun, TOTP_EVENT_TYPE } from './loop/agent-loop.ts';
export type { AgentTaskOutcome } from './loop/agent-loop.ts';
export { DEFAULT_MAX_STEPS } from './loop/agent-task-input.ts';
export type { AgentTaskInput } from './loop/agent-task-input.ts';
export type { ActionRecord, AgentStepRecord, DownloadedFile, StepOutcome } from './loop/agent-step.ts';
export { AGENT_TOOL_NAMES, parseToolCalls, toolsFor } from './loop/agent-tools.ts';
export type { AgentDecision, AgentToolName, RejectedToolCall, ToolContext } from './loop/agent-tools.ts';
export { ACTION_SYSTEM_PROMPT, HISTORY_STEPS, buildStepPrompt, formatPromptDate } from './loop/agent-prompts.ts';
export type { HistoryLine, StepPromptInput } from './loop/agent-prompts.ts';
export { chunkPageText, markUrlFields, extractFromPage } from './loop/page-extraction.ts';
export type { CallUsage, PageExtractionInput, PageExtractionResult } from './loop/page-extraction.ts';
// For block interpreters that drive the run's browser between agent tasks (goto_url, print_page, a
// page extraction, a model question about the page) with the same secrets and artifact sink.
export { historyLine, openRunBrowser, recordExchanges } from './loop/agent-step.ts';

export { TASK_WORKFLOW_NAME, TASK_WORKFLOW_VERSION, createTaskWorkflow, taskInput, taskWorkflowResolver } from './task/task-workflow.ts';
export type { TaskKind, TaskWorkflowParams } from './task/task-workflow.ts';
export { toTaskRunResponse, downloadedFileName, maskHeaders, runUsage, runFailureReason, runTimes } from './task/task-response.ts';
export type { ArtifactUrlBuilder, TaskResponseOptions, RunUsage } from './task/task-response.ts';
export { DEFAULT_LOGIN_PROMPT, createTaskService } from './task/task-service.ts';
export type { RunTaskOptions, TaskService, TaskServiceOptions } from './task/task-service.ts';

export { createAgentStepExtensions } from './steps/step-extensions.ts';
export type { AgentStepExtensions, BrowserStepContext, TaskStepInput, TaskStepResult } from './steps/step-extensions.ts';
