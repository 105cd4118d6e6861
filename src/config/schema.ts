/**
 * The config schema: the one source of config types, defaults and limits. Every key is optional;
 * docs/config.md lists each one, and config/docs.test.ts fails when the two disagree.
 */
import { z } from 'zod';

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

/** The whole config file. */
export const configSchema = z.strictObject({
  daemon: z
    .strictObject({
      intervalMs: z.number().int().min(100).max(60_000).default(1000).describe('time between memory samples'),
      commandTimeoutMs: z.number().int().min(100).max(60_000).default(2000).describe('timeout for each sensor command (sysctl, vm_stat)'),
      stateDir: pathSetting.nullable().default(null).describe('folder for state.json and the control socket; null = platform default'),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info').describe('lowest level written'),
      dir: pathSetting.nullable().default(null).describe('folder for headroom.log; null = platform default'),
      stdout: z.enum(['auto', 'pretty', 'json', 'off']).default('auto').describe('log to stdout too: auto = pretty on a terminal, off otherwise'),
    })
    .prefault({}),
  linux: z
    .strictObject({
      procRoot: pathSetting.default('/proc').describe('where meminfo and pressure/memory are read'),
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
