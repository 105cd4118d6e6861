/** `headroom probe`: the known-answer probes, now (docs/probes.md). */
import type { Command } from 'commander';
import { loadSetup, probeOnce, type GlobalOptions, type Surroundings } from '../../compose.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import type { CommandOutcome } from '../outcome.js';
import { renderProbeRun } from '../probe-text.js';

/** Adds `probe`. */
export function registerProbe(program: Command, surroundings: Surroundings, io: CliIo, outcome: CommandOutcome): void {
  program
    .command('probe')
    .description('send the known-answer probes to Ollama now and judge the answers; exits 0 when all pass, 1 otherwise (a skip included)')
    .option('--model <name>', 'probe this model instead of probe.model (still within the size limit)')
    .option('--json', 'print the run as JSON')
    .option('--dry-run', 'choose the model and check memory, and send nothing (exits 0 when the probes would be sent)')
    .addHelpText('after', '\nSee docs/probes.md: the probes, the model choice, the memory check, the schedule.')
    .action(async (options: { model?: string; json?: boolean; dryRun?: boolean }, command: Command) => {
      const setup = await loadSetup(command.optsWithGlobals<GlobalOptions>(), surroundings);
      const run = await probeOnce(setup, surroundings, { model: options.model, dryRun: options.dryRun === true });
      io.stdout(options.json ? `${JSON.stringify(run)}\n` : renderProbeRun(run));
      // A dry run succeeds when a real run would have sent the probes.
      const ok = options.dryRun ? run.reason?.startsWith('dry run:') === true : run.outcome === 'passed';
      outcome.exitCode = ok ? ExitCode.ok : ExitCode.failure;
    });
}
