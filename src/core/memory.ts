/** The kernel's memory pressure, mapped to four levels the policy understands. */
export type Pressure = 'normal' | 'warn' | 'critical' | 'unknown';

/** Every pressure level, from calm to worst; `unknown` last because it is no level at all. */
export const PRESSURE_LEVELS: readonly Pressure[] = ['normal', 'warn', 'critical', 'unknown'];

/**
 * One reading of the machine's memory. Byte figures are null when they could not be read;
 * `errors` then says what failed. `at` is the sample time in milliseconds since the epoch.
 */
export interface MemorySnapshot {
  at: number;
  totalBytes: number | null;
  availableBytes: number | null;
  freeBytes: number | null;
  wiredBytes: number | null;
  compressedBytes: number | null;
  swapUsedBytes: number | null;
  swapTotalBytes: number | null;
  pressure: Pressure;
  /** The reading behind `pressure`, in words ("kern.memorystatus_vm_pressure_level = 2"). */
  pressureReason?: string;
  /** darwin only: kern.memorystatus_level, the kernel's "memory free percentage" (an alarm, not a budget). */
  kernelFreePercent?: number;
  /** What could not be read for this sample; absent when everything was read. */
  errors?: string[];
}

/** A snapshot that holds nothing but the failure, for a sample that could not be taken at all. */
export function unknownSnapshot(at: number, error: string): MemorySnapshot {
  return {
    at,
    totalBytes: null,
    availableBytes: null,
    freeBytes: null,
    wiredBytes: null,
    compressedBytes: null,
    swapUsedBytes: null,
    swapTotalBytes: null,
    pressure: 'unknown',
    errors: [error],
  };
}

/** A memory sensor: one sample per call; it reports failures inside the snapshot rather than throwing. */
export interface MemorySensor {
  sample(signal?: AbortSignal): Promise<MemorySnapshot>;
  /** Stops any long-lived child the sensor keeps. */
  close(): Promise<void>;
}
