/**
 * The environment headroom gives `ollama serve`, checked the way Ollama reads it
 * (envconfig/config.go) but without its traps: Ollama reads an unparsable OLLAMA_KEEP_ALIVE as
 * 5m, any boolean other than 1/t/true/0/f/false (`yes` included) as true, a bad number as the
 * default with only a log line, and `http://host` without a port as port 80. Here each of those
 * is a config error. Pure.
 */
import { parseOllamaHost } from './host.js';

/** The variables that stopped real lockups on a 48 GB Mac, and a pinned context length. */
export const SAFE_DEFAULTS = {
  OLLAMA_MAX_LOADED_MODELS: 1,
  OLLAMA_KEEP_ALIVE: '5m',
  OLLAMA_NUM_PARALLEL: 1,
  // Unset, Ollama gives every model a 262144-token context once Metal's working set passes
  // 47 GiB (server/routes.go), and the KV cache behind it fills the machine.
  OLLAMA_CONTEXT_LENGTH: 32768,
} as const;

/** A Go duration ("5m", "1h30m", "-1s", "0") as time.ParseDuration accepts it. */
const GO_DURATION = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/;

/** Why OLLAMA_KEEP_ALIVE is unusable, or null: a Go duration, or whole seconds. */
export function keepAliveProblem(value: string | number): string | null {
  const text = String(value).trim();
  if (text === '0' || GO_DURATION.test(text) || /^[-+]?\d+$/.test(text)) return null;
  return `"${text}" is neither a Go duration (5m, 1h30m, 300s) nor whole seconds; Ollama would silently use 5m`;
}

/** Why OLLAMA_HOST is unusable, or null: it must name a port. */
export function hostProblem(value: string): string | null {
  try {
    const address = parseOllamaHost(value);
    if (!address.portGiven) {
      return `"${value}" names no port; Ollama would listen on ${address.port}, not the 11434 clients expect: write ${address.host}:11434`;
    }
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Booleans as strconv.ParseBool would take them, minus the catch-all: only 1, true, 0, false. */
export function parseOllamaBool(value: unknown): '1' | '0' | null {
  if (value === true || value === 1 || value === '1' || (typeof value === 'string' && value.toLowerCase() === 'true')) return '1';
  if (value === false || value === 0 || value === '0' || (typeof value === 'string' && value.toLowerCase() === 'false')) return '0';
  return null;
}

/** The configured OLLAMA_* values, after validation. */
export interface OllamaEnvSettings {
  OLLAMA_MAX_LOADED_MODELS: number;
  OLLAMA_KEEP_ALIVE: string | number;
  OLLAMA_NUM_PARALLEL: number;
  OLLAMA_CONTEXT_LENGTH: number;
  OLLAMA_FLASH_ATTENTION: boolean | number | string | null;
  OLLAMA_KV_CACHE_TYPE: string | null;
  OLLAMA_HOST: string | null;
  OLLAMA_MODELS: string | null;
  OLLAMA_ORIGINS: string | null;
}

/**
 * The child's whole environment: PATH and HOME, the OLLAMA_* values, and OLLAMA_HOST set to the
 * address headroom talks to, so that headroom always watches the server it runs. pm2 adds its
 * own bookkeeping variables (pm_id, name…) on top; nothing else of headroom's environment passes.
 */
export function ollamaChildEnv(settings: OllamaEnvSettings, listenHost: string, base: { PATH: string; HOME: string }, expandHome: (path: string) => string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: base.PATH,
    HOME: base.HOME,
    OLLAMA_HOST: listenHost,
    OLLAMA_MAX_LOADED_MODELS: String(settings.OLLAMA_MAX_LOADED_MODELS),
    OLLAMA_KEEP_ALIVE: String(settings.OLLAMA_KEEP_ALIVE),
    OLLAMA_NUM_PARALLEL: String(settings.OLLAMA_NUM_PARALLEL),
    OLLAMA_CONTEXT_LENGTH: String(settings.OLLAMA_CONTEXT_LENGTH),
  };
  const flash = settings.OLLAMA_FLASH_ATTENTION === null ? null : parseOllamaBool(settings.OLLAMA_FLASH_ATTENTION);
  if (flash !== null) env.OLLAMA_FLASH_ATTENTION = flash;
  if (settings.OLLAMA_KV_CACHE_TYPE !== null) env.OLLAMA_KV_CACHE_TYPE = settings.OLLAMA_KV_CACHE_TYPE;
  if (settings.OLLAMA_MODELS !== null) env.OLLAMA_MODELS = expandHome(settings.OLLAMA_MODELS);
  if (settings.OLLAMA_ORIGINS !== null) env.OLLAMA_ORIGINS = settings.OLLAMA_ORIGINS;
  return env;
}

/** The variables that make the environment safe, with their required values. */
export function safetyRequirements(settings: OllamaEnvSettings): Record<string, string> {
  return {
    OLLAMA_MAX_LOADED_MODELS: String(settings.OLLAMA_MAX_LOADED_MODELS),
    OLLAMA_KEEP_ALIVE: String(settings.OLLAMA_KEEP_ALIVE),
    OLLAMA_NUM_PARALLEL: String(settings.OLLAMA_NUM_PARALLEL),
    OLLAMA_CONTEXT_LENGTH: String(settings.OLLAMA_CONTEXT_LENGTH),
  };
}

/** How a running server's environment compares with the safe one. */
export type EnvSafety = { verdict: 'safe' } | { verdict: 'unsafe'; differences: string[] } | { verdict: 'unknown'; why: string };

/** Compares a server's OLLAMA_* variables with the requirements; null means they could not be read. */
export function judgeEnv(actual: Readonly<Record<string, string>> | null, required: Readonly<Record<string, string>>, why = 'its environment cannot be read'): EnvSafety {
  if (actual === null) return { verdict: 'unknown', why };
  const differences = Object.entries(required)
    .filter(([key, value]) => actual[key] !== value)
    .map(([key, value]) => `${key}=${actual[key] ?? '(unset)'} (safe: ${value})`);
  return differences.length === 0 ? { verdict: 'safe' } : { verdict: 'unsafe', differences };
}

/** The OLLAMA_* variables that differ between the environment headroom gives and a running server's, in words. */
export function envDrift(expected: Readonly<Record<string, string>>, actual: Readonly<Record<string, string>>): string[] {
  const keys = new Set([...Object.keys(expected), ...Object.keys(actual)].filter((key) => key.startsWith('OLLAMA_')));
  return [...keys]
    .sort()
    .filter((key) => expected[key] !== actual[key])
    .map((key) => `${key}: ${actual[key] ?? '(unset)'} -> ${expected[key] ?? '(unset)'}`);
}

/**
 * OLLAMA_* pairs from `ps eww` output: the command line followed by KEY=value words. A value runs
 * to the next ` NAME=` (so `OLLAMA_MODELS=/Volumes/My Drive/models` stays whole). null when the
 * output shows no environment at all (neither PATH nor HOME): ps prints none for a process it
 * may not read, and "unreadable" must not pass for "unset".
 */
export function parsePsEnvironment(text: string): Record<string, string> | null {
  const line = text.trim();
  const starts = [...line.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=/g)];
  const all: Record<string, string> = {};
  for (const [index, match] of starts.entries()) {
    const next = starts[index + 1];
    const valueStart = (match.index ?? 0) + match[0].length;
    all[match[1] ?? ''] = line.slice(valueStart, next ? next.index : line.length);
  }
  if (all.PATH === undefined && all.HOME === undefined) return null;
  return Object.fromEntries(Object.entries(all).filter(([key]) => key.startsWith('OLLAMA_')));
}

/** The variables of /proc/PID/environ (NUL-separated). */
export function parseProcEnviron(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of text.split('\0')) {
    const equals = entry.indexOf('=');
    if (equals > 0) env[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  return env;
}
