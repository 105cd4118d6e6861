/** `headroom run`: the daemon in the foreground (what `npm start` and launchd run). */
import type { Command } from 'commander';
import { loadSetup, runDaemon, type GlobalOptions, type Surroundings } from '../../compose.js';
import type { CommandOutcome } from '../outcome.js';

/** Adds `run`. */
export function registerRun(program: Command, surroundings: Surroundings, outcome: CommandOutcome): void {
  program
    .command('run')
    .description('run the daemon in the foreground until SIGTERM or SIGINT (Ctrl-C)')
    .option('--dry-run', 'log what the guard would unload, and unload nothing (same as guard.dryRun: true)')
    .action(async (options: { dryRun?: boolean }, command: Command) => {
      const setup = await loadSetup(command.optsWithGlobals<GlobalOptions>(), surroundings);
      const { exitCode } = await runDaemon(setup, surroundings, { dryRun: options.dryRun === true });
      outcome.exitCode = exitCode;
    });
}
