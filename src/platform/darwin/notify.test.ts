import { describe, expect, it } from 'vitest';
import { FakeRunner } from '../../../test/helpers/fake-runner.js';
import { NOTIFY_SCRIPT, osascriptArgs, OsascriptNotifier } from './notify.js';

const SCRIPT_ARGV = ['-e', 'on run argv', '-e', 'display notification (item 2 of argv) with title (item 1 of argv)', '-e', 'end run'];

describe('OsascriptNotifier', () => {
  it('runs a fixed script and passes the texts as arguments', async () => {
    const runner = new FakeRunner(() => ({}));
    const result = await new OsascriptNotifier(runner, 5000).notify('headroom: memory pressure warn', 'Unloading qwen3:8b (5.0 GiB).');
    expect(result).toEqual({ delivered: true, via: 'osascript' });
    expect(runner.calls.map((c) => [c.file, ...c.args])).toEqual([['osascript', ...SCRIPT_ARGV, 'headroom: memory pressure warn', 'Unloading qwen3:8b (5.0 GiB).']]);
  });

  it('keeps a hostile model name out of the script: it is only ever an argument', () => {
    const hostile = 'x" & do shell script "touch /tmp/pwned" & "';
    const argv = osascriptArgs(`headroom: ${hostile} is too large for this Mac`, `Unloaded ${hostile}: 40.0 GiB is over the limit.`);
    // The script part is byte for byte the fixed one, whatever the texts hold…
    expect(argv.slice(0, SCRIPT_ARGV.length)).toEqual(SCRIPT_ARGV);
    expect(NOTIFY_SCRIPT.join('\n')).not.toContain('do shell script');
    // …and the name reaches osascript only as the two `argv` items the script reads.
    expect(argv.slice(SCRIPT_ARGV.length)).toEqual([`headroom: ${hostile} is too large for this Mac`, `Unloaded ${hostile}: 40.0 GiB is over the limit.`]);
    expect(argv.filter((arg) => arg.includes('do shell script'))).toHaveLength(2);
  });

  it('pads a text that starts with "-" so osascript cannot take it for an option', () => {
    expect(osascriptArgs('-x', '--y').slice(-2)).toEqual([' -x', ' --y']);
  });

  it('reports a failed osascript without throwing', async () => {
    const runner = new FakeRunner(() => ({ exitCode: 1, stderr: 'execution error: Not authorized to send Apple events (-1743)' }));
    const result = await new OsascriptNotifier(runner, 5000).notify('t', 'm');
    expect(result.delivered).toBe(false);
    expect(result.error).toMatch(/exited 1: execution error: Not authorized/);
  });
});
