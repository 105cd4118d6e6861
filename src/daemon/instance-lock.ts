/**
 * One daemon per user. The daemon listens on a Unix socket in its state folder; a second daemon
 * that can connect to it refuses to start, and one that cannot (the socket file outlived a
 * SIGKILL) removes the stale file and takes over. A `mkdir` lock guards the check-and-listen step
 * so two daemons starting at the same instant cannot both win.
 */
import { mkdir, rm, rmdir, stat } from 'node:fs/promises';
import net from 'node:net';

/** What a running daemon says about itself to whoever connects. */
export interface DaemonHello {
  pid: number;
  startedAt: number;
}

/** Thrown when another daemon already holds the socket. */
export class AlreadyRunningError extends Error {
  override name = 'AlreadyRunningError';
  constructor(
    readonly hello: DaemonHello,
    readonly socketFile: string,
  ) {
    super(`another headroom daemon is already running for this user (pid ${hello.pid}, socket ${socketFile})`);
  }
}

/** A startup lock older than this is left from a daemon killed mid-startup. */
const STALE_STARTUP_LOCK_MS = 10_000;
/** Longest wait for a running daemon's hello line. */
const HELLO_TIMEOUT_MS = 1000;

/** Asks whoever listens on `socketFile` who they are; null when nobody listens. */
export function probeDaemon(socketFile: string, timeoutMs = HELLO_TIMEOUT_MS): Promise<DaemonHello | null> {
  return new Promise((resolve) => {
    const socket = net.createConnection(socketFile);
    let data = '';
    let settled = false;
    const finish = (value: DaemonHello | null): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => finish(null));
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      const newline = data.indexOf('\n');
      if (newline >= 0) finish(parseHello(data.slice(0, newline)));
    });
    socket.on('end', () => finish(parseHello(data)));
    socket.on('error', () => finish(null));
  });
}

function parseHello(line: string): DaemonHello | null {
  try {
    const value = JSON.parse(line) as Partial<DaemonHello>;
    if (typeof value.pid === 'number' && typeof value.startedAt === 'number') return { pid: value.pid, startedAt: value.startedAt };
  } catch {
    // Something that is not headroom answered; treat it like nobody.
  }
  return null;
}

/** The held single-instance lock: a listening socket. */
export class InstanceLock {
  private constructor(
    private readonly server: net.Server,
    readonly socketFile: string,
  ) {}

  /** Takes the lock or throws AlreadyRunningError. The socket's folder must exist. */
  static async acquire(socketFile: string, hello: DaemonHello): Promise<InstanceLock> {
    const startupLock = `${socketFile}.lock`;
    await takeStartupLock(startupLock);
    try {
      const running = await probeDaemon(socketFile);
      if (running) throw new AlreadyRunningError(running, socketFile);
      await rm(socketFile, { force: true });
      const server = net.createServer((socket) => {
        socket.on('error', () => undefined);
        socket.end(`${JSON.stringify(hello)}\n`);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socketFile, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.unref();
      return new InstanceLock(server, socketFile);
    } finally {
      await rmdir(startupLock).catch(() => undefined);
    }
  }

  /** Stops listening and removes the socket file. */
  async release(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.socketFile, { force: true });
  }
}

async function takeStartupLock(dir: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await mkdir(dir, { mode: 0o700 });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const info = await stat(dir).catch(() => null);
      if (info && Date.now() - info.mtimeMs > STALE_STARTUP_LOCK_MS) {
        await rmdir(dir).catch(() => undefined);
      } else if (attempt > 100) {
        throw new Error(`${dir}: another headroom is starting up; try again`, { cause: error });
      } else {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }
}
