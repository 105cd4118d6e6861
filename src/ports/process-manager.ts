/** The process manager that runs `ollama serve` for headroom (pm2, in its own PM2_HOME). */

/** The managed server as the process manager sees it. */
export interface ManagedApp {
  pid: number | null;
  /** pm2's status: online, launching, stopping, stopped, errored, "waiting restart". */
  status: string;
  /** Restarts since it was started. */
  restarts: number;
  /** Restarts that came within the minimum uptime (a crash loop). */
  unstableRestarts: number;
  /** When the current run started (ms since the epoch), if running. */
  startedAt: number | null;
  exitCode: number | null;
}

/** The process manager's own daemon and the app it runs. */
export interface ManagerStatus {
  /** pm2's "God" daemon: its pid and resident memory; null when it is not running. */
  daemon: { pid: number; rssBytes: number | null } | null;
  app: ManagedApp | null;
}

/** What to run. */
export interface AppSpec {
  name: string;
  /** The absolute path of the executable, run as a binary (no interpreter). */
  script: string;
  args: string[];
  cwd: string;
  /** The whole environment of the child; nothing else of headroom's passes. */
  env: Record<string, string>;
  outFile: string;
  errFile: string;
  minUptimeMs: number;
  maxRestarts: number;
  /** First restart delay, growing ×1.5 per crash (pm2's exp_backoff_restart_delay). */
  backoffMs: number;
  /** SIGINT, then SIGKILL after this long, on stop. */
  killTimeoutMs: number;
}

/** Runs one named app. Every call rejects with a message when the manager fails. */
export interface ProcessManager {
  /** Looks without starting anything: no daemon is started to answer. */
  describe(name: string): Promise<ManagerStatus>;
  /** Deletes any app of that name, then starts `spec` (this is how an environment change applies). */
  start(spec: AppSpec): Promise<ManagerStatus>;
  /** Deletes the app; with `killDaemon`, also stops pm2's daemon when no app is left. */
  stop(name: string, killDaemon: boolean): Promise<void>;
}
