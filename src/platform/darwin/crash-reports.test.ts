import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFixture } from '../../../test/helpers/fixtures.js';
import { DiagnosticReportsFolders, parseIpsHeader, parseIpsTimestamp } from './crash-reports.js';

const CRASH = readFixture('darwin', 'windowserver-crash-ips-head-m1-air.txt');
/** The captured report's header time: 2024-02-08 22:09:20.00 -0500. */
const CRASHED_AT = Date.UTC(2024, 1, 9, 3, 9, 20);

describe('parseIpsHeader', () => {
  it('reads the process and the time from the first line of the captured WindowServer report', () => {
    expect(parseIpsHeader(CRASH.split('\n')[0]!)).toEqual({ name: 'WindowServer', at: CRASHED_AT });
  });

  it('is null for a line that is not a header, and has no time for a header without one', () => {
    expect(parseIpsHeader('{')).toBeNull();
    expect(parseIpsHeader('"WindowServer"')).toBeNull();
    expect(parseIpsHeader('{"bug_type":"309"}')).toBeNull();
    expect(parseIpsHeader('{"name":"WindowServer"}')).toEqual({ name: 'WindowServer', at: null });
  });

  it('reads the offset of the time', () => {
    expect(parseIpsTimestamp('2024-02-08 22:09:20.00 -0500')).toBe(CRASHED_AT);
    expect(parseIpsTimestamp('2024-02-09 08:39:20.50 +0530')).toBe(CRASHED_AT + 500);
    expect(parseIpsTimestamp('2024-02-08 22:09:20')).toBeNull();
  });
});

describe('DiagnosticReportsFolders', () => {
  let root: string;
  let system: string;
  let user: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'hr-reports-'));
    system = path.join(root, 'system');
    user = path.join(root, 'user');
    await mkdir(system);
    await mkdir(user);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** A report with `text`, its modification time set to `mtimeMs`. */
  async function report(dir: string, name: string, text: string, mtimeMs: number): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, text);
    await utimes(file, mtimeMs / 1000, mtimeMs / 1000);
    return file;
  }

  it('finds WindowServer reports written since a time, by their header, in every folder', async () => {
    // The file name follows macOS's <process>-<date>-<time>.ips; no listing of a DiagnosticReports folder was captured.
    const crash = await report(system, 'WindowServer-2024-02-08-220920.ips', CRASH, CRASHED_AT + 1000);
    await report(user, 'Safari-2024-02-08-230000.ips', '{"app_name":"Safari","timestamp":"2024-02-08 23:00:00.00 -0500"}\n', CRASHED_AT + 3_600_000);
    await report(user, 'WindowServer-notes.txt', 'not a report', CRASHED_AT + 1000);
    // Named like WindowServer's, but the header says another process.
    await report(user, 'WindowServerHelper-2024-02-08-221000.ips', '{"app_name":"WindowServerHelper","timestamp":"2024-02-08 22:10:00.00 -0500"}\n', CRASHED_AT + 60_000);
    const folders = new DiagnosticReportsFolders([system, user, path.join(root, 'absent')]);
    expect(await folders.windowServerSince(CRASHED_AT - 60_000)).toEqual({ reports: [{ file: crash, at: CRASHED_AT }], errors: [] });
    // Written before the old WindowServer started: not about it.
    expect(await folders.windowServerSince(CRASHED_AT + 1)).toEqual({ reports: [], errors: [] });
  });

  it('takes the file time for a report whose header cannot be read', async () => {
    const file = await report(user, 'WindowServer-2024-02-08-220920.ips', 'garbled', CRASHED_AT);
    expect((await new DiagnosticReportsFolders([user]).windowServerSince(CRASHED_AT - 1)).reports).toEqual([{ file, at: CRASHED_AT }]);
  });

  it('says which folder it cannot read, and goes on', async () => {
    await report(user, 'WindowServer-2024-02-08-220920.ips', CRASH, CRASHED_AT);
    // A file where the folder should be: unreadable as a folder, whoever runs the test (root reads past modes).
    const notAFolder = await report(root, 'not-a-folder', '', CRASHED_AT);
    const found = await new DiagnosticReportsFolders([notAFolder, user]).windowServerSince(0);
    expect(found.errors).toEqual([`${notAFolder}: ENOTDIR`]);
    expect(found.reports).toHaveLength(1);
  });
});
