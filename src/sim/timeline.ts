/**
 * The simulator's timeline: scenario events and the guard's structured log events, made compact
 * for people and golden files. The guard is not told it is simulated: the timeline is read off
 * the same log events the daemon writes.
 */
import type { MemorySnapshot } from '../core/memory.js';
import { GiB } from '../core/units.js';
import type { Logger } from '../ports/logger.js';

/** One line of the timeline. */
export type TimelineEvent = { atS: number; event: string } & Record<string, unknown>;

/** Rounds to one decimal (seconds) or two (GiB), so golden files stay readable and stable. */
export const round1 = (value: number): number => Math.round(value * 10) / 10;
export const round2 = (value: number): number => Math.round(value * 100) / 100;

/** Collects timeline events; `logger()` is the Logger to hand to the guard. */
export class TimelineRecorder {
  readonly events: TimelineEvent[] = [];

  constructor(
    private readonly startedAt: number,
    private readonly now: () => number,
  ) {}

  /** Adds a scenario event (a request, a process, a lockup). */
  add(event: string, fields: Record<string, unknown> = {}): void {
    this.events.push({ atS: round1((this.now() - this.startedAt) / 1000), event, ...fields });
  }

  /** A Logger that turns the guard's events into timeline entries and drops the rest. */
  logger(bindings: Record<string, unknown> = {}): Logger {
    const record = (fields: object, message: string): void => this.fromLog(message, { ...bindings, ...(fields as Record<string, unknown>) });
    return { debug: record, info: record, warn: record, error: record, child: (more) => this.logger({ ...bindings, ...more }) };
  }

  private fromLog(message: string, fields: Record<string, unknown>): void {
    // Guard events carry a guard snapshot ({memory, ollama, …}); daemon events the memory snapshot.
    const snapshot = fields.snapshot as (MemorySnapshot & { memory?: MemorySnapshot }) | undefined;
    const available = snapshot?.memory ? snapshot.memory.availableBytes : snapshot?.availableBytes;
    const context = available === null || available === undefined ? {} : { availableGiB: round2(available / GiB) };
    if (message === 'memory pressure changed') {
      this.add('pressure', { to: fields.to, ...context });
    } else if (message.startsWith('guard level ') || message === 'guard back to normal') {
      this.add('level', { to: fields.to, reason: fields.reason, ...context });
    } else if (message === 'unloading') {
      this.add('unload', { rule: fields.rule, models: fields.models, ...context });
    } else if (message === 'would unload (dry run)') {
      this.add('would-unload', { rule: fields.rule, models: fields.models, ...context });
    } else if (message === 'unload skipped') {
      this.add('unload-skipped', { rule: fields.rule, models: fields.models, why: fields.skipped });
    } else if (message === 'model unloaded') {
      this.add('unloaded', { model: fields.model, waitedS: round1(Number(fields.waitedMs) / 1000) });
    } else if (message === 'model still loaded after the unload') {
      this.add('unload-failed', { model: fields.model, error: fields.error });
    } else if (message === 'notification') {
      this.add('notify', { title: fields.title, message: fields.message });
    } else if (message === 'notification suppressed') {
      this.add('notify-suppressed', { title: fields.title });
    }
  }
}
