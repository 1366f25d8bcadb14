// @petrel/cli: the `petrel` command. `runCli` runs it in-process with given streams (tests, wrappers);
// the exit codes and the configuration resolution are exported for scripts that embed it.
export { runCli, createProgram } from './cli-program.ts';
export type { ActionRunner } from './cli-program.ts';
export type { CliIo, GlobalOptions, OutputStream, InputStream } from './cli-context.ts';
export { CommandContext, fieldOf } from './cli-context.ts';
export { EXIT_CODES, EXIT_CODE_HELP, CliError, describeError, formatErrorLine } from './cli-errors.ts';
export type { ExitCode, DescribedError } from './cli-errors.ts';
export {
  CONFIG_KEYS,
  SERVER_CONFIG_ENV,
  DEFAULT_BASE_URL,
  configPaths,
  resolveConfig,
  readConfigFile,
  writeConfigFile,
  serverEnvironment,
  maskValue,
} from './cli-config.ts';
export type { ConfigKeyInfo, ConfigPaths, ConfigSource, ResolvedConfig, ResolvedSetting } from './cli-config.ts';
