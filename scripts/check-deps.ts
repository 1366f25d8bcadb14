// Fails when an import breaks the package dependency arrow of DESIGN.md, reaches into another
// package's internals, uses an undeclared workspace dependency, or closes a cycle of value imports.
// Run by `npm run check:deps` (part of `npm run check`).
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parseSync } from 'oxc-parser';

/** What each package's `src/` may import, exactly as the arrow in DESIGN.md (plus the test fixtures). */
const ALLOWED: Record<string, readonly string[]> = {
  protocol: [],
  engine: ['protocol'],
  browser: ['protocol'],
  agent: ['protocol', 'engine', 'browser'],
  blocks: ['protocol', 'engine', 'browser', 'agent'],
  server: ['protocol', 'engine', 'browser', 'agent', 'blocks'],
  sdk: ['protocol'],
  cli: ['server', 'sdk', 'protocol'],
  dashboard: ['sdk', 'protocol'],
  // Test fixtures: real servers the tests, examples and benchmarks run against. They import nothing of ours.
  'fixture-portal': [],
  'fake-model': [],
  // Test support (the portal policy, the task stage, PostgreSQL schemas, s3rver) over the fixtures.
  // Only tests, examples and benchmarks import it: no package's src/ lists it above, and
  // TEST_ONLY keeps it that way.
  testing: ['fixture-portal', 'fake-model', 'protocol'],
};

/** Packages that only tests, examples and benchmarks may import: never another package's src/, statically or dynamically. */
const TEST_ONLY: ReadonlySet<string> = new Set(['testing']);

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const problems: string[] = [];

function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.(ts|tsx|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

type Import = { specifier: string; typeOnly: boolean; dynamic: boolean };

// The one exception to the arrow: `Petrel.local()` of the SDK starts an embedded server with a
// dynamic `import('@petrel/server')` (an optional peer dependency) in this one file. The SDK still
// reaches the server over HTTP only; nothing else of the SDK may import the server, statically or not.
const DYNAMIC_EXCEPTIONS: readonly { file: string; target: string }[] = [{ file: 'packages/sdk/src/local-server.ts', target: 'server' }];

function importsOf(file: string): Import[] {
  const source = readFileSync(file, 'utf8');
  const { module, errors } = parseSync(file, source);
  if (errors.length > 0) problems.push(`${relative(root, file)}: cannot parse (${errors[0]?.message ?? 'syntax error'})`);
  const found: Import[] = [];
  for (const imp of module.staticImports) {
    found.push({ specifier: imp.moduleRequest.value, typeOnly: imp.entries.length > 0 && imp.entries.every((e) => e.isType), dynamic: false });
  }
  for (const exp of module.staticExports) {
    for (const entry of exp.entries) {
      if (entry.moduleRequest) found.push({ specifier: entry.moduleRequest.value, typeOnly: entry.isType, dynamic: false });
    }
  }
  for (const dyn of module.dynamicImports) {
    const text = source.slice(dyn.moduleRequest.start, dyn.moduleRequest.end);
    const literal = /^['"`]([^'"`]+)['"`]$/.exec(text);
    if (literal?.[1]) found.push({ specifier: literal[1], typeOnly: false, dynamic: true });
  }
  return found;
}

const packagesDir = join(root, 'packages');
const packages = readdirSync(packagesDir).filter((name) => existsSync(join(packagesDir, name, 'package.json')));
const valueEdges = new Map<string, string[]>();

for (const pkg of packages) {
  const allowed = ALLOWED[pkg];
  if (!allowed) {
    problems.push(`packages/${pkg}: not in the dependency arrow; add it to scripts/check-deps.ts and DESIGN.md's table in README`);
    continue;
  }
  const manifest = JSON.parse(readFileSync(join(packagesDir, pkg, 'package.json'), 'utf8')) as {
    name?: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  if (manifest.name !== `@petrel/${pkg}`) problems.push(`packages/${pkg}/package.json: name must be "@petrel/${pkg}"`);
  const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})]);

  for (const file of walk(join(packagesDir, pkg))) {
    const rel = relative(root, file);
    const isSource = rel.startsWith(`packages${sep}${pkg}${sep}src${sep}`);
    for (const { specifier, typeOnly, dynamic } of importsOf(file)) {
      const workspace = /^@petrel\/([^/]+)(\/.*)?$/.exec(specifier);
      if (workspace) {
        const [, target = '', deep] = workspace;
        if (deep) problems.push(`${rel}: deep import "${specifier}"; import from "@petrel/${target}" (its src/index.ts)`);
        // Tests import their own package by name, to test its public surface; sources use relative paths.
        if (target === pkg) {
          if (isSource) problems.push(`${rel}: imports its own package by name; use a relative path`);
        } else if (isSource && TEST_ONLY.has(target)) {
          problems.push(`${rel}: @petrel/${target} is test support; only tests, examples and benchmarks may import it`);
        } else if (isSource && !allowed.includes(target) && !(dynamic && DYNAMIC_EXCEPTIONS.some((e) => e.file === rel.split(sep).join('/') && e.target === target))) {
          problems.push(`${rel}: ${pkg} may not import @petrel/${target} (allowed: ${allowed.join(', ') || 'nothing of ours'})`);
        }
        if (target !== pkg && !declared.has(`@petrel/${target}`)) {
          problems.push(`${rel}: imports @petrel/${target}, which packages/${pkg}/package.json does not declare`);
        }
        continue;
      }
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier);
      if (!target.startsWith(join(packagesDir, pkg) + sep)) {
        problems.push(`${rel}: relative import "${specifier}" leaves packages/${pkg}; import the other package by name`);
        continue;
      }
      if (!existsSync(target)) problems.push(`${rel}: "${specifier}" does not exist`);
      if (!typeOnly) valueEdges.set(file, [...(valueEdges.get(file) ?? []), target]);
    }
  }
}

// Cycles of value imports between files (type-only imports are erased and cannot cycle at run time).
const index = new Map<string, number>();
const low = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
let counter = 0;
function connect(node: string): void {
  index.set(node, counter);
  low.set(node, counter);
  counter++;
  stack.push(node);
  onStack.add(node);
  for (const next of valueEdges.get(node) ?? []) {
    if (!index.has(next)) {
      connect(next);
      low.set(node, Math.min(low.get(node)!, low.get(next)!));
    } else if (onStack.has(next)) {
      low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
  }
  if (low.get(node) === index.get(node)) {
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    const selfLoop = (valueEdges.get(node) ?? []).includes(node);
    if (component.length > 1 || selfLoop) {
      problems.push(`import cycle: ${component.map((f) => relative(root, f)).join(' -> ')}`);
    }
  }
}
for (const node of valueEdges.keys()) if (!index.has(node)) connect(node);

if (problems.length > 0) {
  for (const problem of problems) console.error(`check-deps: ${problem}`);
  console.error(`check-deps: ${problems.length} problem(s)`);
  process.exitCode = 1;
} else {
  console.log(`check-deps: ${packages.length} packages, arrow and cycles OK`);
}
