import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProbeHistoryFile } from './history-file.js';
import { RunLockFile } from './run-lock.js';
import type { ProbeRun } from './types.js';

function run(startedAt: number): ProbeRun {
  return { startedAt, finishedAt: startedAt + 1, trigger: 'schedule', outcome: 'passed', reason: null, model: 'm', modelWhy: 'already loaded', results: [] };
}

describe('ProbeHistoryFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'headroom-history-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the streak beside the runs, and keeps it when a run comes without one (the CLI)', () => {
    const history = new ProbeHistoryFile(path.join(dir, 'probes.json'), 2);
    history.append(run(1), { failedRuns: 3, escalated: true });
    history.append(run(2));
    expect(history.load().streak).toEqual({ failedRuns: 3, escalated: true });
  });

  it('starts empty, keeps the newest runs in order, private to the user', () => {
    const history = new ProbeHistoryFile(path.join(dir, 'probes.json'), 2);
    expect(history.load()).toEqual({ runs: [], streak: { failedRuns: 0, escalated: false }, problem: null });
    history.append(run(1));
    history.append(run(2));
    expect(history.append(run(3)).map((r) => r.startedAt)).toEqual([2, 3]);
    expect(history.load().runs.map((r) => r.startedAt)).toEqual([2, 3]);
    expect(statSync(path.join(dir, 'probes.json')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['probes.json']);
  });

  it('moves an unreadable file aside instead of overwriting it, and says so', () => {
    const file = path.join(dir, 'probes.json');
    writeFileSync(file, '{"runs": [tru');
    const history = new ProbeHistoryFile(file, 5, () => 1234);
    // A reader that must change nothing leaves it where it is.
    expect(history.load({ moveAside: false }).problem).toBe(`${file}: not a probe history (schemaVersion 1)`);
    expect(readFileSync(file, 'utf8')).toBe('{"runs": [tru');
    const loaded = history.load();
    expect(loaded.runs).toEqual([]);
    expect(loaded.problem).toBe(`${file}: not a probe history (schemaVersion 1); moved to ${file}.bad-1234`);
    expect(readFileSync(`${file}.bad-1234`, 'utf8')).toBe('{"runs": [tru');
    history.append(run(7));
    expect(history.load().runs).toHaveLength(1);
  });
});

describe('RunLockFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'headroom-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is held by one holder at a time, and free again after release', () => {
    const file = path.join(dir, 'probe.lock');
    const first = new RunLockFile(file, process.pid).acquire();
    expect(first.held).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // Another process (this test's pid in the file is alive) holds it.
    expect(new RunLockFile(file, process.pid + 1).acquire()).toEqual({ held: false, holderPid: process.pid });
    if (first.held) first.release();
    expect(new RunLockFile(file, process.pid + 1).acquire().held).toBe(true);
  });

  it('takes over a lock whose process is gone', () => {
    const file = path.join(dir, 'probe.lock');
    // A pid above Linux's pid_max (4194304) belongs to no process.
    writeFileSync(file, '4194999\n');
    const lock = new RunLockFile(file, process.pid).acquire();
    expect(lock.held).toBe(true);
    expect(readFileSync(file, 'utf8')).toMatch(new RegExp(`^${process.pid} \\d+\n$`));
  });

  it('takes over a lock older than the longest run even when its pid is alive (recycled after a power cut)', () => {
    const file = path.join(dir, 'probe.lock');
    // The parent of this test process is alive; the lock says it started an hour ago.
    writeFileSync(file, `${process.ppid} ${Date.now() - 3_600_000}\n`);
    expect(new RunLockFile(file, process.pid, 600_000).acquire().held).toBe(true);
    writeFileSync(file, `${process.ppid} ${Date.now()}\n`);
    expect(new RunLockFile(file, process.pid, 600_000).acquire()).toEqual({ held: false, holderPid: process.ppid });
    expect(readdirSync(dir)).toEqual(['probe.lock']);
  });

  it('does not remove a lock another process took after it', () => {
    const file = path.join(dir, 'probe.lock');
    const lock = new RunLockFile(file, process.pid).acquire();
    writeFileSync(file, '4194999\n');
    if (lock.held) lock.release();
    expect(readFileSync(file, 'utf8')).toBe('4194999\n');
  });
});
