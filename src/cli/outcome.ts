/** The exit code a command's action chose; main.ts returns it. */
export interface CommandOutcome {
  exitCode: number;
}
