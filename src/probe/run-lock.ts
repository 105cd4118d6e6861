/**
 * probe.lock: one probe run at a time across processes (the daemon's schedule and `headroom
 * probe`). The file holds the runner's pid; a lock whose process is gone is taken over.
 */
import { openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';

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
  ) {}

  acquire(): LockResult {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const fd = openSync(this.file, 'wx', 0o600);
        writeSync(fd, `${this.pid}\n`);
        closeSync(fd);
        return { held: true, release: () => this.release() };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      let holderPid: number;
      try {
        holderPid = Number.parseInt(readFileSync(this.file, 'utf8').trim(), 10);
      } catch {
        continue; // Released meanwhile: try again.
      }
      if (Number.isInteger(holderPid) && holderPid > 0 && holderPid !== this.pid && alive(holderPid)) return { held: false, holderPid };
      rmSync(this.file, { force: true });
    }
    return { held: false, holderPid: 0 };
  }

  private release(): void {
    try {
      if (readFileSync(this.file, 'utf8').trim() === String(this.pid)) rmSync(this.file, { force: true });
    } catch {
      // Already gone.
    }
  }
}
