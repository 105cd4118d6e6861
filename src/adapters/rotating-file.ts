/**
 * The log file with rotation by size and by day: `headroom.log` is always the file being written;
 * a rotation renames it to `headroom.log.1` (after moving `.1` to `.2` … and dropping the oldest),
 * so `headroom.log.N` … `.1`, `headroom.log` is oldest to newest. Writes are synchronous, so the
 * last lines before a freeze reach the disk. Only the daemon rotates; one-shot commands append.
 */
import { closeSync, copyFileSync, existsSync, fstatSync, openSync, renameSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';

/** How the file rotates. */
export interface RotatingFileOptions {
  file: string;
  /** Rotate before a write would take the file past this. */
  maxBytes: number;
  /** Rotated files kept beside the live one. */
  keepFiles: number;
  /** false: append only (one-shot commands; the daemon rotates). */
  rotate: boolean;
  now?: () => Date;
}

/** `2026-11-22`, in local time: a new day starts a new file. */
function localDay(date: Date): string {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

/** The rotated files of `file`, oldest first, then `file` itself: the order to read them in. */
export function logFilesOldestFirst(file: string, exists: (path: string) => boolean = existsSync): string[] {
  const rotated: string[] = [];
  for (let n = 1; exists(`${file}.${n}`); n += 1) rotated.push(`${file}.${n}`);
  return [...rotated.reverse(), ...(exists(file) ? [file] : [])];
}

/** Moves `file.1` … to `file.2` …, dropping `file.<keepFiles>`, so that `file.1` is free. */
function shiftRotated(file: string, keepFiles: number): void {
  rmSync(`${file}.${keepFiles}`, { force: true });
  for (let n = keepFiles - 1; n >= 1; n -= 1) {
    if (existsSync(`${file}.${n}`)) renameSync(`${file}.${n}`, `${file}.${n + 1}`);
  }
}

/**
 * Rotates a file another process keeps open in append mode (Ollama's stdout and stderr, which
 * pm2 writes): when it is larger than `maxBytes`, copies it to `file.1` (shifting the older ones)
 * and truncates it, so the writer goes on at the start of the same file. Lines written between
 * the copy and the truncation are lost. Returns true when it rotated; a missing file is left alone.
 */
export function copyTruncateIfOver(file: string, maxBytes: number, keepFiles: number): boolean {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return false;
  }
  if (size <= maxBytes) return false;
  shiftRotated(file, keepFiles);
  copyFileSync(file, `${file}.1`);
  truncateSync(file, 0);
  return true;
}

/** A log file that rotates itself. */
export class RotatingFile {
  private fd: number;
  private day: string;
  private readonly now: () => Date;

  constructor(private readonly options: RotatingFileOptions) {
    this.now = options.now ?? (() => new Date());
    this.fd = openSync(options.file, 'a', 0o600);
    const stats = fstatSync(this.fd);
    this.day = localDay(stats.size > 0 ? stats.mtime : this.now());
  }

  /** Appends one line (rotating first when due); throws what the write throws (ENOSPC…). */
  write(line: string): void {
    // A rotation that could not reopen the file (the folder vanished) is retried here.
    if (this.fd < 0) this.fd = openSync(this.options.file, 'a', 0o600);
    if (this.options.rotate) {
      const today = localDay(this.now());
      // fstat, not a count: one-shot commands append to the same file.
      const size = fstatSync(this.fd).size;
      if (size > 0 && (today !== this.day || size + Buffer.byteLength(line) > this.options.maxBytes)) this.rotateNow();
      this.day = today;
    }
    writeSync(this.fd, line);
  }

  /** Renames the live file to `.1` (shifting the older ones) and starts a new one. */
  rotateNow(): void {
    const { file, keepFiles } = this.options;
    closeSync(this.fd);
    this.fd = -1;
    shiftRotated(file, keepFiles);
    // A file another process rotated away meanwhile is not there to rename.
    if (existsSync(file) && statSync(file).size > 0) renameSync(file, `${file}.1`);
    this.fd = openSync(file, 'a', 0o600);
  }

  /** Closes the file. */
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
