/**
 * The guard's data: what it sees each tick, what it remembers between ticks, and what it
 * decides. Plain data, so the policy stays pure and the simulator can replay it.
 */
import type { MemorySnapshot } from '../core/memory.js';
import type { ModelKind } from '../ports/ollama.js';

/** The guard's level: normal, or the worst trigger held long enough. */
export type GuardLevel = 'normal' | 'warn' | 'critical';

/** A model as the guard sees it: /api/ps plus its kind from /api/show, or a runner still loading. */
export interface GuardModel {
  name: string;
  /** Its size; for a model still loading, the size of its files on disk (what it is loading). */
  sizeBytes: number;
  kind: ModelKind;
  /** When Ollama would unload it on its own (ms since the epoch); null when unknown. */
  expiresAt: number | null;
  /**
   * Set while the model is still loading, seen as its runner process: Ollama holds the runner's
   * lock for the whole load, so neither /api/ps nor an API unload answers until it ends. Such a
   * model is stopped by signalling this process.
   */
  loadingPid?: number;
}

/** How Ollama answered the last read: `busy` means /api/ps did not answer but the server did. */
export type OllamaStatus = 'ok' | 'busy' | 'unreachable' | 'error';

/** The last /api/ps read. Models are empty when Ollama is unreachable or failing. */
export interface OllamaReading {
  status: OllamaStatus;
  /** When busy: the last models /api/ps listed, plus the runners seen loading. */
  models: GuardModel[];
  /** Why the read failed, when it did. */
  error?: string;
  /** When the models were read (ms since the epoch); null before the first read. */
  readAt: number | null;
}

/** One tick's input: the time comes from here, never from a clock. */
export interface GuardSnapshot {
  at: number;
  memory: MemorySnapshot;
  ollama: OllamaReading;
  /** Models an earlier unload is still working on. */
  inFlight: readonly string[];
  /**
   * Why the machine is about to freeze, when it is (the WindowServer watch: a starved WindowServer,
   * or a precursor in the unified log): a critical trigger held at once, without sustain.
   * The simulator passes none.
   */
  emergency?: string | null;
}

/** The rules, resolved from config (docs/policy.md). */
export interface GuardRules {
  floorMinBytes: number;
  floorPercent: number;
  swapUsedPercent: number;
  /** Swap counts as nearly full only while less than this is free (macOS grows swap on demand). */
  swapFreeMinBytes: number;
  sustainMs: number;
  criticalSustainMs: number;
  cooldownMs: number;
  recoverMs: number;
  maxModelFraction: { text: number; vision: number };
  allowLargeModels: readonly string[];
  notifyMinIntervalMs: number;
  /** Only changes the wording: "would unload". The executor is what sends nothing. */
  dryRun: boolean;
}

/** The rule behind an unload. */
export type UnloadRule = 'warn' | 'critical' | 'oversize';

/** An unload: models through the API, and runners still loading by signal (`terminate`: model → pid). */
export interface UnloadDecision {
  kind: 'unload';
  rule: UnloadRule;
  /** Every model to free, least recently used first. */
  models: string[];
  /** The ones still loading, with their runner's pid: they are stopped by SIGTERM, not the API. */
  terminate: Record<string, number>;
  reason: string;
}

/** What the policy decided this tick. */
export type Decision =
  | { kind: 'level'; from: GuardLevel; to: GuardLevel; reason: string }
  | UnloadDecision
  | { kind: 'notify'; topic: 'incident' | 'emergency' | 'recovery' | 'oversize'; title: string; message: string; suppressed?: string };

/** An episode from leaving normal to coming back. */
export interface Incident {
  id: number;
  startedAt: number;
  peak: Exclude<GuardLevel, 'normal'>;
  /** Models confirmed gone (or, in a dry run, that would have been) during the incident. */
  unloaded: string[];
  /** Whether the incident's notice was sent; the recovery notice only follows one that was. */
  noticeSent: boolean;
  /** Levels at which a "nothing to unload" notice was tried (and held back by the rate limit). */
  attempted: Array<Exclude<GuardLevel, 'normal'>>;
  /** The first emergency of the incident (it has its own notice), or null. */
  emergency: string | null;
}

/** What the policy remembers between ticks. Serialisable. */
export interface GuardState {
  level: GuardLevel;
  /** When each trigger started holding (null: not holding). */
  warnSince: number | null;
  criticalSince: number | null;
  /** When readings became normal again (null: not normal). */
  normalSince: number | null;
  /** The last pressure-rule unload, for the cooldown. */
  lastPressureAction: { at: number; rule: 'warn' | 'critical' } | null;
  /** The last oversize unload per loaded model, for its cooldown; dropped when the model leaves. */
  oversizeActedAt: Record<string, number>;
  /** Oversize models the user was told about while they stay loaded; dropped when they leave. */
  oversizeNotified: Record<string, true>;
  /** Models whose unload did not take (still listed at the bound); warn passes them over while they stay. */
  stuck: Record<string, number>;
  /** headroom's view of recent use, for least-recently-used order. */
  modelUse: Record<string, { lastUsedAt: number; expiresAt: number | null }>;
  incident: Incident | null;
  incidents: number;
  /** When each notification topic key was last sent. */
  notifiedAt: Record<string, number>;
}

/** The state before the first tick. */
export function initialGuardState(): GuardState {
  return {
    level: 'normal',
    warnSince: null,
    criticalSince: null,
    normalSince: null,
    lastPressureAction: null,
    oversizeActedAt: {},
    oversizeNotified: {},
    stuck: {},
    modelUse: {},
    incident: null,
    incidents: 0,
    notifiedAt: {},
  };
}
