/**
 * The LaunchAgent's plist: what `headroom install` writes. The keys live in the template
 * launchd/headroom.plist.template; this module parses it, fills in each `${name}` and renders the
 * result with the `plist` library, which escapes every value, so a home folder with `&` or `<`
 * still gives a valid file. Pure but for reading the shipped template. The keys and why:
 * ../../docs/launchd.md.
 */
import { readFileSync } from 'node:fs';
import { build, parse, type PlistValue } from 'plist';

/** A plist dict. */
export type PlistDict = { [key: string]: PlistValue };

/** PATH for the agent: launchd's default is /usr/bin:/bin:/usr/sbin:/sbin, without Homebrew's ollama, colima and docker. */
export const AGENT_PATH_DIRS = ['/opt/homebrew/bin', '/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'];

/** The template shipped in the package's launchd/ folder (dist/launchd/plist.js is two levels below the root). */
export const AGENT_TEMPLATE_FILE = new URL('../../launchd/headroom.plist.template', import.meta.url);

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

/** A template that is not a plist dict, or names a value the spec does not have. */
export class AgentTemplateError extends Error {}

let shippedTemplate: string | null = null;

/** The shipped template's text, read once. */
function readShippedTemplate(): string {
  shippedTemplate ??= readFileSync(AGENT_TEMPLATE_FILE, 'utf8');
  return shippedTemplate;
}

/** The values a template may name: a string goes into text, a number replaces a whole value, a list is spread into its array. */
function templateValues(spec: AgentSpec): Record<string, string | number | string[]> {
  // The folder of this node first: pm2's agent and any `#!/usr/bin/env node` child find the same node.
  const nodeDir = spec.nodePath.slice(0, spec.nodePath.lastIndexOf('/'));
  return {
    label: spec.label,
    nodePath: spec.nodePath,
    entryScript: spec.entryScript,
    configArgs: spec.configFile ? ['--config', spec.configFile] : [],
    exitTimeoutS: spec.exitTimeoutS,
    stateDir: spec.stateDir,
    logDir: spec.logDir,
    path: [nodeDir, ...AGENT_PATH_DIRS.filter((dir) => dir !== nodeDir)].join(':'),
  };
}

const PLACEHOLDER = /\$\{(\w+)\}/g;
const WHOLE_PLACEHOLDER = /^\$\{(\w+)\}$/;

/** The launchd keys, as an object (what `plist.parse` of the written file gives back). */
export function agentPlistObject(spec: AgentSpec, templateText: string = readShippedTemplate()): PlistDict {
  let template: PlistValue;
  try {
    template = parse(templateText);
  } catch (error) {
    throw new AgentTemplateError(`the LaunchAgent template is not a plist: ${(error as Error).message}`, { cause: error });
  }
  if (typeof template !== 'object' || template === null || Array.isArray(template) || template instanceof Date || Buffer.isBuffer(template)) {
    throw new AgentTemplateError('the LaunchAgent template is not a plist dict');
  }
  const values = templateValues(spec);
  const valueOf = (name: string): string | number | string[] => {
    const value = values[name];
    if (value === undefined) throw new AgentTemplateError(`the LaunchAgent template names \${${name}}, which headroom does not fill in`);
    return value;
  };
  const fill = (value: PlistValue): PlistValue[] => {
    if (typeof value === 'string') {
      const whole = WHOLE_PLACEHOLDER.exec(value);
      if (whole) {
        const filled = valueOf(whole[1] ?? '');
        return Array.isArray(filled) ? filled : [filled];
      }
      return [
        value.replace(PLACEHOLDER, (_match, name: string) => {
          const filled = valueOf(name);
          if (Array.isArray(filled)) throw new AgentTemplateError(`the LaunchAgent template puts \${${name}} inside a text; it fills an array`);
          return String(filled);
        }),
      ];
    }
    if (Array.isArray(value)) return [value.flatMap(fill)];
    if (typeof value === 'object' && value !== null && !(value instanceof Date) && !Buffer.isBuffer(value)) {
      return [Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, one(key, inner)]))];
    }
    return [value];
  };
  const one = (key: string, value: PlistValue): PlistValue => {
    const filled = fill(value);
    if (filled.length !== 1) throw new AgentTemplateError(`the LaunchAgent template's ${key} takes one value, not a list`);
    return filled[0] as PlistValue;
  };
  return one('plist', template) as PlistDict;
}

/** The plist file's text. */
export function renderAgentPlist(spec: AgentSpec, templateText?: string): string {
  return `${build(agentPlistObject(spec, templateText))}\n`;
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
