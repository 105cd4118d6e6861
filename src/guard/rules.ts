/** Turns the config's guard, notify and ollama sections into the policy's rules. */
import type { Config } from '../config/schema.js';
import { GiB } from '../core/units.js';
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
