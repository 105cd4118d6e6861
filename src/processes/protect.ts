/**
 * The protected set: processes headroom never signals, whatever pattern matches them. Pure.
 *
 * - the system's: pid 0 and 1 (kernel_task, launchd), WindowServer, loginwindow, launchd and
 *   kernel_task by name (the basename of the command's first word);
 * - headroom itself, the processes it runs (its children: vm_stat, the sysctl pump, the pm2
 *   agent) and those that run it (its parent chain: the shell or launchd);
 * - pm2's daemon and its children, and the Ollama server (the pids the caller names), with
 *   their descendants;
 * - Ollama by name (`ollama`, `Ollama`), and a runner (`llama-server`, `ollama runner`) with an
 *   `ollama serve` among its ancestors: Ollama is freed by unloading. A `llama-server` the user
 *   runs by hand (llama.cpp's own) is theirs to guard, as ollamaRunners does not count it.
 */
import path from 'node:path';
import { isOllamaServerCommand, parseRunnerCommand } from '../ollama/runners.js';
import type { ProcessDetails } from '../ports/processes.js';

/** System processes protected by name. */
export const PROTECTED_NAMES: readonly string[] = ['WindowServer', 'loginwindow', 'launchd', 'kernel_task'];

/** Ollama's executables: its server, CLI and app (its runners are told by their parent). */
const OLLAMA_NAMES: readonly string[] = ['ollama', 'Ollama'];

const OLLAMA_WHY = 'Ollama (freed by unloading models, never by a signal)';

/** A pid headroom protects with its descendants, and what it is. */
export interface ProtectedPid {
  pid: number;
  what: string;
}

/** The program's name: the basename of the command line's first word. */
export function programName(command: string): string {
  return path.basename(command.split(' ')[0] ?? '');
}

/** The process table by pid, as far as the protected set needs it. */
export type ProtectionTable = ReadonlyMap<number, Pick<ProcessDetails, 'ppid'> & Partial<Pick<ProcessDetails, 'command'>>>;

/** The pids from `pid` up its parent chain (itself first), at most 64 steps. */
function ancestry(pid: number, table: ProtectionTable): number[] {
  const chain = [pid];
  let current = table.get(pid);
  while (current && current.ppid > 0 && chain.length < 64 && !chain.includes(current.ppid)) {
    chain.push(current.ppid);
    current = table.get(current.ppid);
  }
  return chain;
}

/** Why `process` is protected, or null when it is not. `table` is the whole process table, by pid. */
export function protectionOf(process: Pick<ProcessDetails, 'pid' | 'command'>, table: ProtectionTable, ownPid: number, named: readonly ProtectedPid[]): string | null {
  if (process.pid <= 1) return 'a system process (pid 0 or 1)';
  const name = programName(process.command);
  if (PROTECTED_NAMES.includes(name)) return `a system process (${name})`;
  if (OLLAMA_NAMES.includes(name)) return OLLAMA_WHY;
  const chain = ancestry(process.pid, table);
  if (parseRunnerCommand(process.pid, process.command) && chain.slice(1).some((pid) => isOllamaServerCommand(table.get(pid)?.command ?? ''))) return OLLAMA_WHY;
  if (chain[0] === ownPid) return 'headroom itself';
  if (chain.includes(ownPid)) return 'a process headroom runs';
  if (ancestry(ownPid, table).includes(process.pid)) return 'a process that runs headroom';
  const owner = named.find((entry) => chain.includes(entry.pid));
  if (owner) return owner.pid === process.pid ? owner.what : `a child of ${owner.what}`;
  return null;
}
