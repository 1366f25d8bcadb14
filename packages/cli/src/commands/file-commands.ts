// `petrel files upload|delete`: files for workflow runs. An upload answers a `petrel://files/<id>`
// reference (and a signed URL) to pass as a `file_url` parameter: `--param invoice=petrel://files/…`.
import { readFileSync, statSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { usageError } from '../cli-errors.ts';
import type { ActionRunner } from '../cli-program.ts';
import { parsePositiveInt } from '../option-parsers.ts';
import { formatBytes, formatTime, printRecord } from '../output-format.ts';

const MEDIA_TYPES: Record<string, string> = {
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.txt': 'text/plain',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.zip': 'application/zip',
};

/** Registers `files`. */
export function registerFileCommands(program: Command, run: ActionRunner): void {
  const files = program.command('files').description('files for workflow runs: upload one, pass its petrel://files/… reference as a file_url parameter');
  files
    .command('upload')
    .description('upload a file; prints its reference (petrel://files/…) for a file_url parameter')
    .argument('<path>', 'the file')
    .option('--retention-days <n>', 'delete it after this many days (default: keep)', parsePositiveInt)
    .action(
      run<{ retentionDays?: number }>(async (ctx, [path = ''], options) => {
        const full = resolve(ctx.io.cwd, path);
        let bytes: Buffer;
        try {
          if (!statSync(full).isFile()) throw usageError(`${path}: not a file`);
          bytes = readFileSync(full);
        } catch (error) {
          if (error instanceof Error && error.name === 'CliError') throw error;
          throw usageError(`${path}: ${(error as { code?: unknown }).code === 'ENOENT' ? 'no such file' : 'cannot be read'}`);
        }
        const client = await ctx.client();
        const uploaded = await client.uploadFile(
          {
            file: new Uint8Array(bytes),
            filename: basename(full),
            contentType: MEDIA_TYPES[extname(full).toLowerCase()] ?? 'application/octet-stream',
            ...(options.retentionDays === undefined ? {} : { retentionDays: options.retentionDays }),
          },
          ctx.requestOptions,
        );
        ctx.result(uploaded, () => {
          printRecord(ctx, [
            ['file', uploaded.fileId],
            ['reference', uploaded.s3Uri],
            ['name', uploaded.filename],
            ['size', formatBytes(uploaded.fileSize)],
            ['sha256', uploaded.checksum],
            ['signed url', uploaded.presignedUrl],
            ['deleted after', uploaded.retentionExpiresAt === null ? undefined : formatTime(uploaded.retentionExpiresAt)],
          ]);
          ctx.note(`use it as a file_url parameter: --param <key>=${uploaded.s3Uri}`);
        });
      }),
    );
  files
    .command('delete')
    .description('delete an uploaded file')
    .argument('<file_id>', 'file_…')
    .action(
      run(async (ctx, [fileId = '']) => {
        const client = await ctx.client();
        await client.deleteFile(fileId, ctx.requestOptions);
        ctx.result({ deleted: fileId }, () => ctx.print(`deleted ${fileId}`));
      }),
    );
}
