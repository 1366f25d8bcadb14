// Runs every workflow definition in this folder (*.yaml, *.json) against the fixture portal with the
// offline fake model, one line per example, and ends with `N passed, N failed` (exit code 1 when any
// failed). `npm run examples:workflows`; CI runs it. See run-workflow.ts to run one and see its outputs.
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startLocalPetrel } from '../../packages/blocks/test/support/local-petrel.ts';
import { EXAMPLE_CASES } from './example-cases.ts';
import { runExample } from './run-workflow.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const files = (await readdir(here)).filter((name) => /\.(ya?ml|json)$/.test(name) && (only.length === 0 || only.includes(name))).sort();

let passed = 0;
let failed = 0;
for (const file of files) {
  const started = Date.now();
  let problem: string | undefined;
  let summary = '';
  // A fresh Petrel per example: no state leaks from one to the next (logins, mail, submissions).
  const petrel = await startLocalPetrel();
  try {
    const run = await runExample(petrel, file);
    summary = `${run.status}, ${Object.keys(run.output ?? {}).length - 1} block outputs, ${run.downloaded_files?.length ?? 0} files, ${run.step_count ?? 0} agent steps`;
    problem = run.status === 'completed' ? EXAMPLE_CASES[file]?.check(run, petrel) : `${run.status}: ${run.failure_reason ?? ''}`;
  } catch (error) {
    problem = error instanceof Error ? error.message : String(error);
  } finally {
    await petrel.close();
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (problem === undefined) {
    passed++;
    console.log(`PASS ${file} (${seconds} s): ${summary}`);
  } else {
    failed++;
    console.log(`FAIL ${file} (${seconds} s): ${problem.split('\n')[0]?.slice(0, 500)}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
