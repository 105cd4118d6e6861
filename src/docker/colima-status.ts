/**
 * `colima status --profile P --json` (colima 0.8.1+: one object on stdout, exit 0 when running)
 * and the text form older colima prints to stderr (`colima is running using …`, `socket:` up to
 * 0.8.2, `docker socket:` from 0.8.3). Exit 1 with a fatal line means not running, or a status
 * colima could not read (`error retrieving current runtime: empty value` after a reboot). Pure.
 */
import { parseLogrus } from './logrus.js';

/** What `colima status` said. */
export interface ColimaStatus {
  running: boolean;
  driver: string | null;
  arch: string | null;
  runtime: string | null;
  /** `unix:///…/docker.sock`, when the runtime is docker. */
  dockerSocket: string | null;
  /** The error colima printed (its fatal line), e.g. "colima is not running"; null when running. */
  message: string | null;
  /** Which output was read. */
  form: 'json' | 'text';
}

/** A command's outcome, as the parsers need it. */
export interface CommandOutput {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Parses `colima status`, JSON or text. */
export function parseColimaStatus(output: CommandOutput): ColimaStatus {
  const stdout = output.stdout.trim();
  const lines = parseLogrus(output.stderr);
  const fatal = lines.filter((line) => line.level === 'fatal' || line.level === 'error').at(-1)?.msg ?? null;
  if (stdout.startsWith('{')) {
    try {
      const data = JSON.parse(stdout) as Record<string, unknown>;
      return {
        running: output.exitCode === 0,
        driver: text(data.driver),
        arch: text(data.arch),
        runtime: text(data.runtime),
        dockerSocket: text(data.docker_socket) ?? text(data.socket),
        message: output.exitCode === 0 ? null : fatal,
        form: 'json',
      };
    } catch {
      // Fall through to the text form.
    }
  }
  const status: ColimaStatus = { running: false, driver: null, arch: null, runtime: null, dockerSocket: null, message: fatal, form: 'text' };
  for (const { msg } of lines) {
    const runningUsing = /^colima(?: \[profile=[^\]]*\])? is running using (.+)$/.exec(msg);
    if (runningUsing) {
      status.running = output.exitCode === 0;
      status.driver = runningUsing[1] ?? null;
    }
    const field = /^(arch|runtime|socket|docker socket): (.+)$/.exec(msg);
    if (field?.[1] === 'arch') status.arch = field[2] ?? null;
    if (field?.[1] === 'runtime') status.runtime = field[2] ?? null;
    if (field?.[1] === 'socket' || field?.[1] === 'docker socket') status.dockerSocket = field[2] ?? null;
  }
  if (!status.running && status.message === null && output.exitCode !== 0) status.message = lines.at(-1)?.msg ?? `exited ${String(output.exitCode)}`;
  return status;
}

/** True when this colima is older than 0.8.1 and has no `status --json`. */
export function noJsonFlag(output: CommandOutput): boolean {
  return output.exitCode !== 0 && /unknown (?:shorthand )?flag:? .*json/.test(output.stderr);
}
