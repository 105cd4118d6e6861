import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { LinuxProcessTable, parseStatPpid, parseStatusUid } from './processes.js';

const children: Array<ReturnType<typeof spawn>> = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

describe('LinuxProcessTable on the real /proc', () => {
  it('lists a process with its parent and full command line, and its owner', async () => {
    const child = spawn('sleep', ['30']);
    children.push(child);
    const table = new LinuxProcessTable('/proc');
    const entry = (await table.list()).find((p) => p.pid === child.pid);
    expect(entry).toEqual({ pid: child.pid, ppid: process.pid, command: 'sleep 30' });
    expect(await table.ownerUid(child.pid!)).toBe(process.getuid!());
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(await table.ownerUid(999_999_999)).toBeNull();
  });
});

describe('the /proc parsers', () => {
  it('reads the parent pid after a command name with spaces and parentheses', () => {
    expect(parseStatPpid('4242 (my (odd) name) S 17 4242 4242 0 -1')).toBe(17);
  });

  it('reads the real uid', () => {
    expect(parseStatusUid('Name:\tsleep\nUid:\t501\t501\t501\t501\nGid:\t20\n')).toBe(501);
    expect(parseStatusUid('Name:\tx\n')).toBeNull();
  });
});
