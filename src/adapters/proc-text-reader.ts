/**
 * Reads procfs files through descriptors kept open. procfs builds a file's text anew on every
 * read from offset 0, so one `pread` replaces open, read, read and close: four system calls, each
 * a trap to the hypervisor on a VM (docs/memory.md). A file on any other filesystem (the tests'
 * fake proc roots, whose files are replaced by rename) is read whole every time.
 */
import { closeSync, openSync, readFileSync, readSync, statfsSync } from 'node:fs';

/** statfs(2) f_type of procfs (linux/magic.h). */
const PROC_SUPER_MAGIC = 0x9fa0;
/** Room for /proc/meminfo (about 1.5 KiB) many times over; doubled when a file fills it. */
const FIRST_BUFFER_BYTES = 16 * 1024;
/** No procfs file headroom reads comes near this; past it, something is wrong. */
const MAX_BUFFER_BYTES = 4 * 1024 * 1024;

/** A `readText` for procfs that keeps its files open; `close` releases them. */
export class ProcTextReader {
  private readonly descriptors = new Map<string, number>();
  /** Paths found on another filesystem: read whole, without asking statfs again. */
  private readonly elsewhere = new Set<string>();
  private buffer = Buffer.allocUnsafe(FIRST_BUFFER_BYTES);

  /** The file's whole text, as UTF-8; throws what reading it throws (ENOENT for a missing file). */
  read(path: string): string {
    let fd = this.descriptors.get(path);
    if (fd === undefined) {
      if (this.elsewhere.has(path)) return readFileSync(path, 'utf8');
      const procfs = onProcfs(path);
      if (procfs === false) this.elsewhere.add(path);
      if (procfs !== true) return readFileSync(path, 'utf8');
      fd = openSync(path, 'r');
      this.descriptors.set(path, fd);
    }
    try {
      for (;;) {
        const bytes = readSync(fd, this.buffer, 0, this.buffer.length, 0);
        if (bytes < this.buffer.length) return this.buffer.toString('utf8', 0, bytes);
        if (this.buffer.length * 2 > MAX_BUFFER_BYTES) throw new Error(`${path}: larger than ${MAX_BUFFER_BYTES} bytes`);
        this.buffer = Buffer.allocUnsafe(this.buffer.length * 2);
      }
    } catch (error) {
      // Opened afresh next time.
      this.descriptors.delete(path);
      closeSync(fd);
      throw error;
    }
  }

  /** How many files are held open (for tests). */
  get openFiles(): number {
    return this.descriptors.size;
  }

  /** Closes every file held open. */
  close(): void {
    for (const fd of this.descriptors.values()) closeSync(fd);
    this.descriptors.clear();
  }
}

/** Whether the file is on procfs; null when statfs fails (a missing file: asked again next time). */
function onProcfs(path: string): boolean | null {
  try {
    return statfsSync(path).type === PROC_SUPER_MAGIC;
  } catch {
    // The read itself then fails with its own error.
    return null;
  }
}
