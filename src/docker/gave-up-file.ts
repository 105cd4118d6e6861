/**
 * `docker-recovery-<profile>.json` in the state folder: written when a recovery gives up, so that a
 * restarted daemon does not start Colima again in the same boot (a launchd KeepAlive loop once
 * leaked thousands of limactl processes). It stops automatic recoveries until Docker answers
 * again, the machine reboots, or `headroom docker recover` runs (each clears it).
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { BOOT_TIME_TOLERANCE_MS } from '../daemon/previous-run.js';
import type { BootIdentity } from '../ports/boot.js';

/** What the file holds. */
export interface GaveUpRecord {
  schemaVersion: 1;
  profile: string;
  bootId: string | null;
  bootedAt: number | null;
  at: number;
  summary: string;
}

/** True when the record was written in this boot (by id, else by boot time). */
export function sameBoot(record: Pick<GaveUpRecord, 'bootId' | 'bootedAt'>, boot: BootIdentity | null): boolean {
  if (boot === null) return false;
  if (record.bootId !== null && boot.id !== null) return record.bootId === boot.id;
  return record.bootedAt !== null && boot.bootedAt !== null && Math.abs(record.bootedAt - boot.bootedAt) <= BOOT_TIME_TOLERANCE_MS;
}

/** The record file, mode 0600, written atomically. */
export class GaveUpFile {
  constructor(readonly file: string) {}

  /** The record; null when there is none or it is not one. */
  read(): GaveUpRecord | null {
    try {
      const data = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<GaveUpRecord>;
      if (data.schemaVersion !== 1 || typeof data.profile !== 'string' || typeof data.at !== 'number') return null;
      return { schemaVersion: 1, profile: data.profile, bootId: data.bootId ?? null, bootedAt: data.bootedAt ?? null, at: data.at, summary: String(data.summary ?? '') };
    } catch {
      return null;
    }
  }

  /** The record of this profile written in this boot, if any. */
  blocking(profile: string, boot: BootIdentity | null): GaveUpRecord | null {
    const record = this.read();
    return record !== null && record.profile === profile && sameBoot(record, boot) ? record : null;
  }

  write(record: Omit<GaveUpRecord, 'schemaVersion'>): void {
    const tmp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify({ schemaVersion: 1, ...record })}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  clear(): void {
    rmSync(this.file, { force: true });
  }
}
