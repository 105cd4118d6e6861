/** The smoke probes' shapes: a probe, one probe's result, one run's record. */

/** A known-answer probe: a prompt and the text its answer must contain. */
export interface ProbeSpec {
  name: string;
  prompt: string;
  /** Matched case-insensitively, after the `<think>…</think>` part is removed. */
  expect: string;
}

/** How one probe went. `skipped`: not sent (pressure rose, or an earlier probe found the server gone). */
export type ProbeVerdict = 'pass' | 'fail' | 'timeout' | 'error' | 'skipped';

/** One probe's result. */
export interface ProbeResult {
  probe: string;
  verdict: ProbeVerdict;
  /** Why, for anything but a pass: "answer does not contain \"paris\"", "HTTP 404: model … not found". */
  reason: string | null;
  /** The judged answer (thinking removed), cut to 200 characters; null when none came. */
  answer: string | null;
  /** From request to answer (load included), or until the timeout or error. */
  latencyMs: number | null;
  /** eval_count ÷ eval_duration, when Ollama reports them. */
  tokensPerSecond: number | null;
  /** The HTTP status of an error answer (404: the model is not installed). */
  httpStatus?: number;
}

/** What started a run. `wake`: a scheduled run missed while the machine slept, run once after. */
export type ProbeTrigger = 'schedule' | 'wake' | 'cli';

/** A run's outcome. A skipped run is neither a pass nor a failure. */
export type ProbeOutcome = 'passed' | 'failed' | 'skipped';

/** One run, as logged and kept in probes.json. */
export interface ProbeRun {
  startedAt: number;
  finishedAt: number;
  trigger: ProbeTrigger;
  outcome: ProbeOutcome;
  /** For a skipped run: "pressure: …", "no model…", "dry run…". */
  reason: string | null;
  model: string | null;
  /** Why this model: "probe.model", "already loaded", "smallest installed text model". */
  modelWhy: string | null;
  results: ProbeResult[];
  /** What headroom did after this run: "restarted Ollama", "could not restart Ollama: …", "notified (…)". */
  escalation?: string;
}
