import { describe, expect, it } from 'vitest';
import { readFixture } from '../../test/helpers/fixtures.js';
import { isVisionModel, type ShowForKind } from './model-kind.js';

function show(name: string): ShowForKind & Record<string, unknown> {
  return JSON.parse(readFixture('ollama', name)) as ShowForKind & Record<string, unknown>;
}

describe('isVisionModel on the captured /api/show answers', () => {
  it.each([
    ['show-vision-projector.json', true], // minicpm-v: capabilities + projector_info + clip family
    ['show-vision-inline.json', true], // qwen2.5vl: capabilities + qwen25vl.vision.block_count
    ['show-text.json', false], // llama3.2:3b
    ['show-text-gemma3-1b.json', false], // gemma3 family, but the 1b is text-only
    ['show-thinking.json', false], // deepseek-r1:1.5b
    ['show-legacy-no-capabilities.json', false], // before 0.6.4: no capabilities field at all
  ])('%s -> %s', (file, vision) => {
    expect(isVisionModel(show(file))).toBe(vision);
  });
});

describe('the fallbacks, on captures with the earlier signals removed (derived, not captured)', () => {
  it('a projector alone means vision (0.6.4–0.6.7 reported llava as ["completion"])', () => {
    const projector = { ...show('show-vision-projector.json'), capabilities: ['completion'] };
    expect(isVisionModel(projector)).toBe(true);
    expect(isVisionModel({ ...projector, projector_info: {} })).toBe(true); // still the clip family
    expect(isVisionModel({ ...projector, projector_info: {}, details: { families: ['qwen2'] } })).toBe(false);
  });

  it('a `.vision.block_count` key alone means vision', () => {
    const inline = { ...show('show-vision-inline.json') };
    delete inline.capabilities;
    expect(isVisionModel(inline)).toBe(true);
    const modelInfo = Object.fromEntries(Object.entries(inline.model_info ?? {}).filter(([key]) => !key.endsWith('.vision.block_count')));
    expect(isVisionModel({ ...inline, model_info: modelInfo })).toBe(false);
  });
});
