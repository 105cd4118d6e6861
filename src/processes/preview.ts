/**
 * `headroom processes`: what the runaway-process guard would do with the processes running now,
 * so that a pattern can be tried before pressure comes. Pure.
 */
import type { MemoryUse, ProcessDetails } from '../ports/processes.js';
import { namedUses, type HeavyProcess } from './heaviest.js';
import { ruleFor } from './policy.js';
import { programName, protectionOf, type ProtectedPid } from './protect.js';
import type { GuardedRule } from './rules.js';

/** One guarded pattern and the processes it would act on, or leave alone. */
export interface RulePreview {
  index: number;
  pattern: string;
  stage: GuardedRule['stage'];
  action: GuardedRule['action'];
  graceMs: number;
  matches: Array<{ pid: number; name: string; command: string; verdict: string }>;
}

/** The heaviest processes with a note each (protected, or guarded by a pattern), and each pattern's matches. */
export interface ProcessPreview {
  heaviest: HeavyProcess[];
  notes: Record<number, string>;
  rules: RulePreview[];
}

/** What the guard would make of `processes`: a process is matched by the first pattern that matches it. */
export function previewProcesses(input: {
  processes: readonly ProcessDetails[];
  heaviest: readonly MemoryUse[];
  rules: readonly GuardedRule[];
  ownUid: number;
  ownPid: number;
  protectedPids: readonly ProtectedPid[];
}): ProcessPreview {
  const table = new Map(input.processes.map((p) => [p.pid, p]));
  const protection = (process: ProcessDetails): string | null => protectionOf(process, table, input.ownPid, input.protectedPids);
  const rules: RulePreview[] = input.rules.map((rule) => ({ index: rule.index, pattern: rule.pattern.source, stage: rule.stage, action: rule.action, graceMs: rule.graceMs, matches: [] }));
  for (const process of input.processes) {
    const rule = ruleFor(process.command, input.rules);
    if (!rule) continue;
    const protectedBy = protection(process);
    const verdict =
      protectedBy !== null ? `left alone, protected: ${protectedBy}` : process.uid !== input.ownUid ? `left alone, another user's (uid ${process.uid})` : `${rule.action} at ${rule.stage}`;
    rules[rule.index]?.matches.push({ pid: process.pid, name: programName(process.command), command: process.command, verdict });
  }
  const notes: Record<number, string> = {};
  for (const use of input.heaviest) {
    const details = table.get(use.pid);
    if (!details) continue;
    const protectedBy = protection(details);
    const rule = ruleFor(details.command, input.rules);
    if (protectedBy !== null) notes[use.pid] = `protected: ${protectedBy}`;
    else if (rule) notes[use.pid] = `guarded #${rule.index}: ${rule.action} at ${rule.stage}`;
  }
  return { heaviest: namedUses(input.heaviest, table), notes, rules };
}
