/** Turns the config's guard, notify and ollama sections into the policy's rules. */
import type { Config } from '../config/schema.js';
import { GiB, MiB } from '../core/units.js';
import type { StillPacing } from '../ollama/watcher.js';
import type { GuardRules } from './types.js';

/** The rules for `config`; `dryRun` is the config's or the command line's. */
export function guardRules(config: Config, dryRun = config.guard.dryRun): GuardRules {
  const { guard, notify } = config;
  return {
    floorMinBytes: guard.floorMinGiB * GiB,
    floorPercent: guard.floorPercent,
    swapUsedPercent: guard.swapUsedPercent,
    swapFreeMinBytes: guard.swapFreeMinGiB * GiB,
    sustainMs: guard.sustainMs,
    criticalSustainMs: guard.criticalSustainMs,
    cooldownMs: guard.cooldownMs,
    recoverMs: guard.recoverMs,
    maxModelFraction: { ...guard.maxModelFraction },
    allowLargeModels: [...guard.allowLargeModels],
    notifyMinIntervalMs: notify.minIntervalMs,
    dryRun,
  };
}

/** The watcher's pacing of calm /api/ps reads while memory stays still, from the config. */
export function stillPacing(config: Config): StillPacing {
  return { pollIntervalMs: config.ollama.stillPollIntervalMs, withinBytes: config.ollama.stillWithinMiB * MiB };
}
