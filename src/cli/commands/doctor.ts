/** `headroom doctor`: pass, warn and fail lines for everything headroom depends on. */
import type { Command } from 'commander';
import { runDoctor, type GlobalOptions, type Surroundings } from '../../compose.js';
import { doctorExitCode, renderDoctor } from '../../doctor/checks.js';
import type { CliIo } from '../io.js';
import type { CommandOutcome } from '../outcome.js';

/** Adds `doctor`. */
export function registerDoctor(program: Command, surroundings: Surroundings, io: CliIo, outcome: CommandOutcome): void {
  program
    .command('doctor')
    .description('check Node, the config, the LaunchAgent, the log folder, Ollama and its environment, pm2, notifications, Colima and Docker; exits 1 on any fail')
    .option('--json', 'print [{"name", "status": "pass|warn|fail", "detail", "hint"?}]')
    .action(async (options: { json?: boolean }, command: Command) => {
      const results = await runDoctor(command.optsWithGlobals<GlobalOptions>(), surroundings);
      io.stdout(options.json ? `${JSON.stringify(results)}\n` : renderDoctor(results));
      outcome.exitCode = doctorExitCode(results);
    });
}
