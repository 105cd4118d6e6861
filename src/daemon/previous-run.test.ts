import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BOOT_TIME_TOLERANCE_MS, parseRunRecord, RunRecordFiles, startFacts, type PreviousRun } from './previous-run.js';

const previous = (over: Partial<PreviousRun> = {}): PreviousRun => ({ pid: 10, startedAt: 1000, bootId: 'A', bootedAt: 500, stoppedAt: 2000, ...over });

describe('startFacts', () => {
  it('cannot tell anything on a first start', () => {
    expect(startFacts(null, { id: 'A', bootedAt: 1 })).toMatchObject({ rebooted: null, uncleanStop: null });
  });

  it('compares boot ids when both exist, whatever the boot times say', () => {
    expect(startFacts(previous(), { id: 'A', bootedAt: 999_999 }).rebooted).toBe(false);
    expect(startFacts(previous(), { id: 'B', bootedAt: 500 }).rebooted).toBe(true);
  });

  it('falls back to the boot time, with a tolerance for clock steps', () => {
    expect(startFacts(previous({ bootId: null }), { id: 'A', bootedAt: 500 + BOOT_TIME_TOLERANCE_MS }).rebooted).toBe(false);
    expect(startFacts(previous(), { id: null, bootedAt: 501 + BOOT_TIME_TOLERANCE_MS }).rebooted).toBe(true);
    expect(startFacts(previous({ bootedAt: null }), { id: null, bootedAt: 5 }).rebooted).toBeNull();
  });

  it('calls a run without a clean-stop marker unclean', () => {
    expect(startFacts(previous({ stoppedAt: null }), { id: 'A', bootedAt: 500 }).uncleanStop).toBe(true);
    expect(startFacts(previous(), { id: 'A', bootedAt: 500 }).uncleanStop).toBe(false);
  });
});

describe('parseRunRecord', () => {
  it('rejects what is not a run record', () => {
    expect(parseRunRecord('')).toBeNull();
    expect(parseRunRecord('{"schemaVersion":2,"pid":1,"startedAt":1,"bootId":null,"bootedAt":null}')).toBeNull();
    expect(parseRunRecord('{"schemaVersion":1,"pid":1,"startedAt":1,"bootId":7,"bootedAt":null}')).toBeNull();
    expect(parseRunRecord('{"schemaVersion":1,"pid":1,"startedAt":1,"bootId":"x","bootedAt":null}')).toEqual({ schemaVersion: 1, pid: 1, startedAt: 1, bootId: 'x', bootedAt: null });
  });
});

describe('RunRecordFiles', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hr-run-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a clean stop, then a start in the same boot: not rebooted, not unclean', () => {
    const files = new RunRecordFiles(dir);
    expect(files.begin(10, 1000, { id: 'A', bootedAt: 500 }).previous).toBeNull();
    files.markCleanStop(Date.parse('2026-12-01T10:00:00.000Z'));
    const facts = new RunRecordFiles(dir).begin(11, 3000, { id: 'A', bootedAt: 500 });
    expect(facts).toMatchObject({ rebooted: false, uncleanStop: false, previous: { pid: 10, stoppedAt: Date.parse('2026-12-01T10:00:00.000Z') } });
    expect(statSync(files.recordFile).mode & 0o777).toBe(0o600);
  });

  it('a start clears the marker, so a run killed after it is unclean at the next start', () => {
    const files = new RunRecordFiles(dir);
    files.begin(10, 1000, { id: 'A', bootedAt: 500 });
    files.markCleanStop(2000);
    files.begin(11, 3000, { id: 'A', bootedAt: 500 });
    const facts = files.begin(12, 4000, { id: 'B', bootedAt: 9_000_000 });
    expect(facts).toMatchObject({ rebooted: true, uncleanStop: true, previous: { pid: 11, stoppedAt: null } });
    expect(JSON.parse(readFileSync(files.recordFile, 'utf8'))).toEqual({ schemaVersion: 1, pid: 12, startedAt: 4000, bootId: 'B', bootedAt: 9_000_000 });
  });

  it('treats an unreadable run.json as no previous run', () => {
    const files = new RunRecordFiles(dir);
    writeFileSync(files.recordFile, '{half');
    expect(files.begin(1, 1, { id: null, bootedAt: null })).toMatchObject({ previous: null, rebooted: null });
  });
});
