import { mkdtemp, mkdir, copyFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixturePath } from '../../../test/helpers/fixtures.js';
import { SimClock } from '../../../test/helpers/sim-clock.js';
import { LinuxMemorySensor } from './memory-sensor.js';

const THRESHOLDS = { warnAvailablePercent: 10, criticalAvailablePercent: 5, warnSomeAvg10: 10, criticalFullAvg10: 10, psiGateAvailablePercent: 25 };
let procRoot: string;
const clock = new SimClock();

async function stageProc(meminfo: string, psi: string | null): Promise<void> {
  await copyFile(fixturePath('linux', meminfo), path.join(procRoot, 'meminfo'));
  if (psi) await copyFile(fixturePath('linux', psi), path.join(procRoot, 'pressure', 'memory'));
}

function sensor(): LinuxMemorySensor {
  return new LinuxMemorySensor({ procRoot, readText: (file) => readFileSync(file, 'utf8'), clock, thresholds: THRESHOLDS });
}

beforeEach(async () => {
  procRoot = await mkdtemp(path.join(os.tmpdir(), 'headroom-proc-'));
  await mkdir(path.join(procRoot, 'pressure'));
});
afterEach(async () => {
  await rm(procRoot, { recursive: true, force: true });
});

describe('LinuxMemorySensor on a fake proc root', () => {
  it('maps the idle capture to a snapshot', async () => {
    await stageProc('meminfo-24g-idle.txt', 'pressure-memory-idle.txt');
    expect(await sensor().sample()).toEqual({
      at: clock.now(),
      totalBytes: 24684092 * 1024,
      availableBytes: 24333568 * 1024,
      freeBytes: 24354436 * 1024,
      wiredBytes: 10076 * 1024,
      compressedBytes: 0,
      swapUsedBytes: 0,
      swapTotalBytes: 0,
      pressure: 'normal',
      pressureReason: 'MemAvailable 98.6%',
    });
  });

  it('reads warn and critical from the low-memory captures', async () => {
    await stageProc('meminfo-24g-warn-7pct.txt', 'pressure-memory-warn-7pct.txt');
    expect((await sensor().sample()).pressure).toBe('warn');
    await stageProc('meminfo-24g-critical-3.6pct.txt', 'pressure-memory-critical-3.6pct.txt');
    expect((await sensor().sample()).pressure).toBe('critical');
  });

  it('works without /proc/pressure/memory (kernel without PSI), with no error', async () => {
    await stageProc('meminfo-24g-warn-7pct.txt', null);
    const snapshot = await sensor().sample();
    expect(snapshot.pressure).toBe('warn');
    expect(snapshot.errors).toBeUndefined();
  });

  it('reports a garbled PSI file but still classifies from MemAvailable', async () => {
    await stageProc('meminfo-24g-idle.txt', null);
    await writeFile(path.join(procRoot, 'pressure', 'memory'), 'garbage\n');
    const snapshot = await sensor().sample();
    expect(snapshot.pressure).toBe('normal');
    expect(snapshot.errors?.[0]).toMatch(/pressure\/memory: .*no "some avg10=…" line/);
  });

  it('returns an unknown snapshot naming the file when meminfo is missing or garbled', async () => {
    const missing = await sensor().sample();
    expect(missing).toMatchObject({ pressure: 'unknown', totalBytes: null });
    expect(missing.errors?.[0]).toContain(`${procRoot}/meminfo`);
    await writeFile(path.join(procRoot, 'meminfo'), 'MemTotal: 1000 kB\n');
    expect((await sensor().sample()).errors).toEqual(['/proc/meminfo: MemAvailable is missing']);
  });
});
