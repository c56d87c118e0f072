// Labels and label selectors, compiled once into predicates (Kubernetes apimachinery semantics).

export type Labels = Readonly<Record<string, string>>;

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface SelectorRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

/** A validated label selector. `matchLabels` entries are requirements with operator In and one value. */
export interface LabelSelector {
  readonly requirements: readonly SelectorRequirement[];
}

/** The selector `{}`: it selects everything. */
export const EVERYTHING: LabelSelector = { requirements: [] };

/**
 * Compiles a selector to a predicate. Per the LabelSelector API: "The requirements are ANDed";
 * "NotIn ... the label key does not exist or its value is not in the set"; an empty selector matches all objects.
 */
export function compileSelector(selector: LabelSelector): (labels: Labels) => boolean {
  const checks = selector.requirements.map((r): ((labels: Labels) => boolean) => {
    const has = (labels: Labels): boolean => Object.prototype.hasOwnProperty.call(labels, r.key);
    switch (r.operator) {
      case 'In': {
        const values = new Set(r.values);
        return (labels) => has(labels) && values.has(labels[r.key]!);
      }
      case 'NotIn': {
        const values = new Set(r.values);
        return (labels) => !has(labels) || !values.has(labels[r.key]!);
      }
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return (labels) => !has(labels);
    }
  });
  if (checks.length === 0) return () => true;
  return (labels) => checks.every((check) => check(labels));
}

/** A canonical text for a selector, so equal selectors compile once. */
export function selectorKey(selector: LabelSelector): string {
  return selector.requirements
    .map((r) => `${r.key} ${r.operator} ${[...r.values].sort().join('|')}`)
    .sort()
    .join(';');
}

/** A canonical text for a label map (sorted keys), used to group workloads. */
export function labelsKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}
