// `petrel` as a user drives it, every command a child process against a live `petrel serve` (itself
// a child: SQLite in a temp dir, headless Chromium, the fake model speaking OpenAI's protocol, the
// fixture portal as the site): tasks with --wait (progress lines when not a TTY, the output, exit
// codes 0/1/5/130), runs list/get/watch/cancel/timeline/artifacts --download, and block workflows
// create/update/list/get/versions/run/delete with --param and --params-file.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { collect, petrel, spawnPetrel, startServe, tempDir, waitForLine } from '../helpers/cli-harness.ts';
import type { CliResult, ServeProcess } from '../helpers/cli-harness.ts';
import { startTaskStage } from '@petrel/testing';
import type { TaskStage } from '@petrel/testing';
import { needsChromium } from '../helpers/needs-chromium.ts';

type Json = Record<string, unknown>;

const home = tempDir('petrel-cli-runs-');
let stage: TaskStage;
let serve: ServeProcess;
let env: Record<string, string>;

before(async () => {
  if (needsChromium.skip !== false) return;
  stage = await startTaskStage();
  serve = await startServe(home.path, join(home.path, 'data'), stage.llmEnv);
  env = { PETREL_BASE_URL: serve.url, PETREL_API_KEY: serve.apiKey };
});

after(async () => {
  const code = await serve?.stop();
  await stage?.[Symbol.asyncDispose]();
  home[Symbol.dispose]();
  // Ctrl-C stops the server gracefully: exit 0.
  if (serve !== undefined) assert.equal(code, 0, serve.stderr.join(''));
});

function cli(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return petrel(args, home.path, { env: { ...env, ...options.env }, ...(options.stdin === undefined ? {} : { stdin: options.stdin }) });
}

function explain(result: CliResult): string {
  return `exit ${String(result.code)}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}

test('run task --wait: progress lines on stderr (no TTY), the output pretty-printed, exit 0', needsChromium, async () => {
  const schema = join(home.path, 'job.schema.json');
  writeFileSync(schema, JSON.stringify({ type: 'object', properties: { job_id: { type: 'string' }, page_path: { type: 'string' } }, required: ['job_id'] }));
  const result = await cli(['run', 'task', 'Open the first job and give me its id.', '--url', `${stage.portal.url}/jobs`, '--schema', schema, '--max-steps', '4', '--wait', '--timeout', '3m']);
  assert.equal(result.code, 0, explain(result));
  // Progress: one line per event, with the run id, the steps, the action taken and where it led.
  assert.match(result.stderr, /run tsk_\w+ queued; watching/);
  // The watch replays the run from its start: its first step is shown even when it began before the watch subscribed.
  assert.match(result.stderr, /\] step 1 started\n/);
  assert.match(result.stderr, /step 1: click .*→ http:\/\/127\.0\.0\.1:\d+\/jobs\/JOB-\d+/);
  assert.match(result.stderr, /\] step 2 done \(complete/);
  assert.match(result.stderr, /\] run tsk_\w+ completed\n$/);
  assert.ok(!result.stderr.includes('\u001b['), 'no terminal control codes when stderr is not a TTY');
  // The finished run on stdout, its output as indented JSON.
  assert.match(result.stdout, /^run:\s+tsk_\w+$/m);
  assert.match(result.stdout, /^status:\s+completed$/m);
  assert.match(result.stdout, /^steps:\s+2$/m);
  assert.match(result.stdout, /^output:\n\{ "job_id": "JOB-\d+", "page_path": "\/jobs\/JOB-\d+" \}$/m);
});

test('run task --json --wait: the finished run as one JSON document on stdout; progress stays on stderr', needsChromium, async () => {
  const result = await cli(['run', 'task', 'Open the first job.', '--url', `${stage.portal.url}/jobs`, '--title', 'json task', '--wait', '--json']);
  assert.equal(result.code, 0, explain(result));
  const run = result.json<Json>();
  assert.equal(run['status'], 'completed');
  assert.match(String(run['runId']), /^tsk_/);
  assert.equal(run['stepCount'], 2);
  assert.match(result.stderr, /step 1: click/);

  // The same run through `runs get`, `runs list` and `runs timeline`, as JSON and as text.
  const got = await cli(['runs', 'get', String(run['runId']), '--json']);
  assert.equal(got.code, 0, explain(got));
  assert.equal(got.json<Json>()['status'], 'completed');
  const list = await cli(['runs', 'list', '--status', 'completed', '--json']);
  assert.ok(list.json<Json[]>().some((item) => item['runId'] === run['runId'] && item['title'] === 'json task'), list.stdout);
  const table = await cli(['runs', 'list', '--search', 'json task']);
  assert.match(table.stdout, /^RUN\s+TYPE\s+STATUS\s+CREATED\s+FINISHED\s+TITLE$/m);
  assert.match(table.stdout, new RegExp(`^${String(run['runId'])}\\s+task_v1\\s+completed\\s.*json task$`, 'm'));
  const timeline = await cli(['runs', 'timeline', String(run['runId'])]);
  assert.equal(timeline.code, 0, explain(timeline));
  assert.match(timeline.stdout, /completed/);
  const timelineJson = await cli(['runs', 'timeline', String(run['runId']), '--json']);
  assert.ok(Array.isArray(timelineJson.json()), timelineJson.stdout);
});

test('runs artifacts: listed with types and sizes; --download saves their bytes into a folder', needsChromium, async () => {
  const started = await cli(['run', 'task', 'Open the first job.', '--url', `${stage.portal.url}/jobs`, '--wait', '--json']);
  assert.equal(started.code, 0, explain(started));
  const runId = String(started.json<Json>()['runId']);
  const listed = await cli(['runs', 'artifacts', runId, '--json']);
  const artifacts = listed.json<Array<Json>>();
  assert.ok(artifacts.some((artifact) => artifact['artifactType'] === 'screenshot_action' || artifact['artifactType'] === 'screenshot'), listed.stdout);

  const folder = join(home.path, 'artifacts');
  const saved = await cli(['runs', 'artifacts', runId, '--type', 'screenshot_action', '--type', 'screenshot_final', '--download', folder, '--json']);
  assert.equal(saved.code, 0, explain(saved));
  const files = saved.json<Array<Json & { path: string }>>();
  assert.ok(files.length > 0, saved.stdout);
  for (const file of files) {
    assert.ok(existsSync(file.path), file.path);
    assert.equal(statSync(file.path).size, file['fileSize'], `${file.path} has the artifact's size`);
    assert.ok(file.path.startsWith(folder));
  }
  assert.equal(readdirSync(folder).length, files.length);
  // The bytes are the image its media type says (JPEG or PNG signature), not an error page.
  const first = files[0]!;
  const signature = [...readFileSync(first.path).subarray(0, 3)];
  if (first['contentType'] === 'image/jpeg') {
    assert.deepEqual(signature, [0xff, 0xd8, 0xff]);
    assert.match(first.path, /\.jpe?g$/);
  } else {
    assert.deepEqual(signature, [0x89, 0x50, 0x4e]);
  }
});

test('a run that ends terminated: printed with its reason, exit 1; runs watch of it exits 1 at once', needsChromium, async () => {
  const result = await cli(['run', 'task', 'Buy the portal [terminate].', '--url', `${stage.portal.url}/jobs`, '--wait']);
  assert.equal(result.code, 1, explain(result));
  assert.match(result.stdout, /^status:\s+terminated$/m);
  assert.match(result.stderr, /petrel: run task: run tsk_\w+ ended terminated/);
  assert.match(result.stderr, /\(RUN_TERMINATED\)/);
  const runId = /run (tsk_\w+) ended/.exec(result.stderr)?.[1] ?? '';
  const watched = await cli(['runs', 'watch', runId, '--json']);
  assert.equal(watched.code, 1, explain(watched));
  assert.equal(watched.json<Json>()['status'], 'terminated');
});

test('--timeout while waiting: exit 5 and the run goes on; runs cancel stops it; watching it then exits 1', needsChromium, async () => {
  const result = await cli(['run', 'task', 'Take your time [slow].', '--url', `${stage.portal.url}/jobs`, '--wait', '--timeout', '2s']);
  assert.equal(result.code, 5, explain(result));
  assert.match(result.stderr, /has not finished within 2\.0 s; `petrel runs watch tsk_\w+` keeps watching \(TIMEOUT\)/);
  const runId = /run (tsk_\w+) has not finished/.exec(result.stderr)?.[1] ?? '';
  const current = await cli(['runs', 'get', runId, '--json']);
  assert.ok(['queued', 'running'].includes(String(current.json<Json>()['status'])), current.stdout);

  const canceled = await cli(['runs', 'cancel', runId]);
  assert.equal(canceled.code, 0, explain(canceled));
  assert.equal(canceled.stdout, `canceled ${runId}\n`);
  const watched = await cli(['runs', 'watch', runId, '--timeout', '1m']);
  assert.equal(watched.code, 1, explain(watched));
  assert.match(watched.stdout, /^status:\s+canceled$/m);
  // Canceling a finished run is refused by the API: exit 3, one line with the code and the request id.
  const again = await cli(['runs', 'cancel', runId]);
  assert.equal(again.code, 3, explain(again));
  assert.match(again.stderr, /^petrel: runs cancel: .+ \([A-Z_]+, request req_\w+\)\n$/);
});

test('Ctrl-C while waiting: exit 130; the run goes on, or is canceled with --cancel-on-interrupt', needsChromium, async () => {
  for (const cancel of [false, true]) {
    const child = spawnPetrel(['run', 'task', 'Take your time [slow].', '--url', `${stage.portal.url}/jobs`, '--wait', ...(cancel ? ['--cancel-on-interrupt'] : [])], home.path, { env });
    child.stdin?.end();
    const finished = collect(child);
    const lines: string[] = [];
    await waitForLine(child.stderr!, lines, (line) => /\] run tsk_\w+ (queued|running)/.test(line), 60_000);
    child.kill('SIGINT');
    const result = await finished;
    const stderr = `${lines.join('\n')}\n${result.stderr}`;
    assert.equal(result.code, 130, `${stderr}\n${result.stdout}`);
    const runId = /run (tsk_\w+) queued/.exec(stderr)?.[1] ?? '';
    assert.match(runId, /^tsk_/);
    const afterwards = await cli(['runs', 'get', runId, '--json']);
    if (cancel) {
      assert.match(stderr, new RegExp(`canceled run ${runId}`));
      assert.equal(afterwards.json<Json>()['status'], 'canceled');
    } else {
      assert.match(stderr, new RegExp(`stopped watching; run ${runId} goes on`));
      assert.ok(['queued', 'running'].includes(String(afterwards.json<Json>()['status'])), afterwards.stdout);
      assert.equal((await cli(['runs', 'cancel', runId])).code, 0);
    }
  }
});

test('API errors: a missing run is exit 3 with code and request id (--json: an error object on stderr); a bad key is exit 3', needsChromium, async () => {
  const missing = await cli(['runs', 'get', 'wr_01NOTTHERE0000000000000000']);
  assert.equal(missing.code, 3, explain(missing));
  assert.match(missing.stderr, /^petrel: runs get: run wr_01NOTTHERE0000000000000000 not found \(RUN_NOT_FOUND, request req_\w+\)\n$/);
  assert.equal(missing.stdout, '');
  const json = await cli(['runs', 'get', 'wr_01NOTTHERE0000000000000000', '--json']);
  assert.equal(json.code, 3);
  const error = (JSON.parse(json.stderr) as { error: Json }).error;
  assert.equal(error['code'], 'RUN_NOT_FOUND');
  assert.equal(error['statusCode'], 404);
  assert.match(String(error['requestId']), /^req_/);
  const badKey = await cli(['runs', 'list'], { env: { PETREL_API_KEY: 'pk_not_a_real_key' } });
  assert.equal(badKey.code, 3, explain(badKey));
  assert.match(badKey.stderr, /\(UNAUTHENTICATED, request req_\w+\); check the API key/);
});

const FIXTURES = join(import.meta.dirname, '../fixtures');

test('workflows: create from YAML, update from JSON, list, get, versions, run with --param/--params-file --wait, delete', needsChromium, async () => {
  const created = await cli(['workflows', 'create', join(FIXTURES, 'greeting.yaml'), '--json']);
  assert.equal(created.code, 0, explain(created));
  const workflow = created.json<Json>();
  const id = String(workflow['workflowPermanentId']);
  assert.match(id, /^wpid_/);
  assert.equal(workflow['version'], 1);

  const text = await cli(['workflows', 'get', id]);
  assert.match(text.stdout, /^title:\s+CLI greeting$/m);
  assert.match(text.stdout, /^parameters:\s+name \(string\), times \(integer, default 1\)$/m);
  assert.match(text.stdout, /^blocks:\s+greet \(code\)$/m);

  // Version 1 runs with text parameters the server converts to their types.
  const ran = await cli(['workflows', 'run', id, '--param', 'name=Dana', '--param', 'times=2', '--wait', '--json']);
  assert.equal(ran.code, 0, explain(ran));
  const run = ran.json<Json>();
  assert.match(String(run['runId']), /^wr_/);
  assert.equal(run['status'], 'completed');
  assert.deepEqual((run['output'] as Json)['greet_output'], { greeting: 'hello Dana, hello Dana' });
  assert.match(ran.stderr, /block greet completed/);

  const updated = await cli(['workflows', 'update', id, join(FIXTURES, 'greeting-v2.json')]);
  assert.equal(updated.code, 0, explain(updated));
  assert.equal(updated.stdout, `${id} version 2: CLI greeting v2\n`);
  const versions = await cli(['workflows', 'versions', id, '--json']);
  assert.deepEqual(versions.json<Json[]>().map((version) => Number(version['version'])).sort((a, b) => a - b), [1, 2]);
  const first = await cli(['workflows', 'get', id, '1', '--json']);
  assert.equal(first.json<Json>()['title'], 'CLI greeting');
  const list = await cli(['workflows', 'list']);
  assert.match(list.stdout, new RegExp(`^${id}\\s+2\\s+1\\s+.*CLI greeting v2$`, 'm'));

  // --params-file, with --param winning; text output of the finished run.
  const params = join(home.path, 'params.json');
  writeFileSync(params, JSON.stringify({ name: 'Lee', times: 3, shout: true }));
  const second = await cli(['workflows', 'run', id, '--params-file', params, '--param', 'times=1', '--wait']);
  assert.equal(second.code, 0, explain(second));
  assert.match(second.stdout, /^status:\s+completed$/m);
  assert.match(second.stdout, /"greeting": "HELLO LEE"/);

  // A parameter of the wrong type is refused before any run exists: exit 3.
  const bad = await cli(['workflows', 'run', id, '--param', 'name=Kim', '--param', 'times=many']);
  assert.equal(bad.code, 3, explain(bad));
  assert.match(bad.stderr, /times/);

  const deleted = await cli(['workflows', 'delete', id]);
  assert.equal(deleted.code, 0, explain(deleted));
  const gone = await cli(['workflows', 'get', id]);
  assert.equal(gone.code, 3, explain(gone));
});

test('workflows create: a definition with mistakes is refused with its line and column (exit 3); seed 000 task lists and stdin work', needsChromium, async () => {
  const broken = await cli(['workflows', 'create', join(FIXTURES, 'broken.yaml')]);
  assert.equal(broken.code, 3, explain(broken));
  assert.match(broken.stderr, /navigation_goal.* \(line 5, column \d+\)/);
  assert.match(broken.stderr, /\(VALIDATION_FAILED, request req_\w+\)/);

  const taskList = JSON.stringify({ name: 'Seed 000 list', tasks: [{ instructions: 'Open the jobs page.', target_url: `${stage.portal.url}/jobs` }] });
  const fromStdin = await cli(['workflows', 'create', '-', '--json'], { stdin: taskList });
  assert.equal(fromStdin.code, 0, explain(fromStdin));
  assert.equal(fromStdin.json<Json>()['title'], 'Seed 000 list');
  const missing = await cli(['workflows', 'create', join(FIXTURES, 'no-such.yaml')]);
  assert.equal(missing.code, 2, explain(missing));
  assert.match(missing.stderr, /no-such\.yaml: no such file/);
});

test('runs webhooks and runs retry-webhook: the delivery to a loopback receiver, then once more on demand; a receiver that is down is exit 4', needsChromium, async () => {
  const received: string[] = [];
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push(Buffer.concat(chunks).toString('utf8'));
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const started = await cli(['run', 'task', 'Open the first job.', '--url', `${stage.portal.url}/jobs`, '--webhook-url', url, '--wait', '--field', 'runId']);
    assert.equal(started.code, 0, explain(started));
    const runId = started.stdout.trim();
    assert.match(runId, /^tsk_\w+$/);
    // Delivery is durable and asynchronous: wait for its record.
    const deadline = Date.now() + 60_000;
    let deliveries: Json[] = [];
    while (deliveries.length === 0 && Date.now() < deadline) {
      deliveries = (await cli(['runs', 'webhooks', runId, '--json'])).json<Json[]>();
      if (deliveries.length === 0) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.equal(deliveries[0]?.['statusCode'], 200, JSON.stringify(deliveries));
    assert.ok(received.some((body) => body.includes(runId)));
    const table = await cli(['runs', 'webhooks', runId]);
    assert.match(table.stdout, /^ATTEMPT\s+AT\s+STATUS\s+TOOK\s+SOURCE\s+URL$/m);

    const retried = await cli(['runs', 'retry-webhook', runId]);
    assert.equal(retried.code, 0, explain(retried));
    assert.match(retried.stdout, /^answer:\s+200$/m);
    // A port nothing listens on.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const down = await cli(['runs', 'retry-webhook', runId, '--url', `http://127.0.0.1:${port}/nobody`]);
    assert.equal(down.code, 4, explain(down));
    assert.match(down.stderr, /petrel: runs retry-webhook: the receiver (could not be reached|answered \d+)/);
  } finally {
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  }
});
