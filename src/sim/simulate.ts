/**
 * `headroom simulate`: the real daemon loop, guard and policy against a simulated machine and a
 * simulated Ollama, on a simulated clock that steps 100 ms at a time. The result is the timeline
 * and a summary: the lowest available memory, time at warn and critical, the models unloaded,
 * and whether the machine locked up, and if so whether unloading could have prevented it.
 */
import type { Config } from '../config/schema.js';
import { GiB } from '../core/units.js';
import { Daemon } from '../daemon/daemon.js';
import { DEFAULT_READ_BUDGET_MS, Guard } from '../guard/guard.js';
import { guardRules, stillPacing } from '../guard/rules.js';
import { OllamaWatcher } from '../ollama/watcher.js';
import type { Clock } from '../ports/clock.js';
import type { Notifier } from '../ports/notifier.js';
import { SimMachine } from './machine.js';
import type { Scenario } from './scenario.js';
import { SimOllama } from './sim-ollama.js';
import { round1, round2, TimelineRecorder, type TimelineEvent } from './timeline.js';

/** The simulator's step: the world is observed this often (a divisor of the 250 ms fast interval). */
export const SIM_STEP_MS = 50;
/** Simulated time starts here (a fixed date keeps the output reproducible). */
const SIM_EPOCH = Date.UTC(2026, 0, 1, 0, 0, 0);

/** The summary of a run. */
export interface SimSummary {
  lowestAvailableGiB: number;
  lowestAvailableAtS: number;
  timeAtWarnS: number;
  timeAtCriticalS: number;
  modelsUnloaded: Array<{ model: string; atS: number; rule: string }>;
  lockup: boolean;
  lockupAtS: number | null;
  /** One sentence: what happened, and whether the guard could have done better. */
  verdict: string;
}

/** A run's full output. */
export interface SimResult {
  scenario: string;
  guard: boolean;
  timeline: TimelineEvent[];
  summary: SimSummary;
}

/** Options for a run. */
export interface SimOptions {
  /** false runs the scenario without the guard, to show what happens without headroom. */
  guard: boolean;
}

/** A clock the simulator moves by hand. */
class StepClock implements Clock {
  private sleepers: Array<{ until: number; resolve: () => void }> = [];
  constructor(private time: number) {}
  now(): number {
    return this.time;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const wake = (): void => {
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      this.sleepers.push({ until: this.time + ms, resolve: wake });
      signal?.addEventListener('abort', wake, { once: true });
    });
  }
  advance(ms: number): void {
    this.time += ms;
    const due = this.sleepers.filter((s) => s.until <= this.time);
    this.sleepers = this.sleepers.filter((s) => s.until > this.time);
    for (const sleeper of due) sleeper.resolve();
  }
}

/** Lets every promise chain started by the last step run to its next wait on the clock. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Runs a scenario with `config` (already merged with the scenario's overrides). */
export async function simulate(scenario: Scenario, config: Config, options: SimOptions): Promise<SimResult> {
  const clock = new StepClock(SIM_EPOCH);
  const pulled = scenario.timeline.flatMap((event) => ('request' in event ? [event.request] : []));
  const ollama = new SimOllama(
    clock,
    { maxLoadedModels: scenario.ollama.maxLoadedModels, unloadMs: scenario.ollama.unloadS * 1000, apiTimeoutMs: config.ollama.timeoutMs },
    pulled,
  );
  const processes = ollama.processTable();
  const machine = new SimMachine(scenario, clock, ollama);
  const recorder = new TimelineRecorder(SIM_EPOCH, () => clock.now());
  const logger = recorder.logger();
  const silentNotifier: Notifier = { notify: () => Promise.resolve({ delivered: true, via: 'simulator' }) };

  let guard: Guard | null = null;
  if (options.guard) {
    const watcher = new OllamaWatcher({ api: ollama, clock, logger, pollIntervalMs: config.ollama.pollIntervalMs, still: stillPacing(config), processes });
    guard = new Guard({
      watcher,
      api: ollama,
      notifier: silentNotifier,
      clock,
      logger,
      rules: guardRules(config),
      resample: () => machine.sample(),
      unloadTimeoutMs: config.ollama.unloadTimeoutMs,
      unloadPollMs: 250,
      inspector: processes,
      signaller: processes,
      readBudgetMs: DEFAULT_READ_BUDGET_MS,
    });
  }
  const daemon = new Daemon({
    sensor: machine,
    clock,
    logger,
    platform: 'darwin',
    intervalMs: config.daemon.intervalMs,
    fastIntervalMs: config.daemon.fastIntervalMs,
    guard,
    stateFile: '(simulated)',
    pid: 0,
    saveState: () => undefined,
  });

  const pending = [...scenario.timeline].sort((a, b) => a.atS - b.atS);
  const ollamaEventsSeen = { count: 0 };
  const stats = new WorldStats(scenario, machine.ramBytes);
  const controller = new AbortController();
  const durationMs = scenario.durationS * 1000;

  applyDue(pending, 0, machine, ollama, recorder);
  const running = daemon.run(controller.signal);
  for (let elapsed = 0; elapsed <= durationMs; elapsed += SIM_STEP_MS) {
    if (elapsed > 0) {
      clock.advance(SIM_STEP_MS);
      applyDue(pending, elapsed, machine, ollama, recorder);
    }
    await settle();
    recordOllamaEvents(ollama, ollamaEventsSeen, recorder);
    stats.observe(elapsed, machine, recorder);
  }
  controller.abort();
  await running;
  await guard?.settle();

  const summary = stats.summary(recorder.events);
  return { scenario: scenario.name, guard: options.guard, timeline: recorder.events, summary };
}

function applyDue(pending: Scenario['timeline'], elapsedMs: number, machine: SimMachine, ollama: SimOllama, recorder: TimelineRecorder): void {
  while (pending.length > 0 && (pending[0]?.atS ?? Infinity) * 1000 <= elapsedMs) {
    const event = pending.shift()!;
    if ('request' in event) {
      const { model, sizeGiB, kind, loadS } = event.request;
      recorder.add('request', { model, sizeGiB, kind, loadS });
      ollama.request(event.request);
    } else if ('process' in event) {
      recorder.add('process-start', { name: event.process.name, startGiB: event.process.startGiB, growGiBPerStep: event.process.growGiBPerStep, stepS: event.process.stepS });
      machine.startProcess(event.process);
    } else {
      recorder.add('process-stop', { name: event.stop });
      machine.stopProcess(event.stop);
    }
  }
}

function recordOllamaEvents(ollama: SimOllama, seen: { count: number }, recorder: TimelineRecorder): void {
  for (const event of ollama.events.slice(seen.count)) recorder.add(`ollama-${event.event}`, { model: event.model });
  seen.count = ollama.events.length;
}

/** Watches the world every step: lowest available, time per kernel level, lockups. */
class WorldStats {
  private lowest = { bytes: Infinity, atMs: 0 };
  private warnMs = 0;
  private criticalMs = 0;
  private underSince: number | null = null;
  private lockup: { startMs: number; atMs: number; nonOllamaBytes: number; ollamaBytes: number; processes: string[] } | null = null;
  private readonly lockupLineBytes: number;
  private readonly lockupMs: number;

  constructor(
    scenario: Scenario,
    private readonly ramBytes: number,
  ) {
    this.lockupLineBytes = (scenario.machine.lockupPercent / 100) * ramBytes;
    this.lockupMs = scenario.machine.lockupS * 1000;
  }

  observe(elapsedMs: number, machine: SimMachine, recorder: TimelineRecorder): void {
    const snapshot = machine.observe();
    const available = snapshot.availableBytes ?? 0;
    if (available < this.lowest.bytes) this.lowest = { bytes: available, atMs: elapsedMs };
    if (elapsedMs > 0) {
      if (snapshot.pressure === 'warn') this.warnMs += SIM_STEP_MS;
      if (snapshot.pressure === 'critical') this.criticalMs += SIM_STEP_MS;
    }
    if (available >= this.lockupLineBytes) {
      this.underSince = null;
      return;
    }
    this.underSince ??= elapsedMs;
    if (this.lockup === null && elapsedMs - this.underSince > this.lockupMs) {
      const { demandBytes, ollamaBytes, processBytes } = machine.breakdown();
      this.lockup = {
        startMs: this.underSince,
        atMs: elapsedMs,
        nonOllamaBytes: demandBytes - ollamaBytes,
        ollamaBytes,
        processes: [...processBytes.entries()].map(([name, bytes]) => `${name} ${round2(bytes / GiB)} GiB`),
      };
      recorder.add('lockup', { availableGiB: round2(available / GiB), ollamaGiB: round2(ollamaBytes / GiB), underSinceS: round1(this.underSince / 1000) });
    }
  }

  summary(timeline: TimelineEvent[]): SimSummary {
    const modelsUnloaded = timeline
      .filter((e) => e.event === 'unload' || e.event === 'would-unload')
      .flatMap((e) => (e.models as string[]).map((model) => ({ model, atS: e.atS, rule: String(e.rule) })));
    const base = {
      lowestAvailableGiB: round2(this.lowest.bytes / GiB),
      lowestAvailableAtS: round1(this.lowest.atMs / 1000),
      timeAtWarnS: round1(this.warnMs / 1000),
      timeAtCriticalS: round1(this.criticalMs / 1000),
      modelsUnloaded,
    };
    if (!this.lockup) {
      const acted = modelsUnloaded.length > 0 ? `; the guard unloaded ${[...new Set(modelsUnloaded.map((m) => m.model))].join(', ')}` : '';
      return { ...base, lockup: false, lockupAtS: null, verdict: `no lockup${acted}` };
    }
    const at = round1(this.lockup.startMs / 1000);
    const others = this.lockup.processes.length > 0 ? ` (${this.lockup.processes.join(', ')})` : '';
    const preventable = this.ramBytes - this.lockup.nonOllamaBytes >= this.lockupLineBytes;
    const verdict = preventable
      ? `lockup from +${at} s with ${round2(this.lockup.ollamaBytes / GiB)} GiB in Ollama models: unloading them would have prevented it`
      : `lockup from +${at} s that unloading cannot prevent: ${round2(this.lockup.nonOllamaBytes / GiB)} GiB is held outside Ollama (baseline and other processes${others})`;
    return { ...base, lockup: true, lockupAtS: at, verdict };
  }
}
