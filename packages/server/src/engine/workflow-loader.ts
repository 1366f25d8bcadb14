// Loads code workflows from a directory (`--workflows DIR`): imports every `*.ts`, `*.mts`, `*.js` and
// `*.mjs` file at its top level (TypeScript runs through Node's type stripping) and collects what
// they export: `defineWorkflow(...)` results and `WorkflowEntrypoint` subclasses. Each becomes a
// code unit, found by the name a Cloudflare `PUT workflow` gives as `class_name`: the class name of
// an entrypoint class, the `name` of a definition (or its explicit `className`).
//
// The version key of a unit is a hash of its whole module file plus the unit, so any change to the
// file (a helper function included) registers a new version. Modules may import from
// `cloudflare:workers` / `cloudflare:workflows` as Cloudflare code does: those specifiers resolve to
// Petrel's `WorkflowEntrypoint` and `NonRetryableError`. A directory without its own node_modules may
// import `@petrel/engine` (and `@petrel/protocol`): the server's copies are used.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { basename, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WorkflowEntrypoint, defineWorkflow, hashSource } from '@petrel/engine';
import type { WorkflowDefinition, WorkflowEntrypointClass } from '@petrel/engine';
import { NAME_PATTERN, LIMITS, PetrelError } from '@petrel/protocol';

/** One workflow's code, loaded from a module. */
export type CodeUnit = {
  /** What a `PUT workflow`'s `class_name` matches: the entrypoint class name, or the definition's name. */
  readonly className: string;
  /** Other names `class_name` may use (a definition's explicit `className`). */
  readonly aliases: readonly string[];
  /** The workflow name it registers under in the default organization; undefined when the class name is not a valid workflow name. */
  readonly defaultWorkflowName: string | undefined;
  /** The module file's base name without extension (Cloudflare's `script_name`). */
  readonly scriptName: string;
  /** The module file. */
  readonly file: string;
  /** The version key of this code (a hash of the module file and the unit). */
  readonly versionKey: string;
  /** The code as a definition of `workflowName`; `withConfig` keeps the workflow config written in the code (schedules, retention...). */
  definitionFor(workflowName: string, options?: { withConfig?: boolean }): WorkflowDefinition;
};

/** The code units of a directory. */
export type LoadedWorkflows = {
  /** The directory, resolved. */
  readonly dir: string;
  /** Every unit, in file and export order. */
  readonly units: readonly CodeUnit[];
  /** The unit a `class_name` names, or undefined. */
  find(className: string): CodeUnit | undefined;
};

const SHIM_SPECIFIERS = new Set(['cloudflare:workers', 'cloudflare:workflows']);
// Packages a workflows directory may import without installing them: the server's own copies.
const PROVIDED_PACKAGES = new Set(['@petrel/engine', '@petrel/protocol']);
let hooksInstalled = false;

/**
 * Lets workflow modules import `cloudflare:workers` and `cloudflare:workflows`, and `@petrel/engine`
 * from a directory with no node_modules of its own (once per process).
 */
function installModuleHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const shim = new URL('./cloudflare-shim.ts', import.meta.url).href;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (SHIM_SPECIFIERS.has(specifier)) return { url: shim, shortCircuit: true };
      try {
        return nextResolve(specifier, context);
      } catch (error) {
        if (!PROVIDED_PACKAGES.has(specifier) || (error as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
        return nextResolve(specifier, { ...context, parentURL: import.meta.url });
      }
    },
  });
}

function isDefinition(value: unknown): value is WorkflowDefinition {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<WorkflowDefinition>;
  return typeof v.run === 'function' && typeof v.name === 'string' && typeof v.versionKey === 'string' && typeof v.className === 'string' && typeof v.config === 'object';
}

// By prototype chain, and by name when the module got `WorkflowEntrypoint` from another copy of the
// engine (a workflows directory with its own node_modules).
function isEntrypointClass(value: unknown): value is WorkflowEntrypointClass {
  if (typeof value !== 'function' || value === WorkflowEntrypoint) return false;
  const prototype = (value as { prototype?: unknown }).prototype;
  if (prototype === null || typeof prototype !== 'object') return false;
  if (typeof (prototype as { run?: unknown }).run !== 'function') return false;
  if (prototype instanceof WorkflowEntrypoint) return true;
  for (let p = Object.getPrototypeOf(value) as unknown; typeof p === 'function'; p = Object.getPrototypeOf(p)) {
    if ((p as { name?: string }).name === 'WorkflowEntrypoint') return true;
  }
  return false;
}

function validWorkflowName(name: string): boolean {
  return name.length > 0 && name.length <= LIMITS.workflowNameLength && NAME_PATTERN.test(name);
}

function moduleFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new PetrelError('INVALID_CONFIG', `workflows: cannot read the workflows directory ${dir}`, { cause: error });
  }
  return names
    .filter((name) => /\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts') && !/\.test\.[mc]?[tj]s$/.test(name) && !name.startsWith('.'))
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .sort();
}

function unitFromDefinition(file: string, text: string, definition: WorkflowDefinition): CodeUnit {
  const versionKey = hashSource(`${text}\u0000definition:${definition.name}\u0000${definition.versionKey}`);
  return {
    className: definition.name,
    aliases: definition.className !== 'Workflow' && definition.className !== definition.name ? [definition.className] : [],
    defaultWorkflowName: definition.name,
    scriptName: basename(file, extname(file)),
    file,
    versionKey,
    definitionFor(workflowName, options) {
      return Object.freeze({ ...definition, name: workflowName, versionKey, config: options?.withConfig === true ? definition.config : {} });
    },
  };
}

function unitFromClass(file: string, text: string, exportName: string, entrypoint: WorkflowEntrypointClass): CodeUnit {
  const className = entrypoint.name || exportName;
  const versionKey = hashSource(`${text}\u0000class:${className}`);
  return {
    className,
    aliases: [],
    defaultWorkflowName: validWorkflowName(className) ? className : undefined,
    scriptName: basename(file, extname(file)),
    file,
    versionKey,
    definitionFor(workflowName) {
      // Cloudflare's `env` holds bindings; workflow code here reads its configuration itself.
      return defineWorkflow({ name: workflowName, entrypoint, env: Object.freeze({}), className, versionKey });
    },
  };
}

/** Imports the workflow modules of `dir`; throws `INVALID_CONFIG` for an unreadable directory, a module that fails to load, or two units with one name. */
export async function loadWorkflowModules(dir: string): Promise<LoadedWorkflows> {
  const root = resolve(dir);
  installModuleHooks();
  const units: CodeUnit[] = [];
  const byName = new Map<string, CodeUnit>();
  const claim = (name: string, unit: CodeUnit): void => {
    const other = byName.get(name);
    if (other !== undefined) {
      throw new PetrelError('INVALID_CONFIG', `workflows: "${name}" is exported by both ${basename(other.file)} and ${basename(unit.file)}; rename one`);
    }
    byName.set(name, unit);
  };
  for (const file of moduleFiles(root)) {
    const text = readFileSync(file, 'utf8');
    let exports: Record<string, unknown>;
    try {
      exports = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (error) {
      throw new PetrelError('INVALID_CONFIG', `workflows: cannot load ${basename(file)} (${error instanceof Error ? error.message : String(error)})`, { cause: error });
    }
    const seen = new Set<unknown>();
    for (const [exportName, value] of Object.entries(exports)) {
      if (seen.has(value)) continue;
      seen.add(value);
      let unit: CodeUnit | undefined;
      if (isDefinition(value)) unit = unitFromDefinition(file, text, value);
      else if (isEntrypointClass(value)) unit = unitFromClass(file, text, exportName, value);
      if (unit === undefined) continue;
      claim(unit.className, unit);
      for (const alias of unit.aliases) if (!byName.has(alias)) byName.set(alias, unit);
      units.push(unit);
    }
  }
  return { dir: root, units, find: (className) => byName.get(className) };
}

/** An empty set of code units (no `--workflows`). */
export function noWorkflows(): LoadedWorkflows {
  return { dir: '', units: [], find: () => undefined };
}
