/** Notifications on Linux: notify-send when it is installed, otherwise the log only. */
import { commandFailure, type CommandRunner } from '../../ports/command-runner.js';
import type { Notifier, NotifyResult } from '../../ports/notifier.js';

/** The argv for one notification; `--` keeps texts that start with "-" from being read as options. */
export function notifySendArgs(title: string, message: string): string[] {
  return ['--app-name=headroom', '--', title, message];
}

/** Notifier that runs notify-send, and stops trying once it is known to be missing. */
export class NotifySendNotifier implements Notifier {
  private missing = false;

  constructor(
    private readonly runner: CommandRunner,
    private readonly timeoutMs: number,
  ) {}

  async notify(title: string, message: string): Promise<NotifyResult> {
    if (this.missing) return { delivered: false, via: 'log only' };
    const result = await this.runner.run('notify-send', notifySendArgs(title, message), { timeoutMs: this.timeoutMs });
    if (result.spawnError === 'not found on PATH') {
      this.missing = true;
      return { delivered: false, via: 'log only', error: 'notify-send is not installed' };
    }
    const failure = commandFailure(result);
    return failure === null ? { delivered: true, via: 'notify-send' } : { delivered: false, via: 'notify-send', error: failure };
  }
}
