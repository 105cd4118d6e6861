/** The guarded processes of `processes.guarded`, compiled. Pure. */
import type { Config } from '../config/schema.js';

/** What is done to a guarded process at its stage. */
export type ProcessAction = 'notify' | 'term' | 'term-then-kill';

/** One guarded pattern, compiled (the config check made sure it compiles). */
export interface GuardedRule {
  /** Its place in `processes.guarded`, for messages. */
  index: number;
  pattern: RegExp;
  stage: 'warn' | 'critical';
  action: ProcessAction;
  graceMs: number;
}

/** The rules of `config.processes.guarded`, in order: the first that matches a command line applies. */
export function guardedRules(config: Pick<Config, 'processes'>): GuardedRule[] {
  return config.processes.guarded.map((entry, index) => ({ index, pattern: new RegExp(entry.pattern), stage: entry.stage, action: entry.action, graceMs: entry.graceMs }));
}
