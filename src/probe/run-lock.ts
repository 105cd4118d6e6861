/**
 * probe.lock: one probe run at a time across processes (the daemon's schedule and `headroom
 * probe`). The file holds the runner's pid and start time; it is created whole (written to a
 * private file, then hard-linked into place), so nobody reads it half-written. A lock whose
 * process is gone, or older than the longest run can last (a pid recycled after a power cut), is
 * taken over: moved aside first, so that two takers cannot both remove it.
 */
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/** Holding the lock, or who holds it. */
export type LockResult = { held: true; release: () => void } | { held: false; holderPid: number };

/** The cross-process lock of probe runs. */
export interface RunLock {
  acquire(): LockResult;
}

/** True while a process with this pid exists (EPERM: it exists, owned by someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock file, mode 0600. */
export class RunLockFile implements RunLock {
  constructor(
    readonly file: string,
    private readonly pid: number = process.pid,
    /** A lock older than this is stale whatever its pid: the longest a run can take, with room. */
    private readonly maxAgeMs: number = Infinity,
    private readonly now: () => number = Date.now,
  ) {}

  acquire(): LockResult {
    const mine = `${this.file}.${this.pid}.new`;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      writeFileSync(mine, `${this.pid} ${this.now()}\n`, { mode: 0o600 });
      try {
        linkSync(mine, this.file);
        return { held: true, release: () => this.release() };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      } finally {
        rmSync(mine, { force: true });
      }
      let text: string;
      try {
        text = readFileSync(this.file, 'utf8');
      } catch {
        continue; // Released meanwhile: try again.
      }
      const [pidText, startedText] = text.trim().split(/\s+/);
      const holderPid = Number.parseInt(pidText ?? '', 10);
      const startedAt = Number.parseInt(startedText ?? '', 10);
      const tooOld = Number.isInteger(startedAt) && this.now() - startedAt > this.maxAgeMs;
      const live = Number.isInteger(holderPid) && holderPid > 0 && holderPid !== this.pid && alive(holderPid);
      if (live && !tooOld) return { held: false, holderPid };
      const aside = `${this.file}.stale-${this.pid}`;
      try {
        renameSync(this.file, aside);
      } catch {
        continue; // Someone else took it over first.
      }
      rmSync(aside, { force: true });
    }
    return { held: false, holderPid: 0 };
  }

  private release(): void {
    try {
      if (readFileSync(this.file, 'utf8').split(/\s+/)[0] === String(this.pid)) rmSync(this.file, { force: true });
    } catch {
      // Already gone.
    }
  }
}
