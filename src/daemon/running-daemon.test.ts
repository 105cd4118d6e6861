import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InstanceLock } from './instance-lock.js';
import { readRunningDaemon } from './running-daemon.js';
import type { DaemonState } from './state-file.js';

let dir: string;
let socketFile: string;
let stateFile: string;
const held: InstanceLock[] = [];

const stateOf = (pid: number, samples: number): DaemonState => ({ schemaVersion: 1, pid, platform: 'linux', startedAt: 5, lastSampleAt: samples * 1000, samples, memory: null });

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hr-running-'));
  socketFile = path.join(dir, 'headroom.sock');
  stateFile = path.join(dir, 'state.json');
});
afterEach(async () => {
  for (const lock of held.splice(0)) await lock.release();
  await rm(dir, { recursive: true, force: true });
});

describe('readRunningDaemon', () => {
  it('is null when no daemon holds the socket, whatever the state file says', async () => {
    await writeFile(stateFile, JSON.stringify(stateOf(7, 3)));
    expect(await readRunningDaemon(socketFile, stateFile)).toBeNull();
  });

  it('prefers the live state over an older state file', async () => {
    await writeFile(stateFile, JSON.stringify(stateOf(7, 3)));
    held.push(await InstanceLock.acquire(socketFile, { pid: 7, startedAt: 5 }, () => stateOf(7, 12)));
    expect(await readRunningDaemon(socketFile, stateFile)).toMatchObject({ state: { samples: 12 }, fileProblem: null });
  });

  it("falls back to the state file when the hello has no state, and only to the holder's", async () => {
    held.push(await InstanceLock.acquire(socketFile, { pid: 7, startedAt: 5 }));
    await writeFile(stateFile, JSON.stringify(stateOf(7, 3)));
    expect(await readRunningDaemon(socketFile, stateFile)).toMatchObject({ hello: { pid: 7 }, state: { samples: 3 }, fileProblem: null });
    await writeFile(stateFile, JSON.stringify(stateOf(8, 3)));
    expect(await readRunningDaemon(socketFile, stateFile)).toMatchObject({ hello: { pid: 7 }, state: null, fileProblem: null });
  });

  it('names an unusable state file instead of failing', async () => {
    held.push(await InstanceLock.acquire(socketFile, { pid: 7, startedAt: 5 }));
    await writeFile(stateFile, '{"schemaVersion":1,');
    const running = await readRunningDaemon(socketFile, stateFile);
    expect(running?.state).toBeNull();
    expect(running?.fileProblem?.message).toMatch(new RegExp(`^${stateFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON`));
  });
});
