// Runs `petrel` as a user does: a child process of `bin/petrel.js`, with its own HOME and
// XDG_CONFIG_HOME (so no real config file is read or written) and none of the caller's PETREL_*
// variables unless given. `startServe` runs `petrel serve --json` in a child and reads its ready line.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** The launcher users run (`npx petrel` links to it). */
export const PETREL_BIN = join(ROOT, 'packages/cli/bin/petrel.js');

/** What a finished `petrel` invocation printed and how it exited. */
export type CliResult = {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON. */
  // oxlint-disable-next-line typescript/no-unnecessary-type-parameters -- the caller names what it expects.
  json<T = unknown>(): T;
};

/** How to run one invocation. */
export type CliOptions = {
  /** Environment on top of the isolated base (HOME, XDG_CONFIG_HOME, PATH). */
  env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed. Default: stdin closed at once. */
  stdin?: string;
  cwd?: string;
  /** Kill the child after this long. Default 120 s. */
  timeoutMs?: number;
};

/** A base environment: PATH and the Chromium override only, a private HOME and config folder. */
export function isolatedEnv(home: string): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: join(home, '.config'), NO_COLOR: '1' };
  if (process.env.PETREL_CHROMIUM_PATH) env['PETREL_CHROMIUM_PATH'] = process.env.PETREL_CHROMIUM_PATH;
  if (process.env.CI) env['CI'] = process.env.CI;
  return env;
}

/** A temporary directory removed by `dispose`. */
export function tempDir(prefix: string): { path: string; [Symbol.dispose](): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

/** Spawns `petrel args…` without waiting. */
export function spawnPetrel(args: readonly string[], home: string, options: CliOptions = {}): ChildProcess {
  const env = { ...isolatedEnv(home), ...options.env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  return spawn(process.execPath, [PETREL_BIN, ...args], { cwd: options.cwd ?? home, env, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Collects a child's output until it exits. */
export function collect(child: ChildProcess, timeoutMs = 120_000): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`petrel did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        // oxlint-disable-next-line typescript/no-unnecessary-type-parameters -- as above.
        json<T>() {
          try {
            return JSON.parse(stdout) as T;
          } catch {
            throw new Error(`stdout is not JSON (exit ${String(code)}):\n${stdout}\nstderr: ${stderr}`);
          }
        },
      });
    });
  });
}

/** Runs `petrel args…` to its end. */
export async function petrel(args: readonly string[], home: string, options: CliOptions = {}): Promise<CliResult> {
  const child = spawnPetrel(args, home, options);
  const result = collect(child, options.timeoutMs);
  child.stdin?.end(options.stdin ?? '');
  return result;
}

/** Waits until `predicate` sees a line of the stream, keeping every line. */
export function waitForLine(stream: NodeJS.ReadableStream, lines: string[], predicate: (line: string) => boolean, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = createInterface({ input: stream });
    const timer = setTimeout(() => reject(new Error(`no matching line within ${timeoutMs} ms:\n${lines.join('\n')}`)), timeoutMs);
    reader.on('line', (line) => {
      lines.push(line);
      if (predicate(line)) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    reader.once('close', () => {
      clearTimeout(timer);
      reject(new Error(`the stream ended without a matching line:\n${lines.join('\n')}`));
    });
  });
}

/** A `petrel serve` child process. */
export type ServeProcess = {
  url: string;
  apiKey: string;
  organizationId: string;
  child: ChildProcess;
  /** Everything it wrote to stderr (logs). */
  stderr: string[];
  /** Sends SIGINT and resolves with the exit code once it is gone. */
  stop(): Promise<number | null>;
  [Symbol.asyncDispose](): Promise<void>;
};

/** Starts `petrel serve --json --port 0` over `dataDir` and waits for its ready line. */
export async function startServe(home: string, dataDir: string, env: Record<string, string> = {}, extraArgs: string[] = []): Promise<ServeProcess> {
  const child = spawnPetrel(['serve', '--json', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', ...extraArgs], home, { env });
  child.stdin?.end();
  const stdoutLines: string[] = [];
  const stderr: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let line: string;
  try {
    line = await Promise.race([
      waitForLine(child.stdout!, stdoutLines, (text) => text.includes('"event":"ready"'), 60_000),
      exited.then((code) => Promise.reject(new Error(`petrel serve exited with ${String(code)}: ${stderr.join('')}`))),
    ]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const ready = JSON.parse(line) as { url: string; apiKey: string | null; organizationId: string | null };
  const stop = async (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    url: ready.url,
    apiKey: ready.apiKey ?? '',
    organizationId: ready.organizationId ?? '',
    child,
    stderr,
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
}
