/**
 * The LaunchAgent's plist: what `headroom install` writes, built as an object and rendered by the
 * `plist` library (which escapes every value, so a home folder with `&` or `<` still gives a
 * valid file). Pure. The keys and why: ../../docs/launchd.md.
 */
import { build, parse, type PlistValue } from 'plist';

/** A plist dict. */
export type PlistDict = { [key: string]: PlistValue };

/** PATH for the agent: launchd's default is /usr/bin:/bin:/usr/sbin:/sbin, without Homebrew's ollama, colima and docker. */
export const AGENT_PATH_DIRS = ['/opt/homebrew/bin', '/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'];

/** What the plist is made from. */
export interface AgentSpec {
  label: string;
  /** Absolute path of the node executable (process.execPath). */
  nodePath: string;
  /** Absolute path of dist/cli/main.js. */
  entryScript: string;
  /** The config file named at install (--config / HEADROOM_CONFIG), absolute; null = the default location. */
  configFile: string | null;
  /** ~/Library/Logs/headroom */
  logDir: string;
  /** headroom's state folder, the working directory. */
  stateDir: string;
  /** Seconds launchd waits after SIGTERM before SIGKILL. */
  exitTimeoutS: number;
}

/** The launchd keys, as an object (what `plist.parse` of the file gives back). */
export function agentPlistObject(spec: AgentSpec): PlistDict {
  const programArguments = [spec.nodePath, spec.entryScript, 'run', ...(spec.configFile ? ['--config', spec.configFile] : [])];
  // The folder of this node first: pm2's agent and any `#!/usr/bin/env node` child find the same node.
  const nodeDir = spec.nodePath.slice(0, spec.nodePath.lastIndexOf('/'));
  const pathDirs = [nodeDir, ...AGENT_PATH_DIRS.filter((dir) => dir !== nodeDir)];
  return {
    Label: spec.label,
    ProgramArguments: programArguments,
    RunAtLoad: true,
    // Not `true`: that would also restart a clean stop. SuccessfulExit=false restarts after a
    // non-zero exit and after jetsam's SIGKILL (Crashed=true covers crash signals only).
    KeepAlive: { SuccessfulExit: false },
    ThrottleInterval: 30,
    // Background is throttled, and osascript's Apple Events fail there (-1712).
    ProcessType: 'Standard',
    ExitTimeOut: spec.exitTimeoutS,
    WorkingDirectory: spec.stateDir,
    EnvironmentVariables: { PATH: pathDirs.join(':') },
    StandardOutPath: `${spec.logDir}/launchd.out.log`,
    StandardErrorPath: `${spec.logDir}/launchd.err.log`,
  };
}

/** The plist file's text. */
export function renderAgentPlist(spec: AgentSpec): string {
  return `${build(agentPlistObject(spec))}\n`;
}

/**
 * A node path that survives a Homebrew upgrade. process.execPath is resolved through symlinks, so
 * Homebrew's node gives `<prefix>/Cellar/node/<version>/bin/node`, which `brew upgrade` and
 * `brew cleanup` delete; `<prefix>/opt/<formula>/bin/node` always points at the installed version.
 */
export function stableNodePath(execPath: string, exists: (file: string) => boolean): string {
  const match = /^(.*)\/Cellar\/([^/]+)\/[^/]+\/bin\/node$/.exec(execPath);
  if (!match) return execPath;
  const stable = `${match[1] ?? ''}/opt/${match[2] ?? ''}/bin/node`;
  return exists(stable) ? stable : execPath;
}

/** The `--config FILE` an installed plist runs headroom with; null when none, or the text is no plist. */
export function installedConfigFile(plistText: string): string | null {
  let value: PlistValue;
  try {
    value = parse(plistText);
  } catch {
    return null;
  }
  const args = (value as PlistDict | null)?.ProgramArguments;
  if (!Array.isArray(args)) return null;
  const index = args.indexOf('--config');
  const file = index >= 0 ? args[index + 1] : undefined;
  return typeof file === 'string' ? file : null;
}
