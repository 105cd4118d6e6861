import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../test/helpers/fixtures.js';
import { answerProblem, stripThinking, tokensPerSecond } from './judge.js';

function generateFixture(name: string): { response: string; thinking?: string; eval_count: number; eval_duration: number } {
  return JSON.parse(readFileSync(fixturePath('ollama', name), 'utf8')) as { response: string; thinking?: string; eval_count: number; eval_duration: number };
}

describe('stripThinking', () => {
  it('removes the inline <think> block of a pre-0.9 reasoning model (real deepseek-r1 answer)', () => {
    const { response } = generateFixture('generate-think-inline-legacy.json');
    expect(response).toContain('<think>');
    const answer = stripThinking(response);
    expect(answer.startsWith('A rabbit typically has long ears')).toBe(true);
    expect(answer).not.toContain('Hmm');
  });

  it('leaves an answer without tags as it is (trimmed)', () => {
    expect(stripThinking('  Paris is the capital.\n')).toBe('Paris is the capital.');
  });

  it('removes every block, whatever the case of the tags', () => {
    expect(stripThinking('<THINK>paris?</THINK>It is <think>x</think>Lyon.')).toBe('It is Lyon.');
  });

  it('leaves nothing after an unclosed <think> (the answer ran out while thinking)', () => {
    expect(stripThinking('Sure. <think>The capital of France is Paris, so')).toBe('Sure.');
  });

  it('drops everything before a lone </think> (the template opened the block)', () => {
    expect(stripThinking('Let me recall: paris.</think>\n\nThe answer is 42.')).toBe('The answer is 42.');
  });
});

describe('answerProblem', () => {
  it('passes an answer that contains the expected text in any case', () => {
    expect(answerProblem('The capital of France is PARIS.', 'paris', 5)).toBeNull();
  });

  it('fails an empty answer', () => {
    expect(answerProblem('', 'paris', 5)).toBe('empty answer');
  });

  it('fails an answer shorter than the minimum even when it contains the text', () => {
    expect(answerProblem('42', '42', 5)).toBe('answer too short (2 < 5 characters)');
  });

  it('fails a wrong answer', () => {
    expect(answerProblem('The capital of France is Lyon.', 'paris', 5)).toBe('answer does not contain "paris"');
  });
});

describe('tokensPerSecond', () => {
  it('divides eval_count by eval_duration (real qwen3:8b answer: 254 tokens in 60.8 s)', () => {
    const answer = generateFixture('generate-thinking-split.json');
    expect(tokensPerSecond(answer.eval_count, answer.eval_duration)).toBeCloseTo(254 / 60.84995, 3);
  });

  it('is null when Ollama reports no stats', () => {
    expect(tokensPerSecond(null, 5)).toBeNull();
    expect(tokensPerSecond(5, 0)).toBeNull();
  });
});
