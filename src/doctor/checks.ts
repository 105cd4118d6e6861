/**
 * `headroom doctor`'s checks: each turns facts gathered by the composition root into a
 * pass, warn or fail line with a hint. Pure.
 */
import { parse, type PlistValue } from 'plist';
import type { ServerStatus } from '../ollama/server.js';
import type { PlatformName } from '../platform/platform.js';

/** A check's verdict: fail makes doctor exit 1. */
export type CheckStatus = 'pass' | 'warn' | 'fail';

/** One line of doctor's report. */
export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a warn or fail. */
  hint?: string;
}

const pass = (name: string, detail: string): CheckResult => ({ name, status: 'pass', detail });
const warn = (name: string, detail: string, hint?: string): CheckResult => ({ name, status: 'warn', detail, ...(hint ? { hint } : {}) });
const fail = (name: string, detail: string, hint?: string): CheckResult => ({ name, status: 'fail', detail, ...(hint ? { hint } : {}) });

/** The oldest Node headroom runs on (package.json engines). */
export const MIN_NODE = [20, 19, 0] as const;

/** Node ≥ 20.19. */
export function checkNode(version: string): CheckResult {
  const parts = version.replace(/^v/, '').split('.').map((part) => Number.parseInt(part, 10));
  const older = MIN_NODE.findIndex((min, i) => (parts[i] ?? 0) !== min);
  const ok = older === -1 || (parts[older] ?? 0) > MIN_NODE[older]!;
  return ok ? pass('node', `${version} (needs ≥ ${MIN_NODE.join('.')})`) : fail('node', `${version} is older than ${MIN_NODE.join('.')}`, 'install Node.js 20.19 or later, then run "headroom install" again (the agent names the node it runs)');
}

/** The config file loads and validates. */
export function checkConfig(file: string | null, error: string | null): CheckResult {
  if (error) return fail('config', error, 'fix it, then "headroom config check"; doctor used the built-in defaults for the other checks');
  return pass('config', file ? `${file} is valid` : 'no config file: built-in defaults');
}

/** What doctor knows of the LaunchAgent. */
export interface AgentFacts {
  platform: PlatformName;
  plistFile: string;
  /** The installed plist's text; null when there is none. */
  installedText: string | null;
  /** What `headroom install` would write now. */
  expectedText: string;
  /** null when launchctl could not be asked. */
  loaded: boolean | null;
  problem: string | null;
}

/** Installed, loaded, and the same as what install would write now (a Node upgrade leaves a stale node path). */
export function checkAgent(facts: AgentFacts): CheckResult {
  if (facts.platform !== 'darwin') return warn('agent', 'launchd is macOS-only: not checked on Linux');
  if (facts.installedText === null) return fail('agent', `not installed (no ${facts.plistFile})`, 'run "headroom install"');
  let installed: PlistValue;
  try {
    installed = parse(facts.installedText);
  } catch (error) {
    return fail('agent', `${facts.plistFile} is not a valid plist: ${(error as Error).message.split('\n')[0] ?? ''}`, 'run "headroom install" to write it again');
  }
  const differences = plistDifferences(installed, parse(facts.expectedText));
  if (differences.length > 0) return fail('agent', `${facts.plistFile} differs from what install writes now: ${differences.join('; ')}`, 'run "headroom install" to write it again and reload it');
  if (facts.problem) return fail('agent', `installed, but launchd cannot be asked: ${facts.problem}`);
  if (facts.loaded === false) return warn('agent', 'installed and up to date, but not loaded (stopped)', 'run "headroom start"');
  return pass('agent', `installed, loaded, and ${facts.plistFile} is what install writes`);
}

/** The keys whose values differ, e.g. `ProgramArguments: installed […], now […]`. */
export function plistDifferences(installed: PlistValue, expected: PlistValue): string[] {
  const a = (installed ?? {}) as Record<string, PlistValue>;
  const b = (expected ?? {}) as Record<string, PlistValue>;
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  return keys
    .filter((key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]))
    .map((key) => `${key}: installed ${a[key] === undefined ? '(none)' : JSON.stringify(a[key])}, install writes ${b[key] === undefined ? '(none)' : JSON.stringify(b[key])}`);
}

/** The log folder can be written (or created). */
export function checkLogFolder(dir: string, writable: boolean): CheckResult {
  return writable ? pass('logs', `${dir} is writable`) : fail('logs', `${dir} cannot be written`, `check its owner and mode (ls -ld ${dir})`);
}

/** Ollama answers /api/version. */
export function checkOllama(url: string, version: string | null, error: string | null): CheckResult {
  if (version !== null) return pass('ollama', `Ollama ${version} answers at ${url}`);
  return fail('ollama', `no answer at ${url}: ${error ?? 'unknown error'}`, 'start the daemon ("headroom start", or "headroom ollama start"), or set ollama.url');
}

/** Who serves, and whether its environment is the safe one. */
export function checkServer(status: ServerStatus): CheckResult {
  const who = `served by ${status.description}`;
  if (status.owner.kind === 'none') return warn('server', 'nobody serves Ollama', status.plan);
  if (status.env.verdict === 'unsafe') {
    const fix = status.owner.kind === 'headroom' ? 'run "headroom ollama restart" to apply ollama.env' : 'set these in its own environment, or let headroom run the server (ollama.takeover)';
    return fail('server', `${who}, with an UNSAFE environment: ${status.env.differences.join(', ')}`, fix);
  }
  if (status.env.verdict === 'unknown') return warn('server', `${who}; its environment cannot be read (${status.env.why})`);
  return pass('server', `${who}, with the safe environment`);
}

/** pm2's daemon and headroom's app. */
export function checkPm2(managed: ServerStatus['managed'], manage: boolean): CheckResult {
  if (!manage) return pass('pm2', 'not used (ollama.manage is false)');
  if (managed === null) return warn('pm2', 'cannot be asked');
  const app = managed.app;
  if (app && (app.status === 'errored' || app.status === 'stopped')) {
    return fail('pm2', `headroom-ollama is ${app.status}${app.exitCode !== null ? ` (exit code ${app.exitCode})` : ''} after ${app.restarts} restarts`, 'see ollama.err.log beside headroom.log, then "headroom ollama restart"');
  }
  if (app) return pass('pm2', `headroom-ollama ${app.status}${app.pid !== null ? ` (pid ${app.pid})` : ''}, ${app.restarts} restarts`);
  if (managed.daemon) return warn('pm2', `pm2's daemon runs (pid ${managed.daemon.pid}) without headroom's app`);
  return pass('pm2', 'not running (headroom runs no server now)');
}

/** Whether notifications can be shown. */
export function checkNotifications(platform: PlatformName, osascript: string | null, notifySend: string | null): CheckResult {
  if (platform === 'darwin') {
    if (!osascript) return fail('notify', 'osascript not found on PATH: no notifications', 'it lives in /usr/bin on every Mac: check PATH');
    return pass('notify', `${osascript} found; banners appear only if Script Editor may notify (System Settings → Notifications → Script Editor), and Focus modes hide them`);
  }
  return notifySend ? pass('notify', `${notifySend} found`) : warn('notify', 'notify-send not found: notices are only logged', 'install libnotify (notify-send)');
}

/** A tool headroom recovers after a power cut (Colima, Docker): present or not. */
export function checkTool(name: string, found: string | null): CheckResult {
  return found ? pass(name, `${found} found`) : warn(name, 'not found on PATH: nothing to recover', `install ${name} if you run containers beside your models`);
}

/** 0 when nothing failed. */
export function doctorExitCode(results: readonly CheckResult[]): 0 | 1 {
  return results.some((result) => result.status === 'fail') ? 1 : 0;
}

/** The report, one line per check (and an indented hint). */
export function renderDoctor(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((result) => result.name.length));
  const lines = results.flatMap((result) => [`${result.status.padEnd(4)}  ${result.name.padEnd(width)}  ${result.detail}`, ...(result.hint ? [`${' '.repeat(width + 8)}→ ${result.hint}`] : [])]);
  const failed = results.filter((result) => result.status === 'fail').length;
  const warned = results.filter((result) => result.status === 'warn').length;
  lines.push(failed > 0 ? `${failed} failed, ${warned} to look at` : warned > 0 ? `no failure, ${warned} to look at` : 'all good');
  return `${lines.join('\n')}\n`;
}
