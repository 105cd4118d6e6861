/**
 * The failure modes an unclean shutdown leaves (docs/colima-pm2.md A1), recognised in the text
 * colima, limactl and the host agent print: limactl's errors[], ha.stderr.log, `colima start`'s
 * output. Pure.
 */

/** What went wrong, by the message that says so. */
export type FailureMode =
  | 'disk-in-use'
  | 'ha-sock-refused'
  | 'driver-without-agent'
  | 'agent-without-driver'
  | 'seems-running'
  | 'usernet-refused'
  | 'runtime-unknown'
  | 'start-exited'
  | 'already-running';

/** What each mode means, for people. */
export const FAILURE_MODE_TEXT: Readonly<Record<FailureMode, string>> = {
  'disk-in-use': 'the data disk is locked "in use" by an instance (a stale lock after a crash)',
  'ha-sock-refused': "the host agent's ha.sock refuses connections: its PID file outlived the host agent",
  'driver-without-agent': 'Lima sees the VM driver running but not the host agent (a stale or reused PID)',
  'agent-without-driver': 'Lima sees the host agent running but not the VM driver (a stale or reused PID)',
  'seems-running': 'a start refused: a PID file says the instance still runs',
  'usernet-refused': "the user-v2 network helper's socket refuses connections (a stale helper)",
  'runtime-unknown': 'colima cannot read its runtime (a false Running after a reboot)',
  'start-exited': 'the host agent exited during the start',
  'already-running': 'colima start said "already running" and did nothing',
};

const PATTERNS: ReadonlyArray<[FailureMode, RegExp]> = [
  ['disk-in-use', /in use by instance ["`]([^"`]+)["`]/],
  ['ha-sock-refused', /ha\.sock.*connection refused/],
  ['driver-without-agent', /\bdriver is running but host agent is not/],
  ['agent-without-driver', /host agent is running but driver is not/],
  ['seems-running', /seems running \(hint: remove|another hostagent may already be running|pidfile .* already exists/],
  ['usernet-refused', /fd_connect.*connection refused|user-v2[^ ]*\.sock.*connection refused/],
  ['runtime-unknown', /error retrieving current runtime/],
  ['start-exited', /exiting, status=\{/],
  ['already-running', /already running, ignoring/],
];

/** The first mode a message shows, or null. */
export function failureModeOf(message: string): FailureMode | null {
  for (const [mode, pattern] of PATTERNS) if (pattern.test(message)) return mode;
  return null;
}

/** Every mode the messages show, each once, in order of first appearance. */
export function failureModesIn(messages: readonly string[]): FailureMode[] {
  const modes: FailureMode[] = [];
  for (const message of messages) {
    const mode = failureModeOf(message);
    if (mode && !modes.includes(mode)) modes.push(mode);
  }
  return modes;
}
