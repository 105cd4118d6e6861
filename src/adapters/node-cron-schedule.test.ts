import { afterEach, describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/helpers/capture-logger.js';
import { NodeCronSchedule } from './node-cron-schedule.js';

describe('NodeCronSchedule', () => {
  let schedule: NodeCronSchedule | null = null;
  afterEach(() => schedule?.stop());

  it('fires at each matching second, says when it fires next, and stops', async () => {
    schedule = new NodeCronSchedule('* * * * * *', captureLogger(), 5000);
    expect(schedule.nextRunAt()).toBeNull();
    const fired: number[] = [];
    schedule.start(() => {
      fired.push(Date.now());
      return Promise.resolve();
    });
    const next = schedule.nextRunAt();
    expect(next).not.toBeNull();
    expect(next! - Date.now()).toBeLessThanOrEqual(1000);
    // Bounded waits, not a fixed window: a loaded machine fires late, and a 5 s tolerance keeps late runs.
    const deadline = Date.now() + 10_000;
    while (fired.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fired.length).toBeGreaterThanOrEqual(2);
    schedule.stop();
    expect(schedule.nextRunAt()).toBeNull();
    const count = fired.length;
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(fired.length).toBe(count);
  });

  it('does not start a second run while one is under way (noOverlap)', async () => {
    const capture = captureLogger();
    schedule = new NodeCronSchedule('* * * * * *', capture, 5000);
    let started = 0;
    schedule.start(async () => {
      started += 1;
      await new Promise((resolve) => setTimeout(resolve, 4000));
    });
    const deadline = Date.now() + 10_000;
    while (!capture.entries.some((entry) => entry.message.includes('overlap')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(started).toBe(1);
    expect(capture.entries.some((entry) => entry.level === 'warn' && entry.message.includes('overlap'))).toBe(true);
  });
});
