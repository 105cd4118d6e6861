import { describe, expect, it } from 'vitest';
import { SimClock } from '../../test/helpers/sim-clock.js';
import { GiB } from '../core/units.js';
import { SimMachine } from './machine.js';
import { parseScenario } from './scenario.js';
import { SimOllama } from './sim-ollama.js';

const SCENARIO = parseScenario(
  'name: t\ndurationS: 10\nmachine: { ramGiB: 48, baselineGiB: 8 }\ntimeline: [{ atS: 0, stop: x }]\n',
  'inline.yaml',
);
const REQUEST = { model: 'm:8b', sizeGiB: 20, kind: 'text' as const, loadS: 10, keepAliveS: 300 };

function world(maxLoadedModels = 0) {
  const clock = new SimClock(0);
  const ollama = new SimOllama(clock, { maxLoadedModels, unloadMs: 1000, apiTimeoutMs: 3000 });
  const machine = new SimMachine(SCENARIO, clock, ollama);
  return { clock, ollama, machine };
}

describe('the simulated memory model', () => {
  it('ramps a model in over its load time; /api/ps waits meanwhile, and its runner is a process', async () => {
    const { clock, ollama, machine } = world();
    ollama.request(REQUEST);
    const ps = ollama.listLoaded();
    clock.advance(3000); // headroom's client gives up after its timeout
    await expect(ps).rejects.toThrow('GET /api/ps: no answer within 3000 ms');
    expect(ollama.processes()).toEqual([{ pid: 39999, ppid: 1, command: '/Applications/Ollama.app/Contents/Resources/ollama serve' }, { pid: 40000, ppid: 39999, command: expect.stringMatching(/ollama runner --ollama-engine --model \/Users\/sim\/\.ollama\/models\/blobs\/sha256-[0-9a-f]{64} --port 40000$/) as string }]);
    clock.advance(2000);
    expect(machine.observe().availableBytes).toBe(30 * GiB); // 48 − 8 − half of 20
    clock.advance(5000);
    expect(machine.observe().availableBytes).toBe(20 * GiB);
    expect((await ollama.listLoaded()).map((m) => m.name)).toEqual(['m:8b']);
  });

  it('takes an API unload of a loading model only when the load ends, and stops a load at once on a signal', async () => {
    const { clock, ollama, machine } = world();
    ollama.request(REQUEST);
    clock.advance(2000);
    const unload = ollama.unload('m:8b');
    clock.advance(3000);
    await expect(unload).rejects.toThrow(/no answer within 3000 ms/);
    clock.advance(5000); // the load ends at 10 s; the unload takes effect then, freed a second later
    expect((await ollama.listLoaded()).map((m) => m.name)).toEqual(['m:8b']);
    clock.advance(1000);
    expect(await ollama.listLoaded()).toEqual([]);
    ollama.request({ ...REQUEST, model: 'n:8b' });
    clock.advance(2000);
    expect(machine.observe().availableBytes).toBe(36 * GiB);
    expect(ollama.processTable().send(ollama.processes()[1]!.pid, 'SIGTERM')).toBe(true);
    expect(machine.observe().availableBytes).toBe(40 * GiB);
    expect(ollama.events.at(-1)).toMatchObject({ event: 'runner-stopped', model: 'n:8b' });
  });

  it('frees an unloaded model a second later, and lists it until then', async () => {
    const { clock, ollama, machine } = world();
    ollama.request({ ...REQUEST, loadS: 0 });
    await ollama.unload('m:8b');
    clock.advance(500);
    expect(await ollama.listLoaded()).toHaveLength(1);
    expect(machine.observe().availableBytes).toBe(20 * GiB);
    clock.advance(500);
    expect(await ollama.listLoaded()).toEqual([]);
    expect(machine.observe().availableBytes).toBe(40 * GiB);
    expect(ollama.unloadRequests).toEqual([{ at: 0, model: 'm:8b' }]);
  });

  it('maps available memory to the kernel levels: warn under 12 %, critical under 5 %', () => {
    const { machine } = world();
    machine.startProcess({ name: 'p', startGiB: 34.5, growGiBPerStep: 0, stepS: 1, maxGiB: null });
    expect(machine.observe()).toMatchObject({ availableBytes: 5.5 * GiB, pressure: 'warn' });
    machine.stopProcess('p');
    machine.startProcess({ name: 'p', startGiB: 38, growGiBPerStep: 0, stepS: 1, maxGiB: null });
    expect(machine.observe()).toMatchObject({ availableBytes: 2 * GiB, pressure: 'critical' });
  });

  it('grows a process by steps up to its maximum, and sends what does not fit to swap', () => {
    const { clock, machine } = world();
    machine.startProcess({ name: 'train', startGiB: 1, growGiBPerStep: 2.3, stepS: 5, maxGiB: 50 });
    clock.advance(4999);
    expect(machine.breakdown().processBytes.get('train')).toBe(1 * GiB);
    clock.advance(1);
    expect(machine.breakdown().processBytes.get('train')).toBeCloseTo(3.3 * GiB);
    clock.advance(200_000);
    expect(machine.observe()).toMatchObject({ availableBytes: 0, swapUsedBytes: 10 * GiB, pressure: 'critical' });
  });

  it('evicts the idle model that expires first when Ollama is full, and expires idle models', async () => {
    const { clock, ollama } = world(2);
    ollama.request({ ...REQUEST, model: 'a', loadS: 0, keepAliveS: 100 });
    ollama.request({ ...REQUEST, model: 'b', loadS: 0, keepAliveS: 300 });
    ollama.request({ ...REQUEST, model: 'c', loadS: 0 });
    expect(ollama.events).toEqual([{ at: 0, event: 'evicted', model: 'a' }]);
    clock.advance(1000);
    expect((await ollama.listLoaded()).map((m) => m.name)).toEqual(['b', 'c']);
    clock.advance(300_000);
    expect(await ollama.listLoaded()).toEqual([]);
    expect(ollama.events.slice(1).map((e) => e.event)).toEqual(['expired', 'expired']);
  });
});
