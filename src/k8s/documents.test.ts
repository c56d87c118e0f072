// Tests for splitting files into Kubernetes objects: YAML 1.1 multi-doc, JSON fast path, List flattening, positions.

import { describe, expect, it } from 'vitest';
import { renderPath, splitObjects } from './documents.js';

const split = (text: string, name = 'f.yaml') => splitObjects({ name, text });
const kinds = (text: string, name?: string): string[] =>
  split(text, name).objects.map((o) => String(o.value['kind']));

/** 1-based line and column of the first occurrence of `needle` in `text`, computed independently. */
function locate(text: string, needle: string, occurrence = 0): { line: number; column: number } {
  let index = -1;
  for (let i = 0; i <= occurrence; i++) index = text.indexOf(needle, index + 1);
  if (index < 0) throw new Error(`${needle} not in text`);
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  return { line, column: index - before.lastIndexOf('\n') };
}

const POD = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n';

describe('splitObjects: documents', () => {
  it.each<[string, string, string[]]>([
    ['one document', POD, ['Pod']],
    ['several documents', `${POD}---\n${POD.replace('Pod', 'Service')}`, ['Pod', 'Service']],
    [
      'leading separator and empty documents are skipped',
      `---\n---\n${POD}---\n\n---\n# only a comment\n`,
      ['Pod'],
    ],
    ['document end markers', `${POD}...\n---\n${POD}`, ['Pod', 'Pod']],
    ['empty file', '', []],
    ['only comments', '# nothing here\n', []],
    ['CRLF line endings', POD.replace(/\n/g, '\r\n'), ['Pod']],
    ['a BOM', `\uFEFF${POD}`, ['Pod']],
    ['flow style', '{apiVersion: v1, kind: Pod, metadata: {name: a}}', ['Pod']],
  ])('%s', (_name, text, expected) => {
    const result = split(text);
    expect(result.diagnostics).toEqual([]);
    expect(result.objects.map((o) => String(o.value['kind']))).toEqual(expected);
  });

  it('keeps the document index of each object', () => {
    const result = split(`---\n${POD}---\n# comment\n---\n${POD}`);
    expect(result.objects.map((o) => o.doc)).toEqual([0, 2]);
  });

  it.each<[string, string, string]>([
    ['a scalar document', 'hello\n', 'NOT_AN_OBJECT'],
    ['a list document', '- a\n- b\n', 'NOT_AN_OBJECT'],
    ['a mapping without kind', 'apiVersion: v1\nmetadata:\n  name: x\n', 'MISSING_KIND'],
    ['an empty kind', 'apiVersion: v1\nkind: ""\n', 'MISSING_KIND'],
    ['a non-string kind', 'apiVersion: v1\nkind: 5\n', 'MISSING_KIND'],
  ])('%s is skipped with a warning', (_name, text, code) => {
    const result = split(text);
    expect(result.objects).toEqual([]);
    expect(result.diagnostics.map((d) => [d.code, d.severity])).toEqual([[code, 'warning']]);
    expect(result.diagnostics[0]!.range).toBeDefined();
    expect(result.diagnostics[0]!.hint).toBeTruthy();
  });

  it('a syntax error in one document leaves the others', () => {
    const text = `${POD}---\nkind: [unclosed\n---\n${POD.replace('Pod', 'Service')}`;
    const result = split(text);
    expect(result.objects.map((o) => o.value['kind'])).toEqual(['Pod', 'Service']);
    expect(result.diagnostics.map((d) => d.code)).toEqual(['YAML_SYNTAX']);
    const d = result.diagnostics[0]!;
    expect(d.severity).toBe('error');
    expect(d.range).toBeDefined();
    expect(result.source.position(d.range![0]).line).toBeGreaterThanOrEqual(5);
  });

  it.each([
    ['tab indentation', 'apiVersion: v1\nkind: Pod\nmetadata:\n\tname: x\n'],
    ['duplicate keys', 'apiVersion: v1\nkind: Pod\nkind: Service\n'],
    ['bad indentation', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   namespace: y\n'],
    ['unterminated quote', 'apiVersion: "v1\nkind: Pod\n'],
    ['an undefined alias', 'apiVersion: v1\nkind: *nothing\n'],
  ])('%s → YAML_SYNTAX with a position', (_name, text) => {
    const result = split(text);
    expect(result.objects).toEqual([]);
    expect(result.diagnostics.length).toBeGreaterThan(0);
    for (const d of result.diagnostics) {
      expect(d.code).toBe('YAML_SYNTAX');
      expect(d.range).toBeDefined();
    }
  });
});

describe('splitObjects: YAML 1.1 like kubectl', () => {
  const values = (body: string): Record<string, unknown> =>
    split(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n${body}`).objects[0]!.value[
      'data'
    ] as Record<string, unknown>;

  it.each<[string, unknown]>([
    ['on', true],
    ['off', false],
    ['yes', true],
    ['No', false],
    ['y', true], // go-yaml v2, under kubectl, also resolves y/Y/n/N as booleans
    ['"on"', 'on'],
    ['0777', 511], // 1.1 octal
    ['0x1F', 31],
    ['1_000', 1000],
    ['1.0', 1],
    ['~', null],
    ['2001-12-14', '2001-12-14'], // timestamps stay strings
    ['2022-01-27T18:07:04Z', '2022-01-27T18:07:04Z'],
  ])('%s', (text, expected) => {
    expect(values(`  v: ${text}\n`)['v']).toEqual(expected);
  });
});

describe('splitObjects: JSON', () => {
  it('takes the JSON fast path for .json files', () => {
    const result = split('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}}', 'f.json');
    expect(result.diagnostics).toEqual([]);
    expect(result.objects.map((o) => [o.value['kind'], o.doc, o.base])).toEqual([['Pod', 0, []]]);
  });

  it('JSON is also valid YAML in .yaml files', () => {
    expect(kinds('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}}')).toEqual(['Pod']);
  });

  it('invalid JSON in a .json file is reported as a syntax error with a position', () => {
    const result = split('{"apiVersion": "v1", "kind": "Pod"', 'f.json');
    expect(result.objects).toEqual([]);
    expect(result.diagnostics.map((d) => d.code)).toContain('YAML_SYNTAX');
    expect(result.diagnostics.every((d) => d.range !== undefined)).toBe(true);
  });

  it('positions inside JSON are found lazily', () => {
    const text = '{\n  "apiVersion": "v1",\n  "kind": "Pod",\n  "metadata": {\n    "name": "a"\n  }\n}\n';
    const result = split(text, 'f.json');
    const range = result.source.rangeOf(0, ['metadata', 'name'])!;
    expect(result.source.position(range[0])).toEqual(locate(text, '"a"'));
  });

  it('a top-level JSON array is not an object', () => {
    const result = split('[1, 2]', 'f.json');
    expect(result.diagnostics.map((d) => d.code)).toEqual(['NOT_AN_OBJECT']);
  });
});

describe('splitObjects: List and typed lists', () => {
  it('flattens List items with their paths', () => {
    const text = `apiVersion: v1\nkind: List\nitems:\n- ${POD.trimEnd().split('\n').join('\n  ')}\n- apiVersion: v1\n  kind: Service\n  metadata:\n    name: s\n`;
    const result = split(text);
    expect(result.diagnostics).toEqual([]);
    expect(result.objects.map((o) => [o.value['kind'], o.base])).toEqual([
      ['Pod', ['items', 0]],
      ['Service', ['items', 1]],
    ]);
  });

  it('items of a typed list inherit its kind; items with a kind keep theirs', () => {
    const text =
      'apiVersion: v1\nkind: PodList\nitems:\n- metadata:\n    name: a\n- kind: Pod\n  metadata:\n    name: b\n';
    const result = split(text);
    expect(
      result.objects.map((o) => [o.value['kind'], (o.value['metadata'] as { name: string }).name]),
    ).toEqual([
      ['Pod', 'a'],
      ['Pod', 'b'],
    ]);
  });

  it('NetworkPolicyList items are NetworkPolicies', () => {
    expect(kinds('{"kind":"NetworkPolicyList","items":[{"metadata":{"name":"p"}}]}', 'l.json')).toEqual([
      'NetworkPolicy',
    ]);
  });

  it('nested lists flatten recursively with full paths', () => {
    const text = 'kind: List\nitems:\n- kind: PodList\n  items:\n  - metadata:\n      name: a\n';
    const result = split(text);
    expect(result.objects.map((o) => [o.value['kind'], o.base])).toEqual([['Pod', ['items', 0, 'items', 0]]]);
  });

  it('an untyped List item without kind is reported at the item', () => {
    const text = 'kind: List\nitems:\n- metadata:\n    name: a\n';
    const result = split(text);
    expect(result.objects).toEqual([]);
    expect(result.diagnostics.map((d) => [d.code, d.path])).toEqual([['MISSING_KIND', 'items[0]']]);
    expect(result.source.position(result.diagnostics[0]!.range![0])).toEqual(locate(text, 'metadata'));
  });

  it('an empty List has no objects and no diagnostics', () => {
    expect(split('kind: List\nitems: []\n')).toMatchObject({ objects: [], diagnostics: [] });
  });
});

describe('SourceDocument positions', () => {
  const text = [
    'apiVersion: networking.k8s.io/v1',
    'kind: NetworkPolicy',
    'metadata:',
    '  name: p',
    'spec:',
    '  ingress:',
    '  - from:',
    '    - ipBlock:',
    '        cidr: 10.0.0.0/33',
    '---',
    'kind: List',
    'items:',
    '- kind: Pod',
    '  metadata:',
    '    name: q',
    '',
  ].join('\n');
  const result = split(text);

  it('locates a nested value by path', () => {
    const range = result.source.rangeOf(0, ['spec', 'ingress', 0, 'from', 0, 'ipBlock', 'cidr'])!;
    expect(result.source.position(range[0])).toEqual({ line: 9, column: 15 });
    expect(text.slice(range[0], range[1])).toBe('10.0.0.0/33');
  });

  it('locates a key when asked', () => {
    const range = result.source.rangeOf(0, ['spec', 'ingress'], true)!;
    expect(result.source.position(range[0])).toEqual({ line: 6, column: 3 });
  });

  it('locates values in the second document and inside List items', () => {
    const object = result.objects[1]!;
    const range = result.source.rangeOf(object.doc, [...object.base, 'metadata', 'name'])!;
    expect(result.source.position(range[0])).toEqual(locate(text, 'q'));
  });

  it('falls back to the nearest existing ancestor for a missing path', () => {
    const range = result.source.rangeOf(0, ['spec', 'ingress', 0, 'ports', 0])!;
    expect(result.source.position(range[0])).toEqual({ line: 7, column: 5 });
  });

  it('returns undefined for a document that does not exist', () => {
    expect(result.source.rangeOf(7, ['spec'])).toBeUndefined();
  });

  it('computes line and column from offsets, including the last line and CRLF files', () => {
    expect(result.source.position(0)).toEqual({ line: 1, column: 1 });
    const crlf = split(POD.replace(/\n/g, '\r\n'));
    const range = crlf.source.rangeOf(0, ['metadata', 'name'])!;
    expect(crlf.source.position(range[0])).toEqual({ line: 4, column: 9 });
  });
});

describe('renderPath', () => {
  it.each<[(string | number)[], string]>([
    [[], ''],
    [['spec'], 'spec'],
    [['spec', 'ingress', 0, 'from', 1, 'ipBlock', 'cidr'], 'spec.ingress[0].from[1].ipBlock.cidr'],
    [['items', 3], 'items[3]'],
  ])('%j → %s', (path, expected) => {
    expect(renderPath(path)).toBe(expected);
  });
});

describe('tabs in indentation', () => {
  it('reads a tab inside a flow sequence as a space, as kubectl does, and warns at its line', () => {
    const text =
      'kind: Pod\nmetadata:\n  name: p\nspec:\n  args:\n    [\n      "-a",\n\t      "-b",\n    ]\n';
    const { objects, diagnostics } = splitObjects({ name: 'tab.yaml', text });
    expect(objects).toHaveLength(1);
    expect((objects[0]!.value['spec'] as { args: string[] }).args).toEqual(['-a', '-b']);
    expect(diagnostics.map((d) => [d.code, d.severity, d.range?.[0]])).toEqual([
      ['TAB_INDENTATION', 'warning', text.indexOf('\t')],
    ]);
  });

  it('leaves a tab that breaks the structure an error', () => {
    const { diagnostics } = splitObjects({ name: 'tab.yaml', text: 'a:\n\tb: 1\n' });
    expect(diagnostics.some((d) => d.code === 'YAML_SYNTAX')).toBe(true);
  });
});
