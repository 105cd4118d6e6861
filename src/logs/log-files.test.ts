import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogFollower, readLogLines } from './log-files.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hr-logfiles-'));
  file = path.join(dir, 'headroom.log');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A follower and what it printed. */
function follow(): { follower: LogFollower; printed: string[] } {
  const printed: string[] = [];
  return { follower: new LogFollower(file, (line) => printed.push(line)), printed };
}

describe('readLogLines and LogFollower', () => {
  it('hands over at the follower\'s start: a line written between the start and the read is printed once, by the follower', () => {
    writeFileSync(file, 'a\nb\n');
    const { follower, printed } = follow();
    const start = follower.start();
    appendFileSync(file, 'c\n'); // the daemon writes while `headroom logs -f` reads the history
    expect(readLogLines(file, start ?? undefined)).toEqual(['a', 'b']);
    follower.poll();
    expect(printed).toEqual(['c']);
    follower.stop();
  });

  it('leaves a line still being written to the follower, which prints it whole', () => {
    writeFileSync(file, 'a\n{"half');
    const { follower, printed } = follow();
    const start = follower.start();
    expect(start?.offset).toBe(2);
    expect(readLogLines(file, start ?? undefined)).toEqual(['a']);
    appendFileSync(file, ' done"}\n');
    follower.poll();
    expect(printed).toEqual(['{"half done"}']);
    follower.stop();
  });

  it('reads rotated files oldest first, and stops at the live file the follower took over', () => {
    writeFileSync(`${file}.2`, 'one\n');
    writeFileSync(`${file}.1`, 'two\n');
    writeFileSync(file, 'three\n');
    expect(readLogLines(file)).toEqual(['one', 'two', 'three']);
    const { follower, printed } = follow();
    const start = follower.start();
    // A rotation right after the follower started: the live file becomes .1, a new one begins.
    renameSync(`${file}.1`, `${file}.2`);
    renameSync(file, `${file}.1`);
    appendFileSync(`${file}.1`, 'four\n');
    writeFileSync(file, 'five\n');
    expect(readLogLines(file, start ?? undefined)).toEqual(['two', 'three']);
    follower.poll();
    expect(printed).toEqual(['four', 'five']);
    follower.stop();
  });

  it('follows a file that does not exist yet from its first line', () => {
    const { follower, printed } = follow();
    expect(follower.start()).toBeNull();
    writeFileSync(file, 'first\n');
    follower.poll();
    expect(printed).toEqual(['first']);
    follower.stop();
  });

  it('starts over after a truncation in place (copy and truncate)', () => {
    writeFileSync(file, 'old line\n');
    const { follower, printed } = follow();
    follower.start();
    writeFileSync(file, 'new\n');
    follower.poll();
    expect(printed).toEqual(['new']);
    follower.stop();
  });
});
