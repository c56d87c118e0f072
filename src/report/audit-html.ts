// A self-contained HTML audit report: summary cards, filterable findings, the reachability graph as inline SVG.

import type { Severity } from '../core/severity.js';
import {
  SEVERITY_ORDER,
  countBySeverity,
  locationText,
  resourceText,
  summaryText,
  type AuditReport,
} from './audit-common.js';
import { renderGraphSvg } from './audit-graph-svg.js';
import { escapeMarkup } from './markup.js';

const COLORS: Readonly<Record<Severity, string>> = {
  critical: '#8e1b1b',
  high: '#c62828',
  medium: '#b26a00',
  low: '#2f6690',
};

/**
 * One file with inline CSS and JS and nothing fetched (a Content-Security-Policy forbids it), safe to attach to a
 * CI run or open from disk.
 */
export function renderAuditHtml(report: AuditReport): string {
  const { findings, suppressed, checks, notes } = report.result;
  const counts = countBySeverity(findings);
  const graph = report.graph;
  const exposed = graph?.nodes.filter((n) => n.exposedBy.length > 0).length ?? 0;
  const cards = [
    ...SEVERITY_ORDER.map(
      (s) =>
        `<div class="card sev-${s}" data-severity="${s}"><div class="count">${counts[s]}</div><div class="label">${s}</div></div>`,
    ),
    `<div class="card neutral" data-kind="suppressed"><div class="count">${suppressed.length}</div><div class="label">suppressed</div></div>`,
    `<div class="card neutral" data-kind="checks"><div class="count">${checks.length}</div><div class="label">checks run</div></div>`,
    ...(graph !== undefined
      ? [
          `<div class="card neutral" data-kind="workloads"><div class="count">${graph.totalWorkloads}</div><div class="label">workloads</div></div>`,
          `<div class="card ${exposed > 0 ? 'sev-high' : 'neutral'}" data-kind="exposed"><div class="count">${exposed}</div><div class="label">exposed</div></div>`,
        ]
      : []),
  ];
  const rows =
    findings.length === 0
      ? '<tr class="empty"><td colspan="5">No findings.</td></tr>'
      : findings
          .map(
            (f) =>
              `<tr data-severity="${f.severity}"><td><span class="badge sev-${f.severity}">${f.severity}</span></td>` +
              `<td><code>${escapeMarkup(f.check)}</code><div class="sub">${escapeMarkup(f.title)}</div></td>` +
              `<td>${escapeMarkup(resourceText(f.resource))}</td><td><code>${escapeMarkup(locationText(f, report.sources))}</code></td>` +
              `<td>${escapeMarkup(f.message)}</td></tr>`,
          )
          .join('\n');
  const filters = SEVERITY_ORDER.map(
    (s) =>
      `<label class="filter"><input type="checkbox" data-filter="${s}" checked> <span class="badge sev-${s}">${s}</span> ${counts[s]}</label>`,
  ).join('\n');
  const graphSection =
    graph === undefined
      ? '<p class="muted">The reachability graph was not built for this report.</p>'
      : [
          `<p class="muted">${graph.namespaces.length} namespaces, ${graph.nodes.length} nodes, ${graph.edges.length} allowed connections drawn. Red: workloads reachable from outside the cluster or named by an exposure finding, and connections from outside. Hover over a node or an arrow for details.</p>`,
          ...(graph.nodes.filter((n) => n.namespace !== '').length < graph.totalWorkloads ||
          graph.edges.length < graph.totalEdges
            ? [
                `<p class="warning" id="graph-truncated">The graph is cut to stay readable: ${graph.nodes.filter((n) => n.namespace !== '').length} of ${graph.totalWorkloads} workloads (exposed first) and ${graph.edges.length} of ${graph.totalEdges} connections (from outside first, then across namespaces). Run <code>bulkhead reach --format dot</code> for all of them.</p>`,
              ]
            : []),
          `<div class="graph-scroll">${renderGraphSvg(graph)}</div>`,
        ].join('\n');
  const checkList = checks
    .map((c) => {
      const n = findings.filter((f) => f.check === c.id).length;
      return (
        `<details class="check"><summary><code>${escapeMarkup(c.id)}</code> ${escapeMarkup(c.title)} <span class="badge sev-${c.severity}">${c.severity}</span> <span class="muted">${n} finding${n === 1 ? '' : 's'}</span></summary>` +
        `<p>${escapeMarkup(c.rationale)}</p><p><b>Remediation:</b> ${escapeMarkup(c.remediation)}</p>` +
        (c.references.length > 0
          ? `<p class="muted">References: ${escapeMarkup(c.references.join('; '))}</p>`
          : '') +
        `</details>`
      );
    })
    .join('\n');
  const suppressedRows = suppressed
    .map(
      (s) =>
        `<tr><td><code>${escapeMarkup(s.finding.check)}</code></td><td>${escapeMarkup(resourceText(s.finding.resource))}</td><td>${escapeMarkup(s.by)}</td><td>${escapeMarkup(s.reason)}</td></tr>`,
    )
    .join('\n');
  const noteItems = [...report.diagnostics, ...notes]
    .map(
      (d) =>
        `<li><b>${escapeMarkup(d.severity)}</b> <code>${escapeMarkup(d.code)}</code> ${escapeMarkup(d.file)}: ${escapeMarkup(d.message)}</li>`,
    )
    .join('\n');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>Bulkhead audit report</title>
<style>
:root { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: #1d2b44; background: #fbfcfe; }
body { margin: 0 auto; padding: 24px 32px 48px; max-width: 1320px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 12px; }
.muted { color: #5b6b82; } .warning { color: #8a5300; background: #fff4e0; padding: 8px 12px; border-radius: 6px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 16px; }
.card { min-width: 92px; padding: 10px 14px; border-radius: 10px; background: #fff; border: 1px solid #dde3ec; border-top: 5px solid #9aa5b8; }
.card .count { font-size: 28px; font-weight: 700; } .card .label { color: #5b6b82; text-transform: uppercase; font-size: 12px; letter-spacing: .05em; }
${SEVERITY_ORDER.map((s) => `.card.sev-${s} { border-top-color: ${COLORS[s]}; } .card.sev-${s} .count { color: ${COLORS[s]}; } .badge.sev-${s} { background: ${COLORS[s]}; }`).join('\n')}
.badge { display: inline-block; color: #fff; border-radius: 4px; padding: 1px 7px; font-size: 12px; font-weight: 600; }
.filters { display: flex; gap: 16px; flex-wrap: wrap; align-items: center; margin-bottom: 10px; }
.filter { cursor: pointer; } input[type=search] { padding: 5px 8px; border: 1px solid #c5cdd9; border-radius: 6px; min-width: 240px; }
table { border-collapse: collapse; width: 100%; background: #fff; } th, td { text-align: left; vertical-align: top; padding: 7px 10px; border-bottom: 1px solid #e6ebf2; font-size: 14px; }
th { background: #eef2f8; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: #44546d; }
td .sub { color: #5b6b82; font-size: 12px; } code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
tr.hidden { display: none; }
.graph-scroll { overflow: auto; border: 1px solid #dde3ec; border-radius: 10px; background: #fff; }
.graph-scroll svg { display: block; font-family: system-ui, "DejaVu Sans", sans-serif; }
details.check { background: #fff; border: 1px solid #e6ebf2; border-radius: 8px; padding: 8px 12px; margin-bottom: 6px; }
details.check summary { cursor: pointer; }
</style>
</head>
<body>
<header>
<h1>Bulkhead audit report</h1>
<p class="muted" id="summary-line">${escapeMarkup(summaryText(report))}</p>
<div class="cards" id="summary">
${cards.join('\n')}
</div>
</header>
<section>
<h2>Findings</h2>
<div class="filters" id="filters">
${filters}
<input type="search" id="search" placeholder="Filter by check, resource, file or message" aria-label="Filter findings">
<span class="muted" id="shown-count"></span>
</div>
<table id="findings">
<thead><tr><th>Severity</th><th>Check</th><th>Resource</th><th>Location</th><th>Message</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</section>
<section>
<h2>Reachability graph</h2>
${graphSection}
</section>
${suppressed.length > 0 ? `<section>\n<h2>Suppressed findings</h2>\n<table id="suppressed"><thead><tr><th>Check</th><th>Resource</th><th>By</th><th>Reason</th></tr></thead><tbody>\n${suppressedRows}\n</tbody></table>\n</section>` : ''}
${noteItems !== '' ? `<section>\n<h2>Notes</h2>\n<ul id="notes">\n${noteItems}\n</ul>\n</section>` : ''}
<section>
<h2>Checks run</h2>
${checkList !== '' ? checkList : '<p class="muted">No checks ran.</p>'}
</section>
<script>
(function () {
  var boxes = Array.prototype.slice.call(document.querySelectorAll('#filters input[type=checkbox]'));
  var search = document.getElementById('search');
  var rows = Array.prototype.slice.call(document.querySelectorAll('#findings tbody tr[data-severity]'));
  var count = document.getElementById('shown-count');
  function apply() {
    var on = {};
    boxes.forEach(function (b) { on[b.getAttribute('data-filter')] = b.checked; });
    var q = search.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row) {
      var visible = on[row.getAttribute('data-severity')] && (q === '' || row.textContent.toLowerCase().indexOf(q) >= 0);
      row.classList.toggle('hidden', !visible);
      if (visible) shown++;
    });
    count.textContent = rows.length > 0 ? shown + ' of ' + rows.length + ' shown' : '';
  }
  boxes.forEach(function (b) { b.addEventListener('change', apply); });
  search.addEventListener('input', apply);
  apply();
})();
</script>
</body>
</html>
`;
}
