// Renderers of `bulkhead audit`: table (colour, grouping), SARIF 2.1.0 (validated against the official schema),
// JUnit XML (well-formed, escaped), Markdown (pipes, details) and HTML (self-contained, escaped).

import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Log } from 'sarif';
import { describe, expect, it } from 'vitest';
import { sarifErrors, validateSarif } from '../../test/sarif-schema.js';
import { fingerprint, type AuditResult } from '../core/audit/run.js';
import type { CheckInfo, Finding } from '../core/audit/types.js';
import { AUDIT_FORMATS, renderAudit, type AuditFormat, type AuditReport } from './audit.js';
import type { PositionLookup } from './diagnostics.js';

/** The start of an ANSI escape sequence (colour). */
const ANSI = '\u001b[';

function lookup(text: string): PositionLookup {
  return {
    position(offset) {
      const before = text.slice(0, offset);
      const line = before.split('\n').length;
      return { line, column: offset - before.lastIndexOf('\n') };
    },
  };
}

const YAML =
  'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  hostNetwork: true\n';
const BASE = '/repo';

const CHECKS: CheckInfo[] = [
  {
    id: 'BH-NET-001',
    area: 'exposure',
    title: 'Reachable from the internet',
    severity: 'critical',
    rationale: 'Anything on the internet can connect | even <scripts>.',
    remediation: 'Add a NetworkPolicy that allows only the load balancer.',
    references: ['CIS 5.3.2', 'MITRE T1190'],
    mappings: { kubescape: ['C-0260'], cis: ['5.3.2'] },
  },
  {
    id: 'BH-POD-001',
    area: 'pod-security',
    title: 'Host network',
    severity: 'high',
    rationale: 'The pod shares the node network.',
    remediation: 'Remove hostNetwork.',
    references: [],
    mappings: { polaris: ['hostNetworkSet'] },
  },
  {
    id: 'BH-IMG-001',
    area: 'images',
    title: 'Latest tag',
    severity: 'low',
    rationale: 'Mutable tags.',
    remediation: 'Pin a digest.',
    references: [],
    mappings: {},
  },
  {
    id: 'BH-SEG-001',
    area: 'segmentation',
    title: 'No default deny',
    severity: 'medium',
    rationale: 'Namespaces without a default deny.',
    remediation: 'Add one.',
    references: [],
    mappings: {},
  },
];

const hostNetworkAt = YAML.indexOf('hostNetwork');
const FINDINGS: Finding[] = [
  {
    check: 'BH-NET-001',
    severity: 'critical',
    title: 'Reachable from the internet',
    message: 'web takes TCP 8080 from 0.0.0.0/0 | "quoted" & <b>bold</b>\nsecond line',
    resource: { kind: 'Deployment', namespace: 'shop', name: 'web' },
    location: { file: 'deploy/web.yaml', range: [0, YAML.length - 1], path: '' },
  },
  {
    check: 'BH-POD-001',
    severity: 'high',
    title: 'Host network',
    message: 'hostNetwork: true',
    resource: { kind: 'Deployment', namespace: 'shop', name: 'web' },
    location: {
      file: 'deploy/web.yaml',
      range: [hostNetworkAt, hostNetworkAt + 17],
      path: 'spec.hostNetwork',
    },
  },
  {
    check: 'BH-POD-001',
    severity: 'high',
    title: 'Host network',
    message: 'hostNetwork: true (from JSON, no positions) \u0001 control',
    resource: { kind: 'Pod', namespace: 'batch', name: 'job' },
    location: { file: `${BASE}/json dir/pod.json` },
  },
];

const RESULT: AuditResult = {
  findings: FINDINGS,
  suppressed: [
    {
      finding: { ...FINDINGS[1]!, resource: { kind: 'Deployment', namespace: 'shop', name: 'api' } },
      by: 'annotation',
      reason: 'needs the node network for <reasons>',
    },
    {
      finding: { ...FINDINGS[1]!, resource: { kind: 'Deployment', namespace: 'shop', name: 'db' } },
      by: 'baseline',
      reason: 'in the baseline',
    },
  ],
  checks: CHECKS,
  notes: [],
};

function report(result: AuditResult = RESULT, color = false): AuditReport {
  return {
    result,
    diagnostics: [],
    sources: new Map([['deploy/web.yaml', lookup(YAML)]]),
    color,
    baseDir: BASE,
    toolVersion: '0.1.0',
  };
}

const EMPTY: AuditResult = { findings: [], suppressed: [], checks: CHECKS, notes: [] };

describe('formats', () => {
  it('lists every format and renders each without throwing, empty or not', () => {
    expect([...AUDIT_FORMATS]).toEqual(['table', 'json', 'sarif', 'junit', 'md', 'html']);
    for (const format of AUDIT_FORMATS as readonly AuditFormat[]) {
      expect(renderAudit(report(), format).length).toBeGreaterThan(0);
      expect(renderAudit(report(EMPTY), format).length).toBeGreaterThan(0);
    }
  });
});

describe('table', () => {
  it('groups by severity, aligns columns, blanks a repeated resource, and ends with the summary', () => {
    const text = renderAudit(report(), 'table');
    expect(text).not.toContain(ANSI);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ {2}CHECK +RESOURCE +LOCATION +MESSAGE$/);
    expect(lines[1]).toBe('CRITICAL (1)');
    expect(lines[3]).toBe('HIGH (2)');
    const column = lines[0]!.indexOf('LOCATION');
    expect(lines[2]!.indexOf('deploy/web.yaml:1:1')).toBe(column);
    expect(lines[4]!.indexOf('deploy/web.yaml:7:3')).toBe(column);
    // A new severity group names the resource again.
    expect(lines[4]).toContain('Deployment shop/web');
    expect(lines[5]).toContain('Pod batch/job');
    expect(text).toContain('SUPPRESSED (2)');
    expect(lines.at(-1)).toBe('3 findings: 1 critical, 2 high, 0 medium, 0 low; 2 suppressed; 4 checks run');
  });

  it('leaves the resource blank on the next row of the same resource and severity', () => {
    const second = { ...FINDINGS[1]!, check: 'BH-POD-002', message: 'second' };
    const lines = renderAudit(report({ ...RESULT, findings: [FINDINGS[1]!, second] }), 'table').split('\n');
    const column = lines[0]!.indexOf('LOCATION');
    expect(lines[2]).toContain('Deployment shop/web');
    expect(lines[3]!.slice(0, column)).toMatch(/^ {2}BH-POD-002 +$/);
  });

  it('colours only when asked', () => {
    const text = renderAudit(report(RESULT, true), 'table');
    expect(text).toContain(`${ANSI}31m`);
    expect(renderAudit(report(EMPTY), 'table')).toBe(
      'No findings.\n\n0 findings: 0 critical, 0 high, 0 medium, 0 low; 0 suppressed; 4 checks run\n',
    );
  });
});

describe('sarif', () => {
  function sarif(result: AuditResult = RESULT): Log {
    const text = renderAudit(report(result), 'sarif');
    const log = JSON.parse(text) as Log;
    expect(sarifErrors(log)).toEqual([]);
    return log;
  }

  it('is valid SARIF 2.1.0 with one rule per check, help text and security-severity', () => {
    const log = sarif();
    expect(log.version).toBe('2.1.0');
    const run = log.runs[0]!;
    expect(run.tool.driver.name).toBe('bulkhead');
    expect(run.tool.driver.version).toBe('0.1.0');
    expect(run.tool.driver.informationUri).toMatch(/^https:\/\//);
    const rules = run.tool.driver.rules!;
    expect(rules.map((r) => r.id)).toEqual(CHECKS.map((c) => c.id));
    const net = rules[0]!;
    expect(net.shortDescription?.text).toBe('Reachable from the internet');
    expect(net.fullDescription?.text).toBe(CHECKS[0]!.rationale);
    expect(net.help?.text).toContain('Add a NetworkPolicy');
    expect(net.help?.markdown).toContain('**Remediation:**');
    expect(net.defaultConfiguration?.level).toBe('error');
    expect(net.properties?.['security-severity']).toBe('9.5');
    expect(net.properties?.tags).toEqual(['security', 'exposure']);
    expect(net.properties?.['mappings']).toEqual({ kubescape: ['C-0260'], cis: ['5.3.2'] });
    expect(rules.map((r) => r.properties?.['security-severity'])).toEqual(['9.5', '8.0', '3.0', '5.5']);
    expect(rules.map((r) => r.defaultConfiguration?.level)).toEqual(['error', 'error', 'note', 'warning']);
    expect(run.originalUriBaseIds?.['SRCROOT']?.uri).toBe('file:///repo/');
  });

  it('gives every result a real region, a fingerprint, and rule index; JSON input starts at line 1 and says so', () => {
    const results = sarif().runs[0]!.results!;
    expect(results).toHaveLength(5);
    for (const r of results) {
      expect(r.ruleIndex).toBe(CHECKS.findIndex((c) => c.id === r.ruleId));
      const region = r.locations![0]!.physicalLocation!.region!;
      expect(region.startLine).toBeGreaterThanOrEqual(1);
    }
    const [net, host, json] = results;
    expect(net!.level).toBe('error');
    expect(net!.locations![0]!.physicalLocation).toEqual({
      artifactLocation: { uri: 'deploy/web.yaml', uriBaseId: 'SRCROOT' },
      region: { startLine: 1, startColumn: 1, endLine: 7, endColumn: 20 },
    });
    expect(host!.locations![0]!.physicalLocation!.region).toEqual({
      startLine: 7,
      startColumn: 3,
      endLine: 7,
      endColumn: 20,
    });
    expect(host!.partialFingerprints).toEqual({ 'bulkheadFinding/v1': fingerprint(FINDINGS[1]!) });
    expect(json!.locations![0]!.physicalLocation).toEqual({
      artifactLocation: { uri: 'json%20dir/pod.json', uriBaseId: 'SRCROOT' },
      region: { startLine: 1 },
    });
    expect(json!.properties?.['regionApproximate']).toBe(true);
  });

  it('reports suppressed findings with their kind and justification', () => {
    const results = sarif().runs[0]!.results!;
    expect(results.slice(0, 3).every((r) => r.suppressions === undefined)).toBe(true);
    expect(results[3]!.suppressions).toEqual([
      expect.objectContaining({ kind: 'inSource', justification: 'needs the node network for <reasons>' }),
    ]);
    expect(results[4]!.suppressions).toEqual([
      expect.objectContaining({ kind: 'external', justification: 'in the baseline' }),
    ]);
  });

  it('an empty run is valid: every rule, no results', () => {
    const log = sarif(EMPTY);
    expect(log.runs[0]!.results).toEqual([]);
    expect(log.runs[0]!.tool.driver.rules).toHaveLength(4);
    sarif({ findings: [], suppressed: [], checks: [], notes: [] });
  });

  it('the schema check rejects a broken log (the validator is live)', () => {
    const log = JSON.parse(renderAudit(report(), 'sarif')) as Record<string, unknown>;
    expect(validateSarif({ ...log, version: '2.0.0' })).toBe(false);
  });
});

describe('junit', () => {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', htmlEntities: true });
  type Suite = { name: string; tests: string; failures: string; testcase: unknown };

  it('is well-formed XML with one testsuite per check and a failure per finding', () => {
    const xml = renderAudit(report(), 'junit');
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = parser.parse(xml) as { testsuites: { tests: string; failures: string; testsuite: Suite[] } };
    expect(doc.testsuites.failures).toBe('3');
    const suites = doc.testsuites.testsuite;
    expect(suites.map((s) => s.name)).toEqual([
      'BH-NET-001 Reachable from the internet',
      'BH-POD-001 Host network',
      'BH-IMG-001 Latest tag',
      'BH-SEG-001 No default deny',
    ]);
    expect(suites.map((s) => [s.tests, s.failures])).toEqual([
      ['1', '1'],
      ['4', '2'],
      ['1', '0'],
      ['1', '0'],
    ]);
    const net = suites[0]!.testcase as { failure: { message: string; type: string; '#text': string } };
    expect(net.failure.type).toBe('critical');
    expect(net.failure.message).toBe(FINDINGS[0]!.message);
    expect(net.failure['#text']).toContain('remediation: Add a NetworkPolicy');
    expect(xml).not.toContain('\u0001');
    expect(suites[2]!.testcase).toEqual({ classname: 'BH-IMG-001', name: 'no findings' });
  });

  it('an empty audit is valid too', () => {
    const xml = renderAudit(report({ findings: [], suppressed: [], checks: [], notes: [] }), 'junit');
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain('<testsuites name="bulkhead audit" tests="0" failures="0"');
  });
});

describe('markdown', () => {
  it('has counts, a findings table with escaped pipes, and details per check', () => {
    const md = renderAudit(report(), 'md');
    expect(md).toContain('| 🟥 critical | 1 |');
    expect(md).toContain('| suppressed | 2 |');
    const rows = md.split('\n').filter((l) => l.startsWith('| 🟥 critical |') || l.startsWith('| 🟧 high |'));
    // Two count rows and three findings.
    expect(rows).toHaveLength(2 + 3);
    const row = md.split('\n').find((l) => l.includes('BH-NET-001 |'))!;
    // Five columns: the pipe in the message is escaped, the new line gone, HTML neutralised.
    expect(row.split(/(?<!\\)\|/).length - 2).toBe(5);
    expect(row).toContain('0.0.0.0/0 \\| "quoted" &amp; &lt;b&gt;bold&lt;/b&gt; second line');
    expect(row).toContain('`deploy/web.yaml:1:1`');
    expect(md).toContain('<details>\n<summary><b>BH-NET-001</b> Reachable from the internet (1)</summary>');
    expect(md).not.toContain('BH-IMG-001</b>');
  });

  it('says so when there is nothing', () => {
    expect(renderAudit(report(EMPTY), 'md')).toContain('✅ No findings');
  });
});

describe('html', () => {
  it('is self-contained and escapes every value', () => {
    const html = renderAudit(report(), 'html');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
    expect(html).not.toContain('<b>bold</b>');
    expect(html).toContain('&lt;b&gt;bold&lt;/b&gt;');
    expect(html).toContain('<tr data-severity="critical">');
    expect(html).toContain('The reachability graph was not built');
  });
});
