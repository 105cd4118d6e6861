/** Who serves on a port, on Linux: /proc/net/tcp(6) for listening sockets, /proc/PID/fd to own them. */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { ServerProbe } from '../../ports/serving.js';
import type { ProcessInfo } from '../../ports/processes.js';
import { parseProcEnviron } from '../../ollama/safe-env.js';

/** Listening sockets (state 0A) on `port` in /proc/net/tcp or tcp6: their inodes. */
export function parseProcNetListeners(text: string, port: number): number[] {
  const inodes: number[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    if (!local || fields[3] !== '0A') continue;
    if (Number.parseInt(local.split(':')[1] ?? '', 16) === port) inodes.push(Number(fields[9]));
  }
  return inodes;
}

/** ServerProbe on procfs. A listener of another user cannot be attributed (its fds are not readable). */
export class LinuxServerProbe implements ServerProbe {
  constructor(private readonly procRoot: string) {}

  /** Ollama.app is macOS-only: a process that merely has its path (a test's stand-in) is not it. */
  ollamaApp(): ProcessInfo | null {
    return null;
  }

  portListeners(port: number): Promise<number[] | null> {
    const inodes = new Set<number>();
    for (const file of ['net/tcp', 'net/tcp6']) {
      try {
        for (const inode of parseProcNetListeners(readFileSync(`${this.procRoot}/${file}`, 'utf8'), port)) inodes.add(inode);
      } catch {
        // No IPv6, or no such file: fine.
      }
    }
    if (inodes.size === 0) return Promise.resolve([]);
    const pids: number[] = [];
    for (const entry of readdirSync(this.procRoot)) {
      if (!/^\d+$/.test(entry)) continue;
      let fds: string[];
      try {
        fds = readdirSync(`${this.procRoot}/${entry}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        try {
          const target = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${this.procRoot}/${entry}/fd/${fd}`));
          if (target?.[1] && inodes.has(Number(target[1]))) {
            pids.push(Number(entry));
            break;
          }
        } catch {
          // The fd closed meanwhile.
        }
      }
    }
    return Promise.resolve(pids.length > 0 ? pids : null);
  }

  environment(pid: number): Promise<Record<string, string> | null> {
    try {
      return Promise.resolve(parseProcEnviron(readFileSync(`${this.procRoot}/${pid}/environ`, 'utf8')));
    } catch {
      return Promise.resolve(null);
    }
  }

  launchdServicePid(): Promise<number | null | undefined> {
    return Promise.resolve(undefined);
  }
}
