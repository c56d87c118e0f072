// JUnit XML for CI test dashboards: one testsuite per check, one failing testcase per finding.

import { locationText, resourceText, type AuditReport } from './audit-common.js';

/**
 * `<testsuites>` with one `<testsuite>` per check that ran (in catalog order). A finding is a testcase with a
 * `<failure message type>` (type: the severity); a suppressed finding is a `<skipped>` testcase; a check without
 * findings has one passing testcase, so every check shows up as run.
 */
export function renderAuditJunit(report: AuditReport): string {
  const { result } = report;
  const ids = [
    ...result.checks.map((c) => c.id),
    ...[...result.findings, ...result.suppressed.map((s) => s.finding)].map((f) => f.check),
  ].filter((id, i, all) => all.indexOf(id) === i);
  const suites = ids.map((id) => {
    const info = result.checks.find((c) => c.id === id);
    const findings = result.findings.filter((f) => f.check === id);
    const suppressed = result.suppressed.filter((s) => s.finding.check === id);
    const title = info?.title ?? findings[0]?.title ?? suppressed[0]?.finding.title ?? id;
    const cases: string[] = [];
    for (const f of findings) {
      const where = locationText(f, report.sources);
      const body = [
        `${f.title}: ${f.message}`,
        `resource: ${resourceText(f.resource)}`,
        `location: ${where}`,
        ...(info !== undefined ? [`remediation: ${info.remediation}`] : []),
      ].join('\n');
      cases.push(
        `    <testcase classname="${attr(id)}" name="${attr(resourceText(f.resource))}" file="${attr(f.location.file)}">\n` +
          `      <failure message="${attr(f.message)}" type="${attr(f.severity)}">${text(body)}</failure>\n` +
          `    </testcase>`,
      );
    }
    for (const s of suppressed)
      cases.push(
        `    <testcase classname="${attr(id)}" name="${attr(resourceText(s.finding.resource))}" file="${attr(s.finding.location.file)}">\n` +
          `      <skipped message="${attr(`suppressed by ${s.by}: ${s.reason}`)}"/>\n` +
          `    </testcase>`,
      );
    if (findings.length === 0 && suppressed.length === 0)
      cases.push(`    <testcase classname="${attr(id)}" name="no findings"/>`);
    const tests = Math.max(1, findings.length + suppressed.length);
    return (
      `  <testsuite name="${attr(`${id} ${title}`)}" tests="${tests}" failures="${findings.length}" errors="0" skipped="${suppressed.length}">\n` +
      `${cases.join('\n')}\n  </testsuite>`
    );
  });
  const tests = ids.reduce(
    (n, id) =>
      n +
      Math.max(
        1,
        result.findings.filter((f) => f.check === id).length +
          result.suppressed.filter((s) => s.finding.check === id).length,
      ),
    0,
  );
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="bulkhead audit" tests="${tests}" failures="${result.findings.length}" errors="0" skipped="${result.suppressed.length}">\n` +
    (suites.length > 0 ? `${suites.join('\n')}\n` : '') +
    `</testsuites>\n`
  );
}

/** Characters XML 1.0 does not allow at all (most C0 controls, lone surrogates, U+FFFE/U+FFFF) become U+FFFD. */
function xmlSafe(s: string): string {
  return s.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '\uFFFD',
  );
}

function text(s: string): string {
  return xmlSafe(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(s: string): string {
  return text(s)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}
