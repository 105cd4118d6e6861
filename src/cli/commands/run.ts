/** `headroom run`: the daemon in the foreground (what `npm start` and launchd run). */
import type { Command } from 'commander';
import { loadSetup, runDaemon, type GlobalOptions, type Surroundings } from '../../compose.js';
import type { CommandOutcome } from '../outcome.js';

/** Adds `run`. */
export function registerRun(program: Command, surroundings: Surroundings, outcome: CommandOutcome): void {
  program
    .command('run')
    .description('run the daemon in the foreground until SIGTERM or SIGINT (Ctrl-C)')
    .action(async (_options: object, command: Command) => {
      const setup = await loadSetup(command.optsWithGlobals<GlobalOptions>(), surroundings);
      const { exitCode } = await runDaemon(setup, surroundings);
      outcome.exitCode = exitCode;
    });
}
