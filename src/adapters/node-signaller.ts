/** The real Signaller: process.kill, refusing headroom itself. */
import type { Signaller } from '../ports/processes.js';

/** Signals processes with process.kill. */
export const nodeSignaller: Signaller = {
  ownUid: process.getuid?.() ?? -1,
  ownPid: process.pid,
  send(pid, signal) {
    if (pid === process.pid || pid <= 1) return false;
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  },
  alive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      // EPERM: a process of another user has the pid.
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
};
