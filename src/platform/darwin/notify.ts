/**
 * Notifications on macOS through osascript. The AppleScript is fixed and the texts reach it only
 * as arguments (`on run argv`), so a model named `x" & do shell script "…" & "` is shown, never
 * run. node-notifier is no option: its bundled terminal-notifier is x86_64-only and fails
 * without Rosetta (../shared/docs/macos-platform.md §5).
 */
import { commandFailure, type CommandRunner } from '../../ports/command-runner.js';
import type { Notifier, NotifyResult } from '../../ports/notifier.js';

/** The script, one `-e` per line; argv item 1 is the title, item 2 the message. */
export const NOTIFY_SCRIPT = ['on run argv', 'display notification (item 2 of argv) with title (item 1 of argv)', 'end run'] as const;

/** The argv for one notification. A leading "-" is padded so osascript cannot read the text as an option. */
export function osascriptArgs(title: string, message: string): string[] {
  const safe = (text: string): string => (text.startsWith('-') ? ` ${text}` : text);
  return [...NOTIFY_SCRIPT.flatMap((line) => ['-e', line]), safe(title), safe(message)];
}

/** Notifier that runs osascript. */
export class OsascriptNotifier implements Notifier {
  constructor(
    private readonly runner: CommandRunner,
    private readonly timeoutMs: number,
  ) {}

  async notify(title: string, message: string): Promise<NotifyResult> {
    const result = await this.runner.run('osascript', osascriptArgs(title, message), { timeoutMs: this.timeoutMs });
    const failure = commandFailure(result);
    return failure === null ? { delivered: true, via: 'osascript' } : { delivered: false, via: 'osascript', error: failure };
  }
}
