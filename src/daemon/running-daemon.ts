/**
 * What a one-shot command learns of the running daemon: who it is and its state, live over the
 * control socket; from the state file only when the hello carries no state (the file can be up
 * to `daemon.stateWriteIntervalMs` old).
 */
import { probeDaemon, type DaemonHello } from './instance-lock.js';
import { readState, StateFileError, type DaemonState } from './state-file.js';

/** The daemon that answered, its state (null when neither the socket nor the file gave one), and why the file could not be used. */
export interface RunningDaemon {
  hello: DaemonHello;
  state: DaemonState | null;
  fileProblem: StateFileError | null;
}

/** The running daemon, or null when none answers on `socketFile`. */
export async function readRunningDaemon(socketFile: string, stateFile: string): Promise<RunningDaemon | null> {
  const hello = await probeDaemon(socketFile);
  if (!hello) return null;
  if (hello.state) return { hello, state: hello.state, fileProblem: null };
  try {
    const state = await readState(stateFile);
    return { hello, state: state?.pid === hello.pid ? state : null, fileProblem: null };
  } catch (error) {
    if (error instanceof StateFileError) return { hello, state: null, fileProblem: error };
    throw error;
  }
}
