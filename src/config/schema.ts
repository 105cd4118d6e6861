/**
 * The config schema: the one source of config types, defaults and limits. Every key is optional;
 * docs/config.md lists each one, and config/docs.test.ts fails when the two disagree.
 */
import { z } from 'zod';
import { parseOllamaHost } from '../ollama/host.js';
import { hostProblem, keepAliveProblem, parseOllamaBool, SAFE_DEFAULTS } from '../ollama/safe-env.js';
import { cronExpressionProblem } from '../probe/cron-expression.js';

/** An absolute path, or one under the home folder written `~/…`. */
const pathSetting = z
  .string()
  .refine((value) => value.startsWith('/') || value.startsWith('~/'), 'must be an absolute path or start with ~/');

const percent = z.number().min(0).max(100);

const linuxPressureSchema = z
  .strictObject({
    warnAvailablePercent: percent.default(10).describe('warn when MemAvailable is at or under this share of MemTotal'),
    criticalAvailablePercent: percent.default(5).describe('critical when MemAvailable is at or under this share of MemTotal'),
    warnSomeAvg10: percent.default(10).describe('warn when PSI "some avg10" reaches this (gated)'),
    criticalFullAvg10: percent.default(10).describe('critical when PSI "full avg10" reaches this (gated)'),
    psiGateAvailablePercent: percent.default(25).describe('PSI counts only while MemAvailable is at or under this share'),
  })
  .superRefine((value, ctx) => {
    if (value.criticalAvailablePercent > value.warnAvailablePercent) {
      ctx.addIssue({
        code: 'custom',
        path: ['criticalAvailablePercent'],
        message: `must not exceed warnAvailablePercent (${value.warnAvailablePercent})`,
      });
    }
  });

const fraction = z.number().gt(0).max(1);

/**
 * Why pm2 would never end a crash loop with these values, or null. pm2 counts a restart as
 * unstable only within minUptimeMs × maxRestarts of the first start (lib/God.js handleExit),
 * and its exponential backoff (×1.5 per crash, at most 15 s) can outlast that window, after
 * which it restarts every 15 s forever.
 */
export function crashLoopProblem(restart: { minUptimeMs: number; maxRestarts: number; backoffMs: number }): string | null {
  let delayMs = restart.backoffMs;
  let totalMs = 0;
  for (let i = 0; i < restart.maxRestarts; i += 1) {
    totalMs += delayMs;
    delayMs = Math.min(15_000, Math.floor(delayMs * 1.5));
  }
  const windowMs = restart.minUptimeMs * restart.maxRestarts;
  if (totalMs < windowMs) return null;
  return `${restart.maxRestarts} restarts back off for ${totalMs} ms, longer than the ${windowMs} ms (minUptimeMs × maxRestarts) in which pm2 counts them: a crash loop would never end; lower backoffMs or maxRestarts, or raise minUptimeMs`;
}

/** A custom check from a function returning the problem, or null. */
function check<T>(problem: (value: T) => string | null) {
  return (value: T, ctx: z.RefinementCtx): void => {
    const message = problem(value);
    if (message !== null) ctx.addIssue({ code: 'custom', message });
  };
}

const ollamaEnvSchema = z
  .strictObject({
    OLLAMA_MAX_LOADED_MODELS: z.number().int().min(0).max(64).default(SAFE_DEFAULTS.OLLAMA_MAX_LOADED_MODELS).describe('models loaded at once'),
    OLLAMA_KEEP_ALIVE: z.union([z.string(), z.number().int()]).superRefine(check(keepAliveProblem)).default(SAFE_DEFAULTS.OLLAMA_KEEP_ALIVE).describe('idle time before a model is unloaded'),
    OLLAMA_NUM_PARALLEL: z.number().int().min(0).max(64).default(SAFE_DEFAULTS.OLLAMA_NUM_PARALLEL).describe('requests served at once per model'),
    OLLAMA_CONTEXT_LENGTH: z.number().int().min(0).max(4_194_304).default(SAFE_DEFAULTS.OLLAMA_CONTEXT_LENGTH).describe('default context length'),
    OLLAMA_FLASH_ATTENTION: z
      .union([z.boolean(), z.number(), z.string()])
      .superRefine(check((value) => (parseOllamaBool(value) === null ? 'must be 1, true, 0 or false (Ollama would read any other value, "yes" included, as true)' : null)))
      .nullable()
      .default(null)
      .describe('flash attention; null = Ollama decides'),
    OLLAMA_KV_CACHE_TYPE: z.enum(['f16', 'q8_0', 'q4_0']).nullable().default(null).describe('KV cache quantization'),
    OLLAMA_HOST: z.string().superRefine(check(hostProblem)).nullable().default(null).describe('listen address, with a port'),
    OLLAMA_MODELS: pathSetting.nullable().default(null).describe('models folder'),
    OLLAMA_ORIGINS: z.string().nullable().default(null).describe('extra allowed origins'),
  })
  .prefault({});

const guardSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('run the memory guard (off: only sample and log)'),
    dryRun: z.boolean().default(false).describe('log "would unload" instead of unloading'),
    floorMinGiB: z.number().min(0).max(1024).default(4).describe('the available-memory floor is at least this'),
    floorPercent: percent.default(10).describe('the floor is at least this share of RAM'),
    swapUsedPercent: percent.default(90).describe('warn when more of the swap than this is used…'),
    swapFreeMinGiB: z.number().min(0).max(1024).default(2).describe('…and less than this is free'),
    sustainMs: z.number().int().min(0).max(600_000).default(2000).describe('a warn trigger must hold this long'),
    criticalSustainMs: z.number().int().min(0).max(600_000).default(0).describe('a critical trigger must hold this long'),
    cooldownMs: z.number().int().min(0).max(600_000).default(10_000).describe('wait after an unload before the next'),
    recoverMs: z.number().int().min(0).max(3_600_000).default(15_000).describe('normal readings needed to end an incident'),
    maxModelFraction: z
      .strictObject({
        text: fraction.default(0.625).describe('largest text model, as a share of RAM'),
        vision: fraction.default(0.7).describe('largest vision model, as a share of RAM'),
      })
      .prefault({}),
    allowLargeModels: z.array(z.string().min(1)).default([]).describe('models exempt from the size limit'),
  })
  .prefault({});

/** Why a guarded-process pattern cannot be used, or null: it must compile, and must not match every command line. */
export function guardedPatternProblem(pattern: string): string | null {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern);
  } catch (error) {
    return `not a regular expression: ${(error as Error).message}`;
  }
  if (regex.test('')) return 'matches an empty command line, so it would match every process: name the program (e.g. "mlx_lm\\.lora")';
  return null;
}

const guardedProcessSchema = z.strictObject({
  pattern: z.string().min(1).superRefine(check(guardedPatternProblem)),
  stage: z.enum(['warn', 'critical']).default('critical'),
  action: z.enum(['notify', 'term', 'term-then-kill']).default('notify'),
  graceMs: z.number().int().min(0).max(600_000).default(10_000),
});

const windowServerSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('follow WindowServer on macOS'),
    intervalMs: z.number().int().min(1000).max(600_000).default(30_000).describe('time between WindowServer CPU readings while pressure is normal'),
    fastIntervalMs: z.number().int().min(500).max(600_000).default(5000).describe('the same while pressure is not normal'),
    cpuPercent: z.number().min(1).max(1000).default(70).describe('WindowServer CPU (100 = one core) counted as high'),
    cpuSustainMs: z.number().int().min(0).max(600_000).default(10_000).describe('how long it must stay high'),
    readLog: z.boolean().default(true).describe('read the unified log for precursors while pressure is not normal'),
    logIntervalMs: z.number().int().min(60_000).max(3_600_000).default(60_000).describe('least time between two log reads'),
  })
  .prefault({});

const processesSchema = z
  .strictObject({
    top: z.number().int().min(1).max(100).default(10).describe('heaviest processes kept in the state'),
    sampleIntervalMs: z.number().int().min(5000).max(3_600_000).default(30_000).describe('time between samples of the heaviest while pressure is not normal'),
    cooldownMs: z.number().int().min(0).max(86_400_000).default(60_000).describe('least time between two actions on one process'),
    guarded: z.array(guardedProcessSchema).default([]).describe('patterns, stages and actions'),
  })
  .prefault({});

/** The probes of issue #5's seed (smoke_check.py): a fact and a sum. */
export const DEFAULT_PROBES = [
  { name: 'capital', prompt: 'What is the capital of France?', expect: 'paris' },
  { name: 'arithmetic', prompt: 'What is 15 + 27?', expect: '42' },
];

const probeSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('run the probes on the schedule in the daemon'),
    schedule: z.string().superRefine(check(cronExpressionProblem)).default('*/30 * * * *').describe('node-cron expression'),
    probes: z
      .array(
        z.strictObject({
          name: z.string().regex(/^[\w.-]{1,40}$/, 'letters, digits, _ . - (at most 40)'),
          prompt: z.string().min(1),
          expect: z.string().min(1),
        }),
      )
      .min(1)
      .superRefine((probes, ctx) => {
        const seen = new Set<string>();
        for (const [index, probe] of probes.entries()) {
          if (seen.has(probe.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `repeats the name ${JSON.stringify(probe.name)}` });
          seen.add(probe.name);
        }
      })
      .default(DEFAULT_PROBES)
      .describe('prompts and the text each answer must contain'),
    model: z.string().min(1).nullable().default(null).describe('the model to probe; null = a loaded one, else the smallest installed text model'),
    // At most 300 s: Node's fetch (undici) gives up on an answer whose headers take longer.
    timeoutMs: z.number().int().min(100).max(300_000).default(120_000).describe('longest wait for one answer, load included'),
    minAnswerChars: z.number().int().min(0).max(10_000).default(5).describe('shorter answers fail'),
    keepAlive: z.union([z.string(), z.number().int()]).superRefine(check(keepAliveProblem)).nullable().default(null).describe('keep_alive of a model a probe loads; null = ollama.env.OLLAMA_KEEP_ALIVE'),
    contextLength: z.number().int().min(256).max(4_194_304).default(4096).describe('num_ctx of a model a probe loads'),
    failuresBeforeRestart: z.number().int().min(1).max(100).default(2).describe('failed scheduled runs in a row before Ollama is restarted'),
    restartServer: z.boolean().default(true).describe('restart headroom\'s Ollama server after those failures'),
    keepRuns: z.number().int().min(1).max(1000).default(20).describe('runs kept in probes.json'),
  })
  .prefault({});

/** A Docker service headroom verifies after a recovery: a container by name, or a compose project by its folder. */
const dockerServiceSchema = z
  .strictObject({
    container: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a container name: letters, digits, _ . - (as docker names them)').optional(),
    compose: pathSetting.optional(),
    files: z.array(z.string().min(1)).min(1).optional(),
  })
  .superRefine((value, ctx) => {
    if ((value.container === undefined) === (value.compose === undefined)) ctx.addIssue({ code: 'custom', message: 'give either container (a name) or compose (a project folder), not both and not neither' });
    if (value.files !== undefined && value.compose === undefined) ctx.addIssue({ code: 'custom', path: ['files'], message: 'files belong to a compose project: add compose (its folder)' });
  });

const dockerSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('watch Docker in the daemon and recover Colima'),
    profile: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a Colima profile name: letters, digits, _ . -').max(60).default('default').describe('the Colima profile'),
    start: z.enum(['wasRunning', 'always', 'never']).default('wasRunning').describe('when the daemon may run colima start'),
    dryRun: z.boolean().default(false).describe('log what recovery would do, and do nothing'),
    watchIntervalMs: z.number().int().min(1000).max(3_600_000).default(30_000).describe('time between /_ping checks'),
    pingTimeoutMs: z.number().int().min(100).max(30_000).default(3000).describe('timeout of one /_ping'),
    commandTimeoutMs: z.number().int().min(100).max(600_000).default(30_000).describe('timeout of each colima status, limactl, docker call'),
    recheckMs: z.number().int().min(0).max(600_000).default(10_000).describe('wait before a Broken or false Running is read again'),
    startTimeoutMs: z.number().int().min(1000).max(3_600_000).default(600_000).describe('timeout of colima start'),
    stopTimeoutMs: z.number().int().min(1000).max(600_000).default(120_000).describe('timeout of colima stop and delete'),
    startAttempts: z.number().int().min(1).max(10).default(3).describe('colima start attempts per recovery'),
    startBackoffMs: z.number().int().min(0).max(3_600_000).default(30_000).describe('wait before the second start; doubles each attempt'),
    allow: z
      .strictObject({
        deleteVm: z.boolean().default(false).describe('colima delete once the starts failed (keeps colima.yaml and the data disk)'),
        deleteData: z.boolean().default(false).describe('with deleteVm: also delete the container data (colima delete --data)'),
        removeContainers: z.boolean().default(false).describe('docker rm a stopped container that holds a service\'s name'),
        composeDown: z.boolean().default(false).describe('docker compose down before up when up failed'),
        forceRecreate: z.boolean().default(false).describe('docker compose up --force-recreate when up failed'),
        killProcesses: z.boolean().default(false).describe('SIGTERM/SIGKILL a Lima or Colima process of yours that colima stop left'),
      })
      .superRefine((value, ctx) => {
        if (value.deleteData && !value.deleteVm) ctx.addIssue({ code: 'custom', path: ['deleteData'], message: 'needs deleteVm: the data is deleted with the VM' });
      })
      .prefault({}),
    services: z.array(dockerServiceSchema).default([]).describe('containers and compose projects to bring back'),
  })
  .prefault({});

/** The whole config file. */
export const configSchema = z.strictObject({
  daemon: z
    .strictObject({
      intervalMs: z.number().int().min(100).max(60_000).default(1000).describe('time between memory samples'),
      fastIntervalMs: z.number().int().min(100).max(60_000).default(250).describe('time between samples while pressure is not normal (never more than intervalMs)'),
      commandTimeoutMs: z.number().int().min(100).max(60_000).default(2000).describe('timeout for each sensor command (sysctl, vm_stat)'),
      stateWriteIntervalMs: z.number().int().min(0).max(3_600_000).default(10_000).describe('longest time between two writes of state.json while nothing notable changes; 0: after every sample'),
      stateDir: pathSetting.nullable().default(null).describe('folder for state.json and the control socket; null = platform default'),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info').describe('lowest level written'),
      dir: pathSetting.nullable().default(null).describe('folder for headroom.log; null = platform default'),
      stdout: z.enum(['auto', 'pretty', 'json', 'off']).default('auto').describe('log to stdout too: auto = pretty on a terminal, off otherwise'),
      maxSizeMiB: z.number().min(0.01).max(1024).default(10).describe('rotate headroom.log when it would grow past this'),
      keepFiles: z.number().int().min(1).max(100).default(7).describe('rotated files kept beside headroom.log'),
    })
    .prefault({}),
  ollama: z
    .strictObject({
      url: z
        .string()
        .min(1)
        .superRefine((value, ctx) => {
          try {
            parseOllamaHost(value);
          } catch (error) {
            ctx.addIssue({ code: 'custom', message: (error as Error).message });
          }
        })
        .nullable()
        .default(null)
        .describe('the Ollama server; null = OLLAMA_HOST, else http://127.0.0.1:11434'),
      timeoutMs: z.number().int().min(100).max(120_000).default(3000).describe('timeout of each Ollama API call'),
      pollIntervalMs: z.number().int().min(100).max(600_000).default(2000).describe('time between /api/ps reads while pressure is normal and memory moves'),
      stillPollIntervalMs: z
        .number()
        .int()
        .min(100)
        .max(3_600_000)
        .default(30_000)
        .describe('time between /api/ps reads while pressure is normal and memory stays still; at least pollIntervalMs'),
      stillWithinMiB: z
        .number()
        .min(0)
        .max(1024 * 1024)
        .default(256)
        .describe('memory is still while available, free, wired, compressed and swap used each stay within this of the last read; 0 = never still'),
      unloadTimeoutMs: z.number().int().min(100).max(600_000).default(15_000).describe('how long to wait for an unloaded model to leave /api/ps'),
      manage: z.boolean().default(true).describe('run ollama serve under pm2 when nobody serves'),
      takeover: z.boolean().default(false).describe('stop a server headroom did not start, and run its own'),
      binary: pathSetting.nullable().default(null).describe('the ollama executable; null = found on PATH'),
      keepRunning: z.boolean().default(false).describe('leave the server running when headroom stops'),
      startTimeoutMs: z.number().int().min(1000).max(600_000).default(30_000).describe('how long a started server may take to answer /api/version'),
      stopTimeoutMs: z.number().int().min(100).max(60_000).default(3000).describe('how long ollama serve gets to exit after SIGINT before SIGKILL'),
      env: ollamaEnvSchema,
      restart: z
        .strictObject({
          minUptimeMs: z.number().int().min(100).max(600_000).default(10_000).describe('a run shorter than this is a crash loop'),
          maxRestarts: z.number().int().min(1).max(1000).default(5).describe('crash-loop restarts before pm2 gives up'),
          backoffMs: z.number().int().min(0).max(15_000).default(500).describe('first restart delay; grows 1.5× per crash'),
        })
        .superRefine((value, ctx) => {
          const problem = crashLoopProblem(value);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .prefault({}),
      health: z
        .strictObject({
          intervalMs: z.number().int().min(100).max(3_600_000).default(10_000).describe('time between /api/version checks'),
          failures: z.number().int().min(1).max(100).default(3).describe('failed checks in a row before a restart'),
          restartBudget: z.number().int().min(0).max(100).default(3).describe('restarts allowed per window'),
          restartWindowMs: z.number().int().min(1000).max(86_400_000).default(600_000).describe('the window of the restart budget'),
        })
        .prefault({}),
    })
    .superRefine((value, ctx) => {
      if (value.stillPollIntervalMs < value.pollIntervalMs) {
        ctx.addIssue({ code: 'custom', path: ['stillPollIntervalMs'], message: `is shorter than ollama.pollIntervalMs (${value.pollIntervalMs}): memory that stays still cannot be read more often than memory that moves` });
      }
      if (value.url === null || value.env.OLLAMA_HOST === null || hostProblem(value.env.OLLAMA_HOST) !== null) return;
      const url = parseOllamaHost(value.url);
      const listen = parseOllamaHost(value.env.OLLAMA_HOST);
      if (url.port !== listen.port) {
        ctx.addIssue({ code: 'custom', path: ['env', 'OLLAMA_HOST'], message: `listens on port ${listen.port} but ollama.url talks to port ${url.port}: headroom would watch another server` });
      }
    })
    .prefault({}),
  guard: guardSchema,
  windowServer: windowServerSchema,
  processes: processesSchema,
  probe: probeSchema,
  docker: dockerSchema,
  launchd: z
    .strictObject({
      label: z
        .string()
        .regex(/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, 'must be a reverse-DNS name such as io.github.headroom.agent (letters, digits, - and dots)')
        .max(200)
        .default('io.github.headroom.agent')
        .describe('the LaunchAgent label, and its plist file name'),
    })
    .prefault({}),
  notify: z
    .strictObject({
      enabled: z.boolean().default(true).describe('send desktop notifications (every one is logged either way)'),
      minIntervalMs: z.number().int().min(0).max(86_400_000).default(60_000).describe('least time between two notices of one kind'),
    })
    .prefault({}),
  darwin: z
    .strictObject({
      sysctlMaxAgeMs: z
        .number()
        .int()
        .min(0)
        .max(60_000)
        .default(5000)
        .describe('while pressure is normal and memory stays still, the oldest a sysctl answer (pressure level, swap) may be; 0 = sysctl every sample'),
      stillWithinMiB: z
        .number()
        .min(0)
        .max(1024 * 1024)
        .default(64)
        .describe('memory is still while no vm_stat page gauge moved by this since that answer'),
    })
    .prefault({}),
  linux: z
    .strictObject({
      procRoot: pathSetting.default('/proc').describe('where meminfo and pressure/memory are read'),
      processRoot: pathSetting.nullable().default(null).describe('where the process table (/proc/<pid>/…) is read; null = procRoot'),
      pressure: linuxPressureSchema.prefault({}),
    })
    .prefault({}),
});

/** A validated config with every default filled in. */
export type Config = z.output<typeof configSchema>;

/** The config used when no file exists. */
export function defaultConfig(): Config {
  return configSchema.parse({});
}
