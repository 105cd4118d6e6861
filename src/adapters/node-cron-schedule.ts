/**
 * The probe schedule on node-cron v4: noOverlap, its warnings into headroom's log. node-cron
 * drops a run whose time passed while the process could not run (a sleeping Mac): it only emits
 * `execution:missed`; the probe service catches those runs up from its own tick.
 */
import { createTask, type ScheduledTask } from 'node-cron';
import type { Logger } from '../ports/logger.js';
import type { Schedule } from '../ports/schedule.js';

/** A node-cron task behind the Schedule port. */
export class NodeCronSchedule implements Schedule {
  private task: ScheduledTask | null = null;

  constructor(
    readonly expression: string,
    private readonly logger: Logger,
    /** A run this late still runs (node-cron's default is 1 s); later ones are missed, and caught up by the caller. */
    private readonly missedToleranceMs: number = 1000,
  ) {}

  start(fire: () => Promise<void>): void {
    if (this.task) return;
    const log = this.logger;
    this.task = createTask(this.expression, () => fire(), {
      name: 'headroom-probe',
      noOverlap: true,
      missedExecutionTolerance: this.missedToleranceMs,
      logger: {
        info: (message) => log.debug({ scheduler: 'node-cron' }, message),
        warn: (message) => log.warn({ scheduler: 'node-cron' }, message),
        error: (message, error) => log.error({ scheduler: 'node-cron', err: error ?? message }, typeof message === 'string' ? message : message.message),
        debug: (message) => log.debug({ scheduler: 'node-cron' }, typeof message === 'string' ? message : message.message),
      },
    });
    // A listener keeps node-cron from warning on the console; the probe service catches the run up.
    this.task.on('execution:missed', (context) => log.debug({ scheduler: 'node-cron', slot: context.date.toISOString() }, 'node-cron missed a probe run'));
    void this.task.start();
  }

  stop(): void {
    void this.task?.destroy();
    this.task = null;
  }

  nextRunAt(): number | null {
    return this.task?.getNextRun()?.getTime() ?? null;
  }
}
