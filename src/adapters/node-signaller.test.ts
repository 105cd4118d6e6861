import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { nodeSignaller } from './node-signaller.js';

describe('nodeSignaller', () => {
  it('tells a live pid from a free one with signal 0, and never signals headroom itself or pid 1', async () => {
    const child = spawn('sleep', ['30']);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    expect(nodeSignaller.alive(child.pid!)).toBe(true);
    expect(nodeSignaller.send(process.pid, 'SIGTERM')).toBe(false);
    expect(nodeSignaller.send(1, 'SIGTERM')).toBe(false);
    expect(nodeSignaller.send(child.pid!, 'SIGKILL')).toBe(true);
    await exited;
    expect(nodeSignaller.alive(child.pid!)).toBe(false);
    expect(nodeSignaller.send(child.pid!, 'SIGTERM')).toBe(false);
  });
});
