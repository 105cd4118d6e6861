/** Judging a probe's answer: the reasoning removed, then length and expected text. Pure. */

/**
 * The answer without its reasoning: every `<think>…</think>` block goes; an unclosed `<think>`
 * (the answer ran out of tokens while thinking) leaves nothing after it; a lone `</think>` (a
 * template that opens the block in the prompt, as qwen3's does) drops everything before it.
 */
export function stripThinking(text: string): string {
  let answer = text.replace(/<think>[\s\S]*?<\/think>/gi, '');
  const open = answer.search(/<think>/i);
  if (open >= 0) answer = answer.slice(0, open);
  const close = answer.toLowerCase().lastIndexOf('</think>');
  if (close >= 0) answer = answer.slice(close + '</think>'.length);
  return answer.trim();
}

/** The verdict on an answer that arrived in time: null when it passes, else why not. */
export function answerProblem(answer: string, expect: string, minAnswerChars: number): string | null {
  if (answer.length === 0) return 'empty answer';
  if (answer.length < minAnswerChars) return `answer too short (${answer.length} < ${minAnswerChars} characters)`;
  if (!answer.toLowerCase().includes(expect.toLowerCase())) return `answer does not contain ${JSON.stringify(expect)}`;
  return null;
}

/** Generated tokens per second, from Ollama's eval_count and eval_duration (ns); null when either is missing. */
export function tokensPerSecond(evalCount: number | null, evalDurationNs: number | null): number | null {
  if (evalCount === null || evalDurationNs === null || evalDurationNs <= 0) return null;
  return evalCount / (evalDurationNs / 1e9);
}
