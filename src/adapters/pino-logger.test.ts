import { mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from './pino-logger.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hr-log-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

describe('createLogger', () => {
  it('writes JSON lines with level names, the component and the pid to a 0600 file', async () => {
    const file = path.join(dir, 'logs', 'headroom.log');
    const { logger } = createLogger({ level: 'info', file, stdout: 'off', isTTY: false });
    logger.child({ component: 'guard' }).warn({ model: 'x' }, 'unloading');
    logger.debug({}, 'not at info');
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', component: 'guard', model: 'x', msg: 'unloading', pid: process.pid });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
  });

  it('drops lines on a full disk instead of throwing out of the log call, and says so once', async () => {
    // /dev/full answers every write with ENOSPC, as a full disk does.
    const file = path.join(dir, 'headroom.log');
    await symlink('/dev/full', file);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { logger } = createLogger({ level: 'info', file, stdout: 'off', isTTY: false });
    expect(() => {
      for (let i = 0; i < 5; i++) logger.info({ i }, 'a line');
    }).not.toThrow();
    const notices = stderr.mock.calls.map((call) => String(call[0])).filter((text) => text.includes(file));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/cannot write .* \(ENOSPC/);
  });
});
