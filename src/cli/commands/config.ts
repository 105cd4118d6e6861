/** `headroom config check` and `headroom config show`. */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { effectiveConfig } from '../../config/paths.js';
import { loadSetup, type GlobalOptions, type Surroundings } from '../../compose.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import type { CommandOutcome } from '../outcome.js';

/** Adds the `config` command group. */
export function registerConfig(program: Command, surroundings: Surroundings, io: CliIo, outcome: CommandOutcome): void {
  const group = program
    .command('config')
    .description('check or show the config file')
    .addHelpText('after', '\nThe file is --config PATH, else $HEADROOM_CONFIG, else ~/.config/headroom/config.yaml.');

  group
    .command('check')
    .description('validate the config file; exit 0 when valid, 78 when not')
    .action(async (_options: object, command: Command) => {
      const setup = await loadSetup(command.optsWithGlobals<GlobalOptions>(), surroundings);
      io.stdout(setup.configFile ? `config OK: ${setup.configFile}\n` : 'no config file: built-in defaults apply\n');
      outcome.exitCode = ExitCode.ok;
    });

  group
    .command('show')
    .description('print the effective config (file values over defaults, folders resolved)')
    .option('--json', 'print JSON instead of YAML')
    .action(async (options: { json?: boolean }, command: Command) => {
      const setup = await loadSetup(command.optsWithGlobals<GlobalOptions>(), surroundings);
      const effective = effectiveConfig(setup.config, setup.paths);
      if (options.json) {
        io.stdout(`${JSON.stringify(effective, null, 2)}\n`);
      } else {
        const source = setup.configFile ?? 'built-in defaults (no config file)';
        io.stdout(`# effective config for platform ${setup.platform}; source: ${source}\n${stringify(effective)}`);
      }
      outcome.exitCode = ExitCode.ok;
    });
}
