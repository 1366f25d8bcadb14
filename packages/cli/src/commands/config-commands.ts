// `petrel config`: prints the resolved settings with where each came from (secrets masked), and
// `config get|set|unset|path|keys`. `set` writes the user config file (or `--project`'s
// ./petrel.config.json, or `--config FILE`) with mode 0600; a secret's value (`api_key`,
// `master_key`, …) is read without echo or from `--stdin`, never from the arguments.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { CommandContext } from '../cli-context.ts';
import { CONFIG_KEYS, describeSource, getConfigKey, maskValue, readConfigFile, writeConfigFile } from '../cli-config.ts';
import { usageError } from '../cli-errors.ts';
import type { ActionRunner } from '../cli-program.ts';
import { printTable } from '../output-format.ts';
import { readSecrets } from '../secret-input.ts';

type FileChoice = { project?: boolean };

/** The file `set` and `unset` change. */
function targetFile(ctx: CommandContext, options: FileChoice): string {
  const paths = ctx.config.paths;
  if (options.project === true) {
    if (paths.explicit !== undefined) throw usageError('--project and --config name different files; give one');
    return paths.project;
  }
  return paths.explicit ?? paths.user;
}

function show(ctx: CommandContext, options: { all?: boolean }): void {
  const config = ctx.config;
  const settings = CONFIG_KEYS.flatMap((info): Array<{ key: string; value: string | null; source: string; env: string }> => {
    const setting = config.settings.get(info.key);
    if (setting === undefined) return options.all === true ? [{ key: info.key, value: null, source: 'unset', env: info.env }] : [];
    return [{ key: info.key, value: maskValue(info, setting.value), source: describeSource(setting.source), env: info.env }];
  });
  const files = { explicit: config.paths.explicit ?? null, project: config.paths.project, user: config.paths.user, read: config.files };
  ctx.result({ settings, files }, () => {
    printTable(ctx, settings, [
      { header: 'key', value: (row) => row.key },
      { header: 'value', value: (row) => row.value, maxWidth: 70 },
      { header: 'from', value: (row) => row.source },
    ]);
    ctx.print('');
    ctx.print(`config files: ${config.files.length === 0 ? 'none found' : config.files.join(', ')}`);
    if (config.paths.explicit === undefined) ctx.print(`  looked for ${config.paths.project} and ${config.paths.user}`);
  });
}

async function set(ctx: CommandContext, key: string, value: string | undefined, options: FileChoice & { stdin?: boolean }): Promise<void> {
  const info = getConfigKey(key, 'config set');
  let newValue = value;
  if (info.masking === 'secret') {
    if (value !== undefined) throw usageError(`config set: ${key} is a secret: leave the value out and type it at the prompt, or pipe it with --stdin (never in arguments)`);
    [newValue] = await readSecrets(ctx, [{ label: key }], options.stdin === true);
  }
  if (newValue === undefined) throw usageError(`config set: give a value for ${key}`);
  newValue = newValue.trim();
  if (key === 'base_url' && !/^https?:\/\/[^/\s]+/.test(newValue)) throw usageError('config set: base_url must start with http:// or https://');
  const path = targetFile(ctx, options);
  const values = readConfigFile(path);
  values[key] = newValue;
  writeConfigFile(path, values);
  ctx.result({ key, value: maskValue(info, newValue), file: path }, () => ctx.print(`${key} = ${maskValue(info, newValue)} (saved in ${path})`));
  const env = ctx.io.env[info.env];
  if (env !== undefined && env !== '') ctx.note(`note: ${info.env} is set in this environment and takes precedence over the file`);
}

function unset(ctx: CommandContext, key: string, options: FileChoice): void {
  getConfigKey(key, 'config unset');
  const path = targetFile(ctx, options);
  const values = existsSync(path) ? readConfigFile(path) : {};
  const had = key in values;
  delete values[key];
  if (had) writeConfigFile(path, values);
  ctx.result({ key, file: path, removed: had }, () => ctx.print(had ? `${key} removed from ${path}` : `${key} was not set in ${path}`));
}

/** Registers `config` and its subcommands. */
export function registerConfigCommands(program: Command, run: ActionRunner): void {
  const config = program
    .command('config')
    .description('show the resolved configuration (flags, then env, then config files, then defaults), or change a config file');
  config
    .command('show', { isDefault: true })
    .description('print every setting that has a value, where it came from (secrets masked)')
    .option('--all', 'also list the settings that are unset')
    .action(run<{ all?: boolean }>(async (ctx, _args, options) => show(ctx, options)));
  config
    .command('get')
    .description('print one setting\'s resolved value (unmasked, for scripts)')
    .argument('<key>', 'setting, e.g. base_url')
    .action(
      run(async (ctx, [key = '']) => {
        getConfigKey(key, 'config get');
        const setting = ctx.config.settings.get(key);
        if (setting === undefined) throw usageError(`config get: ${key} is not set`);
        ctx.result({ key, value: setting.value, source: describeSource(setting.source) }, () => ctx.print(setting.value));
      }),
    );
  config
    .command('set')
    .description('save a setting in the user config file (secrets are prompted for without echo, or read with --stdin)')
    .argument('<key>', 'setting, e.g. base_url, api_key, data_dir, llm_provider')
    .argument('[value]', 'its value (not for secrets)')
    .option('--project', 'write ./petrel.config.json instead of the user config file')
    .option('--stdin', "read a secret's value from stdin")
    .addHelpText('after', '\nExamples:\n  petrel config set base_url http://127.0.0.1:8000\n  petrel config set api_key                  # prompts, no echo\n  echo "$KEY" | petrel config set api_key --stdin')
    .action(run<FileChoice & { stdin?: boolean }>(async (ctx, [key = '', value], options) => set(ctx, key, value, options)));
  config
    .command('unset')
    .description('remove a setting from the user config file')
    .argument('<key>', 'setting')
    .option('--project', 'change ./petrel.config.json instead')
    .action(run<FileChoice>(async (ctx, [key = ''], options) => unset(ctx, key, options)));
  config
    .command('path')
    .description('print the config files looked at, and which exist')
    .action(
      run(async (ctx) => {
        const paths = ctx.config.paths;
        const files = (paths.explicit === undefined ? [paths.project, paths.user] : [paths.explicit]).map((path) => ({ path, exists: existsSync(path) }));
        ctx.result(files, () => {
          for (const file of files) ctx.print(`${file.path}${file.exists ? '' : ' (not there)'}`);
        });
      }),
    );
  config
    .command('keys')
    .description('list every setting: its key, environment variable and default')
    .action(
      run(async (ctx) => {
        const rows = CONFIG_KEYS.map((info) => ({ key: info.key, env: info.env, scope: info.scope, secret: info.masking === 'secret', default: info.defaultValue ?? null }));
        ctx.result(rows, () =>
          printTable(ctx, rows, [
            { header: 'key', value: (row) => row.key },
            { header: 'env', value: (row) => row.env },
            { header: 'for', value: (row) => row.scope },
            { header: 'default', value: (row) => row.default },
          ]),
        );
      }),
    );
}
