// `petrel doctor`: checks what Petrel needs on this machine and prints each problem with its fix —
// Node, the server configuration, Chromium (the browser package's discovery, and that it starts),
// ffmpeg (video), the database (reachable, migrations applied), the master key, the language model
// (a real test call with `--check-model`) and, when a server is configured, that it answers and
// takes the API key. It changes nothing: no database file or key file is created. Exit code 1 when
// any check is a problem; warnings (no ffmpeg, no model) do not fail it.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { CommandContext } from '../cli-context.ts';
import { EXIT_CODES, describeError } from '../cli-errors.ts';
import type { ActionRunner } from '../cli-program.ts';
import { loadConfigFor } from './server-commands.ts';

/** One check's result. */
type Check = { name: string; status: 'ok' | 'warn' | 'problem'; detail: string; fix?: string };

type DoctorOptions = { checkModel?: boolean; dataDir?: string; databaseUrl?: string };

function errorText(error: unknown): string {
  return describeError(error).message;
}

async function withTimeout<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer within ${ms / 1000} s`)), ms);
  try {
    return await work(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

async function runChecks(ctx: CommandContext, options: DoctorOptions): Promise<Check[]> {
  const checks: Check[] = [];
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  checks.push(
    major >= 24
      ? { name: 'node', status: 'ok', detail: `Node ${process.versions.node}` }
      : {
          name: 'node',
          status: 'warn',
          detail: `Node ${process.versions.node} runs Petrel, but it is developed and tested on Node 24${major === 22 && minor < 18 ? ' (and needs 22.18+)' : ''}`,
          fix: 'install Node 24 (in a Petrel checkout: `. scripts/toolchain.sh`)',
        },
  );

  const server = await import('@petrel/server');
  let config: Awaited<ReturnType<typeof loadConfigFor>>;
  try {
    config = await loadConfigFor(ctx, options);
    checks.push({ name: 'config', status: 'ok', detail: `server settings valid (data dir ${config.dataDir}${config.databaseUrl === undefined ? '' : ', PostgreSQL'})` });
  } catch (error) {
    checks.push({ name: 'config', status: 'problem', detail: errorText(error), fix: 'fix the variable, flag or config-file key it names (`petrel config` shows where each setting comes from)' });
    return checks;
  }

  // Chromium.
  if (config.browserAddress !== undefined) {
    const address = config.browserAddress.replace(/^ws/, 'http').replace(/\/devtools\/.*$/, '');
    try {
      const version = await withTimeout(5000, async (signal) => {
        const response = await fetch(`${address.replace(/\/+$/, '')}/json/version`, { signal });
        return ((await response.json()) as { Browser?: string }).Browser ?? 'unknown version';
      });
      checks.push({ name: 'chromium', status: 'ok', detail: `remote browser at ${config.browserAddress} (${version})` });
    } catch (error) {
      checks.push({ name: 'chromium', status: 'problem', detail: `remote browser at ${config.browserAddress} does not answer: ${errorText(error)}`, fix: 'start the remote Chromium with --remote-debugging-port, or unset PETREL_BROWSER_ADDRESS to launch one locally' });
    }
  } else {
    try {
      const found = server.findChromium(config.chromiumPath === undefined ? {} : { executablePath: config.chromiumPath });
      if (found === undefined) {
        checks.push({ name: 'chromium', status: 'problem', detail: 'no Chromium found', fix: server.CHROMIUM_INSTALL_HINT });
      } else {
        const probe = spawnSync(found.path, ['--version'], { encoding: 'utf8', timeout: 15_000 });
        const version = probe.status === 0 ? probe.stdout.trim() : undefined;
        checks.push(
          version === undefined
            ? { name: 'chromium', status: 'problem', detail: `${found.path} (${found.source}) does not start: ${(probe.stderr || probe.error?.message || `exit ${String(probe.status)}`).trim().split('\n')[0]}`, fix: `reinstall it, or ${server.CHROMIUM_INSTALL_HINT}` }
            : { name: 'chromium', status: 'ok', detail: `${version} at ${found.path} (${found.source})` },
        );
      }
    } catch (error) {
      checks.push({ name: 'chromium', status: 'problem', detail: errorText(error), fix: 'fix PETREL_CHROMIUM_PATH or unset it' });
    }
  }

  // ffmpeg: Playwright's own, or a system one `npm run setup` links where Playwright looks.
  const playwrightFfmpeg = server.findPlaywrightFfmpegPath();
  const systemFfmpeg = server.SYSTEM_FFMPEG_PATHS.find((path) => existsSync(path));
  if (playwrightFfmpeg !== undefined && existsSync(playwrightFfmpeg)) checks.push({ name: 'ffmpeg', status: 'ok', detail: `video recording on (${playwrightFfmpeg})` });
  else if (systemFfmpeg !== undefined) checks.push({ name: 'ffmpeg', status: 'warn', detail: `${systemFfmpeg} is not linked where Playwright looks: runs record no video`, fix: 'npm run setup (links it)' });
  else checks.push({ name: 'ffmpeg', status: 'warn', detail: 'no ffmpeg: runs record no video (everything else works)', fix: 'apt-get install -y --no-install-recommends ffmpeg, then npm run setup' });

  // Database and migrations, without creating anything.
  const sqlitePath = join(config.dataDir, 'petrel.db');
  if (config.databaseUrl === undefined && !existsSync(sqlitePath)) {
    checks.push({ name: 'database', status: 'ok', detail: `no database yet at ${sqlitePath}; \`petrel serve\` creates it` });
  } else {
    try {
      await using database = await server.openDatabase(config.databaseUrl === undefined ? { sqlitePath } : { postgresUrl: config.databaseUrl });
      await database.ping();
      const pending = await database.pendingMigrations();
      const where = config.databaseUrl === undefined ? sqlitePath : 'PostgreSQL';
      checks.push(
        pending.length === 0
          ? { name: 'database', status: 'ok', detail: `${where} (${database.dialect}) answers; migrations applied` }
          : { name: 'database', status: 'warn', detail: `${where} answers; ${pending.length} migration(s) pending (${pending.join(', ')})`, fix: 'petrel migrate (the server also applies them when it starts)' },
      );
    } catch (error) {
      checks.push({ name: 'database', status: 'problem', detail: errorText(error), fix: config.databaseUrl === undefined ? `check that ${config.dataDir} is writable` : 'check PETREL_DATABASE_URL: host, port, user, password and database name' });
    }
  }

  // Master key.
  if (config.masterKey !== undefined) {
    try {
      server.parseMasterKey(config.masterKey, 'PETREL_MASTER_KEY');
      checks.push({ name: 'master key', status: 'ok', detail: 'from PETREL_MASTER_KEY' });
    } catch (error) {
      checks.push({ name: 'master key', status: 'problem', detail: errorText(error), fix: 'set PETREL_MASTER_KEY to 32 random bytes in base64 (openssl rand -base64 32), or unset it to use the key file' });
    }
  } else {
    const keyFile = join(config.dataDir, server.MASTER_KEY_FILE);
    if (!existsSync(keyFile)) checks.push({ name: 'master key', status: 'ok', detail: `no key file yet; \`petrel serve\` creates ${keyFile} (back it up)` });
    else if ((statSync(keyFile).mode & 0o077) !== 0) checks.push({ name: 'master key', status: 'problem', detail: `${keyFile} is readable by others; the server refuses it`, fix: `chmod 600 ${keyFile}` });
    else checks.push({ name: 'master key', status: 'ok', detail: `${keyFile} (0600)` });
  }

  // Language model.
  if (config.llm === undefined) {
    checks.push({
      name: 'model',
      status: options.checkModel === true ? 'problem' : 'warn',
      detail: 'no language model configured: tasks and agent blocks fail with LLM_NOT_CONFIGURED (code workflows work)',
      fix: 'set PETREL_LLM_PROVIDER (openai, anthropic, google, openai-compatible), PETREL_LLM_MODEL, PETREL_LLM_API_KEY (and PETREL_LLM_BASE_URL)',
    });
  } else if (options.checkModel === true) {
    const started = Date.now();
    try {
      const model = server.createLanguageModel(config.llm);
      const answer = await withTimeout(60_000, (signal) => model.generate({ system: 'Answer with one word.', messages: [{ role: 'user', content: 'Say OK.' }], maxOutputTokens: 16, signal }));
      checks.push({ name: 'model', status: 'ok', detail: `${config.llm.provider} ${config.llm.model} answered in ${Date.now() - started} ms (${JSON.stringify(answer.text.trim().slice(0, 20))})` });
    } catch (error) {
      checks.push({ name: 'model', status: 'problem', detail: `${config.llm.provider} ${config.llm.model}: ${errorText(error)}`, fix: 'check PETREL_LLM_MODEL, PETREL_LLM_API_KEY and PETREL_LLM_BASE_URL' });
    }
  } else {
    checks.push({ name: 'model', status: 'ok', detail: `${config.llm.provider} ${config.llm.model} configured (--check-model makes a test call)` });
  }

  // The server the client commands talk to, when one is configured.
  const baseUrl = ctx.config.get('base_url') ?? '';
  const apiKey = ctx.config.get('api_key');
  try {
    await withTimeout(5000, async (signal) => {
      const response = await fetch(`${baseUrl.replace(/\/+$/, '')}/healthz`, { signal });
      if (!response.ok) throw new Error(`/healthz answered ${response.status}`);
    });
    if (apiKey === undefined) {
      checks.push({ name: 'api', status: 'warn', detail: `${baseUrl} answers, but no API key is configured for the client commands`, fix: 'petrel config set api_key (or PETREL_API_KEY)' });
    } else {
      try {
        const client = await ctx.client();
        await client.getApiKeys({ pageSize: 1 }, { timeout: 10_000, maxRetries: 0 });
        checks.push({ name: 'api', status: 'ok', detail: `${baseUrl} answers and takes the API key` });
      } catch (error) {
        checks.push({ name: 'api', status: 'problem', detail: `${baseUrl}: ${errorText(error)}`, fix: 'set a valid key: petrel config set api_key (or PETREL_API_KEY)' });
      }
    }
  } catch {
    checks.push({ name: 'api', status: 'warn', detail: `no server answers at ${baseUrl}`, fix: 'start one with `petrel serve`, or point --base-url / PETREL_BASE_URL at yours' });
  }
  return checks;
}

/** Registers `doctor`. */
export function registerDoctorCommand(program: Command, run: ActionRunner): void {
  program
    .command('doctor')
    .description('check Node, Chromium, ffmpeg, the database, the master key, the model and the server; print each problem with its fix')
    .option('--check-model', 'make a test call to the configured language model')
    .option('--data-dir <dir>', 'data directory to check (default: PETREL_DATA_DIR or ./.petrel)')
    .option('--database-url <url>', 'PostgreSQL URL to check (default: PETREL_DATABASE_URL)')
    .action(
      run<DoctorOptions>(async (ctx, _args, options) => {
        const checks = await runChecks(ctx, options);
        const problems = checks.filter((check) => check.status === 'problem').length;
        ctx.result({ ok: problems === 0, checks }, () => {
          for (const check of checks) {
            const mark = check.status === 'ok' ? ctx.style('ok  ', 'green') : check.status === 'warn' ? ctx.style('warn', 'yellow') : ctx.style('FAIL', 'red');
            ctx.print(`${mark}  ${check.name.padEnd(10)} ${check.detail}`);
            if (check.fix !== undefined && check.status !== 'ok') ctx.print(`      ${''.padEnd(10)} fix: ${check.fix}`);
          }
        });
        if (problems > 0) ctx.fail(EXIT_CODES.runNotCompleted, `${problems} problem(s) found`, 'DOCTOR_PROBLEMS');
      }),
    );
}
