/**
 * One daemon per user. The daemon listens on a Unix socket in its state folder. Any connection
 * that succeeds means a daemon holds the socket, even one too busy (or stopped) to say hello; only
 * a refused connection (the file outlived a SIGKILL) or a missing file lets a new daemon take
 * over. A `mkdir` lock guards the check-and-listen step, so two daemons starting at the same
 * instant cannot both win, and release only removes the socket file it created itself.
 */
import { link, mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { isDaemonState, type DaemonState } from './state-file.js';

/** What a running daemon says about itself to whoever connects. */
export interface DaemonHello {
  pid: number;
  startedAt: number;
  /** Its state as of its last tick, assembled when the connection came; absent when it could not be assembled. */
  state?: DaemonState;
}

/** Thrown when another daemon already holds the socket; `hello` is null when it did not answer in time. */
export class AlreadyRunningError extends Error {
  override name = 'AlreadyRunningError';
  constructor(
    readonly hello: DaemonHello | null,
    readonly socketFile: string,
  ) {
    super(
      hello
        ? `another headroom daemon is already running for this user (pid ${hello.pid}, socket ${socketFile})`
        : `another headroom daemon is already running for this user (socket ${socketFile} accepts connections, but its owner did not say who it is within ${HELLO_TIMEOUT_MS} ms)`,
    );
  }
}

/** A startup lock older than this is left from a daemon killed mid-startup. */
const STALE_STARTUP_LOCK_MS = 10_000;
/** Longest wait for a running daemon's hello line. */
export const HELLO_TIMEOUT_MS = 1000;
/** The longest Unix socket path macOS accepts (sun_path is 104 bytes with the terminating NUL). */
export const MAX_SOCKET_PATH_BYTES = 103;

/** Who holds a socket path: a live listener (maybe without a hello yet), nobody, or no file at all. */
export type SocketProbe = { state: 'live'; hello: DaemonHello | null } | { state: 'stale' } | { state: 'absent' } | { state: 'error'; code: string };

/** Connects to the socket and waits up to `timeoutMs` for a hello line. */
export function probeSocket(socketFile: string, timeoutMs = HELLO_TIMEOUT_MS): Promise<SocketProbe> {
  return new Promise((resolve) => {
    const socket = net.createConnection(socketFile);
    let connected = false;
    let data = '';
    let settled = false;
    const finish = (probe: SocketProbe): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(probe);
    };
    socket.on('connect', () => {
      connected = true;
    });
    socket.setTimeout(timeoutMs, () => finish(connected ? { state: 'live', hello: null } : { state: 'error', code: 'ETIMEDOUT' }));
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      const newline = data.indexOf('\n');
      if (newline >= 0) finish({ state: 'live', hello: parseHello(data.slice(0, newline)) });
    });
    socket.on('end', () => finish({ state: 'live', hello: parseHello(data) }));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (connected) return finish({ state: 'live', hello: parseHello(data) });
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOTSOCK') return finish({ state: 'stale' });
      if (error.code === 'ENOENT') return finish({ state: 'absent' });
      finish({ state: 'error', code: error.code ?? error.message });
    });
  });
}

/** The running daemon's hello, or null when no daemon answers with one. */
export async function probeDaemon(socketFile: string, timeoutMs = HELLO_TIMEOUT_MS): Promise<DaemonHello | null> {
  const probe = await probeSocket(socketFile, timeoutMs);
  return probe.state === 'live' ? probe.hello : null;
}

function parseHello(line: string): DaemonHello | null {
  try {
    const value = JSON.parse(line) as Partial<DaemonHello>;
    if (typeof value.pid === 'number' && typeof value.startedAt === 'number') {
      return { pid: value.pid, startedAt: value.startedAt, ...(isDaemonState(value.state) && value.state.pid === value.pid ? { state: value.state } : {}) };
    }
  } catch {
    // Something that is not headroom answered.
  }
  return null;
}

/** The held single-instance lock: a listening socket. */
export class InstanceLock {
  private constructor(
    private readonly server: net.Server,
    readonly socketFile: string,
    private readonly identity: { dev: number; ino: number },
  ) {}

  /**
   * Takes the lock or throws AlreadyRunningError. The socket's folder must exist. Each connection
   * gets one line: `hello`, with `describe()`'s state when it gives one.
   */
  static async acquire(socketFile: string, hello: DaemonHello, describe: () => DaemonState | null = () => null): Promise<InstanceLock> {
    if (Buffer.byteLength(socketFile) > MAX_SOCKET_PATH_BYTES) {
      throw new Error(
        `${socketFile}: the control socket path is ${Buffer.byteLength(socketFile)} bytes, over the ${MAX_SOCKET_PATH_BYTES} macOS allows; set daemon.stateDir to a shorter folder`,
      );
    }
    const startupLock = `${socketFile}.lock`;
    await takeStartupLock(startupLock);
    try {
      await removeStalePrivateNames(socketFile);
      const probe = await probeSocket(socketFile);
      if (probe.state === 'live') throw new AlreadyRunningError(probe.hello, socketFile);
      if (probe.state === 'error') throw new Error(`${socketFile}: cannot tell whether a daemon holds it (${probe.code})`);
      if (probe.state === 'stale') await rm(socketFile, { force: true });
      const server = net.createServer((socket) => {
        socket.on('error', () => undefined);
        socket.end(`${helloLine(hello, describe)}\n`);
      });
      const privateName = `${socketFile}.${process.pid}`;
      await rm(privateName, { force: true });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(privateName, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.unref();
      try {
        await link(privateName, socketFile);
      } finally {
        await rm(privateName, { force: true });
      }
      const info = await stat(socketFile);
      return new InstanceLock(server, socketFile, { dev: info.dev, ino: info.ino });
    } finally {
      await rmdir(startupLock).catch(() => undefined);
    }
  }

  /** Stops listening and removes the socket file, if it is still the one this lock created. */
  async release(): Promise<void> {
    const info = await stat(this.socketFile).catch(() => null);
    if (info !== null && info.dev === this.identity.dev && info.ino === this.identity.ino) await rm(this.socketFile, { force: true });
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The hello, with the live state when there is one; a state that cannot be assembled is left out. */
function helloLine(hello: DaemonHello, describe: () => DaemonState | null): string {
  let state: DaemonState | null = null;
  try {
    state = describe();
  } catch {
    // The hello alone still says who holds the socket.
  }
  return JSON.stringify(state ? { ...hello, state } : hello);
}

/** Private listen names (`headroom.sock.<pid>`) left by a daemon killed mid-startup; called under the startup lock. */
async function removeStalePrivateNames(socketFile: string): Promise<void> {
  const dir = path.dirname(socketFile);
  const prefix = `${path.basename(socketFile)}.`;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length))) await rm(path.join(dir, name), { force: true });
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
        // Rename is atomic: of two starters breaking the same stale lock, one rename wins and the
        // other fails, so only one goes on to take a fresh lock in the same turn.
        const broken = `${dir}.stale-${process.pid}-${attempt}`;
        if (await rename(dir, broken).then(() => true, () => false)) await rmdir(broken).catch(() => undefined);
      } else if (attempt > 100) {
        throw new Error(`${dir}: another headroom is starting up; try again`, { cause: error });
      } else {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }
}
