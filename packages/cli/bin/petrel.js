#!/usr/bin/env node
// The `petrel` command's launcher. Plain JavaScript, so that a Node too old to run TypeScript says
// what to do instead of failing on a `.ts` file; the command itself is src/main.ts (run directly by
// Node's type stripping, no build step).
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18) || (major === 23 && minor < 6)) {
  process.stderr.write(
    `petrel: needs Node 22.18 or newer (this is ${process.version}); in a Petrel checkout run \`. scripts/toolchain.sh\` first, or install Node 24\n`,
  );
  process.exit(2);
}
await import('../src/main.ts');
