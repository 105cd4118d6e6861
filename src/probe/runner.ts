/**
 * One probe run: check the pressure, pick the model, check that loading it leaves the floor, then
 * send each probe and judge its answer. Every failure becomes a result; `run` never throws.
 */
import type { MemorySnapshot } from '../core/memory.js';
import { floorBytes } from '../guard/trigger.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { OllamaError, type ModelDetails, type ProbeApi } from '../ports/ollama.js';
import { answerProblem, stripThinking, tokensPerSecond } from './judge.js';
import { candidateProblem, probeCandidates, SOURCE_WHY, type ModelLimits, type ProbeCandidate } from './model-choice.js';
import { pressureProblem, requestSettings, type RequestSettings } from './request-plan.js';
import type { ProbeResult, ProbeRun, ProbeSpec, ProbeTrigger } from './types.js';

/** The probe settings, from the config's probe and guard sections. */
export interface ProbeSettings {
  probes: readonly ProbeSpec[];
  model: string | null;
  timeoutMs: number;
  minAnswerChars: number;
  keepAlive: string | number;
  contextLength: number;
  limits: Omit<ModelLimits, 'totalBytes'>;
  floor: { floorMinBytes: number; floorPercent: number };
}

/** What a run is made of. */
export interface ProbeRunnerDeps {
  api: ProbeApi;
  /** A fresh memory sample (the daemon's sensor, or a one-shot one for the CLI). */
  sample: (signal?: AbortSignal) => Promise<MemorySnapshot>;
  clock: Clock;
  settings: ProbeSettings;
  logger: Logger;
}

/** Options of one run. */
export interface RunOptions {
  /** `--model`: in place of probe.model. */
  model?: string | undefined;
  /** Choose the model and check memory, then stop: nothing is sent. */
  dryRun?: boolean;
  signal?: AbortSignal;
}

/** How the model was chosen, or why none could be. */
type Choice =
  | { kind: 'chosen'; candidate: ProbeCandidate; details: ModelDetails }
  | { kind: 'skip'; reason: string }
  | { kind: 'fail'; reason: string };

const ANSWER_KEPT_CHARS = 200;

/** Runs the known-answer probes. */
export class ProbeRunner {
  private readonly log: Logger;

  constructor(private readonly deps: ProbeRunnerDeps) {
    this.log = deps.logger.child({ component: 'probe' });
  }

  /** The probes this runner sends. */
  get probes(): readonly ProbeSpec[] {
    return this.deps.settings.probes;
  }

  /** One run; its record says what happened, whatever happened. */
  async run(trigger: ProbeTrigger, options: RunOptions = {}): Promise<ProbeRun> {
    const { clock, settings } = this.deps;
    const startedAt = clock.now();
    const record = (fields: Pick<ProbeRun, 'outcome' | 'reason' | 'model' | 'modelWhy' | 'results'>): ProbeRun => ({ startedAt, finishedAt: clock.now(), trigger, ...fields });
    const noModel = { model: null, modelWhy: null };

    const memory = await this.deps.sample(options.signal);
    const calm = pressureProblem(memory, 0, 0);
    if (calm) return record({ outcome: 'skipped', reason: calm, ...noModel, results: [] });

    const choice = await this.choose(options.model ?? settings.model, memory.totalBytes);
    if (choice.kind === 'skip') return record({ outcome: 'skipped', reason: choice.reason, ...noModel, results: [] });
    if (choice.kind === 'fail') return record({ outcome: 'failed', reason: choice.reason, ...noModel, results: this.unsent('error', choice.reason) });

    const { candidate, details } = choice;
    const chosen = { model: candidate.name, modelWhy: SOURCE_WHY[candidate.source] };
    const loadBytes = candidate.loaded ? 0 : (candidate.sizeBytes ?? 0);
    const floor = floorBytes(memory.totalBytes, settings.floor);
    const tight = pressureProblem(memory, loadBytes, floor);
    if (tight) return record({ outcome: 'skipped', reason: tight, ...chosen, results: [] });
    if (options.dryRun) {
      const what = candidate.loaded ? 'already loaded' : `would load ${candidate.sizeBytes === null ? 'it' : `${Math.round(candidate.sizeBytes / 2 ** 20)} MiB`}`;
      return record({ outcome: 'skipped', reason: `dry run: would send ${settings.probes.length} probes to ${candidate.name} (${what})`, ...chosen, results: [] });
    }

    const request = requestSettings(candidate.loaded, clock.now(), settings);
    const think = details.capabilities.includes('thinking') ? false : undefined;
    const results: ProbeResult[] = [];
    let stopWhy: string | null = null;
    for (const [index, probe] of settings.probes.entries()) {
      if (stopWhy === null && index > 0) {
        // Re-check before each further probe: the model is loaded now, so only the pressure counts.
        const now = await this.deps.sample(options.signal);
        stopWhy = pressureProblem(now, 0, 0);
      }
      if (stopWhy === null && options.signal?.aborted) stopWhy = 'canceled';
      if (stopWhy !== null) {
        results.push(unsentResult(probe, 'skipped', `not sent: ${stopWhy}`));
        continue;
      }
      const sent = await this.send(probe, candidate.name, request, think, options.signal);
      results.push(sent.result);
      this.log.debug({ probe: probe.name, model: candidate.name, result: sent.result }, 'probe answered');
      stopWhy = sent.stopWhy;
    }
    const failed = results.some((r) => r.verdict === 'fail' || r.verdict === 'timeout' || r.verdict === 'error');
    const passed = results.every((r) => r.verdict === 'pass');
    const outcome = failed ? 'failed' : passed ? 'passed' : 'skipped';
    const reason = outcome === 'skipped' ? (results.find((r) => r.verdict === 'skipped')?.reason ?? null) : null;
    return record({ outcome, reason, ...chosen, results });
  }

  /** Picks the model: the first candidate /api/show accepts and the limits allow. */
  private async choose(configured: string | null, totalBytes: number | null): Promise<Choice> {
    const { api, settings } = this.deps;
    let candidates: ProbeCandidate[];
    try {
      const [loaded, installed] = await Promise.all([api.listLoaded(), configured === null ? api.installed() : api.installed().catch(() => [])]);
      candidates = probeCandidates(configured, loaded, installed);
    } catch (error) {
      return { kind: 'fail', reason: describeError(error) };
    }
    const limits: ModelLimits = { totalBytes, ...settings.limits };
    const rejected: string[] = [];
    for (const candidate of candidates) {
      let details: ModelDetails;
      try {
        details = await api.show(candidate.name);
      } catch (error) {
        if (candidate.source === 'configured' || !(error instanceof OllamaError && error.status === 404)) return { kind: 'fail', reason: describeError(error) };
        continue;
      }
      const problem = candidateProblem(candidate, details, limits);
      if (problem === null) return { kind: 'chosen', candidate, details };
      if (candidate.source === 'configured') return { kind: 'skip', reason: `no probe: ${problem}` };
      rejected.push(problem);
    }
    const why = rejected.length > 0 ? `: ${rejected.join('; ')}` : '';
    return { kind: 'skip', reason: `no model to probe with: none loaded, and no installed text model under the size limit${why}` };
  }

  /** Sends one probe and judges the answer; `stopWhy` says when the rest must not be sent. */
  private async send(
    probe: ProbeSpec,
    model: string,
    request: RequestSettings,
    think: boolean | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ result: ProbeResult; stopWhy: string | null }> {
    const { api, clock, settings } = this.deps;
    const sentAt = clock.now();
    try {
      const answer = await api.generate({
        model,
        prompt: probe.prompt,
        ...(think === undefined ? {} : { think }),
        keepAlive: request.keepAlive,
        ...(request.numCtx === undefined ? {} : { numCtx: request.numCtx }),
        timeoutMs: settings.timeoutMs,
        ...(signal ? { signal } : {}),
      });
      const latencyMs = clock.now() - sentAt;
      const judged = stripThinking(answer.response);
      const problem = answerProblem(judged, probe.expect, settings.minAnswerChars);
      const truncated = problem !== null && answer.doneReason === 'length' ? ' (generation hit its length limit)' : '';
      const result: ProbeResult = {
        probe: probe.name,
        verdict: problem === null ? 'pass' : 'fail',
        reason: problem === null ? null : `${problem}${truncated}`,
        answer: judged.slice(0, ANSWER_KEPT_CHARS),
        latencyMs,
        tokensPerSecond: tokensPerSecond(answer.evalCount, answer.evalDurationNs),
      };
      return { result, stopWhy: null };
    } catch (error) {
      const latencyMs = clock.now() - sentAt;
      const kind = error instanceof OllamaError ? error.kind : null;
      if (kind === 'canceled') return { result: { ...unsentResult(probe, 'skipped', 'canceled'), latencyMs }, stopWhy: 'canceled' };
      if (kind === 'timeout') {
        // Ollama serves one request at a time (OLLAMA_NUM_PARALLEL=1): the next would queue behind this one.
        return { result: { ...unsentResult(probe, 'timeout', `no answer within ${settings.timeoutMs} ms`), latencyMs }, stopWhy: 'the previous probe timed out' };
      }
      const stopWhy = kind === 'unreachable' ? 'the server is unreachable' : null;
      return { result: { ...unsentResult(probe, 'error', describeError(error)), latencyMs }, stopWhy };
    }
  }

  /** A result per probe for a run that sent none. */
  private unsent(verdict: 'error' | 'skipped', reason: string): ProbeResult[] {
    return this.deps.settings.probes.map((probe) => unsentResult(probe, verdict, reason));
  }
}

function unsentResult(probe: ProbeSpec, verdict: ProbeResult['verdict'], reason: string): ProbeResult {
  return { probe: probe.name, verdict, reason, answer: null, latencyMs: null, tokensPerSecond: null };
}

/** An Ollama error without the method and path ("cannot reach …", "HTTP 404: model 'x' not found"). */
function describeError(error: unknown): string {
  if (error instanceof OllamaError) {
    if (error.kind === 'unreachable') return error.message.slice(error.message.indexOf('cannot reach'));
    const colon = error.message.indexOf(': ');
    return colon >= 0 ? error.message.slice(colon + 2) : error.message;
  }
  return (error as Error).message;
}
