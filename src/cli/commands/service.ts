/** `headroom install|uninstall|start|stop|restart|service-status`: the LaunchAgent (docs/launchd.md). */
import type { Command } from 'commander';
import { agentPlistFile, createLaunchAgent, loadSetup, type GlobalOptions, type Setup, type Surroundings } from '../../compose.js';
import type { AgentReport, AgentStatus, LaunchAgent } from '../../launchd/agent.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import type { CommandOutcome } from '../outcome.js';

/** Thrown on a platform without launchd; the CLI prints it and exits 1. */
export class NoLaunchdError extends Error {
  override name = 'NoLaunchdError';
  constructor(command: string) {
    super(`"headroom ${command}" manages a launchd LaunchAgent, and launchd is macOS-only. On Linux, run "headroom run" under your own supervisor (a systemd --user unit, for example); "--platform darwin" runs the macOS backend, e.g. against fake launchctl.`);
  }
}

async function darwinSetup(command: Command, name: string, surroundings: Surroundings): Promise<Setup> {
  const setup = await loadSetup(command.optsWithGlobals<GlobalOptions>(), surroundings);
  if (setup.platform !== 'darwin') throw new NoLaunchdError(name);
  return setup;
}

function printReport(io: CliIo, report: AgentReport, dryRun: boolean): void {
  for (const step of report.steps) io.stdout(`${dryRun && !step.startsWith('would') ? 'dry run: ' : ''}${step}\n`);
  if (report.hint) (report.ok ? io.stdout : io.stderr)(`${report.ok ? '' : 'headroom: '}${report.hint}\n`);
}

/** `service-status` for people. */
export function renderAgentStatus(status: AgentStatus): string {
  const lines = [`agent     ${status.label}`, `plist     ${status.plistFile} (${status.installed ? 'installed' : 'not installed'})`];
  if (status.problem) lines.push(`launchd   cannot tell: ${status.problem}`);
  else if (!status.loaded) lines.push(`launchd   not loaded${status.installed ? ' (stopped: "headroom start")' : ' ("headroom install")'}`);
  else if (status.service) {
    const { service } = status;
    lines.push(`state     ${service.state}${service.pid !== null ? ` (pid ${service.pid})` : ''}`);
    if (service.runs !== null) lines.push(`runs      ${service.runs}`);
    if (service.lastSignal) lines.push(`last exit killed by ${service.lastSignal.name} (signal ${service.lastSignal.number})`);
    else lines.push(`last exit ${service.lastExitCode === null ? 'never exited' : `code ${service.lastExitCode}`}`);
    if (service.path && service.path !== status.plistFile) lines.push(`warning   launchd loaded ${service.path}, not ${status.plistFile}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Adds the LaunchAgent commands. */
export function registerService(program: Command, surroundings: Surroundings, io: CliIo, outcome: CommandOutcome): void {
  const simple = (name: string, description: string, act: (agent: LaunchAgent) => Promise<AgentReport>, printPlist = false): void => {
    program
      .command(name)
      .description(description)
      .option('--dry-run', printPlist ? 'print the plist and the launchctl commands, and change nothing' : 'print the launchctl commands, and change nothing')
      .addHelpText('after', '\nmacOS only. See docs/launchd.md.')
      .action(async (options: { dryRun?: boolean }, command: Command) => {
        const setup = await darwinSetup(command, name, surroundings);
        const dryRun = options.dryRun === true;
        const agent = createLaunchAgent(setup, surroundings, { dryRun });
        if (printPlist && dryRun) io.stdout(`${agentPlistFile(setup, surroundings)}:\n${agent.plistText}\n`);
        const report = await act(agent);
        printReport(io, report, dryRun);
        outcome.exitCode = report.ok ? ExitCode.ok : ExitCode.failure;
      });
  };
  simple('install', 'write the LaunchAgent plist and load it (it starts now and at every login, and comes back when it dies)', (agent) => agent.install(), true);
  simple('uninstall', 'unload the LaunchAgent and remove its plist', (agent) => agent.uninstall());
  simple('start', 'start the LaunchAgent (kickstart; load it again after "headroom stop")', (agent) => agent.start());
  simple('stop', 'stop the LaunchAgent so that KeepAlive does not bring it back (until "headroom start" or the next login)', (agent) => agent.stop());
  simple('restart', 'restart the LaunchAgent (kickstart -k)', (agent) => agent.restart());

  program
    .command('service-status')
    .description("the LaunchAgent as launchd sees it: loaded or not, state, pid, runs, last exit code or signal")
    .option('--json', 'print {"label", "plistFile", "installed", "loaded", "service": {"state", "pid", "runs", "lastExitCode", "lastSignal", "path", "program"} | null, "problem"}')
    .addHelpText('after', '\nmacOS only. See docs/launchd.md.')
    .action(async (options: { json?: boolean }, command: Command) => {
      const setup = await darwinSetup(command, 'service-status', surroundings);
      const status = await createLaunchAgent(setup, surroundings, { dryRun: true }).status();
      io.stdout(options.json ? `${JSON.stringify(status)}\n` : renderAgentStatus(status));
      outcome.exitCode = status.problem ? ExitCode.failure : ExitCode.ok;
    });
}
