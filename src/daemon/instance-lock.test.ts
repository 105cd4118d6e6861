import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlreadyRunningError, InstanceLock, probeDaemon, probeSocket } from './instance-lock.js';
import type { DaemonState } from './state-file.js';

let dir: string;
let socketFile: string;
const held: InstanceLock[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hr-lock-'));
  socketFile = path.join(dir, 'headroom.sock');
});
afterEach(async () => {
  for (const lock of held.splice(0)) await lock.release();
  await rm(dir, { recursive: true, force: true });
});

describe('InstanceLock', () => {
  it('answers probes with the holder', async () => {
    held.push(await InstanceLock.acquire(socketFile, { pid: 111, startedAt: 5 }));
    expect(await probeDaemon(socketFile)).toEqual({ pid: 111, startedAt: 5 });
  });

  it("hands out the holder's live state with the hello, assembled at each connection", async () => {
    let samples = 1;
    const state = (): DaemonState => ({ schemaVersion: 1, pid: 111, platform: 'linux', startedAt: 5, lastSampleAt: 1000 * samples, samples, memory: null });
    held.push(await InstanceLock.acquire(socketFile, { pid: 111, startedAt: 5 }, state));
    expect(await probeDaemon(socketFile)).toEqual({ pid: 111, startedAt: 5, state: state() });
    samples = 2;
    expect((await probeDaemon(socketFile))?.state?.samples).toBe(2);
  });

  it('answers with the hello alone when the state cannot be assembled, or is not the holder’s', async () => {
    held.push(
      await InstanceLock.acquire(socketFile, { pid: 111, startedAt: 5 }, () => {
        throw new Error('not yet');
      }),
    );
    expect(await probeDaemon(socketFile)).toEqual({ pid: 111, startedAt: 5 });
    const other = path.join(dir, 'other.sock');
    held.push(await InstanceLock.acquire(other, { pid: 111, startedAt: 5 }, () => ({ schemaVersion: 1, pid: 999, platform: 'linux', startedAt: 5, lastSampleAt: null, samples: 0, memory: null })));
    expect(await probeDaemon(other)).toEqual({ pid: 111, startedAt: 5 });
  });

  it('refuses a second holder and names the first', async () => {
    held.push(await InstanceLock.acquire(socketFile, { pid: 111, startedAt: 5 }));
    const second = InstanceLock.acquire(socketFile, { pid: 222, startedAt: 6 });
    await expect(second).rejects.toBeInstanceOf(AlreadyRunningError);
    await expect(InstanceLock.acquire(socketFile, { pid: 222, startedAt: 6 })).rejects.toThrow(/already running for this user \(pid 111/);
  });

  it('lets only one of two simultaneous starts win', async () => {
    const results = await Promise.allSettled([
      InstanceLock.acquire(socketFile, { pid: 1, startedAt: 1 }),
      InstanceLock.acquire(socketFile, { pid: 2, startedAt: 2 }),
    ]);
    const won = results.filter((r): r is PromiseFulfilledResult<InstanceLock> => r.status === 'fulfilled');
    held.push(...won.map((r) => r.value));
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
  });

  it('takes over a socket left by a SIGKILLed daemon', async () => {
    // A real socket file whose listener died: a child listens, then is killed with SIGKILL.
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socketFile)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect((await stat(socketFile)).isSocket()).toBe(true);
    expect(await probeSocket(socketFile)).toEqual({ state: 'stale' });
    held.push(await InstanceLock.acquire(socketFile, { pid: 3, startedAt: 3 }));
    expect(await probeDaemon(socketFile)).toEqual({ pid: 3, startedAt: 3 });
  });

  it('takes over a plain file at the socket path', async () => {
    await writeFile(socketFile, '');
    held.push(await InstanceLock.acquire(socketFile, { pid: 3, startedAt: 3 }));
    expect(await probeDaemon(socketFile)).toEqual({ pid: 3, startedAt: 3 });
  });

  it('refuses to start next to a holder that accepts but does not answer (stopped, or swapping)', async () => {
    const connections: net.Socket[] = [];
    const silent = net.createServer((socket) => void connections.push(socket));
    await new Promise<void>((resolve) => silent.listen(socketFile, resolve));
    try {
      expect(await probeSocket(socketFile, 200)).toEqual({ state: 'live', hello: null });
      const attempt = InstanceLock.acquire(socketFile, { pid: 4, startedAt: 4 });
      await expect(attempt).rejects.toBeInstanceOf(AlreadyRunningError);
      await expect(InstanceLock.acquire(socketFile, { pid: 4, startedAt: 4 })).rejects.toThrow(/accepts connections, but its owner did not say who it is/);
      expect((await stat(socketFile)).isSocket()).toBe(true);
    } finally {
      for (const socket of connections) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('on release, leaves alone a socket file that is no longer its own', async () => {
    const lock = await InstanceLock.acquire(socketFile, { pid: 6, startedAt: 6 });
    await rm(socketFile);
    await writeFile(socketFile, 'someone else');
    await lock.release();
    expect(await readFile(socketFile, 'utf8')).toBe('someone else');
  });

  it('refuses a socket path longer than macOS allows, naming the setting', async () => {
    const long = path.join(dir, 'x'.repeat(120), 'headroom.sock');
    await expect(InstanceLock.acquire(long, { pid: 7, startedAt: 7 })).rejects.toThrow(/over the 103 macOS allows; set daemon\.stateDir to a shorter folder/);
  });

  it('removes the socket file on release', async () => {
    const lock = await InstanceLock.acquire(socketFile, { pid: 4, startedAt: 4 });
    await lock.release();
    expect(await probeDaemon(socketFile)).toBeNull();
    held.push(await InstanceLock.acquire(socketFile, { pid: 5, startedAt: 5 }));
  });
});
