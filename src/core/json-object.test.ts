import { describe, expect, it } from 'vitest';
import { parseJsonObject } from './json-object.js';

describe('parseJsonObject', () => {
  it('gives the object, and null for what is not JSON or not an object', () => {
    expect(parseJsonObject('{"pid":1,"name":"x"}')).toEqual({ pid: 1, name: 'x' });
    expect(parseJsonObject('[1]')).toEqual([1]);
    for (const text of ['', '{"pid":', 'null', '42', '"text"', 'true']) expect(parseJsonObject(text)).toBeNull();
  });
});
