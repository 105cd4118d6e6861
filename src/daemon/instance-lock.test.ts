import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlreadyRunningError, InstanceLock, probeDaemon } from './instance-lock.js';

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

  it('takes over a socket file nobody listens on (left by a SIGKILL)', async () => {
    // A bound socket whose server is gone: close without unlinking by leaving the file behind.
    await writeFile(socketFile, '');
    expect(await probeDaemon(socketFile)).toBeNull();
    held.push(await InstanceLock.acquire(socketFile, { pid: 3, startedAt: 3 }));
    expect(await probeDaemon(socketFile)).toEqual({ pid: 3, startedAt: 3 });
  });

  it('treats a listener that is not headroom as nobody', async () => {
    const server = net.createServer((socket) => socket.end('HTTP/1.1 400\r\n\r\n'));
    await new Promise<void>((resolve) => server.listen(socketFile, resolve));
    try {
      expect(await probeDaemon(socketFile)).toBeNull();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('removes the socket file on release', async () => {
    const lock = await InstanceLock.acquire(socketFile, { pid: 4, startedAt: 4 });
    await lock.release();
    expect(await probeDaemon(socketFile)).toBeNull();
    held.push(await InstanceLock.acquire(socketFile, { pid: 5, startedAt: 5 }));
  });
});
