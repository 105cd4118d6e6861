/**
 * The simulated machine: RAM, a baseline for macOS and apps, Ollama's models and other memory
 * users, turned into MemorySnapshots. The memory model (docs/scenarios.md):
 *
 * - demand = baseline + every model's resident bytes + every other process's bytes;
 * - available = RAM − demand, never below 0; what does not fit goes to swap (up to swapMaxGiB);
 * - the kernel's level is warn under `kernelWarnPercent` (12 %) available and critical under
 *   `kernelCriticalPercent` (5 %);
 * - wired = 2 GiB + the models (Metal wires what a model maps), compressed is not modelled.
 */
import type { MemorySensor, MemorySnapshot, Pressure } from '../core/memory.js';
import { GiB } from '../core/units.js';
import type { Clock } from '../ports/clock.js';
import type { Scenario } from './scenario.js';
import type { SimOllama } from './sim-ollama.js';

/** Another memory user. */
interface SimProcess {
  name: string;
  startedAt: number;
  startBytes: number;
  growBytesPerStep: number;
  stepMs: number;
  maxBytes: number | null;
}

/** Where the memory is, at one moment. */
export interface MemoryBreakdown {
  demandBytes: number;
  ollamaBytes: number;
  processBytes: Map<string, number>;
}

/** The machine, sampled like a real one. */
export class SimMachine implements MemorySensor {
  private readonly processes = new Map<string, SimProcess>();
  readonly ramBytes: number;
  private readonly baselineBytes: number;
  private readonly swapMaxBytes: number;
  private readonly warnFraction: number;
  private readonly criticalFraction: number;

  constructor(
    scenario: Scenario,
    private readonly clock: Clock,
    private readonly ollama: SimOllama,
  ) {
    this.ramBytes = scenario.machine.ramGiB * GiB;
    this.baselineBytes = scenario.machine.baselineGiB * GiB;
    this.swapMaxBytes = scenario.machine.swapMaxGiB * GiB;
    this.warnFraction = scenario.machine.kernelWarnPercent / 100;
    this.criticalFraction = scenario.machine.kernelCriticalPercent / 100;
  }

  /** Starts another memory user. */
  startProcess(spec: { name: string; startGiB: number; growGiBPerStep: number; stepS: number; maxGiB: number | null }): void {
    this.processes.set(spec.name, {
      name: spec.name,
      startedAt: this.clock.now(),
      startBytes: spec.startGiB * GiB,
      growBytesPerStep: spec.growGiBPerStep * GiB,
      stepMs: spec.stepS * 1000,
      maxBytes: spec.maxGiB === null ? null : spec.maxGiB * GiB,
    });
  }

  /** Ends one; its memory is free at once. */
  stopProcess(name: string): void {
    this.processes.delete(name);
  }

  /** Who holds what now. */
  breakdown(): MemoryBreakdown {
    const now = this.clock.now();
    const processBytes = new Map<string, number>();
    for (const process of this.processes.values()) {
      const steps = Math.floor((now - process.startedAt) / process.stepMs);
      const bytes = process.startBytes + steps * process.growBytesPerStep;
      processBytes.set(process.name, process.maxBytes === null ? bytes : Math.min(process.maxBytes, bytes));
    }
    let ollamaBytes = 0;
    for (const bytes of this.ollama.residentBytes().values()) ollamaBytes += bytes;
    let demandBytes = this.baselineBytes + ollamaBytes;
    for (const bytes of processBytes.values()) demandBytes += bytes;
    return { demandBytes, ollamaBytes, processBytes };
  }

  /** The snapshot the daemon would read now. */
  observe(): MemorySnapshot {
    const { demandBytes, ollamaBytes } = this.breakdown();
    const availableBytes = Math.max(0, this.ramBytes - demandBytes);
    const swapUsedBytes = Math.min(this.swapMaxBytes, Math.max(0, demandBytes - this.ramBytes));
    const fraction = availableBytes / this.ramBytes;
    const pressure: Pressure = fraction < this.criticalFraction ? 'critical' : fraction < this.warnFraction ? 'warn' : 'normal';
    return {
      at: this.clock.now(),
      totalBytes: this.ramBytes,
      availableBytes,
      freeBytes: availableBytes,
      wiredBytes: 2 * GiB + ollamaBytes,
      compressedBytes: 0,
      swapUsedBytes,
      swapTotalBytes: swapUsedBytes > 0 ? swapUsedBytes + GiB : 0,
      pressure,
      pressureReason: `simulated: ${(fraction * 100).toFixed(1)}% available`,
    };
  }

  sample(): Promise<MemorySnapshot> {
    return Promise.resolve(this.observe());
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
