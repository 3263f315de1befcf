// Locating a validator's JSON path in the editor's text, so its error marker sits on the value.
import { describe, expect, it } from 'vitest';
import { locateJsonPath, splitJsonPath } from '../src/base/jsonpath.ts';

const text = `{
  "version": 1,
  "vms": [
    { "name": "vm0", "vcpus": 2, "pinning": [2, 0] },
    { "name": "vm \\"1\\"", "vcpus": 1 }
  ],
  "odd key": { "x": [true, null, -1.5e3] }
}`;
const at = (p: string) => {
  const r = locateJsonPath(text, p);
  return r && text.slice(r.start, r.end);
};

describe('JSON paths in text', () => {
  it('splits paths as the validator writes them', () => {
    expect(splitJsonPath('$.vms[0].pinning[1]')).toEqual(['vms', 0, 'pinning', 1]);
    expect(splitJsonPath('$["odd key"].x')).toEqual(['odd key', 'x']);
    expect(splitJsonPath('$')).toEqual([]);
    expect(splitJsonPath('vms[0]')).toBeNull();
  });
  it('finds values at any depth, strings with escapes included', () => {
    expect(at('$.version')).toBe('1');
    expect(at('$.vms[0].pinning[1]')).toBe('0');
    expect(at('$.vms[0].pinning')).toBe('[2, 0]');
    expect(at('$.vms[1].name')).toBe('"vm \\"1\\""');
    expect(at('$["odd key"].x[2]')).toBe('-1.5e3');
    expect(at('$')).toBe(text);
  });
  it('falls back to the deepest part that exists', () => {
    expect(at('$.vms[1].pinning')).toBe('{ "name": "vm \\"1\\"", "vcpus": 1 }');
    expect(at('$.vms[7]')).toBe(text.slice(text.indexOf('['), text.indexOf(']', text.lastIndexOf('vcpus')) + 1));
  });
  it('gives null for text that is not JSON', () => {
    expect(locateJsonPath('{"a": ', '$.a')).toBeNull();
  });
});
