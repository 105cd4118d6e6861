import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readState, removeStaleTempFiles, StateFileError, writeState, type DaemonState } from './state-file.js';

let dir: string;
let file: string;
const state: DaemonState = { schemaVersion: 1, pid: 123, platform: 'linux', startedAt: 1, lastSampleAt: null, samples: 0, memory: null };

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-state-'));
  file = path.join(dir, 'state.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('state file', () => {
  it('round-trips, with mode 0600 and no temporary file left behind', async () => {
    writeState(file, state);
    writeState(file, { ...state, samples: 2 });
    expect(await readState(file)).toEqual({ ...state, samples: 2 });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('reads a missing file as null', async () => {
    expect(await readState(file)).toBeNull();
  });

  it('names the file when it is not JSON or not a state file', async () => {
    await writeFile(file, '{"schemaVersion":1,');
    await expect(readState(file)).rejects.toThrow(StateFileError);
    await expect(readState(file)).rejects.toThrow(`${file}: not valid JSON`);
    await writeFile(file, '{"hello":1}');
    await expect(readState(file)).rejects.toThrow(/not a headroom state file/);
  });

  it('removes temporary files of killed daemons, but not our own', async () => {
    await writeFile(`${file}.tmp-99999`, '{');
    await writeFile(`${file}.tmp-${process.pid}`, '{');
    await writeFile(path.join(dir, 'other.tmp-1'), '{');
    expect(await removeStaleTempFiles(file)).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(['other.tmp-1', `state.json.tmp-${process.pid}`]);
  });
});
