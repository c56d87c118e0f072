// Tests for Kubernetes name/label/port-name validation and for reading label selectors into diagnostics.

import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../core/diagnostics.js';
import { compileSelector } from '../core/model/labels.js';
import { splitObjects } from './documents.js';
import { ObjectReader } from './object-reader.js';
import {
  isDns1123Label,
  isDns1123Subdomain,
  isLabelKey,
  isLabelValue,
  isPortName,
  readLabels,
  readSelector,
} from './selectors.js';

describe('isLabelKey', () => {
  it.each([
    'app',
    'a',
    'app.kubernetes.io/name',
    'kubernetes.io/metadata.name',
    'example.com/a_b-c.d',
    'A1',
    'x'.repeat(63),
    `${'a'.repeat(253)}/x`,
  ])('accepts %s', (key) => {
    expect(isLabelKey(key)).toBe(true);
  });

  it.each([
    '',
    '/app',
    'example.com/',
    'a/b/c',
    'Example.com/app', // the prefix is a lowercase DNS subdomain
    '-app',
    'app-',
    '_app',
    'app@b',
    'a b',
    'x'.repeat(64),
    `${'a'.repeat(254)}/x`,
    '__proto__',
  ])('rejects %j', (key) => {
    expect(isLabelKey(key)).toBe(false);
  });
});

describe('isLabelValue', () => {
  it.each(['', 'a', 'frontend', 'v1.2.3', 'a_b-c.d', 'X'.repeat(63)])('accepts %j', (value) => {
    expect(isLabelValue(value)).toBe(true);
  });
  it.each(['-a', 'a-', '.a', '$backendservice', 'a b', 'a/b', 'x'.repeat(64), 'true\n'])(
    'rejects %j',
    (value) => {
      expect(isLabelValue(value)).toBe(false);
    },
  );
});

describe('DNS-1123 names', () => {
  it.each<[string, boolean, boolean]>([
    ['default', true, true],
    ['kube-system', true, true],
    ['a.b.c', false, true],
    ['0abc', true, true],
    ['Abc', false, false],
    ['-abc', false, false],
    ['abc-', false, false],
    ['a_b', false, false],
    ['', false, false],
    ['a'.repeat(63), true, true],
    ['a'.repeat(64), false, true],
    ['a'.repeat(253), false, true],
    ['a'.repeat(254), false, false],
    ['a..b', false, false],
  ])('%j: label %s, subdomain %s', (name, label, subdomain) => {
    expect(isDns1123Label(name)).toBe(label);
    expect(isDns1123Subdomain(name)).toBe(subdomain);
  });
});

describe('isPortName (IANA_SVC_NAME)', () => {
  it.each<[string, boolean]>([
    ['http', true],
    ['abc', true],
    ['serve-80-tcp', true],
    ['a1', true],
    ['x'.repeat(15), true],
    ['x'.repeat(16), false],
    ['80', false], // needs a letter
    ['HTTP', false],
    ['a--b', false],
    ['-http', false],
    ['http-', false],
    ['', false],
    ['my_port', false],
  ])('%j → %s', (name, ok) => {
    expect(isPortName(name)).toBe(ok);
  });
});

/** A reader over the first object of a YAML text, with the diagnostics it collects. */
function readerFor(yaml: string): { reader: ObjectReader; diagnostics: Diagnostic[] } {
  const split = splitObjects({ name: 't.yaml', text: yaml });
  expect(split.diagnostics).toEqual([]);
  const object = split.objects[0];
  if (object === undefined) throw new Error('test input has no object');
  const diagnostics: Diagnostic[] = [];
  return { reader: new ObjectReader(object, diagnostics), diagnostics };
}

const policyWith = (selector: string): string =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\nspec:\n  podSelector:\n${selector
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')}\n`;

describe('readSelector', () => {
  it('absent and {} are kept apart', () => {
    const absent = readerFor('apiVersion: v1\nkind: NetworkPolicy\nmetadata:\n  name: p\nspec: {}\n');
    expect(readSelector(absent.reader, ['spec', 'podSelector'])).toBeUndefined();
    const empty = readerFor(
      'apiVersion: v1\nkind: NetworkPolicy\nmetadata:\n  name: p\nspec:\n  podSelector: {}\n',
    );
    expect(readSelector(empty.reader, ['spec', 'podSelector'])).toEqual({ requirements: [] });
    const nulled = readerFor(
      'apiVersion: v1\nkind: NetworkPolicy\nmetadata:\n  name: p\nspec:\n  podSelector: null\n',
    );
    expect(readSelector(nulled.reader, ['spec', 'podSelector'])).toBeUndefined();
  });

  it('reads matchLabels and all four operators', () => {
    const { reader, diagnostics } = readerFor(
      policyWith(
        [
          'matchLabels:',
          '  app: web',
          'matchExpressions:',
          '- {key: tier, operator: In, values: [a, b]}',
          '- {key: env, operator: NotIn, values: [prod]}',
          '- {key: team, operator: Exists}',
          '- {key: legacy, operator: DoesNotExist, values: []}',
        ].join('\n'),
      ),
    );
    const selector = readSelector(reader, ['spec', 'podSelector'])!;
    expect(diagnostics).toEqual([]);
    expect(selector.requirements).toEqual([
      { key: 'app', operator: 'In', values: ['web'] },
      { key: 'tier', operator: 'In', values: ['a', 'b'] },
      { key: 'env', operator: 'NotIn', values: ['prod'] },
      { key: 'team', operator: 'Exists', values: [] },
      { key: 'legacy', operator: 'DoesNotExist', values: [] },
    ]);
    const matches = compileSelector(selector);
    expect(matches({ app: 'web', tier: 'a', team: 'x' })).toBe(true);
    expect(matches({ app: 'web', tier: 'a', team: 'x', env: 'prod' })).toBe(false);
    expect(matches({ app: 'web', tier: 'a', team: 'x', legacy: '' })).toBe(false);
  });

  it.each<[string, string, string, string]>([
    [
      'bad key in matchLabels',
      'matchLabels:\n  app@b: x',
      'INVALID_SELECTOR',
      'spec.podSelector.matchLabels.app@b',
    ],
    [
      'bad value in matchLabels',
      'matchLabels:\n  app: $x',
      'INVALID_SELECTOR',
      'spec.podSelector.matchLabels.app',
    ],
    [
      'boolean value in matchLabels (YAML 1.1 on)',
      'matchLabels:\n  enabled: on',
      'INVALID_TYPE',
      'spec.podSelector.matchLabels.enabled',
    ],
    [
      'number value in matchLabels',
      'matchLabels:\n  version: 1.0',
      'INVALID_TYPE',
      'spec.podSelector.matchLabels.version',
    ],
    [
      'lowercase operator',
      'matchExpressions:\n- {key: a, operator: in, values: [x]}',
      'INVALID_SELECTOR',
      'spec.podSelector.matchExpressions[0].operator',
    ],
    [
      'In without values',
      'matchExpressions:\n- {key: a, operator: In}',
      'INVALID_SELECTOR',
      'spec.podSelector.matchExpressions[0]',
    ],
    [
      'NotIn with empty values',
      'matchExpressions:\n- {key: a, operator: NotIn, values: []}',
      'INVALID_SELECTOR',
      'spec.podSelector.matchExpressions[0]',
    ],
    [
      'Exists with values',
      'matchExpressions:\n- {key: a, operator: Exists, values: [x]}',
      'INVALID_SELECTOR',
      'spec.podSelector.matchExpressions[0].values',
    ],
    [
      'missing key',
      'matchExpressions:\n- {operator: Exists}',
      'MISSING_FIELD',
      'spec.podSelector.matchExpressions[0].key',
    ],
    [
      'missing operator',
      'matchExpressions:\n- {key: a}',
      'MISSING_FIELD',
      'spec.podSelector.matchExpressions[0].operator',
    ],
    [
      'non-string value',
      'matchExpressions:\n- {key: a, operator: In, values: [yes]}',
      'INVALID_TYPE',
      'spec.podSelector.matchExpressions[0].values[0]',
    ],
    ['unknown field (typo)', 'matchLabel:\n  app: x', 'UNKNOWN_FIELD', 'spec.podSelector.matchLabel'],
    ['matchLabels is a list', 'matchLabels: [a]', 'INVALID_TYPE', 'spec.podSelector.matchLabels'],
    // The API server rejects `__proto__` as a label key; it must not vanish and leave a selector that selects all.
    [
      '__proto__ as a matchLabels key',
      'matchLabels:\n  __proto__: x',
      'INVALID_SELECTOR',
      'spec.podSelector.matchLabels.__proto__',
    ],
  ])('%s', (_name, selector, code, path) => {
    const { reader, diagnostics } = readerFor(policyWith(selector));
    readSelector(reader, ['spec', 'podSelector']);
    expect(diagnostics.map((d) => [d.code, d.path])).toContainEqual([code, path]);
    const diagnostic = diagnostics.find((d) => d.code === code)!;
    expect(diagnostic.range).toBeDefined();
    expect(diagnostic.hint).toBeTruthy();
  });

  it('a selector with an invalid requirement never widens to "everything" silently', () => {
    const { reader, diagnostics } = readerFor(policyWith('matchLabels:\n  __proto__: x'));
    const selector = readSelector(reader, ['spec', 'podSelector'])!;
    // Either it is reported (and the policy dropped), or the requirement is kept.
    expect(diagnostics.some((d) => d.severity === 'error') || selector.requirements.length > 0).toBe(true);
  });
});

describe('readLabels', () => {
  it('keeps valid labels and reports invalid ones at the key', () => {
    const { reader, diagnostics } = readerFor(
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    app: web\n    bad key: x\n    tier: -x\n    on: yes\n',
    );
    const labels = readLabels(reader, ['metadata', 'labels']);
    expect(labels).toEqual({ app: 'web' });
    // `on: yes` under YAML 1.1: the key becomes the boolean true (the string "true" in JS), the value a boolean.
    expect(diagnostics.map((d) => [d.code, d.path])).toEqual([
      ['INVALID_TYPE', 'metadata.labels.true'],
      ['INVALID_LABEL', 'metadata.labels.bad key'],
      ['INVALID_LABEL', 'metadata.labels.tier'],
    ]);
  });
});
