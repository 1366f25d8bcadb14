#!/usr/bin/env node
// The `petrel` command (bin/petrel.js imports this; `node packages/cli/src/main.ts …` works too).
// The only place that touches the real process: argv, env, the streams, signals and the exit code.
// Ctrl-C (or SIGTERM) aborts the interrupt signal — waits stop, servers shut down gracefully; a
// second one exits at once with 130.
import { runCli } from './cli-program.ts';

const interrupt = new AbortController();
let signals = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  signals++;
  if (signals > 1) {
    process.stderr.write(`\npetrel: ${signal} again: exiting now\n`);
    process.exit(130);
  }
  interrupt.abort(new Error(signal));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// A closed pipe (`petrel runs list | head -1`) ends the output, not the command with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  interrupt: interrupt.signal,
});
