/** Renders a memory snapshot for people: a usage bar, pressure and swap. Pure. */
import type { MemorySnapshot } from '../core/memory.js';
import { formatBytes, formatDurationMs } from '../core/units.js';
import type { OllamaState } from '../daemon/state-file.js';
import type { GuardStatus } from '../guard/guard.js';
import type { ServerStatus } from '../ollama/server.js';
import { serverLines } from './server-text.js';
import { probeLine } from './probe-text.js';
import type { ProbeStatus } from '../probe/service.js';
import type { ProbeRun } from '../probe/types.js';
import type { ProcessesState } from '../daemon/state-file.js';
import type { WindowServerStatus } from '../windowserver/watch.js';
import { processesLines, windowServerLines } from './processes-text.js';

/** Where the numbers came from: a running daemon, or a sample the CLI just took. */
export type StatusDaemon = { pid: number; lastSampleAt: number | null } | null;

const BAR_WIDTH = 30;

/** `[██████████░░░░░░░░░░]`: the used share of `total`. */
export function usageBar(usedBytes: number, totalBytes: number, width = BAR_WIDTH): string {
  const share = totalBytes > 0 ? Math.min(1, Math.max(0, usedBytes / totalBytes)) : 0;
  const filled = Math.round(share * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

function percent(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((part / whole) * 100)}%` : 'n/a';
}

/** The Ollama line: reachable with its models, or why not. */
export function ollamaLine(ollama: OllamaState | null): string {
  if (!ollama) return 'ollama    not watched (guard.enabled is false)';
  if (ollama.status !== 'ok') return `ollama    ${ollama.status} (${ollama.error ?? 'no answer'})`;
  if (ollama.models.length === 0) return `ollama    ok at ${ollama.url ?? '?'}, no model loaded`;
  const models = ollama.models.map((m) => `${m.name} (${formatBytes(m.sizeBytes)}${m.kind === 'vision' ? ', vision' : ''})`);
  return `ollama    ok at ${ollama.url ?? '?'}, loaded: ${models.join(', ')}`;
}

/** The guard line: its level, the incident, what is being unloaded. */
export function guardLine(guard: GuardStatus, now: number): string {
  const parts: string[] = [guard.level];
  if (guard.incident) parts.push(`incident ${guard.incident.id} for ${formatDurationMs(now - guard.incident.startedAt)}`);
  if (guard.unloading) parts.push(`unloading ${guard.unloading.join(', ')}`);
  if (guard.incident && guard.incident.unloaded.length > 0) parts.push(`unloaded ${guard.incident.unloaded.join(', ')}`);
  if (guard.dryRun) parts.push('dry run');
  return `guard     ${parts.join(', ')}`;
}

/** What `headroom status` shows beside memory; each part is left out (or says "not watched") when null or absent. */
export interface StatusParts {
  ollama?: OllamaState | null;
  guard?: GuardStatus | null;
  server?: ServerStatus | null;
  probe?: { lastRun: ProbeRun | null; status: ProbeStatus | null } | null;
  windowServer?: WindowServerStatus | null;
  processes?: ProcessesState | null;
  /** The docker line, already rendered. */
  docker?: string | null;
}

/** The whole `headroom status` text. `now` is only used for "last sample N s ago". */
export function renderStatus(memory: MemorySnapshot, daemon: StatusDaemon, now: number, parts: StatusParts = {}): string {
  const { ollama = null, guard = null, server = null, probe = null, windowServer = null, processes = null, docker = null } = parts;
  const lines: string[] = [];
  if (daemon) {
    const age = daemon.lastSampleAt === null ? 'no sample yet' : `last sample ${formatDurationMs(Math.max(0, now - daemon.lastSampleAt))} ago`;
    lines.push(`daemon    running (pid ${daemon.pid}, ${age})`);
  } else {
    lines.push('daemon    not running (sampled just now)');
  }
  const { totalBytes, availableBytes } = memory;
  if (totalBytes !== null && availableBytes !== null) {
    const used = totalBytes - availableBytes;
    lines.push(`memory    ${usageBar(used, totalBytes)} ${percent(used, totalBytes)} used`);
    lines.push(`          ${formatBytes(used)} used, ${formatBytes(availableBytes)} available of ${formatBytes(totalBytes)}`);
  } else {
    lines.push(`memory    unknown (total ${formatBytes(totalBytes)}, available ${formatBytes(availableBytes)})`);
  }
  lines.push(`          wired ${formatBytes(memory.wiredBytes)}, compressed ${formatBytes(memory.compressedBytes)}, free ${formatBytes(memory.freeBytes)}`);
  const reason = memory.pressureReason ? ` (${memory.pressureReason})` : '';
  lines.push(`pressure  ${memory.pressure}${reason}`);
  if (memory.swapTotalBytes !== null && memory.swapUsedBytes !== null) {
    const swapShare = memory.swapTotalBytes > 0 ? ` (${percent(memory.swapUsedBytes, memory.swapTotalBytes)})` : '';
    lines.push(`swap      ${formatBytes(memory.swapUsedBytes)} used of ${formatBytes(memory.swapTotalBytes)}${swapShare}`);
  } else {
    lines.push('swap      unknown');
  }
  lines.push(ollamaLine(ollama));
  if (guard) lines.push(guardLine(guard, now));
  if (server) lines.push(...serverLines(server));
  if (probe) lines.push(probeLine(probe.lastRun, probe.status, now));
  if (windowServer) lines.push(...windowServerLines(windowServer, now));
  lines.push(...processesLines(processes, now));
  if (docker) lines.push(docker);
  for (const error of memory.errors ?? []) lines.push(`error     ${error}`);
  return `${lines.join('\n')}\n`;
}
