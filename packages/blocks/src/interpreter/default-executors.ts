// The registry every workflow service starts from: the non-browser executors (code, text_prompt,
// http_request, send_email, file parsers, S3) and the interpreter's own browser and control
// executors. Control flow (for_loop, while_loop, conditional) is the interpreter's, not an executor's.
import { registerNonBrowserExecutors } from '../executors/non-browser-executors.ts';
import { createBlockExecutorRegistry } from './block-executor.ts';
import type { BlockExecutorRegistry } from './block-executor.ts';
import {
  executeActionBlock,
  executeExtractionBlock,
  executeFileDownloadBlock,
  executeGotoUrlBlock,
  executeLoginBlock,
  executeNavigationBlock,
  executePrintPageBlock,
  executeTaskBlock,
  executeTaskV2Block,
  executeValidationBlock,
} from './browser-executors.ts';
import { executeHumanInteractionBlock, executeTerminateBlock, executeWaitBlock, executeWorkflowTriggerBlock } from './control-executors.ts';

/** A registry with every built-in executor. */
export function createDefaultBlockExecutors(): BlockExecutorRegistry {
  return registerNonBrowserExecutors(createBlockExecutorRegistry())
    .registerDurable('task', executeTaskBlock)
    .registerDurable('navigation', executeNavigationBlock)
    .registerDurable('extraction', executeExtractionBlock)
    .registerDurable('action', executeActionBlock)
    .registerDurable('login', executeLoginBlock)
    .registerDurable('file_download', executeFileDownloadBlock)
    .registerDurable('task_v2', executeTaskV2Block)
    .register('validation', executeValidationBlock)
    .register('goto_url', executeGotoUrlBlock)
    .register('print_page', executePrintPageBlock)
    .registerDurable('wait', executeWaitBlock)
    .register('terminate', executeTerminateBlock)
    .registerDurable('human_interaction', executeHumanInteractionBlock)
    .registerDurable('workflow_trigger', executeWorkflowTriggerBlock);
}
