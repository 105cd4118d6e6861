/**
 * A fake Docker socket: a unix-socket HTTP server answering GET /_ping ("OK", as dockerd does)
 * while `up`, and hanging up without an answer while not (the forwarded socket of a VM whose
 * dockerd is dead); while `hang`, it accepts and never answers (a VM too busy to answer). Also a dead socket file: one whose listener was SIGKILLed, so connecting is
 * refused, as after a power cut.
 */
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

/** The fake daemon. */
export class FakeDockerSocket {
  up = true;
  /** Accept, and never answer: a listener too slow for the ping's timeout. */
  hang = false;
  pings = 0;
  private server: http.Server | null = null;

  /** `upWhen`, when given, decides instead of `up` (e.g. a marker file a fake colima start creates). */
  constructor(
    readonly file: string,
    private readonly upWhen?: () => boolean,
  ) {}

  /** Listens on the socket file. */
  async listen(): Promise<this> {
    mkdirSync(path.dirname(this.file), { recursive: true });
    this.server = http.createServer((request, response) => {
      this.pings += 1;
      if (this.hang) return;
      if (!(this.upWhen ? this.upWhen() : this.up)) {
        request.socket.destroy();
        return;
      }
      if (request.url === '/_ping') {
        response.writeHead(200, { 'Content-Type': 'text/plain', 'Api-Version': '1.47' });
        response.end('OK');
      } else {
        response.writeHead(404);
        response.end();
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(this.file, resolve));
    return this;
  }

  /** Stops listening (Node removes the socket file). */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;
  }
}

/** Leaves a socket file nobody listens on: its listener is SIGKILLed, so the file stays and connecting is refused. */
export function makeDeadSocket(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  spawnSync(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(file)}, () => process.kill(process.pid, 'SIGKILL'))`]);
}
