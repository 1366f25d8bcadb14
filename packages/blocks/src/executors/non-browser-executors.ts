// One entry point for the blocks that need no agent loop: the interpreter hands over the block (its
// templated fields already rendered, secrets as placeholders) and its `BlockContext` (an
// `ExecutorContext`), and gets a result back. Validation problems and missing integrations throw
// `PetrelError`s naming the field; failures the block itself reports (an HTTP 500, an ErrorCode)
// come back as results. `registerNonBrowserExecutors` puts them all into the interpreter's registry.
import type { Block, BlockType } from '@petrel/protocol';
import { PetrelError } from '@petrel/protocol';
import { executeCodeBlock } from './code-executor.ts';
import type { BlockExecutorRegistry, BlockResult } from '../interpreter/block-executor.ts';
import type { ExecutorContext } from './executor-context.ts';
import { executeFileUrlParserBlock, executePdfParserBlock } from './file-parser-executor.ts';
import { executeHttpRequestBlock } from './http-request-executor.ts';
import { executeDownloadToS3Block, executeFileUploadBlock, executeUploadToS3Block } from './s3-executors.ts';
import { executeSendEmailBlock } from './send-email-executor.ts';
import { executeTextPromptBlock } from './text-prompt-executor.ts';

/** The block types `executeNonBrowserBlock` runs. */
export const NON_BROWSER_BLOCK_TYPES = [
  'code',
  'text_prompt',
  'http_request',
  'send_email',
  'file_url_parser',
  'pdf_parser',
  'upload_to_s3',
  'download_to_s3',
  'file_upload',
] as const satisfies readonly BlockType[];

/** One of `NON_BROWSER_BLOCK_TYPES`. */
export type NonBrowserBlockType = (typeof NON_BROWSER_BLOCK_TYPES)[number];

/** True for the block types `executeNonBrowserBlock` runs. */
export function isNonBrowserBlock(block: Block): block is Extract<Block, { block_type: NonBrowserBlockType }> {
  return (NON_BROWSER_BLOCK_TYPES as readonly string[]).includes(block.block_type);
}

/** Runs one non-browser block. Throws `UNSUPPORTED_BLOCK` for any other block type. */
export async function executeNonBrowserBlock(block: Block, ctx: ExecutorContext): Promise<BlockResult> {
  if (!isNonBrowserBlock(block)) {
    throw new PetrelError('UNSUPPORTED_BLOCK', `blocks.execute: ${block.block_type} is not a non-browser block`, { details: { block_type: block.block_type } });
  }
  switch (block.block_type) {
    case 'code':
      return executeCodeBlock(block, ctx);
    case 'text_prompt':
      return executeTextPromptBlock(block, ctx);
    case 'http_request':
      return executeHttpRequestBlock(block, ctx);
    case 'send_email':
      return executeSendEmailBlock(block, ctx);
    case 'file_url_parser':
      return executeFileUrlParserBlock(block, ctx);
    case 'pdf_parser':
      return executePdfParserBlock(block, ctx);
    case 'upload_to_s3':
      return executeUploadToS3Block(block, ctx);
    case 'download_to_s3':
      return executeDownloadToS3Block(block, ctx);
    case 'file_upload':
      return executeFileUploadBlock(block, ctx);
    default: {
      const unknownBlock: never = block;
      throw new PetrelError('UNSUPPORTED_BLOCK', `blocks.execute: ${(unknownBlock as Block).block_type} is not a non-browser block`);
    }
  }
}

/** Registers every non-browser executor as a step executor (one durable step per block). */
export function registerNonBrowserExecutors(registry: BlockExecutorRegistry): BlockExecutorRegistry {
  return registry
    .register('code', executeCodeBlock)
    .register('text_prompt', executeTextPromptBlock)
    .register('http_request', executeHttpRequestBlock)
    .register('send_email', executeSendEmailBlock)
    .register('file_url_parser', executeFileUrlParserBlock)
    .register('pdf_parser', executePdfParserBlock)
    .register('upload_to_s3', executeUploadToS3Block)
    .register('download_to_s3', executeDownloadToS3Block)
    .register('file_upload', executeFileUploadBlock);
}
