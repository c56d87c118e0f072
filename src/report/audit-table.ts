// The default `bulkhead audit` output: findings grouped by severity in aligned columns, then a summary line.

import { createColors } from 'picocolors';
import type { Severity } from '../core/severity.js';
import {
  SEVERITY_ORDER,
  countBySeverity,
  locationText,
  resourceText,
  summaryText,
  type AuditReport,
} from './audit-common.js';
import { renderDiagnostics } from './diagnostics.js';

/**
 * One block per severity (highest first), one row per finding: check, resource, location, title and message.
 * Within a block rows are sorted by file and resource (the runner's order) and a resource repeated on the next
 * row is left blank, so each resource reads as a group. Colour only when `report.color`.
 */
export function renderAuditTable(report: AuditReport): string {
  const c = createColors(report.color);
  const paint: Record<Severity, (s: string) => string> = {
    critical: (s) => c.bold(c.red(s)),
    high: c.red,
    medium: c.yellow,
    low: c.cyan,
  };
  const { findings, suppressed } = report.result;
  const rows = findings.map((f) => ({
    severity: f.severity,
    check: f.check,
    resource: resourceText(f.resource),
    location: locationText(f, report.sources),
    message: `${f.title}: ${f.message}`.replace(/\s*\n\s*/g, ' '),
  }));
  const width = {
    check: Math.max(5, ...rows.map((r) => r.check.length)),
    resource: Math.max(8, ...rows.map((r) => r.resource.length)),
    location: Math.max(8, ...rows.map((r) => r.location.length)),
  };
  const lines: string[] = [];
  if (rows.length === 0) lines.push(c.green('No findings.'));
  else
    lines.push(
      c.dim(
        `  ${'CHECK'.padEnd(width.check)}  ${'RESOURCE'.padEnd(width.resource)}  ${'LOCATION'.padEnd(width.location)}  MESSAGE`,
      ),
    );
  const counts = countBySeverity(findings);
  for (const severity of SEVERITY_ORDER) {
    const group = rows.filter((r) => r.severity === severity);
    if (group.length === 0) continue;
    lines.push(paint[severity](`${severity.toUpperCase()} (${counts[severity]})`));
    let previous = '';
    for (const r of group) {
      const resource = r.resource === previous ? '' : r.resource;
      previous = r.resource;
      lines.push(
        `  ${paint[severity](r.check.padEnd(width.check))}  ${resource.padEnd(width.resource)}  ${c.dim(r.location.padEnd(width.location))}  ${r.message}`,
      );
    }
  }
  if (suppressed.length > 0) {
    lines.push(c.dim(`SUPPRESSED (${suppressed.length})`));
    for (const s of suppressed)
      lines.push(
        c.dim(
          `  ${s.finding.check.padEnd(width.check)}  ${resourceText(s.finding.resource)}  by ${s.by}: ${s.reason}`,
        ),
      );
  }
  const notes = report.result.notes;
  const summary = summaryText(report);
  lines.push('', findings.length === 0 ? c.green(summary) : c.bold(summary));
  const text = `${lines.join('\n')}\n`;
  return notes.length > 0 ? `${text}\n${renderDiagnostics(notes, report.sources)}` : text;
}
