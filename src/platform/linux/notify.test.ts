import { describe, expect, it } from 'vitest';
import { FakeRunner } from '../../../test/helpers/fake-runner.js';
import { NotifySendNotifier } from './notify.js';

describe('NotifySendNotifier', () => {
  it('runs notify-send with the texts after --', async () => {
    const runner = new FakeRunner(() => ({}));
    expect(await new NotifySendNotifier(runner, 5000).notify('-title', 'body')).toEqual({ delivered: true, via: 'notify-send' });
    expect(runner.calls.map((c) => [c.file, ...c.args])).toEqual([['notify-send', '--app-name=headroom', '--', '-title', 'body']]);
  });

  it('falls back to the log when notify-send is not installed, and stops trying', async () => {
    const runner = new FakeRunner(() => ({ spawnError: 'not found on PATH' }));
    const notifier = new NotifySendNotifier(runner, 5000);
    expect(await notifier.notify('t', 'm')).toEqual({ delivered: false, via: 'log only', error: 'notify-send is not installed' });
    expect(await notifier.notify('t', 'm')).toEqual({ delivered: false, via: 'log only' });
    expect(runner.calls).toHaveLength(1);
  });
});
