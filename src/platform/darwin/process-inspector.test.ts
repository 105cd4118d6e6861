import { describe, expect, it } from 'vitest';
import { FakeRunner } from '../../../test/helpers/fake-runner.js';
import { DarwinProcessInspector, PS_TABLE_TIMEOUT_MS, TOP_TIMEOUT_MS } from './process-inspector.js';
import { PS_DETAIL_COLUMNS } from './ps-details.js';
import { DarwinWindowServerSensor } from './windowserver.js';

// Built rows (see ps-details.test.ts): captured pids, command lines and CPU times; made-up starts.
const WINDOWSERVER_ROW = '  372     1    88 105120 276:18.30 Fri Jul 10 08:09:12 2020 /System/Library/PrivateFrameworks/SkyLight.framework/Resources/WindowServer -daemon\n';
const RUNNER_ROW = '61864 59923   501  93616   0:50.10 Sat Nov 21 21:30:00 2026 /Applications/Ollama.app/Contents/Resources/ollama runner --ollama-engine --model /Users/u/.ollama/models/blobs/sha256-x\n';
// No capture of top's process rows is stored; these follow the format of top.test.ts.
const TOP = 'Processes: 561 total, 3 running, 558 sleeping, 2465 threads \n\nPID    MEM\n61864  5154M\n372    1314M\n';

function argv(runner: FakeRunner) {
  return runner.calls.map((call) => [call.file, ...call.args]);
}

describe('DarwinProcessInspector', () => {
  it('lists with one ps, asking for the detail columns', async () => {
    const runner = new FakeRunner(() => ({ stdout: WINDOWSERVER_ROW + RUNNER_ROW }));
    const list = await new DarwinProcessInspector(runner, 2000).list();
    expect(argv(runner)).toEqual([['ps', '-axww', '-o', PS_DETAIL_COLUMNS]]);
    // Its own bound, not the 2 s of one sensor read: under critical pressure the whole table is slow.
    expect(runner.calls[0]?.options.timeoutMs).toBe(PS_TABLE_TIMEOUT_MS);
    await new DarwinProcessInspector(runner, 30_000).list();
    expect(runner.calls[1]?.options.timeoutMs).toBe(30_000);
    expect(list.map((p) => [p.pid, p.uid])).toEqual([
      [372, 88],
      [61864, 501],
    ]);
  });

  it('gets one pid; null when ps says there is none (exit 1, no output); rejects on another failure', async () => {
    const runner = new FakeRunner((_file, args) => (args.at(-1) === '372' ? { stdout: WINDOWSERVER_ROW } : args.at(-1) === '9' ? { exitCode: 1 } : { exitCode: 2, stderr: 'ps: boom' }));
    const inspector = new DarwinProcessInspector(runner, 2000);
    expect(await inspector.get(372)).toMatchObject({ pid: 372, uid: 88, startKey: 'Fri Jul 10 08:09:12 2020' });
    expect(await inspector.get(9)).toBeNull();
    await expect(inspector.get(10)).rejects.toThrow('ps -ww -o pid=,ppid=,uid=,rss=,time=,lstart=,command= -p 10: exited 2: ps: boom');
    expect(argv(runner)[0]).toEqual(['ps', '-ww', '-o', PS_DETAIL_COLUMNS, '-p', '372']);
  });

  it('runs every ps that prints lstart in UTC, so that a change of time zone does not change a start', async () => {
    const runner = new FakeRunner(() => ({ stdout: WINDOWSERVER_ROW }));
    const inspector = new DarwinProcessInspector(runner, 2000);
    await inspector.list();
    await inspector.get(372);
    expect(runner.calls.map((call) => call.options.env)).toEqual([{ TZ: 'UTC0' }, { TZ: 'UTC0' }]);
  });

  it('ranks by physical footprint with one top, and reads one pid the same way', async () => {
    const runner = new FakeRunner(() => ({ stdout: TOP }));
    const inspector = new DarwinProcessInspector(runner, 2000);
    expect(await inspector.heaviest(1)).toEqual([{ pid: 61864, bytes: 5154 * 1024 ** 2, metric: 'footprint' }]);
    expect(await inspector.memoryOf(372)).toEqual({ pid: 372, bytes: 1314 * 1024 ** 2, metric: 'footprint' });
    expect(argv(runner)).toEqual([
      ['top', '-l', '1', '-o', 'mem', '-n', '1', '-stats', 'pid,mem'],
      ['top', '-l', '1', '-pid', '372', '-stats', 'pid,mem'],
    ]);
    expect(runner.calls.map((c) => c.options.timeoutMs)).toEqual([TOP_TIMEOUT_MS, TOP_TIMEOUT_MS]);
  });

  it('rejects when top fails for the ranking, and says null for one pid', async () => {
    const inspector = new DarwinProcessInspector(new FakeRunner(() => ({ spawnError: 'not found on PATH' })), 2000);
    await expect(inspector.heaviest(5)).rejects.toThrow('top -l 1 -o mem -n 5 -stats pid,mem: not found on PATH');
    expect(await inspector.memoryOf(372)).toBeNull();
  });
});

describe('DarwinWindowServerSensor', () => {
  function sensor(answer: ConstructorParameters<typeof FakeRunner>[0]) {
    const runner = new FakeRunner(answer);
    return { runner, sensor: new DarwinWindowServerSensor(runner, new DarwinProcessInspector(runner, 2000), 2000) };
  }

  it('finds WindowServer by name with pgrep -x (the lowest pid when several), none on exit 1', async () => {
    const found = sensor(() => ({ stdout: '372\n' }));
    expect(await found.sensor.find()).toBe(372);
    expect(argv(found.runner)).toEqual([['pgrep', '-x', 'WindowServer']]);
    expect(await sensor(() => ({ stdout: '900\n372\n' })).sensor.find()).toBe(372);
    expect(await sensor(() => ({ exitCode: 1 })).sensor.find()).toBeNull();
    await expect(sensor(() => ({ exitCode: 3, stderr: 'pgrep: bad' })).sensor.find()).rejects.toThrow('pgrep -x WindowServer: exited 3: pgrep: bad');
    await expect(sensor(() => ({ stdout: '\n' })).sensor.find()).rejects.toThrow('exited 0 without a pid');
  });

  it('reads its start and CPU time by pid; a pid gone, or now another program, is null', async () => {
    const { sensor: ws } = sensor((_file, args) => (args.at(-1) === '372' ? { stdout: WINDOWSERVER_ROW } : args.at(-1) === '61864' ? { stdout: RUNNER_ROW } : { exitCode: 1 }));
    expect(await ws.read(372)).toEqual({ pid: 372, startKey: 'Fri Jul 10 08:09:12 2020', startedAt: Date.UTC(2020, 6, 10, 8, 9, 12), cpuMs: 16_578_300 });
    expect(await ws.read(61864)).toBeNull();
    expect(await ws.read(5)).toBeNull();
  });
});
