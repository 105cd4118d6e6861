import { mkdtemp, rm, symlink, mkdir, writeFile, copyFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixturePath, readFixture } from '../../../test/helpers/fixtures.js';
import { LinuxServerProbe, parseProcNetListeners } from './serving.js';
import { findOllamaApp } from '../../ollama/serving.js';
import type { ServerProbe } from '../../ports/serving.js';

describe('parseProcNetListeners', () => {
  it('finds the listening socket of a port and ignores connections and TIME_WAIT rows (a capture)', () => {
    const tcp = readFixture('linux', 'proc-net-tcp-listen-18602.txt');
    expect(parseProcNetListeners(tcp, 18602)).toEqual([344038]);
    // Port 18601 has only TIME_WAIT rows (state 06) in the capture.
    expect(parseProcNetListeners(tcp, 18601)).toEqual([]);
    expect(parseProcNetListeners(tcp, 2024)).toEqual([1161]);
  });

  it('reads /proc/net/tcp6 the same way (a capture)', () => {
    expect(parseProcNetListeners(readFixture('linux', 'proc-net-tcp6-listen-18603.txt'), 18603)).toEqual([344039]);
  });
});

describe('LinuxServerProbe', () => {
  it('never finds Ollama.app, which does not exist on Linux, even for a process with its path', () => {
    const table = [{ pid: 9, ppid: 1, command: '/tmp/t/Ollama.app/Contents/MacOS/Ollama' }];
    const probe: ServerProbe = new LinuxServerProbe('/proc');
    expect(findOllamaApp(table)?.pid).toBe(9);
    expect(probe.ollamaApp(table)).toBeNull();
  });

  let root: string | null = null;
  const servers: net.Server[] = [];
  afterEach(async () => {
    if (root) await rm(root, { recursive: true, force: true });
    root = null;
    for (const server of servers.splice(0)) server.close();
  });

  it('owns the captured listener to the process whose fd points at its inode (a built /proc tree)', async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'hr-proc-'));
    await mkdir(path.join(root, 'net'));
    await copyFile(fixturePath('linux', 'proc-net-tcp-listen-18602.txt'), path.join(root, 'net', 'tcp'));
    await mkdir(path.join(root, '24261', 'fd'), { recursive: true });
    await symlink('socket:[344038]', path.join(root, '24261', 'fd', '3'));
    await mkdir(path.join(root, '500', 'fd'), { recursive: true });
    await symlink('/dev/null', path.join(root, '500', 'fd', '0'));
    await writeFile(path.join(root, '24261', 'environ'), 'OLLAMA_HOST=127.0.0.1:18602\0HOME=/h\0');
    const probe = new LinuxServerProbe(root);
    expect(await probe.portListeners(18602)).toEqual([24261]);
    expect(await probe.portListeners(18609)).toEqual([]);
    expect(await probe.environment(24261)).toEqual({ OLLAMA_HOST: '127.0.0.1:18602', HOME: '/h' });
    expect(await probe.environment(4242)).toBeNull();
    expect(await probe.launchdServicePid()).toBeUndefined();
  });

  it('says "cannot tell" for a listener whose process it cannot see (another user)', async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'hr-proc-'));
    await mkdir(path.join(root, 'net'));
    await copyFile(fixturePath('linux', 'proc-net-tcp-listen-18602.txt'), path.join(root, 'net', 'tcp'));
    expect(await new LinuxServerProbe(root).portListeners(18602)).toBeNull();
  });

  it('finds this test process listening, on the real /proc', async () => {
    const server = net.createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    expect(await new LinuxServerProbe('/proc').portListeners(port)).toEqual([process.pid]);
    expect((await new LinuxServerProbe('/proc').environment(process.pid))?.PATH).toBe(process.env.PATH);
  });
});
