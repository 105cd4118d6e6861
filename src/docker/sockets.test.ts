import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDockerSocket, makeDeadSocket } from '../../test/helpers/fake-docker-socket.js';
import { pingDocker, probeSocket } from './sockets.js';

let dir: string;
let docker: FakeDockerSocket | null = null;
beforeEach(() => {
  // /tmp keeps the socket path short (at most 104 bytes on macOS).
  dir = mkdtempSync('/tmp/hr-sock-');
});
afterEach(async () => {
  await docker?.close();
  docker = null;
  rmSync(dir, { recursive: true, force: true });
});

describe('pingDocker: a timeout is told apart from a refusal', () => {
  it('ok for 200 OK', async () => {
    docker = await new FakeDockerSocket(path.join(dir, 'docker.sock')).listen();
    expect(await pingDocker(docker.file, 1000)).toMatchObject({ ok: true, error: null, timedOut: false });
  });

  it('a listener that never answers: timedOut, and the socket still accepts connections', async () => {
    docker = await new FakeDockerSocket(path.join(dir, 'docker.sock')).listen();
    docker.hang = true;
    expect(await pingDocker(docker.file, 200)).toMatchObject({ ok: false, error: 'GET /_ping: no answer within 200 ms', timedOut: true });
    expect(await probeSocket(docker.file, 1000)).toBe('accepts');
  });

  it('a socket file nobody listens on, a missing one, a hang-up: failed, not timed out', async () => {
    const dead = path.join(dir, 'dead.sock');
    makeDeadSocket(dead);
    expect(await pingDocker(dead, 1000)).toMatchObject({ ok: false, error: 'GET /_ping: ECONNREFUSED', timedOut: false });
    expect(await pingDocker(path.join(dir, 'none.sock'), 1000)).toMatchObject({ ok: false, error: 'GET /_ping: ENOENT', timedOut: false });
    docker = await new FakeDockerSocket(path.join(dir, 'docker.sock')).listen();
    docker.up = false;
    expect(await pingDocker(docker.file, 1000)).toMatchObject({ ok: false, timedOut: false });
  });
});
