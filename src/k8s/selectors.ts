// Label, name and selector validation with the rules of Kubernetes apimachinery, reported as diagnostics.

import type { LabelSelector, SelectorOperator, SelectorRequirement } from '../core/model/labels.js';
import { isRecord, type ObjectReader, type Path } from './object-reader.js';

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A label key: `[prefix/]name`, prefix a DNS subdomain of at most 253 characters, name at most 63. */
export function isLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)) return false;
  }
  return name.length > 0 && name.length <= 63 && QUALIFIED_NAME.test(name);
}

/** A label value: empty, or at most 63 characters of alphanumerics, `-`, `_`, `.`, alphanumeric at both ends. */
export function isLabelValue(value: string): boolean {
  return value === '' || (value.length <= 63 && QUALIFIED_NAME.test(value));
}

export function isDns1123Label(name: string): boolean {
  return name.length <= 63 && DNS1123_LABEL.test(name);
}

export function isDns1123Subdomain(name: string): boolean {
  return name.length <= 253 && DNS1123_SUBDOMAIN.test(name);
}

/** IANA_SVC_NAME: at most 15 characters of [a-z0-9-], at least one letter, no `-` at either end or twice in a row. */
export function isPortName(name: string): boolean {
  return (
    name.length >= 1 &&
    name.length <= 15 &&
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name) &&
    /[a-z]/.test(name) &&
    !name.includes('--')
  );
}

/** Reads and validates a label map (metadata.labels); invalid entries are reported and kept out. */
export function readLabels(reader: ObjectReader, path: Path): Record<string, string> {
  const labels = reader.stringMap(path) ?? {};
  const out = Object.create(null) as Record<string, string>;
  for (const [key, value] of Object.entries(labels)) {
    let ok = true;
    if (!isLabelKey(key)) {
      ok = false;
      reader.report(
        'INVALID_LABEL',
        'error',
        [...path, key],
        `invalid label key "${key}"`,
        'A label key is an optional DNS-subdomain prefix and "/", then a name of at most 63 characters: letters, digits, "-", "_", "." and alphanumeric at both ends.',
        true,
      );
    }
    if (!isLabelValue(value)) {
      ok = false;
      reader.report(
        'INVALID_LABEL',
        'error',
        [...path, key],
        `invalid label value "${value}" for key "${key}"`,
        'A label value is empty or at most 63 characters: letters, digits, "-", "_", "." and alphanumeric at both ends.',
      );
    }
    if (ok) out[key] = value;
  }
  return out;
}

const OPERATORS: readonly SelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/**
 * Reads a metav1.LabelSelector. Returns undefined when the field is absent (or null), so that callers keep
 * "absent" and "{}" apart: for a peer they mean different things.
 */
export function readSelector(reader: ObjectReader, path: Path): LabelSelector | undefined {
  const raw = reader.get(path);
  if (raw === undefined || raw === null) return undefined;
  if (reader.record(path) === undefined) return { requirements: [] };
  reader.checkKnownFields(path, ['matchLabels', 'matchExpressions']);
  const requirements: SelectorRequirement[] = [];
  const matchLabels = reader.stringMap([...path, 'matchLabels']) ?? {};
  for (const [key, value] of Object.entries(matchLabels)) {
    if (!isLabelKey(key)) {
      reader.report(
        'INVALID_SELECTOR',
        'error',
        [...path, 'matchLabels', key],
        `invalid label key "${key}" in matchLabels`,
        'Use a valid label key: [prefix/]name, name at most 63 characters.',
        true,
      );
      continue;
    }
    if (!isLabelValue(value)) {
      reader.report(
        'INVALID_SELECTOR',
        'error',
        [...path, 'matchLabels', key],
        `invalid label value "${value}" in matchLabels`,
        'A label value is at most 63 characters: letters, digits, "-", "_", "." and alphanumeric at both ends.',
      );
      continue;
    }
    requirements.push({ key, operator: 'In', values: [value] });
  }
  const expressions = reader.array([...path, 'matchExpressions']) ?? [];
  expressions.forEach((_, i) => {
    const at = [...path, 'matchExpressions', i];
    if (reader.record(at) === undefined) return;
    reader.checkKnownFields(at, ['key', 'operator', 'values']);
    const key = reader.string([...at, 'key'], true);
    const operator = reader.string([...at, 'operator'], true);
    const values = reader.array([...at, 'values']);
    if (key === undefined || operator === undefined) return;
    if (!isLabelKey(key)) {
      reader.report(
        'INVALID_SELECTOR',
        'error',
        [...at, 'key'],
        `invalid label key "${key}" in matchExpressions`,
        'Use a valid label key: [prefix/]name, name at most 63 characters.',
      );
      return;
    }
    if (!(OPERATORS as readonly string[]).includes(operator)) {
      reader.report(
        'INVALID_SELECTOR',
        'error',
        [...at, 'operator'],
        `"${operator}" is not a valid selector operator`,
        'Use In, NotIn, Exists or DoesNotExist (case matters).',
      );
      return;
    }
    const strings: string[] = [];
    let valuesOk = true;
    (values ?? []).forEach((v, j) => {
      if (typeof v !== 'string') {
        valuesOk = false;
        reader.report(
          'INVALID_TYPE',
          'error',
          [...at, 'values', j],
          `selector values must be strings, not ${typeof v}`,
          'Quote the value.',
        );
      } else if (!isLabelValue(v)) {
        valuesOk = false;
        reader.report(
          'INVALID_SELECTOR',
          'error',
          [...at, 'values', j],
          `invalid label value "${v}"`,
          'A label value is at most 63 characters: letters, digits, "-", "_", "." and alphanumeric at both ends.',
        );
      } else strings.push(v);
    });
    if (!valuesOk) return;
    // "If the operator is In or NotIn, the values array must be non-empty. If the operator is Exists or
    // DoesNotExist, the values array must be empty."
    if ((operator === 'In' || operator === 'NotIn') && strings.length === 0) {
      reader.report(
        'INVALID_SELECTOR',
        'error',
        at,
        `operator ${operator} needs at least one value`,
        'Add values, or use Exists / DoesNotExist.',
      );
      return;
    }
    if ((operator === 'Exists' || operator === 'DoesNotExist') && strings.length > 0) {
      reader.report(
        'INVALID_SELECTOR',
        'error',
        [...at, 'values'],
        `operator ${operator} takes no values`,
        'Remove values, or use In / NotIn.',
      );
      return;
    }
    requirements.push({ key, operator: operator as SelectorOperator, values: strings });
  });
  return { requirements };
}

export { isRecord };
