// The JSON position index agrees with the YAML reader's positions, for values and keys, at every depth.

import fc from 'fast-check';
import { parseAllDocuments, isMap, isSeq, isPair, isScalar, type Node } from 'yaml';
import { describe, expect, it } from 'vitest';
import { JsonPositions } from './json-positions.js';

/** Every path of a value, with the YAML reader's range for it (and for its key). */
function yamlRanges(
  text: string,
): { path: (string | number)[]; value: [number, number]; key?: [number, number] }[] {
  const out: { path: (string | number)[]; value: [number, number]; key?: [number, number] }[] = [];
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const value = pair.value as Node;
        const p = [...path, String(pair.key.value)];
        out.push({
          path: p,
          value: [value.range![0], value.range![1]],
          key: [pair.key.range![0], pair.key.range![1]],
        });
        walk(value, p);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const value = item as Node;
        out.push({ path: [...path, i], value: [value.range![0], value.range![1]] });
        walk(value, [...path, i]);
      });
    }
  };
  walk(parseAllDocuments(text)[0]!.contents, []);
  return out;
}

describe('JsonPositions', () => {
  it('finds every value and key where the YAML reader does', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.boolean(), (value, pretty) => {
        const text = JSON.stringify({ root: value }, null, pretty ? 2 : 0);
        const index = new JsonPositions(text);
        for (const { path, value: range, key } of yamlRanges(text)) {
          expect(index.rangeOf(path)).toEqual(range);
          if (key !== undefined) expect(index.rangeOf(path, true)).toEqual(key);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('handles escapes in keys and strings, and stops at the deepest existing value', () => {
    const text = '{"a\\"b": {"list": [1, "x\\\\]y", {"k": null}]}}';
    const index = new JsonPositions(text);
    expect(text.slice(...index.rangeOf(['a"b', 'list', 2, 'k'])!)).toBe('null');
    expect(text.slice(...index.rangeOf(['a"b', 'list', 1])!)).toBe('"x\\\\]y"');
    expect(text.slice(...index.rangeOf(['a"b', 'missing'])!)).toBe('{"list": [1, "x\\\\]y", {"k": null}]}');
    expect(new JsonPositions('  ').rangeOf(['a'])).toBeUndefined();
  });
});
