// Runs the audit: selected checks over the input, then the noise controls, in this order: inline suppressions
// (`bulkhead.io/ignore` annotations), exceptions of the configuration, severity overrides, the baseline.

import type { Diagnostic, SourceRef } from '../diagnostics.js';
import type { Severity } from '../severity.js';
import type { AuditContext, Check, CheckInfo, Finding, ObjectRecord } from './types.js';

/** The annotation (Kubernetes) or label (Compose) that suppresses findings on its object. */
export const IGNORE_ANNOTATION = 'bulkhead.io/ignore';

/** An accepted risk from the configuration: which findings it covers, why, and until when. */
export interface AuditException {
  /** A check id, or a pattern with `*` (`BH-IMG-*`, `*`). */
  readonly check: string;
  readonly namespace?: string;
  readonly kind?: string;
  /** An object name, or a pattern with `*`. */
  readonly name?: string;
  readonly reason: string;
  /** `YYYY-MM-DD`: from that day on, the exception no longer applies (and is reported). */
  readonly expires?: string;
  readonly source?: SourceRef;
}

/** The validated configuration (`.bulkhead.yaml`); see src/config for reading it. */
export interface AuditConfig {
  /** Check ids or patterns to run; absent: all. */
  readonly include?: readonly string[];
  readonly exclude: readonly string[];
  readonly severityOverrides: Readonly<Record<string, Severity>>;
  readonly exceptions: readonly AuditException[];
}

export const DEFAULT_CONFIG: AuditConfig = { exclude: [], severityOverrides: {}, exceptions: [] };

export type SuppressedBy = 'annotation' | 'exception' | 'baseline';

export interface SuppressedFinding {
  readonly finding: Finding;
  readonly by: SuppressedBy;
  readonly reason: string;
}

export interface AuditResult {
  /** What remains, sorted by severity (highest first), then file, resource and check. */
  readonly findings: readonly Finding[];
  readonly suppressed: readonly SuppressedFinding[];
  /** Every check that ran. */
  readonly checks: readonly CheckInfo[];
  /** Problems with the noise controls themselves (a suppression without a reason, an expired exception). */
  readonly notes: readonly Diagnostic[];
}

export interface RunOptions {
  readonly config: AuditConfig;
  /** Today, `YYYY-MM-DD`, for exception expiry (passed in: the core reads no clock). */
  readonly today: string;
  /** Fingerprints of accepted findings (`--baseline`). */
  readonly baseline?: ReadonlySet<string>;
}

export function runAudit(checks: readonly Check[], context: AuditContext, options: RunOptions): AuditResult {
  const { config } = options;
  const selected = checks.filter(
    (c) =>
      (config.include === undefined || config.include.some((p) => matches(p, c.info.id))) &&
      !config.exclude.some((p) => matches(p, c.info.id)),
  );
  const notes: Diagnostic[] = [];
  const ignores = inlineSuppressions(context.objects, notes);
  const live = config.exceptions.filter((e) => {
    if (e.expires === undefined || e.expires > options.today) return true;
    notes.push({
      code: 'EXCEPTION_EXPIRED',
      severity: 'warning',
      message: `the exception for ${e.check}${e.name !== undefined ? ` on ${e.name}` : ''} expired on ${e.expires}; its findings are reported again`,
      file: e.source?.file ?? '.bulkhead.yaml',
      ...(e.source?.range ? { range: e.source.range } : {}),
      hint: 'Fix the findings, or renew the exception with a new expiry date and reason.',
    });
    return false;
  });
  const findings: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const check of selected) {
    for (const raw of check.run(context)) {
      const override = config.severityOverrides[raw.check];
      const f: Finding = override !== undefined ? { ...raw, severity: override } : raw;
      const inline = ignores.get(resourceKey(f.resource))?.find((s) => matches(s.check, f.check));
      if (inline !== undefined) {
        suppressed.push({ finding: f, by: 'annotation', reason: inline.reason });
        continue;
      }
      const exception = live.find((e) => exceptionCovers(e, f));
      if (exception !== undefined) {
        suppressed.push({ finding: f, by: 'exception', reason: exception.reason });
        continue;
      }
      if (options.baseline?.has(fingerprint(f))) {
        suppressed.push({ finding: f, by: 'baseline', reason: 'in the baseline' });
        continue;
      }
      findings.push(f);
    }
  }
  return { findings: sortFindings(findings), suppressed, checks: selected.map((c) => c.info), notes };
}

/**
 * A stable identity of a finding for baselines: check, resource and the path of the offending value — not the
 * message or the line, which change with unrelated edits.
 */
export function fingerprint(f: Finding): string {
  return [f.check, f.resource.kind, f.resource.namespace, f.resource.name, f.location.path ?? ''].join('|');
}

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { critical: 0, high: 1, medium: 2, low: 3 };

export function sortFindings(findings: readonly Finding[]): Finding[] {
  // Keys built once per finding, not per comparison: audits of large clusters sort 100k findings.
  const keyed = findings.map((f) => ({
    f,
    rank: SEVERITY_RANK[f.severity],
    key: `${f.location.file}\u0000${f.resource.namespace}\u0000${f.resource.kind}\u0000${f.resource.name}\u0000${f.check}\u0000${f.location.path ?? ''}`,
  }));
  keyed.sort((a, b) => a.rank - b.rank || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((k) => k.f);
}

function resourceKey(r: { kind: string; namespace: string; name: string }): string {
  return `${r.kind}\u0000${r.namespace}\u0000${r.name}`;
}

/** `*` matches any run of characters; everything else literally. */
function matches(pattern: string, text: string): boolean {
  if (!pattern.includes('*')) return pattern === text;
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`).test(text);
}

function exceptionCovers(e: AuditException, f: Finding): boolean {
  return (
    matches(e.check, f.check) &&
    (e.namespace === undefined || e.namespace === f.resource.namespace) &&
    (e.kind === undefined || e.kind === f.resource.kind) &&
    (e.name === undefined || matches(e.name, f.resource.name))
  );
}

/**
 * `bulkhead.io/ignore: "BH-NET-001: reason"`, several entries separated by `;` or new lines. A reason is
 * required: an entry without one suppresses nothing and is reported.
 */
function inlineSuppressions(
  objects: readonly ObjectRecord[],
  notes: Diagnostic[],
): Map<string, { check: string; reason: string }[]> {
  const out = new Map<string, { check: string; reason: string }[]>();
  for (const object of objects) {
    const text = object.annotations[IGNORE_ANNOTATION];
    if (text === undefined) continue;
    const entries: { check: string; reason: string }[] = [];
    for (const entry of text
      .split(/[;\n]/)
      .map((e) => e.trim())
      .filter((e) => e !== '')) {
      const match = /^(BH-[A-Z]+-\d{3}|BH-[A-Z*-]*\*)\s*:\s*(\S.*)$/.exec(entry);
      if (match === null) {
        notes.push({
          code: 'SUPPRESSION_WITHOUT_REASON',
          severity: 'warning',
          message: `${object.kind} ${object.namespace ? `${object.namespace}/` : ''}${object.name}: "${entry}" in ${IGNORE_ANNOTATION} suppresses nothing: it needs a check id and a reason`,
          file: object.source.file,
          ...(object.source.range ? { range: object.source.range } : {}),
          hint: `Write ${IGNORE_ANNOTATION}: "BH-NET-001: why this is accepted" (several entries separated by ;).`,
        });
        continue;
      }
      entries.push({ check: match[1]!, reason: match[2]! });
    }
    if (entries.length > 0) out.set(resourceKey(object), entries);
  }
  return out;
}
