/**
 * A simulator scenario: a machine, a timeline of model requests and other memory users, and
 * config overrides. YAML, checked like the config file (errors name the key and line).
 * docs/scenarios.md describes every key.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../config/load.js';

const seconds = z.number().min(0).max(86_400);
const gib = z.number().min(0).max(4096);

const loadEvent = z.strictObject({
  atS: seconds,
  /** A request for a model: loads it (evicting as Ollama would) or, when loaded, renews it. */
  request: z.strictObject({
    model: z.string().min(1),
    sizeGiB: gib.refine((v) => v > 0, 'must be above 0'),
    kind: z.enum(['text', 'vision']).default('text'),
    loadS: seconds.default(10),
    keepAliveS: seconds.default(300),
  }),
});

const processEvent = z.strictObject({
  atS: seconds,
  /** Another memory user: starts at startGiB and grows by growGiBPerStep every stepS, up to maxGiB. */
  process: z.strictObject({
    name: z.string().min(1),
    startGiB: gib.default(0),
    growGiBPerStep: gib.default(0),
    stepS: seconds.refine((v) => v > 0, 'must be above 0').default(1),
    maxGiB: gib.nullable().default(null),
  }),
});

const stopEvent = z.strictObject({
  atS: seconds,
  /** Ends a process started earlier; its memory is freed. */
  stop: z.string().min(1),
});

/** The scenario file. */
export const scenarioSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(''),
  durationS: seconds.refine((v) => v > 0, 'must be above 0'),
  machine: z.strictObject({
    ramGiB: gib.refine((v) => v > 0, 'must be above 0'),
    /** macOS, WindowServer and the apps that are always there. */
    baselineGiB: gib.default(8),
    swapMaxGiB: gib.default(64),
    /** A lockup is available memory under this share of RAM… */
    lockupPercent: z.number().min(0).max(100).default(2),
    /** …for longer than this. */
    lockupS: seconds.default(5),
    /** The simulated kernel reports warn under this share of RAM available… */
    kernelWarnPercent: z.number().min(0).max(100).default(12),
    /** …and critical under this one. */
    kernelCriticalPercent: z.number().min(0).max(100).default(5),
  }),
  ollama: z
    .strictObject({
      /** OLLAMA_MAX_LOADED_MODELS; 0 means Ollama's automatic 3 on a Mac. */
      maxLoadedModels: z.number().int().min(0).max(64).default(0),
      /** Time from the unload request until the runner's memory is free. */
      unloadS: seconds.default(1),
    })
    .prefault({}),
  /** Overrides of the config file, same keys (guard.*, daemon.*, …). */
  config: z.record(z.string(), z.unknown()).default({}),
  timeline: z.array(z.union([loadEvent, processEvent, stopEvent])).min(1),
});

/** A checked scenario. */
export type Scenario = z.output<typeof scenarioSchema>;

/** One timeline entry. */
export type ScenarioEvent = Scenario['timeline'][number];

/** Reads and checks a scenario file; throws ConfigError naming the key and line. */
export async function loadScenario(file: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [{ path: '', message: `cannot read: ${(error as Error).message}` }]);
  }
  return parseScenario(text, file);
}

/** Parses scenario YAML. */
export function parseScenario(text: string, file: string): Scenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(file, doc.errors.map((error) => ({ path: '', message: `invalid YAML: ${error.message.split('\n')[0] ?? ''}`, line: lines.linePos(error.pos[0]).line })));
  }
  const result = scenarioSchema.safeParse(doc.toJS());
  if (result.success) return result.data;
  throw new ConfigError(
    file,
    result.error.issues.map((issue) => {
      const keyPath = issue.path.map(String);
      const entry: ConfigIssue = { path: keyPath.join('.'), message: issue.message };
      if (issue.code === 'unrecognized_keys') entry.message = `unknown key(s): ${issue.keys.join(', ')}`;
      const node = doc.getIn(keyPath, true) as { range?: [number, number, number] } | undefined;
      const parent = doc.getIn(keyPath.slice(0, -1), true);
      const range = node?.range ?? (isMap(parent) || isScalar(parent) ? parent.range : undefined);
      if (range) entry.line = lines.linePos(range[0]).line;
      return entry;
    }),
  );
}
