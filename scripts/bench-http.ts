/**
 * `npm run bench:http`: what one `/api/ps` read costs the client, two ways. The fake Ollama of the
 * tests answers from a process of its own (the two-model capture), so that the CPU measured is the
 * client's alone; each way runs in its own process, 500 reads 20 ms apart after 50 warm-up reads.
 * docs/memory.md quotes the results.
 *
 *   fetch      fetch + response.text() + AbortSignal.timeout, what the client used first
 *   node:http  HttpExchanger.send(), node:http on a keep-alive agent, what it uses now
 *
 * Both ways parse the answer with the client's zod schema, as the client does.
 */
import { execFileSync, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpExchanger } from '../src/ollama/http-exchange.js';
import { psSchema } from '../src/ollama/schemas.js';
import { FakeOllama, psFixtureModels } from '../test/helpers/fake-ollama.js';

const READS = 500;
const WARMUP = 50;
const GAP_MS = 20;
const ways = ['fetch', 'node:http'] as const;
type Way = (typeof ways)[number];

async function runWay(way: Way, url: string): Promise<void> {
  const http = new HttpExchanger();
  const once: Record<Way, () => Promise<string>> = {
    fetch: async () => (await fetch(`${url}/api/ps`, { signal: AbortSignal.timeout(5000) })).text(),
    'node:http': async () => (await http.send({ method: 'GET', url: `${url}/api/ps`, timeoutMs: 5000 })).text,
  };
  const read = async (): Promise<void> => {
    psSchema.parse(JSON.parse(await once[way]()));
    await new Promise((resolve) => setTimeout(resolve, GAP_MS));
  };
  for (let i = 0; i < WARMUP; i++) await read();
  const idle = process.cpuUsage();
  for (let i = 0; i < READS; i++) await new Promise((resolve) => setTimeout(resolve, GAP_MS));
  const idleUsed = process.cpuUsage(idle);
  const before = process.cpuUsage();
  for (let i = 0; i < READS; i++) await read();
  const used = process.cpuUsage(before);
  http.close();
  const ms = (usage: NodeJS.CpuUsage): number => (usage.user + usage.system) / 1000 / READS;
  process.stdout.write(JSON.stringify({ cpuMsPerRead: ms(used) - ms(idleUsed), rssMiB: process.memoryUsage().rss / 1048576 }));
}

const [, , mode, arg1, arg2] = process.argv;
const self = fileURLToPath(import.meta.url);
const tsx = path.resolve(path.dirname(self), '..', 'node_modules', 'tsx', 'dist', 'cli.mjs');
if (mode === '--way' && arg1 && arg2) {
  await runWay(arg1 as Way, arg2);
} else if (mode === '--server') {
  const ollama = new FakeOllama();
  await ollama.start();
  ollama.loaded = psFixtureModels('ps-two-models.json');
  process.stdout.write(`${ollama.url}\n`);
} else {
  const server = spawn(process.execPath, [tsx, self, '--server'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await new Promise<string>((resolve) => server.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8').trim())));
    console.log(`one /api/ps read (two models) parsed with the client's schema, ${READS} reads ${GAP_MS} ms apart per way (node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'})\n`);
    console.log('way         client CPU / read   RSS after');
    for (const way of ways) {
      const result = JSON.parse(execFileSync(process.execPath, [tsx, self, '--way', way, url], { encoding: 'utf8' })) as { cpuMsPerRead: number; rssMiB: number };
      console.log(`${way.padEnd(11)} ${`${result.cpuMsPerRead.toFixed(2)} ms`.padStart(17)} ${`${result.rssMiB.toFixed(0)} MiB`.padStart(11)}`);
    }
    console.log('\nCPU per read is above that of the same process waiting the same gaps with nothing to read. RSS includes tsx.');
  } finally {
    server.kill();
  }
}
