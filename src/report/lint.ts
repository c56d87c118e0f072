// Renders lint findings: txt (grouped by file, one line per finding), json (DESIGN's audit contract), csv and md.

import type { Diagnostic } from '../core/diagnostics.js';
import type { LintCheckInfo, LintFinding, LintResult } from '../core/lint/types.js';
import type { PositionLookup } from './diagnostics.js';
import { diagnosticsJson } from './diagnostics.js';
import { csvField } from './csv.js';

export const LINT_FORMATS = ['txt', 'json', 'csv', 'md'] as const;
export type LintFormat = (typeof LINT_FORMATS)[number];

export interface LintReport {
  readonly result: LintResult;
  readonly diagnostics: readonly Diagnostic[];
  /** The files read, to turn source offsets into line and column. */
  readonly sources: ReadonlyMap<string, PositionLookup>;
}

/** Where a finding is, with line and column when its file has positions (YAML; JSON input has none). */
export interface RenderedLocation {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly path?: string;
}

export function locate(finding: LintFinding, sources: ReadonlyMap<string, PositionLookup>): RenderedLocation {
  const source = finding.location;
  if (source === undefined) return { file: '' };
  const path = source.path !== undefined && source.path !== '' ? { path: source.path } : {};
  const lookup = sources.get(source.file);
  if (source.range === undefined || lookup === undefined) return { file: source.file, ...path };
  const { line, column } = lookup.position(source.range[0]);
  return { file: source.file, line, column, ...path };
}

/** `file:line:col`, `file`, or `-` when the finding has no source. */
export function formatLocation(location: RenderedLocation): string {
  if (location.file === '') return '-';
  return location.line === undefined ? location.file : `${location.file}:${location.line}:${location.column}`;
}

export function renderLint(report: LintReport, format: LintFormat): string {
  switch (format) {
    case 'txt':
      return renderTxt(report);
    case 'json':
      return renderJson(report);
    case 'csv':
      return renderCsv(report);
    case 'md':
      return renderMd(report);
  }
}

/** The catalog alone (`--list-checks`). */
export function renderCatalog(checks: readonly LintCheckInfo[], format: LintFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify({ checks: checks.map(catalogEntry) }, null, 2)}\n`;
    case 'csv':
      return (
        [
          'id,severity,title,fix',
          ...checks.map((c) => [c.id, c.severity, c.title, c.fix].map(csvField).join(',')),
        ].join('\n') + '\n'
      );
    case 'md':
      return (
        [
          '| id | severity | title | fix |',
          '|----|----------|-------|-----|',
          ...checks.map((c) => `| ${c.id} | ${c.severity} | ${mdCell(c.title)} | ${mdCell(c.fix)} |`),
        ].join('\n') + '\n'
      );
    case 'txt':
      return checks.map((c) => `${c.id} ${c.severity.padEnd(8)} ${c.title}\n  ${c.fix}\n`).join('');
  }
}

function catalogEntry(c: LintCheckInfo): Record<string, string> {
  return { id: c.id, title: c.title, severity: c.severity, rationale: c.rationale, fix: c.fix };
}

function summary(findings: readonly LintFinding[], checks: number): string {
  if (findings.length === 0) return `no findings (${checks} checks)`;
  const counts = (['critical', 'high', 'medium', 'low'] as const)
    .map((s) => [s, findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  return `${findings.length} finding(s): ${counts.join(', ')} (${checks} checks)`;
}

function renderTxt({ result, sources }: LintReport): string {
  const lines: string[] = [];
  let file: string | undefined;
  for (const finding of result.findings) {
    const location = locate(finding, sources);
    if (location.file !== file) {
      if (file !== undefined) lines.push('');
      file = location.file;
    }
    lines.push(
      `${formatLocation(location)} ${finding.severity} ${finding.check} ${finding.title} — ${finding.message} (fix: ${finding.fix})`,
    );
  }
  if (result.findings.length > 0) lines.push('');
  lines.push(summary(result.findings, result.checks.length));
  for (const s of result.skipped) lines.push(`skipped ${s.id}: ${s.reason}`);
  return `${lines.join('\n')}\n`;
}

function renderJson({ result, diagnostics, sources }: LintReport): string {
  const document = {
    findings: result.findings.map((f) => ({
      check: f.check,
      severity: f.severity,
      title: f.title,
      message: f.message,
      resource: f.resource,
      location: locate(f, sources),
      ...(f.rule !== undefined ? { rule: f.rule } : {}),
      fix: f.fix,
    })),
    checks: result.checks.map((c) => ({ id: c.id, title: c.title, severity: c.severity })),
    skipped: result.skipped,
    diagnostics: diagnosticsJson(diagnostics, sources),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

const CSV_HEADER = 'check,severity,title,message,kind,namespace,name,file,line,column,direction,rule,fix';

function renderCsv({ result, sources }: LintReport): string {
  const rows = result.findings.map((f) => {
    const l = locate(f, sources);
    return [
      f.check,
      f.severity,
      f.title,
      f.message,
      f.resource.kind,
      f.resource.namespace,
      f.resource.name,
      l.file,
      l.line === undefined ? '' : String(l.line),
      l.column === undefined ? '' : String(l.column),
      f.rule?.direction ?? '',
      f.rule === undefined ? '' : String(f.rule.index),
      f.fix,
    ]
      .map(csvField)
      .join(',');
  });
  return [CSV_HEADER, ...rows].join('\n') + '\n';
}

/** A pull-request comment: a summary line and one table row per finding. */
function renderMd({ result, sources }: LintReport): string {
  const lines = [`**bulkhead lint**: ${summary(result.findings, result.checks.length)}`];
  if (result.findings.length > 0) {
    lines.push('', '| severity | check | resource | location | finding | fix |', '|---|---|---|---|---|---|');
    for (const f of result.findings) {
      const resource =
        f.resource.namespace === ''
          ? `${f.resource.kind} ${f.resource.name}`
          : `${f.resource.kind} ${f.resource.namespace}/${f.resource.name}`;
      lines.push(
        `| ${f.severity} | ${f.check} ${mdCell(f.title)} | ${mdCell(resource)} | \`${mdCell(formatLocation(locate(f, sources)))}\` | ${mdCell(f.message)} | ${mdCell(f.fix)} |`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

function mdCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
