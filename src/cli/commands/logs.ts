/** `headroom logs`: the daemon's log, filtered, pretty on a terminal, and followed across rotations. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { existsSync } from 'node:fs';
import { createLinePrettifier } from '../../adapters/pretty-log-line.js';
import { loadSetup, type GlobalOptions, type Surroundings } from '../../compose.js';
import { LOG_LEVELS, lineMatches, parseSince, type LogFilter, type LogLevel } from '../../logs/filter.js';
import { LogFollower, readLogLines } from '../../logs/log-files.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import type { CommandOutcome } from '../outcome.js';

/** How often --follow looks for new lines. */
const FOLLOW_POLL_MS = 250;

interface LogsOptions {
  follow?: boolean;
  level?: LogLevel;
  since?: number;
  component?: string;
  json?: boolean;
  lines: number;
}

function sinceArgument(value: string): number {
  const since = parseSince(value, Date.now());
  if (since === null) throw new InvalidArgumentError('use a duration (90s, 15m, 2h, 1d) or an ISO date or time (2026-11-22T10:00)');
  return since;
}

function countArgument(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('a whole number (0 for every line)');
  return Number.parseInt(value, 10);
}

/** Adds `logs`. */
export function registerLogs(program: Command, surroundings: Surroundings, io: CliIo, outcome: CommandOutcome): void {
  program
    .command('logs')
    .description("show the daemon's log (headroom.log and its rotated files, oldest first); pretty on a terminal")
    .option('-f, --follow', 'keep printing new lines, across rotations, until Ctrl-C')
    .addOption(new Option('--level <level>', 'only this level and above').choices([...LOG_LEVELS]))
    .option('--since <when>', 'only lines since a duration ago (90s, 15m, 2h, 1d) or an ISO date or time', sinceArgument)
    .option('--component <name>', 'only one component: daemon, sensor.memory, guard, ollama, ollama-server, probe, docker, windowserver, processes')
    .option('--json', 'print the raw JSON lines')
    .option('-n, --lines <count>', 'the last N matching lines (0: all)', countArgument, 100)
    .action(async (options: LogsOptions, command: Command) => {
      const setup = await loadSetup(command.optsWithGlobals<GlobalOptions>(), surroundings);
      const file = setup.paths.logFile;
      const filter: LogFilter = { minLevel: options.level ?? null, sinceMs: options.since ?? null, component: options.component ?? null };
      const pretty = options.json ? null : createLinePrettifier(surroundings.isTTY);
      const print = (line: string): void => {
        if (lineMatches(line, filter)) io.stdout(pretty ? pretty(line) : `${line}\n`);
      };
      if (!existsSync(file) && !options.follow) {
        io.stderr(`headroom: no log yet at ${file}\n`);
        outcome.exitCode = ExitCode.ok;
        return;
      }
      // The follower starts first, and the lines before its start are read up to it: a line written meanwhile is printed once.
      const follower = options.follow ? new LogFollower(file, print) : null;
      const handover = follower?.start() ?? undefined;
      const matching = readLogLines(file, handover).filter((line) => lineMatches(line, filter));
      for (const line of options.lines > 0 ? matching.slice(-options.lines) : matching) io.stdout(pretty ? pretty(line) : `${line}\n`);
      outcome.exitCode = ExitCode.ok;
      if (!follower) return;
      const timer = setInterval(() => follower.poll(), FOLLOW_POLL_MS);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      clearInterval(timer);
      follower.poll();
      follower.stop();
    });
}
