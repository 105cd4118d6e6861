import { defaultConfig } from '../config/schema.js';
import { guardRules } from './rules.js';
import { describe, expect, it } from 'vitest';
import type { MemorySnapshot, Pressure } from '../core/memory.js';
import { GiB } from '../core/units.js';
import { evaluate, isAllowedLarge, lruOrder, recordUnload, type Evaluation } from './policy.js';
import { floorBytes } from './trigger.js';
import { initialGuardState, type Decision, type GuardModel, type GuardRules, type GuardSnapshot, type GuardState, type OllamaReading } from './types.js';

/** The shipped defaults (docs/policy.md). */
const RULES: GuardRules = guardRules(defaultConfig());
const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);

function memory(at: number, pressure: Pressure, availableGiB: number, totalGiB = 48, swap: [number, number] = [0, 0]): MemorySnapshot {
  return {
    at,
    totalBytes: totalGiB * GiB,
    availableBytes: Number.isNaN(availableGiB) ? null : availableGiB * GiB,
    freeBytes: 1 * GiB,
    wiredBytes: 2 * GiB,
    compressedBytes: 1 * GiB,
    swapUsedBytes: swap[0] * GiB,
    swapTotalBytes: swap[1] * GiB,
    pressure,
  };
}

function model(name: string, sizeGiB: number, kind: GuardModel['kind'] = 'text', expiresInS = 300, at = T0): GuardModel {
  return { name, sizeBytes: sizeGiB * GiB, kind, expiresAt: at + expiresInS * 1000 };
}

/** A model still loading, seen only as its runner process. */
function loading(name: string, sizeGiB: number, pid: number): GuardModel {
  return { name, sizeBytes: sizeGiB * GiB, kind: 'text', expiresAt: null, loadingPid: pid };
}

function ollama(models: GuardModel[], status: OllamaReading['status'] = 'ok'): OllamaReading {
  if (status === 'ok') return { status, models, readAt: T0 };
  if (status === 'busy') return { status, models, error: 'GET /api/ps: no answer, but the server answers', readAt: T0 };
  return { status, models: [], error: 'connection refused', readAt: T0 };
}

/** Runs the policy over (seconds after T0, memory, models) steps; returns every step's decisions and the final state. */
function run(
  steps: Array<{ t: number; pressure: Pressure; available: number; total?: number; swap?: [number, number]; models?: GuardModel[]; inFlight?: string[]; status?: OllamaReading['status']; emergency?: string }>,
  rules: GuardRules = RULES,
  start: GuardState = initialGuardState(),
) {
  let state = start;
  const log: Array<{ t: number; decisions: Decision[]; stage: Evaluation['processStage'] }> = [];
  let models: GuardModel[] = [];
  for (const step of steps) {
    const at = T0 + step.t * 1000;
    models = step.models ?? models;
    const snapshot: GuardSnapshot = {
      at,
      memory: memory(at, step.pressure, step.available, step.total, step.swap),
      ollama: ollama(models, step.status),
      inFlight: step.inFlight ?? [],
      ...(step.emergency ? { emergency: step.emergency } : {}),
    };
    const result = evaluate(state, snapshot, rules);
    state = result.state;
    log.push({ t: step.t, decisions: result.decisions, stage: result.processStage });
  }
  return { state, log };
}

const unloads = (log: Array<{ t: number; decisions: Decision[] }>) =>
  log.flatMap(({ t, decisions }) => decisions.filter((d) => d.kind === 'unload').map((d) => [t, d.rule, d.models.join('+')]));
const notices = (log: Array<{ t: number; decisions: Decision[] }>) =>
  log.flatMap(({ t, decisions }) => decisions.filter((d) => d.kind === 'notify').map((d) => [t, d.topic, d.suppressed ? 'suppressed' : 'sent']));
const levels = (log: Array<{ t: number; decisions: Decision[] }>) =>
  log.flatMap(({ t, decisions }) => decisions.filter((d) => d.kind === 'level').map((d) => [t, d.to]));

const TWO = [model('old:8b', 5, 'text', 100), model('new:8b', 5, 'text', 280)];

describe('warn', () => {
  it('acts only after the trigger has held for sustainMs, and then on the least recently used model', () => {
    const { log } = run([
      { t: 0, pressure: 'normal', available: 20, models: TWO },
      { t: 1, pressure: 'warn', available: 10 },
      { t: 2, pressure: 'warn', available: 10 },
      { t: 3, pressure: 'warn', available: 10 },
    ]);
    expect(levels(log)).toEqual([[3, 'warn']]);
    expect(unloads(log)).toEqual([[3, 'warn', 'old:8b']]);
  });

  it('does not act on a trigger that flickers shorter than sustainMs', () => {
    const { log } = run([
      { t: 0, pressure: 'warn', available: 10, models: TWO },
      { t: 1, pressure: 'normal', available: 10 },
      { t: 2, pressure: 'warn', available: 10 },
      { t: 3, pressure: 'normal', available: 10 },
    ]);
    expect(unloads(log)).toEqual([]);
    expect(levels(log)).toEqual([]);
  });

  it('waits the cooldown between unloads, then takes the next one', () => {
    const { log } = run([
      { t: 0, pressure: 'warn', available: 10, models: TWO },
      { t: 2, pressure: 'warn', available: 10 },
      { t: 5, pressure: 'warn', available: 10, models: [TWO[1]!] },
      { t: 11, pressure: 'warn', available: 10 },
      { t: 12, pressure: 'warn', available: 10 },
    ]);
    expect(unloads(log)).toEqual([
      [2, 'warn', 'old:8b'],
      [12, 'warn', 'new:8b'],
    ]);
  });

  it('keeps at most one unload in flight', () => {
    const { log } = run([
      { t: 0, pressure: 'warn', available: 10, models: TWO },
      { t: 2, pressure: 'warn', available: 10, inFlight: ['x:1b'] },
      { t: 3, pressure: 'warn', available: 10, inFlight: [] },
    ]);
    expect(unloads(log)).toEqual([[3, 'warn', 'old:8b']]);
  });

  it('passes over a model whose unload did not take, and goes on to the next without the cooldown', () => {
    const first = run([
      { t: 0, pressure: 'warn', available: 10, models: TWO },
      { t: 2, pressure: 'warn', available: 10 },
    ]);
    expect(unloads(first.log)).toEqual([[2, 'warn', 'old:8b']]);
    // old:8b is busy in a request: Ollama holds the unload, and it is still listed at the bound.
    const stuck = recordUnload(first.state, 'warn', [{ model: 'old:8b', gone: false }], T0 + 17_000);
    expect(stuck.stuck).toEqual({ 'old:8b': T0 + 17_000 });
    const next = run([{ t: 17, pressure: 'warn', available: 10, models: TWO }], RULES, stuck);
    expect(unloads(next.log)).toEqual([[17, 'warn', 'new:8b']]);
  });

  it('fires on available under the floor, the larger of 4 GiB and 10% of RAM', () => {
    expect(floorBytes(16 * GiB, RULES)).toBe(4 * GiB);
    expect(floorBytes(128 * GiB, RULES)).toBeCloseTo(12.8 * GiB);
    const { log } = run(
      [
        { t: 0, pressure: 'normal', available: 12, total: 128, models: TWO },
        { t: 2, pressure: 'normal', available: 12, total: 128 },
      ],
    );
    expect(unloads(log)).toEqual([[2, 'warn', 'old:8b']]);
  });

  it('fires on swap over 90% used with under 2 GiB free, but not on a large swap with room left, nor without swap', () => {
    const full = run([
      { t: 0, pressure: 'normal', available: 20, swap: [13, 14], models: TWO },
      { t: 2, pressure: 'normal', available: 20, swap: [13, 14] },
    ]);
    expect(unloads(full.log)).toEqual([[2, 'warn', 'old:8b']]);
    // macOS grows swap files on demand: 91% of 44 GiB still leaves 4 GiB.
    const roomy = run([
      { t: 0, pressure: 'normal', available: 20, swap: [40, 44], models: TWO },
      { t: 2, pressure: 'normal', available: 20, swap: [40, 44] },
    ]);
    expect(unloads(roomy.log)).toEqual([]);
    const none = run([
      { t: 0, pressure: 'normal', available: 20, swap: [0, 0], models: TWO },
      { t: 2, pressure: 'normal', available: 20, swap: [0, 0] },
    ]);
    expect(unloads(none.log)).toEqual([]);
  });
});

describe('critical', () => {
  it('unloads every model at once, at the first critical reading', () => {
    const { log } = run([{ t: 0, pressure: 'critical', available: 1, models: TWO }]);
    expect(levels(log)).toEqual([[0, 'critical']]);
    expect(unloads(log)).toEqual([[0, 'critical', 'old:8b+new:8b']]);
  });

  it('fires on available under half the floor', () => {
    const { log } = run([{ t: 0, pressure: 'normal', available: 2.3, total: 48, models: TWO }]);
    expect(unloads(log)).toEqual([[0, 'critical', 'old:8b+new:8b']]);
  });

  it('acts on the models an unload in flight is not already freeing', () => {
    const { log } = run([{ t: 0, pressure: 'critical', available: 1, models: TWO, inFlight: ['old:8b'] }]);
    expect(unloads(log)).toEqual([[0, 'critical', 'new:8b']]);
  });

  it('stops a model still loading through its runner, beside the API unloads', () => {
    const { log } = run([{ t: 0, pressure: 'critical', available: 1, models: [model('idle:8b', 5, 'text', 100), loading('big:70b', 40, 4242)], status: 'busy' }]);
    const decision = log[0]!.decisions.find((d) => d.kind === 'unload');
    expect(decision).toMatchObject({ rule: 'critical', models: ['idle:8b', 'big:70b'], terminate: { 'big:70b': 4242 } });
  });

  it('escalates from a warn unload without waiting the cooldown, but repeats itself only after it', () => {
    const { log } = run([
      { t: 0, pressure: 'warn', available: 10, models: [...TWO, model('third:8b', 5, 'text', 290)] },
      { t: 2, pressure: 'warn', available: 10 },
      { t: 4, pressure: 'critical', available: 1, models: TWO.slice(1).concat(model('third:8b', 5, 'text', 290)) },
      { t: 6, pressure: 'critical', available: 1, models: [model('late:8b', 5)] },
      { t: 14, pressure: 'critical', available: 1 },
    ]);
    expect(unloads(log)).toEqual([
      [2, 'warn', 'old:8b'],
      [4, 'critical', 'new:8b+third:8b'],
      [14, 'critical', 'late:8b'],
    ]);
  });
});

describe('recovery', () => {
  it('returns to normal only after recoverMs of normal readings, and says so once', () => {
    const { log } = run([
      { t: 0, pressure: 'critical', available: 1, models: TWO },
      { t: 1, pressure: 'normal', available: 20, models: [] },
      { t: 10, pressure: 'warn', available: 10 }, // a relapse restarts the recovery clock
      { t: 11, pressure: 'normal', available: 20 },
      { t: 25, pressure: 'normal', available: 20 },
      { t: 26, pressure: 'normal', available: 20 },
    ]);
    expect(levels(log)).toEqual([
      [0, 'critical'],
      [26, 'normal'],
    ]);
    expect(notices(log)).toEqual([
      [0, 'incident', 'sent'],
      [26, 'recovery', 'sent'],
    ]);
  });

  it('keeps everything as it was while memory cannot be read', () => {
    const steps = [{ t: 0, pressure: 'critical' as const, available: 1, models: TWO }];
    const { state } = run(steps);
    const snapshot: GuardSnapshot = {
      at: T0 + 20_000,
      memory: { ...memory(T0 + 20_000, 'unknown', 0), availableBytes: null, totalBytes: null },
      ollama: ollama(TWO),
      inFlight: [],
    };
    const next = evaluate(state, snapshot, RULES);
    expect(next.decisions).toEqual([]);
    expect(next.state.level).toBe('critical');
  });
});

describe('oversize', () => {
  it('unloads a text model over 62.5% of RAM at once, whatever the pressure, and notifies with size and limit', () => {
    const { log } = run([{ t: 0, pressure: 'normal', available: 20, total: 48, models: [model('llama3.3:70b', 40)] }]);
    expect(unloads(log)).toEqual([[0, 'oversize', 'llama3.3:70b']]);
    const notice = log[0]!.decisions.find((d) => d.kind === 'notify');
    expect(notice).toMatchObject({
      topic: 'oversize',
      title: 'headroom: llama3.3:70b is too large for this Mac',
      message:
        'Unloading llama3.3:70b: 40.0 GiB is over the 30.0 GiB limit for text models (62.5% of 48.0 GiB). To keep it, add it to guard.allowLargeModels.',
    });
  });

  it('allows vision models up to 70%, and treats a model of unknown kind as text', () => {
    const total = 64;
    const { log } = run([
      {
        t: 0,
        pressure: 'normal',
        available: 30,
        total,
        models: [model('vision-ok', 0.69 * total, 'vision'), model('vision-big', 0.71 * total, 'vision'), model('mystery', 0.65 * total, 'unknown')],
      },
      { t: 1, pressure: 'normal', available: 30, total },
    ]);
    expect(unloads(log)).toEqual([
      [0, 'oversize', 'vision-big'],
      [1, 'oversize', 'mystery'],
    ]);
  });

  it('leaves models on allowLargeModels alone, by exact name or by name without a tag', () => {
    expect(isAllowedLarge('llama3.3:70b', ['llama3.3'])).toBe(true);
    expect(isAllowedLarge('llama3.3:70b', ['llama3.3:70b'])).toBe(true);
    expect(isAllowedLarge('llama3.3:70b', ['llama3.3:8b'])).toBe(false);
    expect(isAllowedLarge('llama3.3:70b', ['llama3'])).toBe(false);
    const { log } = run([{ t: 0, pressure: 'normal', available: 20, models: [model('llama3.3:70b', 40)] }], { ...RULES, allowLargeModels: ['llama3.3'] });
    expect(unloads(log)).toEqual([]);
  });

  it('retries a model that stays loaded after the cooldown, but notifies only once while it stays', () => {
    const big = [model('llama3.3:70b', 40)];
    const { log } = run([
      { t: 0, pressure: 'normal', available: 20, models: big },
      { t: 5, pressure: 'normal', available: 20 },
      { t: 10, pressure: 'normal', available: 20 },
      { t: 11, pressure: 'normal', available: 20, models: [] },
      { t: 100, pressure: 'normal', available: 20, models: big },
    ]);
    expect(unloads(log)).toEqual([
      [0, 'oversize', 'llama3.3:70b'],
      [10, 'oversize', 'llama3.3:70b'],
      [100, 'oversize', 'llama3.3:70b'],
    ]);
    expect(notices(log)).toEqual([
      [0, 'oversize', 'sent'],
      [100, 'oversize', 'sent'],
    ]);
  });

  it('stops a model too large for the machine while it is still loading, from its size on disk', () => {
    const { log } = run([{ t: 0, pressure: 'normal', available: 30, models: [loading('llama3.3:70b', 40, 777)], status: 'busy' }]);
    expect(log[0]!.decisions.find((d) => d.kind === 'unload')).toMatchObject({ rule: 'oversize', models: ['llama3.3:70b'], terminate: { 'llama3.3:70b': 777 } });
    expect(log[0]!.decisions.find((d) => d.kind === 'notify')).toMatchObject({ message: expect.stringMatching(/^Stopping the load of llama3\.3:70b: 40\.0 GiB is over/) as string });
  });

  it('leaves alone a loading runner it could not name (size unknown) until critical', () => {
    const unnamed = loading('runner pid 5', 0, 5);
    expect(unloads(run([{ t: 0, pressure: 'normal', available: 30, models: [unnamed], status: 'busy' }]).log)).toEqual([]);
    expect(unloads(run([{ t: 0, pressure: 'critical', available: 1, models: [unnamed], status: 'busy' }]).log)).toEqual([[0, 'critical', 'runner pid 5']]);
  });

  it('comes after critical but before warn in one tick', () => {
    const mix = [model('small:3b', 3, 'text', 10), model('llama3.3:70b', 40, 'text', 200)];
    const warn = run([
      { t: 0, pressure: 'warn', available: 10, models: mix },
      { t: 2, pressure: 'warn', available: 10 },
    ]);
    expect(unloads(warn.log)).toEqual([
      [0, 'oversize', 'llama3.3:70b'],
      [2, 'warn', 'small:3b'],
    ]);
  });
});

describe('emergency', () => {
  const FENCE = 'WindowServer: timed out fence';

  it('is a critical trigger held at once: every model is unloaded, whatever the memory says, with its own notice', () => {
    const { log, state } = run([
      { t: 0, pressure: 'normal', available: 20, models: TWO },
      { t: 1, pressure: 'normal', available: 20, emergency: FENCE },
    ], { ...RULES, criticalSustainMs: 5000 });
    expect(levels(log)).toEqual([[1, 'critical']]);
    expect(unloads(log)).toEqual([[1, 'critical', 'old:8b+new:8b']]);
    const notice = log[1]!.decisions.find((d) => d.kind === 'notify');
    expect(notice).toMatchObject({ topic: 'emergency', title: 'headroom: memory emergency, the screen may freeze' });
    expect(notice).toHaveProperty('message', expect.stringMatching(/: emergency: WindowServer: timed out fence\. Unloading old:8b \(5\.0 GiB\), new:8b \(5\.0 GiB\)\.$/) as string);
    expect(state.incident).toMatchObject({ emergency: FENCE, noticeSent: true, peak: 'critical' });
  });

  it('acts even when memory cannot be read, and recovers only after recoverMs without it', () => {
    const { log } = run([
      { t: 0, pressure: 'unknown', available: Number.NaN, models: TWO, emergency: FENCE },
      { t: 1, pressure: 'normal', available: 20 },
      { t: 16, pressure: 'normal', available: 20 },
    ]);
    expect(unloads(log)).toEqual([[0, 'critical', 'old:8b+new:8b']]);
    expect(levels(log)).toEqual([
      [0, 'critical'],
      [16, 'normal'],
    ]);
  });

  it('has one notice per incident, even after the incident\'s own notice, and waits the cooldown like any critical unload', () => {
    const { log } = run([
      { t: 0, pressure: 'normal', available: 20, models: TWO },
      { t: 1, pressure: 'warn', available: 10 },
      { t: 3, pressure: 'warn', available: 10 },
      { t: 4, pressure: 'warn', available: 10, models: [model('new:8b', 5, 'text', 280)], emergency: 'WindowServer CPU 95%' },
      { t: 5, pressure: 'warn', available: 10, models: [model('other:8b', 5)], emergency: 'WindowServer CPU 95%' },
      { t: 14, pressure: 'warn', available: 10, emergency: 'WindowServer CPU 95%' },
    ]);
    expect(unloads(log)).toEqual([
      [3, 'warn', 'old:8b'],
      [4, 'critical', 'new:8b'],
      [14, 'critical', 'other:8b'],
    ]);
    expect(notices(log)).toEqual([
      [3, 'incident', 'sent'],
      [4, 'emergency', 'sent'],
    ]);
  });

  it('with nothing to unload, is still told (rate-limited like other "nothing to unload" notices)', () => {
    const { log } = run([{ t: 0, pressure: 'normal', available: 20, models: [], emergency: 'kernel: low swap: failed to create swapfile' }]);
    expect(notices(log)).toEqual([[0, 'emergency', 'sent']]);
    expect(log[0]!.decisions.find((d) => d.kind === 'notify')).toHaveProperty('message', expect.stringMatching(/No Ollama model is loaded: the memory is held elsewhere\.$/) as string);
  });
});

describe('the stage for guarded processes', () => {
  const stages = (log: Array<{ t: number; stage: Evaluation['processStage'] }>) => log.map(({ t, stage }) => [t, stage]);

  it('opens once the trigger has held with no model loaded, and follows the trigger, not the level', () => {
    const { log } = run([
      { t: 0, pressure: 'normal', available: 20, models: [] },
      { t: 1, pressure: 'warn', available: 10 },
      { t: 3, pressure: 'warn', available: 10 },
      { t: 4, pressure: 'critical', available: 1 },
      { t: 5, pressure: 'normal', available: 20 },
    ]);
    // At t=5 the level stays critical until recoverMs has passed, but nothing holds: no stage.
    expect(stages(log)).toEqual([
      [0, null],
      [1, null],
      [3, 'warn'],
      [4, 'critical'],
      [5, null],
    ]);
  });

  it('opens when Ollama cannot be reached', () => {
    const { log } = run([{ t: 0, pressure: 'critical', available: 1, models: TWO, status: 'unreachable' }]);
    expect(stages(log)).toEqual([[0, 'critical']]);
  });

  it('stays shut while a model is left to unload or one is being unloaded, and for the cooldown after the last unload', () => {
    const { log } = run([
      { t: 0, pressure: 'critical', available: 1, models: TWO },
      { t: 1, pressure: 'critical', available: 1, models: TWO, inFlight: ['old:8b', 'new:8b'] },
      { t: 2, pressure: 'critical', available: 1, models: [], inFlight: [] },
      { t: 9, pressure: 'critical', available: 1 },
      { t: 10, pressure: 'critical', available: 1 },
    ]);
    expect(stages(log)).toEqual([
      [0, null],
      [1, null],
      [2, null],
      [9, null],
      [10, 'critical'],
    ]);
  });

  it('stays shut while a model whose unload did not take is still listed; a dry run goes on as if the models it would unload were gone', () => {
    let state = evaluate(initialGuardState(), { at: T0, memory: memory(T0, 'warn', 4), ollama: ollama(TWO), inFlight: [] }, RULES).state;
    state = recordUnload({ ...state, lastPressureAction: { at: T0, rule: 'warn' } }, 'warn', [{ model: 'old:8b', gone: false }], T0 + 1000);
    state = recordUnload(state, 'warn', [{ model: 'new:8b', gone: false }], T0 + 2000);
    const later = { at: T0 + 20_000, memory: memory(T0 + 20_000, 'warn', 4), ollama: ollama(TWO), inFlight: [] };
    const stuck = evaluate(state, later, RULES);
    expect(stuck.decisions.filter((d) => d.kind === 'unload')).toEqual([]);
    expect(stuck.processStage).toBeNull();

    // The executor reports a dry-run unload as done at once (guard.ts), as recordUnload does here.
    const dry = { ...RULES, dryRun: true };
    const first = evaluate(initialGuardState(), { at: T0, memory: memory(T0, 'critical', 1), ollama: ollama(TWO), inFlight: [] }, dry);
    const recorded = recordUnload(first.state, 'critical', [{ model: 'old:8b', gone: true }, { model: 'new:8b', gone: true }], T0);
    const again = evaluate(recorded, { ...later, at: T0 + 10_000, memory: memory(T0 + 10_000, 'critical', 1) }, dry);
    expect(again.decisions.filter((d) => d.kind === 'unload')).toEqual([]);
    expect(again.processStage).toBe('critical');
  });

  it('shuts while memory cannot be read', () => {
    const { log } = run([
      { t: 0, pressure: 'critical', available: 1, models: [] },
      { t: 1, pressure: 'unknown', available: Number.NaN },
    ]);
    expect(stages(log)).toEqual([
      [0, 'critical'],
      [1, null],
    ]);
  });

  it('opens at critical on an emergency even while memory cannot be read: a precursor in the log is evidence on its own', () => {
    const { log } = run([
      { t: 0, pressure: 'critical', available: 1, models: [] },
      { t: 1, pressure: 'unknown', available: Number.NaN, emergency: 'unified log: timed out fence (WindowServer)' },
      { t: 2, pressure: 'unknown', available: Number.NaN },
    ]);
    expect(stages(log)).toEqual([
      [0, 'critical'],
      [1, 'critical'],
      [2, null],
    ]);
  });
});

describe('least recently used', () => {
  it('follows renewed expiry times, and counts a model past its expiry but still listed as in use now', () => {
    const at = T0;
    let current = run([{ t: 0, pressure: 'normal', available: 20, models: [model('a', 1, 'text', 100), model('b', 1, 'text', 200)] }]).state;
    expect(lruOrder([model('a', 1), model('b', 1)], current).map((m) => m.name)).toEqual(['a', 'b']);
    // At t=50 a is used again: its expiry moves to t=350.
    current = evaluate(current, { at: at + 50_000, memory: memory(at + 50_000, 'normal', 20), ollama: ollama([model('a', 1, 'text', 350), model('b', 1, 'text', 200)]), inFlight: [] }, RULES).state;
    expect(lruOrder([model('a', 1, 'text', 350), model('b', 1, 'text', 200)], current).map((m) => m.name)).toEqual(['b', 'a']);
    // At t=250, b's expiry has passed but it is still listed: a request is running on it.
    current = evaluate(current, { at: at + 250_000, memory: memory(at + 250_000, 'normal', 20), ollama: ollama([model('a', 1, 'text', 350), model('b', 1, 'text', 200)]), inFlight: [] }, RULES).state;
    expect(lruOrder([model('a', 1, 'text', 350), model('b', 1, 'text', 200)], current).map((m) => m.name)).toEqual(['a', 'b']);
  });
});

describe('notifications', () => {
  it('sends one per incident, with the action, and the recovery; an unload is always reported, even within the rate limit', () => {
    const { log } = run([
      { t: 0, pressure: 'warn', available: 10, models: TWO },
      { t: 2, pressure: 'warn', available: 10 },
      { t: 3, pressure: 'warn', available: 10 },
      { t: 4, pressure: 'normal', available: 20 },
      { t: 19, pressure: 'normal', available: 20 },
      { t: 20, pressure: 'critical', available: 1 },
      { t: 21, pressure: 'normal', available: 20 },
      { t: 36, pressure: 'normal', available: 20 },
    ]);
    expect(notices(log)).toEqual([
      [2, 'incident', 'sent'],
      [19, 'recovery', 'sent'],
      [20, 'incident', 'sent'],
      [36, 'recovery', 'sent'],
    ]);
    const first = log[1]!.decisions.find((d) => d.kind === 'notify');
    expect(first).toMatchObject({
      title: 'headroom: memory pressure warn',
      message: '10.0 GiB available of 48.0 GiB (floor 4.8 GiB): kernel pressure warn. Unloading old:8b (5.0 GiB).',
    });
  });

  it('rate-limits "nothing to unload" notices per level, so a critical incident is still told', () => {
    const { log } = run([
      { t: 0, pressure: 'warn', available: 10, models: TWO },
      { t: 2, pressure: 'warn', available: 10 }, // incident 1: sent
      { t: 3, pressure: 'normal', available: 20, models: [] },
      { t: 18, pressure: 'normal', available: 20 }, // recovery: sent
      { t: 20, pressure: 'warn', available: 10 },
      { t: 22, pressure: 'warn', available: 10 }, // incident 2, nothing to unload: suppressed (20 s after the first)
      { t: 23, pressure: 'warn', available: 10 }, // still warn: stays quiet
      { t: 25, pressure: 'critical', available: 1 }, // critical: the one retry
      { t: 26, pressure: 'critical', available: 1 }, // no more
    ]);
    expect(notices(log)).toEqual([
      [2, 'incident', 'sent'],
      [18, 'recovery', 'sent'],
      [22, 'incident', 'suppressed'],
      [25, 'incident', 'sent'],
    ]);
    expect(log.find((entry) => entry.t === 25)!.decisions.find((d) => d.kind === 'notify')).toMatchObject({ title: 'headroom: memory pressure critical' });
  });

  it('says what it already unloaded when memory stays short after it, and recovery names only what is gone', () => {
    const first = run([{ t: 0, pressure: 'critical', available: 1, models: TWO }]);
    expect(unloads(first.log)).toEqual([[0, 'critical', 'old:8b+new:8b']]);
    // Only old:8b went: new:8b was still listed at the bound.
    const after = recordUnload(first.state, 'critical', [{ model: 'old:8b', gone: true }, { model: 'new:8b', gone: false }], T0 + 1000);
    expect(after.incident?.unloaded).toEqual(['old:8b']);
    const end = run([
      { t: 2, pressure: 'normal', available: 20, models: [] },
      { t: 17, pressure: 'normal', available: 20 },
    ], RULES, after);
    expect(end.log[1]!.decisions.find((d) => d.kind === 'notify')).toMatchObject({ topic: 'recovery', message: expect.stringMatching(/Unloaded: old:8b\.$/) as string });
    // A new incident with nothing left to unload, after headroom emptied Ollama itself.
    const emptied = recordUnload(run([{ t: 0, pressure: 'warn', available: 10, models: TWO }, { t: 2, pressure: 'warn', available: 10 }]).state, 'warn', [{ model: 'old:8b', gone: true }], T0 + 2500);
    const still = run([{ t: 3, pressure: 'critical', available: 1, models: [] }], RULES, emptied);
    expect(still.log[0]!.decisions.find((d) => d.kind === 'notify')).toBeUndefined(); // the incident's notice was already sent at t=2
    expect(emptied.incident?.unloaded).toEqual(['old:8b']);
  });

  it('tells the user when there is nothing to unload, or Ollama cannot be reached', () => {
    const empty = run([{ t: 0, pressure: 'critical', available: 1, models: [] }]);
    expect(empty.log[0]!.decisions.find((d) => d.kind === 'notify')).toMatchObject({ message: expect.stringMatching(/No Ollama model is loaded: the memory is held elsewhere\.$/) as string });
    const down = run([{ t: 0, pressure: 'critical', available: 1, status: 'unreachable' }]);
    expect(unloads(down.log)).toEqual([]);
    expect(down.log[0]!.decisions.find((d) => d.kind === 'notify')).toMatchObject({ message: expect.stringMatching(/Ollama is unreachable: no model can be unloaded\.$/) as string });
  });

  it('words a dry run as "would unload"', () => {
    const { log } = run([{ t: 0, pressure: 'critical', available: 1, models: TWO }], { ...RULES, dryRun: true });
    expect(log[0]!.decisions.find((d) => d.kind === 'notify')).toMatchObject({ message: expect.stringMatching(/Would unload old:8b \(5\.0 GiB\), new:8b \(5\.0 GiB\)\.$/) as string });
  });
});

describe('dry run', () => {
  it('goes on as if the models it would have unloaded were gone: the next warn unload takes the next model', () => {
    const dry = { ...RULES, dryRun: true };
    const at = (t: number) => T0 + t * 1000;
    const snapshot = (t: number): GuardSnapshot => ({ at: at(t), memory: memory(at(t), 'warn', 4), ollama: ollama(TWO), inFlight: [] });
    let state = evaluate(initialGuardState(), snapshot(0), dry).state;
    const first = evaluate(state, snapshot(2), dry);
    expect(first.decisions.find((d) => d.kind === 'unload')).toMatchObject({ rule: 'warn', models: ['old:8b'] });
    state = recordUnload(first.state, 'warn', [{ model: 'old:8b', gone: true }], at(2));
    const second = evaluate(state, snapshot(12), dry);
    expect(second.decisions.find((d) => d.kind === 'unload')).toMatchObject({ rule: 'warn', models: ['new:8b'] });
  });
});

describe('purity', () => {
  it('gives the same decisions for the same inputs, and does not change the state it was given', () => {
    const steps = [
      { t: 0, pressure: 'warn' as const, available: 10, models: [...TWO, model('big', 40)] },
      { t: 2, pressure: 'warn' as const, available: 10 },
      { t: 3, pressure: 'critical' as const, available: 1 },
      { t: 30, pressure: 'normal' as const, available: 30, models: [] },
    ];
    const first = run(steps);
    const start = initialGuardState();
    const frozen = structuredClone(start);
    const second = run(steps, RULES, start);
    expect(second).toEqual(first);
    expect(start).toEqual(frozen);
  });
});
