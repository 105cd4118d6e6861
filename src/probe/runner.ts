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
  | { kind: 'fail'; reason: string; httpStatus?: number | undefined };

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

    const choice = await this.choose(options.model ?? settings.model, memory.totalBytes, options.signal);
    if (choice.kind === 'skip') return record({ outcome: 'skipped', reason: choice.reason, ...noModel, results: [] });
    if (choice.kind === 'fail') return record({ outcome: 'failed', reason: choice.reason, ...noModel, results: this.unsent('error', choice.reason, choice.httpStatus) });

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
    // A canceled run (the daemon is stopping) proves nothing either way.
    if (options.signal?.aborted) return record({ outcome: 'skipped', reason: 'canceled', ...chosen, results });
    const failed = results.some((r) => r.verdict === 'fail' || r.verdict === 'timeout' || r.verdict === 'error');
    const passed = results.every((r) => r.verdict === 'pass');
    const outcome = failed ? 'failed' : passed ? 'passed' : 'skipped';
    const reason = outcome === 'skipped' ? (results.find((r) => r.verdict === 'skipped')?.reason ?? null) : null;
    return record({ outcome, reason, ...chosen, results });
  }

  /** Picks the model: the first candidate /api/show accepts and the limits allow. */
  private async choose(configured: string | null, totalBytes: number | null, signal: AbortSignal | undefined): Promise<Choice> {
    const { api, settings } = this.deps;
    let candidates: ProbeCandidate[];
    try {
      const [loaded, installed] = await orAbort(Promise.all([api.listLoaded(), api.installed()]), signal);
      candidates = probeCandidates(configured, loaded, installed);
    } catch (error) {
      return isCanceled(error) ? { kind: 'skip', reason: 'canceled' } : { kind: 'fail', reason: describeError(error) };
    }
    const limits: ModelLimits = { totalBytes, ...settings.limits };
    const rejected: string[] = [];
    for (const candidate of candidates) {
      let details: ModelDetails;
      try {
        details = await orAbort(api.show(candidate.name), signal);
      } catch (error) {
        if (isCanceled(error)) return { kind: 'skip', reason: 'canceled' };
        const status = error instanceof OllamaError ? error.status : undefined;
        if (candidate.source === 'configured' || status !== 404) return { kind: 'fail', reason: describeError(error), httpStatus: status };
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
      const status = error instanceof OllamaError ? error.status : undefined;
      return { result: { ...unsentResult(probe, 'error', describeError(error), status), latencyMs }, stopWhy };
    }
  }

  /** A result per probe for a run that sent none. */
  private unsent(verdict: 'error' | 'skipped', reason: string, httpStatus?: number): ProbeResult[] {
    return this.deps.settings.probes.map((probe) => unsentResult(probe, verdict, reason, httpStatus));
  }
}

function unsentResult(probe: ProbeSpec, verdict: ProbeResult['verdict'], reason: string, httpStatus?: number): ProbeResult {
  return { probe: probe.name, verdict, reason, answer: null, latencyMs: null, tokensPerSecond: null, ...(httpStatus === undefined ? {} : { httpStatus }) };
}

function isCanceled(error: unknown): boolean {
  return error instanceof OllamaError && error.kind === 'canceled';
}

/** `promise`, or a "canceled" rejection as soon as `signal` aborts (the call itself runs out its own timeout). */
function orAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new OllamaError('canceled', 'canceled'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
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
