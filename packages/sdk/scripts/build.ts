// Builds the SDK for consumers (`npm run build -w @petrel/sdk`): ESM JavaScript and `.d.ts` files in
// packages/sdk/dist/, from tsconfig.build.json (relative `.ts` imports rewritten to `.js`). The repo
// itself never needs this: inside the workspace `@petrel/sdk` resolves to src/index.ts.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const sdkDir = fileURLToPath(new URL('..', import.meta.url));
// TypeScript 7 exports no `bin/tsc` subpath; its package.json is exported.
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin/tsc');

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: sdkDir, stdio: 'inherit' });
process.stdout.write('built packages/sdk/dist\n');
