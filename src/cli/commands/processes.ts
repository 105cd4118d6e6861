/** `headroom processes`: the heaviest processes now, and what each guarded pattern would do. */
import type { Command} from 'commander';
import { InvalidArgumentError } from 'commander';
import { loadSetup, previewProcessesNow, type GlobalOptions, type Surroundings } from '../../compose.js';
import { probeDaemon } from '../../daemon/instance-lock.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import type { CommandOutcome } from '../outcome.js';
import { renderProcessesPreview } from '../processes-text.js';

function limitOption(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new InvalidArgumentError('a whole number from 1 to 100');
  return limit;
}

/** Adds `processes`. */
export function registerProcesses(program: Command, surroundings: Surroundings, io: CliIo, outcome: CommandOutcome): void {
  program
    .command('processes')
    .description('sample the heaviest processes now (physical footprint on macOS), and show what each guarded pattern matches and would do')
    .option('--limit <n>', 'how many of the heaviest to list (1-100)', limitOption, 10)
    .option('--json', 'print {"heaviest": [{"pid", "name", "command", "uid", "bytes", "metric"}], "notes": {pid: note}, "rules": [{"index", "pattern", "stage", "action", "graceMs", "matches": [{"pid", "name", "command", "verdict"}]}]}')
    .action(async (options: { limit: number; json?: boolean }, command: Command) => {
      const setup = await loadSetup(command.optsWithGlobals<GlobalOptions>(), surroundings);
      const hello = await probeDaemon(setup.paths.socketFile);
      const preview = await previewProcessesNow(setup, surroundings, { limit: options.limit, daemonPid: hello?.pid ?? null });
      io.stdout(options.json ? `${JSON.stringify(preview)}\n` : renderProcessesPreview(preview));
      outcome.exitCode = ExitCode.ok;
    });
}
