/**
 * A child's stdout as a FIFO that the daemon reads only when it asks, without blocking. A pipe
 * from node:child_process is watched by the event loop, so every line a child prints wakes the
 * daemon: for `vm_stat 0.2`, five wake-ups a second beside the sampling timer's own, each
 * 0.6-0.9 ms of CPU when it comes once a second on the test VM (the bare-timer floor in
 * docs/memory.md). Read at each sample, the rows wait in the FIFO instead. Nothing is left on disk: the FIFO's name is removed once both
 * ends are open.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LineSplitter } from './line-splitter.js';

/** Longest wait for `mkfifo`, a call that returns at once. */
const MKFIFO_TIMEOUT_MS = 2000;
/** Bytes read per call; a FIFO holds 16-64 KiB, and a vm_stat row is about 200 bytes. */
const READ_CHUNK_BYTES = 16 * 1024;

/** Both ends of a fresh FIFO: `writeFd` for the child's stdout (close it once the child has it), `readFd` for polling. */
export interface FifoEnds {
  readFd: number;
  writeFd: number;
}

/**
 * Makes a FIFO in a private folder with `mkfifo -m 600` (Node has no call for it; `env` is the
 * child environment, for its PATH) and opens both ends; `{ error }` says why when that fails.
 */
export function openFifo(env: Record<string, string>): FifoEnds | { error: string } {
  let dir: string;
  try {
    dir = mkdtempSync(path.join(os.tmpdir(), 'headroom-fifo-'));
  } catch (error) {
    return { error: (error as Error).message };
  }
  const file = path.join(dir, 'stdout');
  let readFd: number | null = null;
  try {
    const made = spawnSync('mkfifo', ['-m', '600', file], { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: MKFIFO_TIMEOUT_MS, encoding: 'utf8' });
    if (made.error) return { error: `mkfifo: ${made.error.message}` };
    if (made.status !== 0) return { error: `mkfifo: exited ${String(made.status)}: ${(made.stderr ?? '').trim()}` };
    // The read end first and non-blocking, so that opening the write end (blocking) finds a reader and returns.
    readFd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const writeFd = openSync(file, constants.O_WRONLY);
    return { readFd, writeFd };
  } catch (error) {
    if (readFd !== null) closeQuietly(readFd);
    return { error: (error as Error).message };
  } finally {
    try {
      unlinkSync(file);
    } catch {
      // Never made.
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Reads what waits in the FIFO into `splitter`; false once every writer has closed it (the child
 * is gone). A read that does not fill the buffer took all there was: no second read is made to
 * hear EAGAIN, which Node throws as an error (a write landing in between is read next time).
 */
export function drainFifo(readFd: number, buffer: Buffer, splitter: LineSplitter): boolean {
  const size = Math.min(buffer.length, READ_CHUNK_BYTES);
  for (;;) {
    let bytes: number;
    try {
      bytes = readSync(readFd, buffer, 0, size, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Empty while the child still holds the write end.
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return true;
      throw error;
    }
    if (bytes === 0) return false;
    splitter.push(buffer.subarray(0, bytes));
    if (bytes < size) return true;
  }
}

/** Closes a descriptor, ignoring one already closed. */
export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}
