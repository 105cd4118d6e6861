/** `headroom status`: the daemon's latest sample, or a fresh one when no daemon runs. */
import type { Command } from 'commander';
import { dockerLineOnce, inspectServerOnce, loadSetup, readOllamaOnce, readProbeRuns, sampleOnce, type GlobalOptions, type Surroundings } from '../../compose.js';
import type { DockerStatus } from '../../docker/service.js';
import type { MemorySnapshot } from '../../core/memory.js';
import { readRunningDaemon } from '../../daemon/running-daemon.js';
import type { OllamaState, ProcessesState } from '../../daemon/state-file.js';
import { fixedWindowServerStatus, type WindowServerStatus } from '../../windowserver/watch.js';
import type { GuardStatus } from '../../guard/guard.js';
import type { ServerStatus } from '../../ollama/server.js';
import type { ProbeStatus } from '../../probe/service.js';
import { ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import type { CommandOutcome } from '../outcome.js';
import { renderStatus, type StatusDaemon } from '../status-text.js';
import { dockerLine } from '../docker-text.js';

/** Adds `status`. */
export function registerStatus(program: Command, surroundings: Surroundings, io: CliIo, outcome: CommandOutcome): void {
  program
    .command('status')
    .description("show memory use, pressure and swap: the daemon's latest sample, or a fresh one when no daemon runs")
    .option('--json', 'print {"memory": <snapshot>, "daemon": {"pid", "lastSampleAt"} | null, "ollama": …, "guard": …, "server": …, "probe": {"lastRun", "status"}, "windowServer": …, "processes": …, "docker": …}')
    .action(async (options: { json?: boolean }, command: Command) => {
      const setup = await loadSetup(command.optsWithGlobals<GlobalOptions>(), surroundings);
      const running = await readRunningDaemon(setup.paths.socketFile, setup.paths.stateFile);
      let daemon: StatusDaemon = null;
      let memory: MemorySnapshot | null = null;
      let ollama: OllamaState | null | undefined;
      let guard: GuardStatus | null = null;
      let server: ServerStatus | null = null;
      let probeStatus: ProbeStatus | null = null;
      let docker: DockerStatus | null = null;
      let windowServer: WindowServerStatus | null = null;
      let processes: ProcessesState | null = null;
      if (running) {
        const { state } = running;
        daemon = { pid: running.hello.pid, lastSampleAt: state?.lastSampleAt ?? null };
        if (state) {
          memory = state.memory;
          ollama = state.ollama;
          guard = state.guard ?? null;
          server = state.server ?? null;
          probeStatus = state.probe ?? null;
          docker = state.docker ?? null;
          windowServer = state.windowServer ?? null;
          processes = state.processes ?? null;
        }
        if (running.fileProblem) io.stderr(`headroom: ${running.fileProblem.message}; sampling now instead\n`);
      }
      memory ??= await sampleOnce(setup, surroundings);
      if (ollama === undefined) {
        const { url, reading } = await readOllamaOnce(setup, surroundings);
        ollama = {
          url,
          status: reading.status,
          ...(reading.error !== undefined ? { error: reading.error } : {}),
          readAt: reading.readAt,
          models: reading.models.map(({ name, sizeBytes, kind }) => ({ name, sizeBytes, kind })),
        };
      }
      server ??= await inspectServerOnce(setup, surroundings);
      // The newest run, by the daemon or by "headroom probe"; the schedule only while a daemon runs.
      const probe = { lastRun: readProbeRuns(setup).at(-1) ?? probeStatus?.lastRun ?? null, status: probeStatus };
      // WindowServer is followed only by a daemon: a single look could not tell its CPU.
      windowServer ??= setup.platform === 'linux' ? fixedWindowServerStatus('not applicable', 'Linux has no WindowServer') : fixedWindowServerStatus('unknown', 'no daemon runs to follow it');
      // Without a daemon: colima on PATH and one /_ping, nothing more.
      const dockerQuick = docker === null ? await dockerLineOnce(setup, surroundings) : null;
      const dockerJson = docker ?? (dockerQuick ? { profile: dockerQuick.profile, installed: dockerQuick.installed, ping: dockerQuick.ping } : null);
      if (options.json) io.stdout(`${JSON.stringify({ memory, daemon, ollama, guard, server, probe, windowServer, processes, docker: dockerJson })}\n`);
      else io.stdout(renderStatus(memory, daemon, Date.now(), { ollama, guard, server, probe, windowServer, processes, docker: dockerLine(docker, dockerQuick) }));
      outcome.exitCode = ExitCode.ok;
    });
}
