// `npm run worker:engine -- --workflows <file|dir> [--slots 10] [--worker-id id] [--schema name]`: an engine worker
// process. It loads workflow definitions (every `defineWorkflow` export of the file, or of each
// .ts/.js/.mjs file of the directory), connects to the database named by PETREL_DATABASE_URL
// (`postgres://…`; unset: the SQLite file under PETREL_DATA_DIR, default ./.petrel) and runs
// instances until SIGINT/SIGTERM. Start any number of them, on any number of hosts, against one
// PostgreSQL: each logs the instances it claims. It runs code workflows in the "default" namespace
// with no server around it; `npm run worker` is the server's worker (organizations, bound workflows, metrics).
import { readdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { isPostgresUrl, openStore, runWorker } from '@petrel/engine';
import type { WorkflowDefinition } from '@petrel/engine';
import type { LogFn, Logger } from '@petrel/protocol';

const { values } = parseArgs({
  options: {
    workflows: { type: 'string', multiple: true },
    slots: { type: 'string', default: '10' },
    'worker-id': { type: 'string' },
    schema: { type: 'string' },
    'grace-ms': { type: 'string', default: '10000' },
    quiet: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  console.error(`worker: ${message}`);
  process.exit(2);
}

function isDefinition(value: unknown): value is WorkflowDefinition {
  const v = value as Partial<WorkflowDefinition> | null;
  return typeof v === 'object' && v !== null && typeof v.name === 'string' && typeof v.run === 'function' && typeof v.versionKey === 'string';
}

/** Every workflow definition exported by the files at `path` (a file, or the files of a directory). */
async function loadWorkflows(path: string): Promise<WorkflowDefinition[]> {
  const full = resolve(path);
  const files = statSync(full).isDirectory()
    ? readdirSync(full)
        .filter((name) => ['.ts', '.js', '.mjs'].includes(extname(name)) && !name.endsWith('.d.ts') && !name.includes('.test.'))
        .sort()
        .map((name) => join(full, name))
    : [full];
  const found: WorkflowDefinition[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const value of Object.values(module)) {
      for (const candidate of Array.isArray(value) ? value : [value]) if (isDefinition(candidate)) found.push(candidate);
    }
  }
  return found;
}

const paths = values.workflows ?? [];
if (paths.length === 0) fail('give --workflows <file or directory> (workflow definitions made by defineWorkflow)');
const workflows = new Map<string, WorkflowDefinition>();
for (const path of paths) {
  for (const definition of await loadWorkflows(path)) {
    const known = workflows.get(definition.name);
    if (known && known.versionKey !== definition.versionKey) fail(`two different workflows are named "${definition.name}"`);
    workflows.set(definition.name, definition);
  }
}
if (workflows.size === 0) fail(`no workflow definitions found in ${paths.join(', ')}`);
const slots = Number(values.slots);
if (!Number.isInteger(slots) || slots < 1) fail('--slots must be a positive integer');

// Human-readable lines: time, level, message, then the fields that matter to someone watching.
const workerId = values['worker-id'] ?? `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
const line =
  (level: string): LogFn =>
  (fields, message) => {
    if (values.quiet && level === 'info') return;
    const parts = Object.entries(fields)
      .filter(([key, value]) => value !== undefined && key !== 'worker')
      .map(([key, value]) => `${key}=${value instanceof Error ? JSON.stringify(value.message) : typeof value === 'string' ? value : JSON.stringify(value)}`);
    const text = `${new Date().toISOString().slice(11, 23)} [${workerId}] ${level.padEnd(5)} ${(message ?? '').replace(/^engine: /, '')}${parts.length > 0 ? `  ${parts.join(' ')}` : ''}`;
    (level === 'error' || level === 'warn' ? console.error : console.log)(text);
  };
const logger: Logger = { debug: () => {}, info: line('info'), warn: line('warn'), error: line('error'), child: () => logger };

const url = process.env.PETREL_DATABASE_URL;
const dataDir = resolve(process.env.PETREL_DATA_DIR ?? './.petrel');
const store = await openStore(url, { dataDir, applicationName: `petrel-worker ${workerId}`.slice(0, 63), ...(values.schema === undefined ? {} : { schema: values.schema }) });
logger.info({ database: isPostgresUrl(url) ? 'postgres' : `sqlite ${dataDir}` }, 'connected');

const controller = new AbortController();
let signals = 0;
const stop = (signal: string): void => {
  signals++;
  if (signals > 1) process.exit(130);
  logger.info({ signal }, 'stopping (send again to exit at once)');
  controller.abort();
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

try {
  await runWorker({ store, workflows: [...workflows.values()], slots, workerId, logger, signal: controller.signal, graceMs: Number(values['grace-ms']) });
} finally {
  await store.close();
}
