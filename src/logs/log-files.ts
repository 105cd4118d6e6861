/**
 * Reading the log: every line of `headroom.log` and its rotated files, oldest first, and a
 * follower that keeps reading the live file across rotations (it finishes the renamed file,
 * then opens the new one) and truncations.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { logFilesOldestFirst } from '../adapters/rotating-file.js';

/** Where a follower took over the live file: its inode, and the offset it reads on from. */
export interface FollowStart {
  ino: number;
  offset: number;
}

/**
 * Every line of the log and its rotated files, oldest first. With `handover` (a follower's
 * start), the live file is read only up to the follower's offset, and nothing after it: the
 * follower prints the rest, so that no line is lost or printed twice.
 */
export function readLogLines(file: string, handover?: FollowStart): string[] {
  const lines: string[] = [];
  for (const part of logFilesOldestFirst(file)) {
    let text: string;
    let handedOver: boolean;
    try {
      // The inode and the bytes from one open file: a rotation meanwhile cannot mix two files up.
      const fd = openSync(part, 'r');
      try {
        handedOver = handover !== undefined && fstatSync(fd).ino === handover.ino;
        const bytes = readFileSync(fd);
        text = (handedOver ? bytes.subarray(0, handover!.offset) : bytes).toString('utf8');
      } finally {
        closeSync(fd);
      }
    } catch {
      continue; // Rotated away between the listing and the read.
    }
    for (const line of text.split('\n')) if (line !== '') lines.push(line);
    if (handedOver) break;
  }
  return lines;
}

const CHUNK_BYTES = 64 * 1024;

/** Follows the live log file; `poll` reads what was added since the last call. */
export class LogFollower {
  private fd = -1;
  private ino = -1;
  private offset = 0;
  private partial = '';
  /** Keeps a character split between two reads whole. */
  private decoder = new StringDecoder('utf8');

  constructor(
    private readonly file: string,
    private readonly onLine: (line: string) => void,
  ) {}

  /**
   * Starts after the last whole line of the live file, and says where (read what is before it
   * with readLogLines(file, start)); null when there is no live file yet (it is read from its
   * start once it appears).
   */
  start(): FollowStart | null {
    this.open(true);
    if (this.fd < 0) return null;
    // A line being written is left to the follower, which prints it whole once it ends.
    const tailBytes = Math.min(this.offset, CHUNK_BYTES);
    const tail = Buffer.alloc(tailBytes);
    const read = readSync(this.fd, tail, 0, tailBytes, this.offset - tailBytes);
    const lastNewline = tail.subarray(0, read).lastIndexOf(0x0a);
    if (lastNewline >= 0) this.offset = this.offset - tailBytes + lastNewline + 1;
    else if (tailBytes < CHUNK_BYTES) this.offset = 0;
    return { ino: this.ino, offset: this.offset };
  }

  /** Reads new lines; after a rotation, the rest of the old file first, then the new file from its start. */
  poll(): void {
    if (this.fd < 0) this.open(false);
    if (this.fd < 0) return;
    this.drain();
    let current: { ino: number; size: number };
    try {
      current = statSync(this.file);
    } catch {
      return; // Between the rename and the new file: next poll.
    }
    if (current.ino !== this.ino) {
      this.close();
      this.open(false);
      this.drain();
    } else if (current.size < this.offset) {
      // Truncated in place.
      this.offset = 0;
      this.partial = '';
      this.decoder = new StringDecoder('utf8');
      this.drain();
    }
  }

  /** Stops following. */
  stop(): void {
    this.close();
  }

  private open(atEnd: boolean): void {
    try {
      this.fd = openSync(this.file, 'r');
    } catch {
      this.fd = -1;
      return;
    }
    const stats = fstatSync(this.fd);
    this.ino = stats.ino;
    this.offset = atEnd ? stats.size : 0;
    this.partial = '';
    this.decoder = new StringDecoder('utf8');
  }

  private drain(): void {
    const buffer = Buffer.alloc(CHUNK_BYTES);
    for (;;) {
      const read = readSync(this.fd, buffer, 0, buffer.length, this.offset);
      if (read <= 0) break;
      this.offset += read;
      const text = this.partial + this.decoder.write(buffer.subarray(0, read));
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) if (line !== '') this.onLine(line);
    }
  }

  private close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
