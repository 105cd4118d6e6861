/**
 * The runaway-process guard's decisions: which guarded processes to act on now. Pure: no I/O,
 * the time comes in the input. The executor (guard.ts) re-checks each one right before every
 * signal. docs/windowserver.md has the rules.
 */
import type { ProcessDetails } from '../ports/processes.js';
import { programName, protectionOf, type ProtectedPid } from './protect.js';
import type { GuardedRule } from './rules.js';

/** What the decision is made on. */
export interface ProcessPolicyInput {
  at: number;
  /** The guard's stage for processes (policy.ts, Evaluation.processStage); null: not now. */
  stage: 'warn' | 'critical' | null;
  processes: readonly ProcessDetails[];
  ownUid: number;
  ownPid: number;
  /** pm2's daemon, the Ollama server: protected with their descendants. */
  protectedPids: readonly ProtectedPid[];
  /** Processes an action is still working on (by pid). */
  busy: readonly number[];
  rules: readonly GuardedRule[];
  cooldownMs: number;
}

/** When each process was last acted on, by {@link processKey}. Serialisable. */
export interface ProcessPolicyState {
  actedAt: Record<string, number>;
}

/** A process to act on. */
export interface ProcessDecision {
  key: string;
  pid: number;
  startKey: string;
  command: string;
  name: string;
  rule: GuardedRule;
}

/** A matching process left alone, and why. */
export interface ProcessSkip {
  pid: number;
  name: string;
  rule: number;
  why: string;
}

/** The state before the first decision. */
export function initialProcessPolicyState(): ProcessPolicyState {
  return { actedAt: {} };
}

/** A process's identity: its pid and its start, so that a reused pid is another process. */
export function processKey(process: Pick<ProcessDetails, 'pid' | 'startKey'>): string {
  return `${process.pid}@${process.startKey}`;
}

/** True when the stage held reaches the stage a rule acts at. */
export function stageReaches(held: 'warn' | 'critical' | null, wanted: 'warn' | 'critical'): boolean {
  return held === 'critical' || (held === 'warn' && wanted === 'warn');
}

/** The first rule whose pattern matches the command line. */
export function ruleFor(command: string, rules: readonly GuardedRule[]): GuardedRule | null {
  return rules.find((rule) => rule.pattern.test(command)) ?? null;
}

/**
 * Every process whose command line matches a rule, at that rule's stage, is acted on, unless it
 * is protected, belongs to another user, is being acted on, or was acted on less than
 * `cooldownMs` ago. The skips say why each other match was left alone.
 */
export function decideProcesses(previous: ProcessPolicyState, input: ProcessPolicyInput): { state: ProcessPolicyState; act: ProcessDecision[]; skipped: ProcessSkip[] } {
  const present = new Set(input.processes.map(processKey));
  const actedAt = Object.fromEntries(Object.entries(previous.actedAt).filter(([key, at]) => present.has(key) || input.at - at < input.cooldownMs));
  const act: ProcessDecision[] = [];
  const skipped: ProcessSkip[] = [];
  if (input.stage === null || input.rules.length === 0) return { state: { actedAt }, act, skipped };
  const table = new Map(input.processes.map((p) => [p.pid, p]));
  for (const process of input.processes) {
    const rule = ruleFor(process.command, input.rules);
    if (!rule || !stageReaches(input.stage, rule.stage)) continue;
    const name = programName(process.command);
    const skip = (why: string): void => void skipped.push({ pid: process.pid, name, rule: rule.index, why });
    const protection = protectionOf(process, table, input.ownPid, input.protectedPids);
    if (protection !== null) {
      skip(`protected: ${protection}`);
      continue;
    }
    if (process.uid !== input.ownUid) {
      skip(`another user's (uid ${process.uid})`);
      continue;
    }
    const key = processKey(process);
    if (input.busy.includes(process.pid)) continue;
    const last = actedAt[key];
    if (last !== undefined && input.at - last < input.cooldownMs) continue;
    actedAt[key] = input.at;
    act.push({ key, pid: process.pid, startKey: process.startKey, command: process.command, name, rule });
  }
  return { state: { actedAt }, act, skipped };
}
