/** A Notifier that records what it was asked to show. */
import type { Notifier, NotifyResult } from '../../src/ports/notifier.js';

/** Records each notification; always delivers. */
export class RecordingNotifier implements Notifier {
  readonly sent: Array<{ title: string; message: string }> = [];

  notify(title: string, message: string): Promise<NotifyResult> {
    this.sent.push({ title, message });
    return Promise.resolve({ delivered: true, via: 'recording' });
  }
}
