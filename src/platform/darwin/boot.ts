/**
 * The boot identity on macOS: one `sysctl kern.bootsessionuuid kern.boottime` call (with names,
 * so a missing key cannot shift the other; sysctl.ts). kern.bootsessionuuid is an upper-case
 * UUID that changes at every boot (docs/colima-pm2.md A4); kern.boottime can move with clock steps.
 */
import { commandFailure, type CommandRunner } from '../../ports/command-runner.js';
import type { BootIdentity, BootSensor } from '../../ports/boot.js';
import { parseSysctlPairs } from './sysctl.js';

/** The sysctl names asked for, in order. */
export const BOOT_SYSCTL_NAMES = ['kern.bootsessionuuid', 'kern.boottime'] as const;

/** Parses kern.boottime, `{ sec = 1789196391, usec = 979990 } Fri Sep 11 23:59:51 2026`, to epoch ms; null when it has no `sec =`. */
export function parseBoottime(value: string | undefined): number | null {
  const match = value === undefined ? null : /\bsec = (\d+)(?:, usec = (\d+))?/.exec(value);
  if (!match?.[1]) return null;
  return Number(match[1]) * 1000 + Math.floor(Number(match[2] ?? '0') / 1000);
}

/** Parses the two lines of `sysctl kern.bootsessionuuid kern.boottime`. */
export function parseBootSysctl(text: string): BootIdentity {
  const pairs = parseSysctlPairs(text);
  const errors: string[] = [];
  const uuid = pairs.get('kern.bootsessionuuid');
  const id = uuid !== undefined && /^[0-9A-Fa-f-]{32,36}$/.test(uuid) ? uuid.toUpperCase() : null;
  if (id === null) errors.push(uuid === undefined ? 'sysctl: kern.bootsessionuuid is missing from the output' : `sysctl: kern.bootsessionuuid is not a UUID: ${JSON.stringify(uuid)}`);
  const bootedAt = parseBoottime(pairs.get('kern.boottime'));
  if (bootedAt === null) errors.push(`sysctl: kern.boottime has no "sec = N": ${JSON.stringify(pairs.get('kern.boottime') ?? null)}`);
  return errors.length > 0 ? { id, bootedAt, errors } : { id, bootedAt };
}

/** BootSensor on one sysctl call. */
export class DarwinBootSensor implements BootSensor {
  constructor(
    private readonly runner: CommandRunner,
    private readonly timeoutMs: number,
  ) {}

  async read(signal?: AbortSignal): Promise<BootIdentity> {
    const result = await this.runner.run('sysctl', [...BOOT_SYSCTL_NAMES], { timeoutMs: this.timeoutMs, signal });
    const parsed = parseBootSysctl(result.stdout);
    // sysctl exits 1 when one name is unknown but still prints the others: keep what it printed.
    const failure = commandFailure(result);
    if (failure !== null && parsed.errors) return { ...parsed, errors: [failure, ...parsed.errors] };
    return parsed;
  }
}
