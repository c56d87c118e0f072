// Renders audit results in every format. `json` is DESIGN.md's contract: {findings: [...], checks: [...]}.

import { MAPPING_TOOLS, type CheckInfo } from '../core/audit/types.js';
import { findingLocation, type AuditReport } from './audit-common.js';
import { renderAuditHtml } from './audit-html.js';
import { renderAuditJunit } from './audit-junit.js';
import { renderAuditMarkdown } from './audit-markdown.js';
import { renderAuditSarif } from './audit-sarif.js';
import { renderAuditTable } from './audit-table.js';
import { diagnosticsJson } from './diagnostics.js';

export { findingLocation, type AuditReport } from './audit-common.js';

export const AUDIT_FORMATS = ['table', 'json', 'sarif', 'junit', 'md', 'html'] as const;
export type AuditFormat = (typeof AUDIT_FORMATS)[number];

/** Formats that draw the reachability graph (the CLI builds the model for them even when no check needs it). */
export const GRAPH_FORMATS: readonly AuditFormat[] = ['html'];

export function renderAudit(report: AuditReport, format: AuditFormat): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'table':
      return renderAuditTable(report);
    case 'sarif':
      return renderAuditSarif(report);
    case 'junit':
      return renderAuditJunit(report);
    case 'md':
      return renderAuditMarkdown(report);
    case 'html':
      return renderAuditHtml(report);
  }
}

export function checkJson(c: CheckInfo): Record<string, unknown> {
  return {
    id: c.id,
    area: c.area,
    title: c.title,
    severity: c.severity,
    rationale: c.rationale,
    remediation: c.remediation,
    references: c.references,
    // Every tool of the contract, with an empty list where no equivalent exists.
    mappings: Object.fromEntries(MAPPING_TOOLS.map((tool) => [tool, c.mappings[tool] ?? []])),
  };
}

function renderJson(report: AuditReport): string {
  const { result } = report;
  return `${JSON.stringify(
    {
      findings: result.findings.map((f) => ({
        check: f.check,
        severity: f.severity,
        title: f.title,
        message: f.message,
        resource: f.resource,
        location: findingLocation(f, report.sources),
      })),
      checks: result.checks.map(checkJson),
      suppressed: result.suppressed.map((s) => ({
        check: s.finding.check,
        resource: s.finding.resource,
        by: s.by,
        reason: s.reason,
      })),
      diagnostics: diagnosticsJson([...report.diagnostics, ...result.notes], report.sources),
    },
    null,
    2,
  )}\n`;
}

/** The catalog alone (`--list-checks`). */
export function renderCatalog(checks: readonly CheckInfo[], format: AuditFormat): string {
  if (format === 'json') return `${JSON.stringify({ checks: checks.map(checkJson) }, null, 2)}\n`;
  return `${checks.map((c) => `${c.id}  ${c.severity.padEnd(8)} ${c.title}`).join('\n')}\n`;
}
