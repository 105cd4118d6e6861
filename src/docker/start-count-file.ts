/**
 * `docker-starts-<profile>.json` in the state folder: the `colima start`s (and a `colima delete`)
 * run in this boot since Docker last answered, written before each one runs. A daemon stopped or
 * killed during a start (launchd's SIGTERM, then SIGKILL; a crash) writes no give-up record, and
 * KeepAlive starts a new one: it reads this file and goes on counting, so `docker.startAttempts`
 * bounds the starts of a boot, not of one daemon run (a launchd loop around colima start once
 * leaked thousands of limactl processes). Cleared when Docker answers.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { BOOT_TIME_TOLERANCE_MS } from '../daemon/previous-run.js';
import type { BootIdentity } from '../ports/boot.js';

/** What the file holds. */
export interface StartCountRecord {
  schemaVersion: 1;
  profile: string;
  bootId: string | null;
  bootedAt: number | null;
  /** colima starts run (or begun) in that boot since Docker last answered. */
  starts: number;
  /** `colima delete` has run (docker.allow.deleteVm): it is not run again. */
  vmDeleted: boolean;
  /** When it was last written. */
  at: number;
}

/** What a boot has used so far. */
export interface StartsUsed {
  starts: number;
  vmDeleted: boolean;
}

/** The count of one profile in one boot, as a recovery uses it. */
export interface StartCounter {
  /** What earlier runs of headroom used in this boot. */
  used(): StartsUsed;
  /** Written before a start or a delete runs, so that a kill during it still counts it. */
  record(used: StartsUsed): void;
  /** Docker answers: a later fall starts counting again. */
  clear(): void;
}

/** True only when the record is known to come from another boot; a boot that cannot be compared counts as this one (bounded first). */
export function fromAnotherBoot(record: Pick<StartCountRecord, 'bootId' | 'bootedAt'>, boot: BootIdentity | null): boolean {
  if (boot === null) return false;
  if (record.bootId !== null && boot.id !== null) return record.bootId !== boot.id;
  if (record.bootedAt !== null && boot.bootedAt !== null) return Math.abs(record.bootedAt - boot.bootedAt) > BOOT_TIME_TOLERANCE_MS;
  return false;
}

/** The record file, mode 0600, written atomically. */
export class StartCountFile {
  constructor(readonly file: string) {}

  /** The record; null when there is none or it is not one. */
  read(): StartCountRecord | null {
    try {
      const data = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<StartCountRecord>;
      if (data.schemaVersion !== 1 || typeof data.profile !== 'string' || typeof data.starts !== 'number' || !Number.isInteger(data.starts) || data.starts < 0) return null;
      return { schemaVersion: 1, profile: data.profile, bootId: data.bootId ?? null, bootedAt: data.bootedAt ?? null, starts: data.starts, vmDeleted: data.vmDeleted === true, at: typeof data.at === 'number' ? data.at : 0 };
    } catch {
      return null;
    }
  }

  /** What this boot has used for `profile`: nothing when there is no record, or it is another profile's or another boot's. */
  used(profile: string, boot: BootIdentity | null): StartsUsed {
    const record = this.read();
    if (record === null || record.profile !== profile || fromAnotherBoot(record, boot)) return { starts: 0, vmDeleted: false };
    return { starts: record.starts, vmDeleted: record.vmDeleted };
  }

  write(record: Omit<StartCountRecord, 'schemaVersion'>): void {
    const tmp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify({ schemaVersion: 1, ...record })}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  clear(): void {
    rmSync(this.file, { force: true });
  }

  /** The counter of `profile` in `boot`. */
  counter(profile: string, boot: BootIdentity | null, now: () => number): StartCounter {
    return {
      used: () => this.used(profile, boot),
      record: (used) => this.write({ profile, bootId: boot?.id ?? null, bootedAt: boot?.bootedAt ?? null, starts: used.starts, vmDeleted: used.vmDeleted, at: now() }),
      clear: () => this.clear(),
    };
  }
}
