/**
 * The CLI: commander wiring, global options, and the mapping from failures to exit codes
 * (docs/cli.md). `runCli` never calls process.exit; it returns the code.
 */
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '../config/load.js';
import type { Surroundings } from '../compose.js';
import { AlreadyRunningError } from '../daemon/instance-lock.js';
import { PLATFORM_NAMES } from '../platform/platform.js';
import { HEADROOM_VERSION } from '../version.js';
import { registerConfig } from './commands/config.js';
import { registerOllama } from './commands/ollama.js';
import { registerProbe } from './commands/probe.js';
import { registerService } from './commands/service.js';
import { registerLogs } from './commands/logs.js';
import { registerDoctor } from './commands/doctor.js';
import { registerDocker } from './commands/docker.js';
import { registerRun } from './commands/run.js';
import { registerSimulate } from './commands/simulate.js';
import { registerStatus } from './commands/status.js';
import { registerProcesses } from './commands/processes.js';
import { ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import type { CommandOutcome } from './outcome.js';

/** Builds the program; exposed so tests can walk every command's help. */
export function buildProgram(surroundings: Surroundings, io: CliIo, outcome: CommandOutcome): Command {
  const program = new Command('headroom')
    .description('Keeps an Apple Silicon Mac running local LLMs alive: watches memory pressure and acts before the machine locks up.')
    .version(HEADROOM_VERSION, '-V, --version')
    .option('--config <path>', 'config file (default: $HEADROOM_CONFIG, else ~/.config/headroom/config.yaml)')
    .addOption(new Option('--platform <name>', 'use this platform backend instead of detecting it').choices([...PLATFORM_NAMES]))
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();
  registerRun(program, surroundings, outcome);
  registerStatus(program, surroundings, io, outcome);
  registerProcesses(program, surroundings, io, outcome);
  registerConfig(program, surroundings, io, outcome);
  registerSimulate(program, surroundings, io, outcome);
  registerOllama(program, surroundings, io, outcome);
  registerProbe(program, surroundings, io, outcome);
  registerService(program, surroundings, io, outcome);
  registerLogs(program, surroundings, io, outcome);
  registerDoctor(program, surroundings, io, outcome);
  registerDocker(program, surroundings, io, outcome);
  program.addHelpText('after', '\nExit codes: 0 ok, 1 runtime failure, 64 usage error, 78 config error.');
  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: readonly string[], surroundings: Surroundings, io: CliIo): Promise<number> {
  const outcome: CommandOutcome = { exitCode: ExitCode.ok };
  const program = buildProgram(surroundings, io, outcome);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return outcome.exitCode;
  } catch (error) {
    return exitCodeFor(error, io);
  }
}

function exitCodeFor(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // commander has already printed the message or the help text.
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? ExitCode.ok : ExitCode.usage;
  }
  if (error instanceof ConfigError) {
    io.stderr(`headroom: invalid config\n${error.message}\n`);
    return ExitCode.config;
  }
  if (error instanceof AlreadyRunningError) {
    const how = error.hello ? `launchctl, or kill ${error.hello.pid}` : 'launchctl, or kill the process';
    io.stderr(`headroom: ${error.message}\nStop it first (${how}), or use its state with "headroom status".\n`);
    return ExitCode.failure;
  }
  io.stderr(`headroom: ${error instanceof Error ? error.message : String(error)}\n`);
  return ExitCode.failure;
}
