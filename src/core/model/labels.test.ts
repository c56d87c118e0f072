// Tests for compiled label selectors (the four operators, AND of requirements, the empty selector) and their keys.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EVERYTHING,
  compileSelector,
  labelsKey,
  selectorKey,
  type LabelSelector,
  type Labels,
  type SelectorRequirement,
} from './labels.js';

const sel = (...requirements: SelectorRequirement[]): LabelSelector => ({ requirements });
const req = (
  key: string,
  operator: SelectorRequirement['operator'],
  ...values: string[]
): SelectorRequirement => ({ key, operator, values });

describe('compileSelector', () => {
  it.each<[string, LabelSelector, Labels, boolean]>([
    ['empty selector matches no labels', EVERYTHING, {}, true],
    ['empty selector matches any labels', EVERYTHING, { app: 'x' }, true],
    ['In: value in the set', sel(req('app', 'In', 'a', 'b')), { app: 'b' }, true],
    ['In: value not in the set', sel(req('app', 'In', 'a', 'b')), { app: 'c' }, false],
    ['In: key missing', sel(req('app', 'In', 'a')), {}, false],
    ['In: empty value in the set', sel(req('app', 'In', '')), { app: '' }, true],
    ['NotIn: value in the set', sel(req('app', 'NotIn', 'a')), { app: 'a' }, false],
    ['NotIn: value not in the set', sel(req('app', 'NotIn', 'a')), { app: 'b' }, true],
    // "NotIn ... the label key does not exist or its value is not in the set"
    ['NotIn: key missing matches', sel(req('app', 'NotIn', 'a')), { other: 'a' }, true],
    ['Exists: present (empty value)', sel(req('app', 'Exists')), { app: '' }, true],
    ['Exists: missing', sel(req('app', 'Exists')), { ap: 'x' }, false],
    ['DoesNotExist: missing', sel(req('app', 'DoesNotExist')), {}, true],
    ['DoesNotExist: present', sel(req('app', 'DoesNotExist')), { app: 'x' }, false],
    [
      'requirements are ANDed: both hold',
      sel(req('app', 'In', 'a'), req('tier', 'Exists')),
      { app: 'a', tier: 'web' },
      true,
    ],
    [
      'requirements are ANDed: one fails',
      sel(req('app', 'In', 'a'), req('tier', 'Exists')),
      { app: 'a' },
      false,
    ],
    [
      'contradiction never matches',
      sel(req('app', 'Exists'), req('app', 'DoesNotExist')),
      { app: 'a' },
      false,
    ],
    ['keys are case-sensitive', sel(req('App', 'In', 'a')), { app: 'a' }, false],
    ['values are case-sensitive', sel(req('app', 'In', 'A')), { app: 'a' }, false],
    // Inherited properties of plain objects are not labels.
    ['Exists does not see Object.prototype', sel(req('constructor', 'Exists')), {}, false],
    ['In does not see Object.prototype', sel(req('toString', 'In', 'x')), {}, false],
    ['DoesNotExist ignores Object.prototype', sel(req('hasOwnProperty', 'DoesNotExist')), {}, true],
  ])('%s', (_name, selector, labels, expected) => {
    expect(compileSelector(selector)(labels)).toBe(expected);
  });

  it('agrees with a direct reading of the API text on random labels', () => {
    const key = fc.constantFrom('a', 'b', 'c');
    const value = fc.constantFrom('', 'x', 'y');
    const requirement = fc.oneof(
      fc.record({
        key,
        operator: fc.constantFrom('In' as const, 'NotIn' as const),
        values: fc.array(value, { minLength: 1, maxLength: 3 }),
      }),
      fc.record({
        key,
        operator: fc.constantFrom('Exists' as const, 'DoesNotExist' as const),
        values: fc.constant([] as string[]),
      }),
    );
    fc.assert(
      fc.property(
        fc.array(requirement, { maxLength: 4 }),
        fc.dictionary(key, value),
        (requirements, labels) => {
          const expected = requirements.every((r) => {
            const present = r.key in labels;
            switch (r.operator) {
              case 'In':
                return present && r.values.includes(labels[r.key]!);
              case 'NotIn':
                return !present || !r.values.includes(labels[r.key]!);
              case 'Exists':
                return present;
              case 'DoesNotExist':
                return !present;
            }
          });
          expect(compileSelector({ requirements })(labels)).toBe(expected);
        },
      ),
    );
  });
});

describe('selectorKey and labelsKey', () => {
  it('selectorKey ignores the order of requirements and of values', () => {
    const a = sel(req('app', 'In', 'a', 'b'), req('tier', 'Exists'));
    const b = sel(req('tier', 'Exists'), req('app', 'In', 'b', 'a'));
    expect(selectorKey(a)).toBe(selectorKey(b));
    expect(selectorKey(a)).not.toBe(selectorKey(sel(req('app', 'NotIn', 'a', 'b'), req('tier', 'Exists'))));
    expect(selectorKey(EVERYTHING)).toBe('');
  });

  it('labelsKey sorts keys', () => {
    expect(labelsKey({ b: '2', a: '1' })).toBe('a=1,b=2');
    expect(labelsKey({})).toBe('');
  });
});
