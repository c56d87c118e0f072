// Markdown for a pull-request comment: counts per severity, a findings table, details per check.

import {
  SEVERITY_ORDER,
  countBySeverity,
  locationText,
  resourceText,
  type AuditReport,
} from './audit-common.js';

/** GitHub rejects comments over 65,536 characters: the table stops after this many rows and says so. */
export const MARKDOWN_MAX_ROWS = 200;

const ICON = { critical: '🟥', high: '🟧', medium: '🟨', low: '🟦' } as const;

export function renderAuditMarkdown(report: AuditReport): string {
  const { findings, suppressed, checks } = report.result;
  const counts = countBySeverity(findings);
  const out: string[] = ['## Bulkhead audit', ''];
  out.push(
    findings.length === 0
      ? `✅ No findings (${checks.length} checks run, ${suppressed.length} suppressed).`
      : `**${findings.length} finding${findings.length === 1 ? '' : 's'}** from ${checks.length} checks (${suppressed.length} suppressed).`,
    '',
    '| Severity | Count |',
    '|---|---:|',
    ...SEVERITY_ORDER.map((s) => `| ${ICON[s]} ${s} | ${counts[s]} |`),
    `| suppressed | ${suppressed.length} |`,
    '',
  );
  if (findings.length > 0) {
    out.push('| Severity | Check | Resource | Location | Message |', '|---|---|---|---|---|');
    for (const f of findings.slice(0, MARKDOWN_MAX_ROWS))
      out.push(
        `| ${ICON[f.severity]} ${f.severity} | ${cell(f.check)} | ${cell(resourceText(f.resource))} | \`${code(locationText(f, report.sources))}\` | ${cell(f.message)} |`,
      );
    if (findings.length > MARKDOWN_MAX_ROWS)
      out.push('', `_…and ${findings.length - MARKDOWN_MAX_ROWS} more findings: see the full report._`);
    out.push('');
  }
  for (const check of checks) {
    const own = findings.filter((f) => f.check === check.id);
    if (own.length === 0) continue;
    out.push(
      '<details>',
      `<summary><b>${html(check.id)}</b> ${html(check.title)} (${own.length})</summary>`,
      '',
      `${inline(check.rationale)}`,
      '',
      `**Remediation:** ${inline(check.remediation)}`,
      '',
      ...own
        .slice(0, MARKDOWN_MAX_ROWS)
        .map(
          (f) =>
            `- ${cell(resourceText(f.resource))} at \`${code(locationText(f, report.sources))}\`: ${cell(f.message)}`,
        ),
      ...(check.references.length > 0 ? ['', `References: ${inline(check.references.join('; '))}`] : []),
      '',
      '</details>',
      '',
    );
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** Text for a table cell: no line breaks, pipes escaped, Markdown and HTML specials neutralised. */
function cell(s: string): string {
  return inline(s).replace(/\|/g, '\\|');
}

function inline(s: string): string {
  return html(s)
    .replace(/\r?\n/g, ' ')
    .replace(/([\\`*_[\]])/g, '\\$1');
}

/** Inside backticks only the backtick and the pipe (tables) need care. */
function code(s: string): string {
  return s.replace(/`/g, "'").replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function html(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
