/** `headroom docker status|recover`: Colima/Lima/Docker after reboots and power cuts (docs/docker.md). */
import { InvalidArgumentError, type Command } from 'commander';
import { dockerSettings, loadSetup, lookAtDockerOnce, recoverDockerOnce, type GlobalOptions, type Surroundings } from '../../compose.js';
import { readRunningDaemon } from '../../daemon/running-daemon.js';
import { diagnose } from '../../docker/diagnose.js';
import type { DockerStatus } from '../../docker/service.js';
import { episodeAfter } from '../../docker/recovery.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import type { CommandOutcome } from '../outcome.js';
import { renderDockerStatus, renderRecovery } from '../docker-text.js';

/** A Colima profile name as colima accepts it. */
function profileOption(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,59}$/.test(value)) throw new InvalidArgumentError('a Colima profile name: letters, digits, _ . - (at most 60)');
  return value;
}

/** Adds the `docker` command group. */
export function registerDocker(program: Command, surroundings: Surroundings, io: CliIo, outcome: CommandOutcome): void {
  const group = program
    .command('docker')
    .description('Colima/Lima/Docker after reboots and power cuts: what is wrong, and bringing it back')
    .addHelpText('after', '\nSee docs/docker.md: the failure modes, the tiers of actions, what is never done, how retries are bounded.');

  group
    .command('status')
    .description("what headroom finds: Docker's /_ping, the context, colima and Lima, PID files, the disk lock, and the plan a recovery would carry out")
    .option('--json', 'print {"facts", "diagnosis", "start", "daemon", "gaveUp"} as JSON')
    .option('--profile <name>', 'look at this Colima profile instead of docker.profile', profileOption)
    .addHelpText('after', '\nExit codes: 0 Docker answers, or there is nothing to watch (no colima, no such profile); 1 Docker does not answer; 64, 78 as usual.')
    .action(async (options: { json?: boolean; profile?: string }, command: Command) => {
      const setup = await loadSetup(command.optsWithGlobals<GlobalOptions>(), surroundings);
      const { facts, start, gaveUp, parts } = await lookAtDockerOnce(setup, surroundings, { profile: options.profile });
      // As the daemon would plan it once a Broken has been read twice, after the starts of this boot.
      const diagnosis = diagnose(facts, { ...episodeAfter(parts.startCount.used(parts.profile.name, start.boot)), rechecked: true }, { ...dockerSettings(setup.config), manual: false });
      const daemon = await daemonDocker(setup.paths.socketFile, setup.paths.stateFile, parts.profile.name);
      io.stdout(options.json ? `${JSON.stringify({ facts, diagnosis, start, daemon, gaveUp })}\n` : renderDockerStatus(facts, diagnosis, start, daemon, gaveUp, Date.now()));
      outcome.exitCode = diagnosis.verdict === 'healthy' || diagnosis.verdict === 'inactive' ? ExitCode.ok : ExitCode.failure;
    });

  group
    .command('recover')
    .description('recover now: remove stale files, unlock the disk, stop (only what is proven safe) and start Colima, then the services in docker.services')
    .option('--dry-run', 'read and say what would be done, and do nothing')
    .option('--profile <name>', 'recover this Colima profile instead of docker.profile', profileOption)
    .addHelpText('after', '\nExit codes: 0 Docker answers afterwards (or there is nothing to recover; a dry run that could plan); 1 it does not, or a service did not come back, or another recovery is under way; 64, 78 as usual.')
    .action(async (options: { dryRun?: boolean; profile?: string }, command: Command) => {
      const setup = await loadSetup(command.optsWithGlobals<GlobalOptions>(), surroundings);
      const result = await recoverDockerOnce(setup, surroundings, { dryRun: options.dryRun === true, profile: options.profile });
      if ('busyPid' in result) {
        io.stderr(`headroom: another Docker recovery is under way${result.busyPid > 0 ? ` (pid ${result.busyPid})` : ''}; see "headroom docker status"\n`);
        outcome.exitCode = ExitCode.failure;
        return;
      }
      io.stdout(renderRecovery(result));
      const serviceFailed = result.services.some((s) => s.state === 'failed' || s.state === 'missing' || s.state === 'unknown');
      const ok = ['healthy', 'recovered', 'inactive', 'dry-run'].includes(result.outcome) && !serviceFailed;
      outcome.exitCode = ok ? ExitCode.ok : ExitCode.failure;
    });
}

/** The running daemon's view of Docker, when it watches the same profile. */
async function daemonDocker(socketFile: string, stateFile: string, profile: string): Promise<DockerStatus | null> {
  const state = (await readRunningDaemon(socketFile, stateFile))?.state;
  return state?.docker?.profile === profile ? state.docker : null;
}
