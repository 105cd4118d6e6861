/** Finding out who serves on Ollama's port, and with which environment. */
import type { ProcessInfo } from './processes.js';

/** Platform probes for the server question. */
export interface ServerProbe {
  /** Pids listening on the TCP port; null when that cannot be told (no lsof, no permission). */
  portListeners(port: number): Promise<number[] | null>;
  /** OLLAMA_* and other variables of a process of headroom's own user; null when unreadable. */
  environment(pid: number): Promise<Record<string, string> | null>;
  /** The Ollama.app process in the table; always null where the app does not exist (Linux). */
  ollamaApp(processes: readonly ProcessInfo[]): ProcessInfo | null;
  /** The pid of a launchd service in the user's domain (null: loaded, not running); undefined where launchd does not exist. */
  launchdServicePid(label: string): Promise<number | null | undefined>;
}
