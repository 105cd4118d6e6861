import { describe, expect, it } from 'vitest';
import { captureLogger } from '../../test/helpers/capture-logger.js';
import { SimClock } from '../../test/helpers/sim-clock.js';
import { GiB } from '../core/units.js';
import type { MemoryUse, ProcessDetails, ProcessInspector } from '../ports/processes.js';
import { HeaviestProcesses, namedUses } from './heaviest.js';

class FakeInspector implements ProcessInspector {
  heaviestCalls = 0;
  fail: string | null = null;
  uses: MemoryUse[] = [
    { pid: 61864, bytes: 5 * GiB, metric: 'footprint' },
    { pid: 5000, bytes: 3 * GiB, metric: 'footprint' },
    { pid: 77, bytes: GiB, metric: 'footprint' },
  ];
  list(): Promise<ProcessDetails[]> {
    return Promise.resolve([
      { pid: 61864, ppid: 1, uid: 501, startKey: 'a', command: '/Applications/Ollama.app/Contents/Resources/ollama runner --model x', rssBytes: null, cpuMs: null },
      { pid: 5000, ppid: 1, uid: 501, startKey: 'b', command: '/Users/u/venv/bin/python -m mlx_lm.lora', rssBytes: null, cpuMs: null },
    ]);
  }
  get(): Promise<ProcessDetails | null> {
    return Promise.resolve(null);
  }
  heaviest(limit: number): Promise<MemoryUse[]> {
    this.heaviestCalls += 1;
    return this.fail ? Promise.reject(new Error(this.fail)) : Promise.resolve(this.uses.slice(0, limit));
  }
  memoryOf(): Promise<MemoryUse | null> {
    return Promise.resolve(null);
  }
}

function setup() {
  const clock = new SimClock();
  const inspector = new FakeInspector();
  const logger = captureLogger();
  const heaviest = new HeaviestProcesses({ inspector, clock, logger, top: 3, sampleIntervalMs: 30_000 });
  return { clock, inspector, logger, heaviest };
}

describe('namedUses', () => {
  it('keeps at most 300 characters of a command line (the state is written every tick)', () => {
    const command = `/usr/bin/python ${'x'.repeat(1000)}`;
    const [named] = namedUses([{ pid: 1, bytes: 1, metric: 'rss' }], new Map([[1, { pid: 1, ppid: 0, uid: 0, startKey: 's', command, rssBytes: 1, cpuMs: 0 }]]));
    expect(named).toMatchObject({ name: 'python', command: command.slice(0, 300) });
  });
});

describe('HeaviestProcesses', () => {
  it('samples only while pressure is not normal, at most every sampleIntervalMs, and keeps the last sample', async () => {
    const { clock, inspector, heaviest } = setup();
    heaviest.tick(false);
    expect(inspector.heaviestCalls).toBe(0);
    heaviest.tick(true);
    await heaviest.settle();
    clock.advance(10_000);
    heaviest.tick(true);
    expect(inspector.heaviestCalls).toBe(1);
    clock.advance(20_000);
    heaviest.tick(true);
    await heaviest.settle();
    expect(inspector.heaviestCalls).toBe(2);
    clock.advance(60_000);
    heaviest.tick(false);
    expect(heaviest.latest).toEqual({
      sampledAt: clock.now() - 60_000,
      processes: [
        { pid: 61864, name: 'ollama', command: '/Applications/Ollama.app/Contents/Resources/ollama runner --model x', uid: 501, bytes: 5 * GiB, metric: 'footprint' },
        { pid: 5000, name: 'python', command: '/Users/u/venv/bin/python -m mlx_lm.lora', uid: 501, bytes: 3 * GiB, metric: 'footprint' },
        { pid: 77, name: 'pid 77', command: '', uid: null, bytes: GiB, metric: 'footprint' },
      ],
    });
  });

  it('gives a process\'s memory from a sample no older than the interval', async () => {
    const { clock, heaviest } = setup();
    heaviest.tick(true);
    await heaviest.settle();
    expect(heaviest.memoryOf(5000)).toEqual({ pid: 5000, bytes: 3 * GiB, metric: 'footprint' });
    expect(heaviest.memoryOf(4242)).toBeNull();
    clock.advance(30_001);
    expect(heaviest.memoryOf(5000)).toBeNull();
  });

  it('logs a failure once, keeps the last sample, and says when it reads again', async () => {
    const { clock, inspector, logger, heaviest } = setup();
    inspector.fail = 'top -l 1 -o mem -n 3 -stats pid,mem: not found on PATH';
    for (let i = 0; i < 2; i++) {
      heaviest.tick(true);
      await heaviest.settle();
      clock.advance(30_000);
    }
    expect(heaviest.latest).toBeNull();
    inspector.fail = null;
    heaviest.tick(true);
    await heaviest.settle();
    const messages = logger.entries.map((e) => e.message);
    expect(messages.filter((m) => m === 'could not sample the heaviest processes')).toHaveLength(1);
    expect(messages).toContain('heaviest processes readable again');
    expect(heaviest.latest?.processes).toHaveLength(3);
  });
});
