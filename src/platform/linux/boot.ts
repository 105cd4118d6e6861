/**
 * The boot identity on Linux, from procfs (no child process): <procRoot>/sys/kernel/random/boot_id
 * (a UUID per boot) and the `btime` line of <procRoot>/stat (boot time, whole seconds).
 */
import type { BootIdentity, BootSensor } from '../../ports/boot.js';
import type { ReadText } from './memory-sensor.js';

/** Parses boot_id: one lower-case UUID and a newline; null for anything else. */
export function parseBootId(text: string): string | null {
  const id = text.trim();
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? id.toLowerCase() : null;
}

/** Parses the `btime N` line of /proc/stat to epoch ms; null when there is none. */
export function parseStatBtime(text: string): number | null {
  const match = /^btime (\d+)$/m.exec(text);
  return match?.[1] ? Number(match[1]) * 1000 : null;
}

/** BootSensor on procfs. */
export class LinuxBootSensor implements BootSensor {
  constructor(
    private readonly procRoot: string,
    private readonly readText: ReadText,
  ) {}

  read(): Promise<BootIdentity> {
    const errors: string[] = [];
    const readWith = <T>(file: string, parse: (text: string) => T | null, what: string): T | null => {
      try {
        const value = parse(this.readText(file));
        if (value === null) errors.push(`${file}: no ${what}`);
        return value;
      } catch (error) {
        errors.push(`${file}: ${(error as Error).message}`);
        return null;
      }
    };
    const id = readWith(`${this.procRoot}/sys/kernel/random/boot_id`, parseBootId, 'boot id (a UUID)');
    const bootedAt = readWith(`${this.procRoot}/stat`, parseStatBtime, '"btime N" line');
    return Promise.resolve(errors.length > 0 ? { id, bootedAt, errors } : { id, bootedAt });
  }
}
