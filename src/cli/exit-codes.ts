/** The exit codes every command uses (docs/cli.md; the numbers follow BSD sysexits.h). */
export const ExitCode = {
  ok: 0,
  /** Something failed at run time: a daemon already running, a command that could not finish. */
  failure: 1,
  /** EX_USAGE: unknown command or option, a bad option value. */
  usage: 64,
  /** EX_CONFIG: the config file is missing (when named), unreadable or invalid. */
  config: 78,
} as const;

/** One of the documented exit codes. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
