/**
 * The linux memory sensor: reads <procRoot>/meminfo and <procRoot>/pressure/memory, no child
 * processes. available = MemAvailable; wired = Unevictable; compressed = Zswap (0 without zswap).
 */
import type { MemorySensor, MemorySnapshot } from '../../core/memory.js';
import { unknownSnapshot } from '../../core/memory.js';
import type { Clock } from '../../ports/clock.js';
import { meminfoBytes, parseMeminfo } from './meminfo.js';
import { classifyLinuxPressure, type LinuxPressureThresholds } from './pressure.js';
import { parsePsi, type Psi } from './psi.js';

/** Reads a whole text file; throws when it cannot. Synchronous: procfs never waits on a disk. */
export type ReadText = (path: string) => string;

/** What the linux sensor needs. */
export interface LinuxMemorySensorOptions {
  procRoot: string;
  readText: ReadText;
  clock: Clock;
  thresholds: LinuxPressureThresholds;
}

/** Memory sensor for Linux built on procfs. */
export class LinuxMemorySensor implements MemorySensor {
  constructor(private readonly options: LinuxMemorySensorOptions) {}

  sample(): Promise<MemorySnapshot> {
    return Promise.resolve(this.sampleNow());
  }

  private sampleNow(): MemorySnapshot {
    const { procRoot, readText, clock, thresholds } = this.options;
    const meminfoPath = `${procRoot}/meminfo`;
    const psiPath = `${procRoot}/pressure/memory`;
    const at = clock.now();
    let meminfo: string;
    try {
      meminfo = readText(meminfoPath);
    } catch (error) {
      return unknownSnapshot(at, `${meminfoPath}: ${errorMessage(error)}`);
    }
    const errors: string[] = [];
    let psi: Psi | null = null;
    try {
      psi = parsePsi(readText(psiPath));
    } catch (error) {
      // A kernel without PSI has no such file: that is not an error, MemAvailable alone decides.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') errors.push(`${psiPath}: ${errorMessage(error)}`);
    }
    try {
      const values = parseMeminfo(meminfo);
      const totalBytes = meminfoBytes(values, 'MemTotal');
      const availableBytes = meminfoBytes(values, 'MemAvailable');
      const swapTotalBytes = meminfoBytes(values, 'SwapTotal');
      const { pressure, reason } = classifyLinuxPressure(totalBytes, availableBytes, psi, thresholds);
      const snapshot: MemorySnapshot = {
        at,
        totalBytes,
        availableBytes,
        freeBytes: meminfoBytes(values, 'MemFree'),
        wiredBytes: values.get('Unevictable') ?? 0,
        compressedBytes: values.get('Zswap') ?? 0,
        swapUsedBytes: swapTotalBytes - meminfoBytes(values, 'SwapFree'),
        swapTotalBytes,
        pressure,
        pressureReason: reason,
      };
      if (errors.length > 0) snapshot.errors = errors;
      return snapshot;
    } catch (error) {
      return unknownSnapshot(at, errorMessage(error));
    }
  }

  close(): Promise<void> {
    // Nothing long-lived to stop: every sample reads the files afresh.
    return Promise.resolve();
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
