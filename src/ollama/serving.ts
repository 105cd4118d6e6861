/**
 * Who serves Ollama's port, and what headroom should do about it. Pure: the probes' answers go
 * in, a classification and a plan come out. docs/ollama-server.md describes the cases.
 */
import path from 'node:path';
import type { ProcessInfo } from '../ports/processes.js';

/** The launchd label of `brew services start ollama`. */
export const BREW_SERVICE_LABEL = 'homebrew.mxcl.ollama';

/** Who holds the port. */
export type ServerOwner =
  | { kind: 'none' }
  | { kind: 'headroom'; pid: number }
  /** Ollama.app's own server; `appPid` is the app, which restarts it 1 s after any exit. */
  | { kind: 'app'; pid: number; appPid: number | null }
  | { kind: 'brew'; pid: number }
  | { kind: 'manual'; pid: number }
  /** Something that is not Ollama. */
  | { kind: 'foreign'; pid: number; command: string }
  /** The port is taken but its process cannot be told (another user's, or no lsof). */
  | { kind: 'unknown'; why: string };

/** What the probes found. */
export interface ServingFacts {
  /** Listening pids; null when they cannot be told. */
  listeners: number[] | null;
  processes: readonly ProcessInfo[];
  /** The pid pm2 runs for headroom, if any. */
  managedPid: number | null;
  /** The pid of the Homebrew service (null: not running; undefined: no launchd). */
  brewPid: number | null | undefined;
}

/** The basename of a command's program ("/a/b/ollama serve" → "ollama"). */
function program(command: string): string {
  return path.basename(command.split(' ')[0] ?? '');
}

/** True for a process of Ollama: `…/ollama …` (server, runner) or the app (`…/Ollama.app/Contents/MacOS/Ollama`). */
export function isOllamaProcess(command: string): boolean {
  return program(command).toLowerCase() === 'ollama';
}

/** True for `…/ollama serve`. */
export function isOllamaServe(command: string): boolean {
  const words = command.split(' ');
  return program(command) === 'ollama' && words[1] === 'serve';
}

/** The Ollama.app process (`…/Ollama.app/Contents/MacOS/Ollama`), if it runs. */
export function findOllamaApp(processes: readonly ProcessInfo[]): ProcessInfo | null {
  return processes.find((p) => /\/Ollama\.app\/Contents\/MacOS\/Ollama(\s|$)/.test(p.command)) ?? null;
}

/** Classifies the port's holder. */
export function classifyServer(facts: ServingFacts): ServerOwner {
  const { listeners, processes } = facts;
  if (listeners === null) return { kind: 'unknown', why: 'the listening process cannot be told (another user, or no lsof)' };
  const pid = listeners[0];
  if (pid === undefined) return { kind: 'none' };
  if (facts.managedPid !== null && listeners.includes(facts.managedPid)) return { kind: 'headroom', pid: facts.managedPid };
  const entry = processes.find((p) => p.pid === pid);
  if (!entry) return { kind: 'unknown', why: `pid ${pid} listens but is not in the process table` };
  if (/\/Ollama\.app\/Contents\/Resources\/ollama serve/.test(entry.command)) {
    const parent = processes.find((p) => p.pid === entry.ppid);
    return { kind: 'app', pid, appPid: parent && /\/Ollama\.app\/Contents\/MacOS\/Ollama/.test(parent.command) ? parent.pid : null };
  }
  if (facts.brewPid !== undefined && facts.brewPid !== null && listeners.includes(facts.brewPid)) return { kind: 'brew', pid: facts.brewPid };
  if (isOllamaServe(entry.command)) return { kind: 'manual', pid };
  return { kind: 'foreign', pid, command: entry.command };
}

/** One step of the plan. */
export type ServeAction =
  | { kind: 'adopt'; pid: number }
  | { kind: 'start' }
  | { kind: 'stop-app'; appPid: number }
  | { kind: 'stop-brew' }
  | { kind: 'stop-manual'; pid: number }
  | { kind: 'wait-port-free' };

/** What to do, in order, and what to tell the user. */
export interface ServePlan {
  actions: ServeAction[];
  /** One line for the log and the status. */
  summary: string;
  /** Set when the user should know something is not as headroom would have it. */
  warning?: string;
}

/** The settings that shape the plan. */
export interface ServeSettings {
  manage: boolean;
  /** Why headroom manages no server although `ollama.manage` is true (ollama.url names another machine). */
  unmanagedWhy?: string | null;
  takeover: boolean;
  /** The ollama executable, or null when none was found. */
  binary: string | null;
  /** Set by `headroom ollama stop`: start nothing until `headroom ollama start`. */
  stoppedByUser?: boolean;
  /** How headroom's running server's OLLAMA_* differ from the configured ones (empty: same; null: unknown). */
  envDrift?: readonly string[] | null;
}

/** Describes an owner for people. */
export function describeOwner(owner: ServerOwner): string {
  switch (owner.kind) {
    case 'none':
      return 'nobody';
    case 'headroom':
      return `headroom (pm2, pid ${owner.pid})`;
    case 'app':
      return `Ollama.app (server pid ${owner.pid}${owner.appPid ? `, app pid ${owner.appPid}` : ''})`;
    case 'brew':
      return `brew services (${BREW_SERVICE_LABEL}, pid ${owner.pid})`;
    case 'manual':
      return `a hand-run ollama serve (pid ${owner.pid})`;
    case 'foreign':
      return `a program that is not Ollama (pid ${owner.pid}: ${owner.command})`;
    case 'unknown':
      return `someone headroom cannot identify (${owner.why})`;
  }
}

/**
 * The plan: adopt our own server; start one when nobody serves; with takeover, stop a foreign
 * Ollama cleanly first (the app by SIGTERM to the app, which otherwise restarts its server; brew
 * by `brew services stop`, whose KeepAlive would restart a killed server; a hand-run server by
 * SIGTERM); without takeover, leave it and say so. Never start ours while Ollama.app runs: when
 * its own server fails to bind, it SIGTERMs every other `ollama serve`.
 */
export function planServe(owner: ServerOwner, app: ProcessInfo | null, settings: ServeSettings): ServePlan {
  if (!settings.manage) return { actions: [], summary: `ollama.manage is false: headroom watches ${describeOwner(owner)} and manages nothing` };
  if (settings.unmanagedWhy) return { actions: [], summary: `${settings.unmanagedWhy}: headroom watches it and manages no server` };
  if (owner.kind === 'headroom') {
    const drift = settings.envDrift ?? [];
    if (drift.length > 0 && settings.binary) {
      return { actions: [{ kind: 'start' }], summary: `headroom's server runs with another environment (${drift.join(', ')}): applying the configured one (pm2 delete + start)` };
    }
    return { actions: [{ kind: 'adopt', pid: owner.pid }], summary: `headroom runs the server (pid ${owner.pid})` };
  }
  if (owner.kind === 'foreign' || owner.kind === 'unknown') {
    const who = describeOwner(owner);
    return { actions: [], summary: `the port is held by ${who}`, warning: `Ollama's port is held by ${who}: headroom cannot serve Ollama there` };
  }
  const noBinary = 'no ollama executable found (ollama.binary, or on PATH): headroom cannot start a server';
  if (owner.kind === 'none' && settings.stoppedByUser) {
    return { actions: [], summary: 'stopped with "headroom ollama stop": headroom starts no server until "headroom ollama start"' };
  }
  if (owner.kind === 'none') {
    if (app) {
      if (!settings.takeover) {
        return {
          actions: [],
          summary: 'Ollama.app is running: headroom starts no server beside it',
          warning: 'Ollama.app is running without a server yet; it restarts its own and stops any other on a port clash. Quit it, or set ollama.takeover: true',
        };
      }
      if (!settings.binary) return { actions: [], summary: noBinary, warning: noBinary };
      return { actions: [{ kind: 'stop-app', appPid: app.pid }, { kind: 'wait-port-free' }, { kind: 'start' }], summary: 'taking over from Ollama.app' };
    }
    if (!settings.binary) return { actions: [], summary: noBinary, warning: noBinary };
    return { actions: [{ kind: 'start' }], summary: 'nobody serves: starting ollama serve under pm2' };
  }
  const who = describeOwner(owner);
  if (!settings.takeover) {
    return { actions: [], summary: `served by ${who}; headroom guards it without managing it`, warning: `Ollama is served by ${who}, not by headroom: its environment may not be the safe one. Set ollama.takeover: true to have headroom run it` };
  }
  if (!settings.binary) return { actions: [], summary: noBinary, warning: `${noBinary}; ${who} is left running` };
  if (owner.kind === 'app') {
    // Without the app's own pid, SIGTERM to its server would only have the app restart it.
    const appPid = owner.appPid ?? app?.pid ?? owner.pid;
    return { actions: [{ kind: 'stop-app', appPid }, { kind: 'wait-port-free' }, { kind: 'start' }], summary: `taking over from ${who}` };
  }
  const stop: ServeAction = owner.kind === 'brew' ? { kind: 'stop-brew' } : { kind: 'stop-manual', pid: owner.pid };
  // A running Ollama.app would SIGTERM ours when its own server fails to bind: it goes too.
  const stopApp: ServeAction[] = app ? [{ kind: 'stop-app', appPid: app.pid }] : [];
  return { actions: [stop, ...stopApp, { kind: 'wait-port-free' }, { kind: 'start' }], summary: `taking over from ${who}${app ? ' and Ollama.app' : ''}` };
}

/** Where to look for the ollama executable when `ollama.binary` is not set, besides PATH. */
export const EXTRA_BINARY_DIRS: Readonly<Record<'darwin' | 'linux', readonly string[]>> = {
  darwin: ['/opt/homebrew/bin', '/usr/local/bin', '/Applications/Ollama.app/Contents/Resources'],
  linux: ['/usr/local/bin', '/usr/bin'],
};

/** The first executable `name` (ollama unless said) in `dirs`. */
export function findBinary(dirs: readonly string[], isExecutable: (file: string) => boolean, name = 'ollama'): string | null {
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}
