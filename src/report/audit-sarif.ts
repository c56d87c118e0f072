// SARIF 2.1.0 for code scanning: one rule per check that ran, one result per finding (suppressed ones included).

import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Log, ReportingDescriptor, Result } from 'sarif';
import { fingerprint } from '../core/audit/run.js';
import type { CheckInfo, Finding } from '../core/audit/types.js';
import type { Severity } from '../core/severity.js';
import { findingRegion, resourceText, type AuditReport } from './audit-common.js';

export const SARIF_SCHEMA =
  'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
/** Where users read about the tool (placeholder until the project has a public home). */
export const INFORMATION_URI = 'https://github.com/bulkhead/bulkhead';

/** GitHub code scanning reads `security-severity` (a number as a string) to rank security alerts. */
export const SECURITY_SEVERITY: Readonly<Record<Severity, string>> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
};

const LEVEL: Readonly<Record<Severity, 'error' | 'warning' | 'note'>> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
};

export function renderAuditSarif(report: AuditReport): string {
  return `${JSON.stringify(buildSarif(report), null, 2)}\n`;
}

function buildSarif(report: AuditReport): Log {
  const { result } = report;
  const checks: CheckInfo[] = [...result.checks];
  // A finding of a check missing from the list (it cannot happen with the runner) still gets a rule.
  for (const f of [...result.findings, ...result.suppressed.map((s) => s.finding)])
    if (!checks.some((c) => c.id === f.check))
      checks.push({
        id: f.check,
        area: 'exposure',
        title: f.title,
        severity: f.severity,
        rationale: f.title,
        remediation: f.title,
        references: [],
        mappings: {},
      });
  const index = new Map(checks.map((c, i) => [c.id, i]));
  const results: Result[] = [
    ...result.findings.map((f) => sarifResult(report, f, index.get(f.check)!)),
    ...result.suppressed.map((s) => ({
      ...sarifResult(report, s.finding, index.get(s.finding.check)!),
      suppressions: [
        {
          kind: s.by === 'annotation' ? ('inSource' as const) : ('external' as const),
          status: 'accepted' as const,
          justification: s.by === 'baseline' ? 'in the baseline' : s.reason,
          properties: { by: s.by },
        },
      ],
    })),
  ];
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'bulkhead',
            informationUri: INFORMATION_URI,
            ...(report.toolVersion !== undefined
              ? { version: report.toolVersion, semanticVersion: report.toolVersion }
              : {}),
            rules: checks.map(sarifRule),
          },
        },
        ...(report.baseDir !== undefined
          ? { originalUriBaseIds: { SRCROOT: { uri: directoryUri(report.baseDir) } } }
          : {}),
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}

function sarifRule(c: CheckInfo): ReportingDescriptor {
  const references = c.references.length > 0 ? `\n\nReferences: ${c.references.join('; ')}` : '';
  return {
    id: c.id,
    name: pascalCase(c.title),
    shortDescription: { text: c.title },
    fullDescription: { text: c.rationale },
    help: {
      text: `${c.remediation}${references}`,
      markdown: `**${escapeMarkdown(c.title)}**\n\n${escapeMarkdown(c.rationale)}\n\n**Remediation:** ${escapeMarkdown(c.remediation)}${
        c.references.length > 0
          ? `\n\n**References:**\n${c.references.map((r) => `- ${escapeMarkdown(r)}`).join('\n')}`
          : ''
      }`,
    },
    defaultConfiguration: { level: LEVEL[c.severity] },
    properties: {
      tags: ['security', c.area],
      'security-severity': SECURITY_SEVERITY[c.severity],
      precision: 'high',
      severity: c.severity,
      references: [...c.references],
      mappings: c.mappings,
    },
  };
}

function sarifResult(report: AuditReport, f: Finding, ruleIndex: number): Result {
  const region = findingRegion(f, report.sources);
  const uri = artifactUri(f.location.file, report.baseDir);
  return {
    ruleId: f.check,
    ruleIndex,
    level: LEVEL[f.severity],
    message: { text: `${resourceText(f.resource)}: ${f.message}` },
    locations: [
      {
        physicalLocation: {
          // "If the uri property is an absolute URI, the uriBaseId property SHALL be absent" (3.4.4).
          artifactLocation: uri.startsWith('file:') ? { uri } : { uri, uriBaseId: 'SRCROOT' },
          // JSON input has no positions: the whole file, from its first line.
          region: region ?? { startLine: 1 },
        },
        logicalLocations: [
          {
            name: f.resource.name,
            fullyQualifiedName: resourceText(f.resource),
            kind: 'resource',
          },
        ],
      },
    ],
    partialFingerprints: { 'bulkheadFinding/v1': fingerprint(f) },
    properties: {
      severity: f.severity,
      'security-severity': SECURITY_SEVERITY[f.severity],
      resource: { ...f.resource },
      ...(f.location.path !== undefined ? { path: f.location.path } : {}),
      ...(region === undefined
        ? {
            regionApproximate: true,
            regionNote: 'the input has no positions (JSON): the region is the first line',
          }
        : {}),
    },
  };
}

/** A file as given by the user, relative to `baseDir` with forward slashes and percent-encoded segments. */
export function artifactUri(file: string, baseDir: string | undefined): string {
  if (file === '-') return 'stdin';
  let path = file;
  if (baseDir !== undefined) {
    const rel = relative(baseDir, resolve(baseDir, file));
    if (!rel.startsWith('..') && !isAbsolute(rel)) path = rel;
  }
  const slashed = path.split(sep).join('/').replace(/\\/g, '/');
  const encoded = slashed
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
  return isAbsolute(path) ? `file://${encoded}` : encoded.replace(/^(\.\/)+/, '');
}

function directoryUri(dir: string): string {
  const encoded = dir
    .split(sep)
    .join('/')
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
  return `file://${encoded.startsWith('/') ? '' : '/'}${encoded}${encoded.endsWith('/') ? '' : '/'}`;
}

function pascalCase(title: string): string {
  return title
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_[\]<>])/g, '\\$1');
}
