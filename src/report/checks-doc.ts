// docs/checks.md from the catalog: every check with its severity, rationale, remediation, references and the
// equivalent checks of other tools, and the documented disagreements with those tools.

import { MAPPING_TOOLS, type CheckInfo } from '../core/audit/types.js';

/** A verdict of ours that differs from another tool's on its own fixture, on purpose, and why. */
export interface DocumentedDisagreement {
  readonly tool: string;
  readonly upstream: string;
  readonly fixture: string;
  readonly reason: string;
}

const AREAS: readonly [CheckInfo['area'], string][] = [
  ['exposure', 'Exposure'],
  ['segmentation', 'Segmentation'],
  ['rbac', 'Access control (RBAC)'],
  ['pod-security', 'Pod security'],
  ['images', 'Images'],
  ['secrets', 'Secrets'],
  ['compose', 'Docker Compose'],
];

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderChecksDoc(
  checks: readonly CheckInfo[],
  disagreements: readonly DocumentedDisagreement[],
): string {
  const lines: string[] = [
    '# Audit checks',
    '',
    '<!-- Generated from the catalog (src/core/audit) by `npm run docs:checks`; test/docs/checks-doc.test.ts keeps it current. -->',
    '',
    `\`bulkhead audit\` runs ${checks.length} checks. Ids are stable and never reused; \`bulkhead audit --list-checks --format json\` prints the`,
    'catalog with the same mappings. Exposure and segmentation are answered from the reachability model (what policies',
    'actually allow), not from whether a policy exists.',
    '',
    '| id | severity | title | equivalent checks |',
    '|---|---|---|---|',
  ];
  for (const c of checks) {
    const mapped = MAPPING_TOOLS.flatMap((t) =>
      c.mappings[t]?.length ? [`${t}: ${c.mappings[t]!.join(', ')}`] : [],
    );
    lines.push(
      `| [${c.id}](#${c.id.toLowerCase()}) | ${c.severity} | ${cell(c.title)} | ${cell(mapped.join('; ') || '—')} |`,
    );
  }
  for (const [area, heading] of AREAS) {
    const inArea = checks.filter((c) => c.area === area);
    if (inArea.length === 0) continue;
    lines.push('', `## ${heading}`);
    for (const c of inArea) {
      lines.push(
        '',
        `### ${c.id}`,
        '',
        `**${c.title}** — ${c.severity}`,
        '',
        c.rationale,
        '',
        `*Remediation:* ${c.remediation}`,
      );
      if (c.references.length > 0) lines.push('', `*References:* ${c.references.join('; ')}`);
      const mapped = MAPPING_TOOLS.flatMap((t) =>
        c.mappings[t]?.length ? [`${t} ${c.mappings[t]!.join(', ')}`] : [],
      );
      if (mapped.length > 0) lines.push('', `*Equivalent checks:* ${mapped.join('; ')}`);
    }
  }
  lines.push(
    '',
    '## Where we disagree with other tools, on purpose',
    '',
    'test/conformance/audit-agreement.test.ts runs our checks on the fixtures of the tools we map to and compares',
    'verdicts. Each difference below is deliberate; any other difference fails the test.',
    '',
  );
  if (disagreements.length === 0) lines.push('None.');
  else {
    lines.push('| tool | their check | fixture | why we differ |', '|---|---|---|---|');
    for (const d of disagreements)
      lines.push(`| ${d.tool} | ${cell(d.upstream)} | ${cell(d.fixture)} | ${cell(d.reason)} |`);
  }
  return `${lines.join('\n')}\n`;
}
