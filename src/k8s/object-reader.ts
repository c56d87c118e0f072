// Typed, located access to one manifest object: every wrong type, missing or unknown field becomes a
// diagnostic pointing at the value in the file, and reading goes on so that all problems are reported at once.

import type { Diagnostic, DiagnosticSeverity, SourceRef } from '../core/diagnostics.js';
import { renderPath, type ManifestObject, type PathSegment } from './documents.js';

export type Path = readonly PathSegment[];

export class ObjectReader {
  private errors = 0;

  constructor(
    readonly object: ManifestObject,
    private readonly diagnostics: Diagnostic[],
  ) {}

  get kind(): string {
    return this.object.value['kind'] as string;
  }

  /** True when this object has had an error reported. */
  get hasErrors(): boolean {
    return this.errors > 0;
  }

  /**
   * Where a value of this object is, for models and later explanations. JSON input is read without positions
   * (it is re-read with them only when a diagnostic needs one), so there the reference has a path but no range.
   */
  sourceRef(path: Path = []): SourceRef {
    const full = [...this.object.base, ...path];
    const range = this.object.source.parsed ? this.object.source.rangeOf(this.object.doc, full) : undefined;
    return { file: this.object.source.file.name, ...(range ? { range } : {}), path: renderPath(full) };
  }

  report(
    code: string,
    severity: DiagnosticSeverity,
    path: Path,
    message: string,
    hint: string,
    atKey = false,
  ): void {
    if (severity === 'error') this.errors++;
    const full = [...this.object.base, ...path];
    const range = this.object.source.rangeOf(this.object.doc, full, atKey);
    const name = this.describeObject();
    this.diagnostics.push({
      code,
      severity,
      message: `${name}: ${message}`,
      file: this.object.source.file.name,
      ...(range ? { range } : {}),
      path: renderPath(path),
      hint,
    });
  }

  private describeObject(): string {
    if (this.kind === 'BulkheadConfig') return 'configuration';
    const metadata = this.object.value['metadata'];
    const name = isRecord(metadata) && typeof metadata['name'] === 'string' ? metadata['name'] : '<unnamed>';
    const namespace =
      isRecord(metadata) && typeof metadata['namespace'] === 'string' ? `${metadata['namespace']}/` : '';
    return `${this.kind} ${namespace}${name}`;
  }

  get(path: Path): unknown {
    let value: unknown = this.object.value;
    for (const segment of path) {
      if (value === null || typeof value !== 'object') return undefined;
      value = (value as Record<string | number, unknown>)[segment];
    }
    return value;
  }

  /** The value at `path` if it is a string; reports a wrong type. Absent (or null) is undefined. */
  string(path: Path, required = false): string | undefined {
    return this.typed(path, 'a string', (v): v is string => typeof v === 'string', required);
  }

  integer(path: Path, required = false): number | undefined {
    return this.typed(
      path,
      'an integer',
      (v): v is number => typeof v === 'number' && Number.isInteger(v),
      required,
    );
  }

  boolean(path: Path): boolean | undefined {
    return this.typed(path, 'true or false', (v): v is boolean => typeof v === 'boolean', false);
  }

  record(path: Path, required = false): Record<string, unknown> | undefined {
    return this.typed(path, 'a mapping', isRecord, required);
  }

  array(path: Path, required = false): unknown[] | undefined {
    return this.typed(path, 'a list', (v): v is unknown[] => Array.isArray(v), required);
  }

  /** A map of string to string (labels, matchLabels, selectors). */
  stringMap(path: Path): Record<string, string> | undefined {
    const map = this.record(path);
    if (map === undefined) return undefined;
    // A null-prototype map keeps a key like `__proto__` as data, so validation sees (and rejects) it.
    const out = Object.create(null) as Record<string, string>;
    for (const [key, value] of Object.entries(map)) {
      if (typeof value === 'string') out[key] = value;
      else this.wrongType([...path, key], 'a string', value);
    }
    return out;
  }

  /** Warns about fields the API does not have: a typo there silently changes what a policy means. */
  checkKnownFields(path: Path, known: readonly string[]): void {
    const map = this.get(path);
    if (!isRecord(map)) return;
    for (const key of Object.keys(map)) {
      if (!known.includes(key)) {
        this.report(
          'UNKNOWN_FIELD',
          'warning',
          [...path, key],
          `unknown field "${key}"${path.length > 0 ? ` in ${renderPath(path)}` : ''}`,
          `Known fields here: ${known.join(', ')}. The field is ignored.`,
          true,
        );
      }
    }
  }

  private typed<T>(
    path: Path,
    expected: string,
    check: (v: unknown) => v is T,
    required: boolean,
  ): T | undefined {
    const value = this.get(path);
    if (value === undefined || value === null) {
      if (required)
        this.report(
          'MISSING_FIELD',
          'error',
          path,
          `${renderPath(path)} is required`,
          `Add ${renderPath(path)}.`,
        );
      return undefined;
    }
    if (check(value)) return value;
    this.wrongType(path, expected, value);
    return undefined;
  }

  private wrongType(path: Path, expected: string, value: unknown): void {
    this.report(
      'INVALID_TYPE',
      'error',
      path,
      `${renderPath(path)} must be ${expected}, not ${describeValue(value)}`,
      typeof value === 'boolean' || typeof value === 'number'
        ? 'Quote the value: YAML 1.1 (as kubectl reads it) turns yes/no/on/off and numbers into non-strings.'
        : `Write ${renderPath(path)} as ${expected}.`,
    );
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}
