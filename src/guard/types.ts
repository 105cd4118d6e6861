/**
 * The guard's data: what it sees each tick, what it remembers between ticks, and what it
 * decides. Plain data, so the policy stays pure and the simulator can replay it.
 */
import type { MemorySnapshot } from '../core/memory.js';
import type { ModelKind } from '../ports/ollama.js';

/** The guard's level: normal, or the worst trigger held long enough. */
export type GuardLevel = 'normal' | 'warn' | 'critical';

/** A loaded model as the guard sees it: /api/ps plus its kind from /api/show. */
export interface GuardModel {
  name: string;
  sizeBytes: number;
  kind: ModelKind;
  /** When Ollama would unload it on its own (ms since the epoch); null when unknown. */
  expiresAt: number | null;
}

/** Whether Ollama answered the last read. */
export type OllamaStatus = 'ok' | 'unreachable' | 'error';

/** The last /api/ps read. Models are empty unless status is ok. */
export interface OllamaReading {
  status: OllamaStatus;
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
  /** True while an earlier unload has not finished. */
  unloadInFlight: boolean;
}

/** The rules, resolved from config (docs/policy.md). */
export interface GuardRules {
  floorMinBytes: number;
  floorPercent: number;
  swapUsedPercent: number;
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

/** What the policy decided this tick. */
export type Decision =
  | { kind: 'level'; from: GuardLevel; to: GuardLevel; reason: string }
  | { kind: 'unload'; rule: UnloadRule; models: string[]; reason: string }
  | { kind: 'notify'; topic: 'incident' | 'recovery' | 'oversize'; title: string; message: string; suppressed?: string };

/** An episode from leaving normal to coming back. */
export interface Incident {
  id: number;
  startedAt: number;
  peak: Exclude<GuardLevel, 'normal'>;
  /** Models unloaded (or, in dry run, that would have been) during the incident. */
  unloaded: string[];
  /** Whether the incident's notice was decided (sent or suppressed by the rate limit). */
  notified: boolean;
  /** Whether it was sent; the recovery notice only follows a notice that was. */
  noticeSent: boolean;
  /** Whether a rate-limited notice was retried when the incident turned critical. */
  criticalRetried: boolean;
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
    modelUse: {},
    incident: null,
    incidents: 0,
    notifiedAt: {},
  };
}
