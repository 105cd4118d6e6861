/**
 * Finds, reads and validates the YAML config. Errors name the file, the key path and, where the
 * YAML gives one, the line; every problem in the file is reported at once.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { core } from 'zod';
import { configSchema, type Config } from './schema.js';

/** One problem in a config file. */
export interface ConfigIssue {
  /** Dotted key path ("daemon.intervalMs"), or "" for the whole file. */
  path: string;
  message: string;
  /** 1-based line in the file, when the YAML locates it. */
  line?: number;
}

/** A config that cannot be used; `format()` gives the message for people. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(formatIssues(file, issues));
  }
}

function formatIssues(file: string, issues: ConfigIssue[]): string {
  const lines = issues.map((issue) => {
    const where = issue.line === undefined ? file : `${file}:${issue.line}`;
    return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
  });
  return lines.join('\n');
}

/** Where the config comes from, in order: --config, HEADROOM_CONFIG, then the default path. */
export interface ConfigLocation {
  file: string;
  /** False for the default path, which may be absent (then built-in defaults apply). */
  required: boolean;
}

/** Picks the config file: `--config PATH`, else HEADROOM_CONFIG, else `$XDG_CONFIG_HOME/headroom/config.yaml` (`~/.config` by default). */
export function locateConfig(explicit: string | undefined, env: NodeJS.ProcessEnv, home: string): ConfigLocation {
  if (explicit) return { file: path.resolve(explicit), required: true };
  if (env.HEADROOM_CONFIG) return { file: path.resolve(env.HEADROOM_CONFIG), required: true };
  const configHome = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
  return { file: path.join(configHome, 'headroom', 'config.yaml'), required: false };
}

/** A loaded config and the file it came from (null: built-in defaults). */
export interface LoadedConfig {
  config: Config;
  file: string | null;
}

/** Reads and validates the config at `location`; throws ConfigError on any problem. */
export async function loadConfig(location: ConfigLocation): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(location.file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !location.required) return { config: configSchema.parse({}), file: null };
    const reason = code === 'ENOENT' ? 'file not found' : `cannot read: ${(error as Error).message}`;
    throw new ConfigError(location.file, [{ path: '', message: reason }]);
  }
  return { config: parseConfigText(text, location.file), file: location.file };
}

/** Parses and validates YAML text; `file` only names the source in errors. */
export function parseConfigText(text: string, file: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((error) => {
        const issue: ConfigIssue = { path: '', message: `invalid YAML: ${error.message.split('\n')[0] ?? error.code}` };
        issue.line = lineCounter.linePos(error.pos[0]).line;
        return issue;
      }),
    );
  }
  const data: unknown = doc.toJS() ?? {};
  const result = configSchema.safeParse(data);
  if (result.success) return result.data;
  throw new ConfigError(file, result.error.issues.flatMap((issue) => toConfigIssues(issue, doc, lineCounter)));
}

function toConfigIssues(issue: core.$ZodIssue, doc: Document, lines: LineCounter): ConfigIssue[] {
  const basePath = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const known = knownKeys(basePath);
      const hint = closest(key, known);
      const result: ConfigIssue = {
        path: [...basePath, key].join('.'),
        message: `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}; known keys here: ${known.join(', ')}`,
      };
      const line = keyLine(doc, lines, basePath, key);
      if (line !== undefined) result.line = line;
      return result;
    });
  }
  const result: ConfigIssue = { path: basePath.join('.'), message: issue.message };
  const line = valueLine(doc, lines, basePath);
  if (line !== undefined) result.line = line;
  return [result];
}

/** The keys the schema accepts at a path, for "did you mean" hints. */
function knownKeys(keyPath: string[]): string[] {
  let schema: unknown = configSchema;
  for (const key of keyPath) {
    schema = unwrap(schema);
    const shape = (schema as { shape?: Record<string, unknown> }).shape;
    schema = shape?.[key];
  }
  const shape = (unwrap(schema) as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

/** Strips default/prefault/nullable/optional wrappers off a zod schema. */
export function unwrap(schema: unknown): unknown {
  type Wrapped = { def?: { innerType?: Wrapped } } | undefined;
  let current = schema as Wrapped;
  while (current?.def?.innerType) current = current.def.innerType;
  return current;
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function valueLine(doc: Document, lines: LineCounter, keyPath: string[]): number | undefined {
  for (let depth = keyPath.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(keyPath.slice(0, depth), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return lines.linePos(range[0]).line;
  }
  return undefined;
}

function keyLine(doc: Document, lines: LineCounter, parentPath: string[], key: string): number | undefined {
  const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
  if (!isMap(parent)) return undefined;
  for (const pair of parent.items) {
    if (isScalar(pair.key) && String(pair.key.value) === key && pair.key.range) {
      return lines.linePos(pair.key.range[0]).line;
    }
  }
  return undefined;
}
