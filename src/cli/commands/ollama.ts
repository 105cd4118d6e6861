/** `headroom ollama status|start|stop|restart`: the Ollama server headroom runs under pm2 (docs/ollama-server.md). */
import type { Command } from 'commander';
import { inspectServerOnce, loadSetup, withOllamaServer, type GlobalOptions, type Setup, type Surroundings } from '../../compose.js';
import { readRunningDaemon } from '../../daemon/running-daemon.js';
import type { PlanResult, ServerStatus } from '../../ollama/server.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import type { CommandOutcome } from '../outcome.js';
import { renderServerStatus } from '../server-text.js';

/** The health counts live in the daemon; a one-shot command asks it for them. */
async function withDaemonHealth(setup: Setup, status: ServerStatus): Promise<ServerStatus> {
  const state = (await readRunningDaemon(setup.paths.socketFile, setup.paths.stateFile))?.state;
  return state?.server ? { ...status, health: state.server.health } : status;
}

function printPlan(io: CliIo, result: PlanResult, dryRun: boolean): void {
  io.stdout(`${dryRun ? 'dry run: ' : ''}${result.plan.summary}\n`);
  for (const step of result.steps) io.stdout(`  ${step}\n`);
  if (result.plan.warning) io.stderr(`headroom: ${result.plan.warning}\n`);
}

/** Adds the `ollama` command group. */
export function registerOllama(program: Command, surroundings: Surroundings, io: CliIo, outcome: CommandOutcome): void {
  const group = program
    .command('ollama')
    .description('the Ollama server headroom runs under pm2 with the safe environment')
    .addHelpText('after', '\nSee docs/ollama-server.md: who may serve, takeover, the safe environment, health checks.');

  group
    .command('status')
    .description('who serves Ollama, with which environment, what pm2 reports, and the health checks')
    .option('--json', 'print the status as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const setup = await loadSetup(command.optsWithGlobals<GlobalOptions>(), surroundings);
      const status = await withDaemonHealth(setup, await inspectServerOnce(setup, surroundings));
      io.stdout(options.json ? `${JSON.stringify(status)}\n` : renderServerStatus(status, Date.now()));
      outcome.exitCode = ExitCode.ok;
    });

  group
    .command('start')
    .description('start headroom\'s server (or adopt the one running); lifts "headroom ollama stop"')
    .option('--dry-run', 'say what would be done, and do nothing')
    .option('--takeover', 'stop a server headroom did not start (Ollama.app, brew services, a hand-run one) and run its own, this once')
    .action(async (options: { dryRun?: boolean; takeover?: boolean }, command: Command) => {
      const setup = await loadSetup(command.optsWithGlobals<GlobalOptions>(), surroundings);
      const dryRun = options.dryRun === true;
      await withOllamaServer(setup, surroundings, { dryRun, log: true }, async (server) => {
        const result = await server.start(options.takeover ? { takeover: true } : {});
        printPlan(io, result, dryRun);
        const owner = server.current?.owner.kind;
        outcome.exitCode = result.ok && (dryRun || owner === 'headroom') ? ExitCode.ok : ExitCode.failure;
        if (!dryRun && owner !== 'headroom') io.stderr(`headroom: Ollama is not served by headroom: ${server.current?.description ?? 'unknown'}\n`);
      });
    });

  group
    .command('stop')
    .description('stop headroom\'s server and pm2\'s daemon; headroom starts none until "headroom ollama start"')
    .option('--dry-run', 'say what would be done, and do nothing')
    .action(async (options: { dryRun?: boolean }, command: Command) => {
      const setup = await loadSetup(command.optsWithGlobals<GlobalOptions>(), surroundings);
      const dryRun = options.dryRun === true;
      await withOllamaServer(setup, surroundings, { dryRun, log: true }, async (server) => {
        for (const step of await server.stop()) io.stdout(`${dryRun ? 'dry run: ' : ''}${step}\n`);
        outcome.exitCode = ExitCode.ok;
      });
    });

  group
    .command('restart')
    .description('restart headroom\'s server (pm2 delete + start, which applies a changed environment)')
    .option('--dry-run', 'say what would be done, and do nothing')
    .action(async (options: { dryRun?: boolean }, command: Command) => {
      const setup = await loadSetup(command.optsWithGlobals<GlobalOptions>(), surroundings);
      const dryRun = options.dryRun === true;
      await withOllamaServer(setup, surroundings, { dryRun, log: true }, async (server) => {
        const result = await server.restart();
        printPlan(io, result, dryRun);
        if (result.readyAfterMs !== null) io.stdout(`ready after ${result.readyAfterMs} ms\n`);
        outcome.exitCode = result.ok ? ExitCode.ok : ExitCode.failure;
      });
    });
}
