// Agreement with the field: for every upstream check (Polaris, kube-linter, kube-score, Checkov, Trivy) that one
// of ours maps to (CheckInfo.mappings), run ours on its fixtures and compare verdicts. Every disagreement must be
// documented, with the reason, in audit-disagreements.json (rendered into docs/checks.md); a documented one that
// no longer disagrees fails too, so the list stays true. The agreement table is printed.
//
// Checkov scans every file of a fixture directory on its own and reports per resource of each file: the same
// `Kind.namespace.name` defined in two files is two resources with two verdicts (its fixture directories redefine
// names on purpose, e.g. a FAILED and a PASSED variant of one Pod). So a Checkov directory is loaded one file at a
// time: the failing count is the sum over the files, and the failing ids the union. (The harness runs only Checkov's
// single-resource CKV_K8S_ checks; its cross-file graph checks, CKV2_, are in `graph_cases` and not run here.)

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { auditLoaded } from '../../src/cli/audit.js';
import { AUDIT_CHECKS } from '../../src/core/audit/catalog.js';
import { DEFAULT_CONFIG } from '../../src/core/audit/run.js';
import { DEFAULT_SETTINGS, type Check, type CheckMappings } from '../../src/core/audit/types.js';
import { Connectivity } from '../../src/core/engine/connectivity.js';
import { loadCluster } from '../../src/k8s/load-cluster.js';
import { PROJECT_ROOT, sharedAvailable, sharedPath } from '../shared.js';

const available = sharedAvailable();
const ROOT = sharedPath('conformance', 'audit');
const DISAGREEMENTS = join(PROJECT_ROOT, 'test', 'conformance', 'audit-disagreements.json');

type Tool = 'polaris' | 'kube-linter' | 'kube-score' | 'checkov' | 'trivy';

interface Case {
  readonly tool: Tool;
  readonly upstream: string;
  /** Where the fixture is, relative to ../shared/conformance/audit (with #index for Trivy examples). */
  readonly fixture: string;
  readonly files: { name: string; text: string }[];
  readonly expected: 'fail' | 'pass';
  /** Checkov counts failing resources; the others give a verdict per file. */
  readonly expectedFailing?: number;
  /** Checkov cases that list resources: which must fail and which must pass (`Kind.namespace.name`). */
  readonly resources?: { readonly failing: readonly string[]; readonly passing: readonly string[] };
}

interface Disagreement {
  readonly tool: Tool;
  readonly upstream: string;
  readonly fixture: string;
  readonly reason: string;
}

function ours(tool: Tool, upstream: string): Check[] {
  const key: keyof CheckMappings = tool;
  return AUDIT_CHECKS.filter((c) => c.info.mappings[key]?.includes(upstream) ?? false);
}

function read(path: string): { name: string; text: string } {
  return { name: path, text: readFileSync(join(ROOT, path), 'utf8') };
}

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(join(ROOT, path)).isDirectory()) return yamlFilesUnder(path);
    return /\.(ya?ml|json)$/.test(entry) ? [path] : [];
  });
}

function cases(): Case[] {
  const out: Case[] = [];
  const index = <T>(tool: string): { cases: T[] } =>
    JSON.parse(readFileSync(join(ROOT, tool, 'index.json'), 'utf8')) as { cases: T[] };
  for (const c of index<{ check: string; file: string; expected: 'fail' | 'pass' }>('polaris').cases)
    out.push({
      tool: 'polaris',
      upstream: c.check,
      fixture: `polaris/${c.file}`,
      files: [read(`polaris/${c.file}`)],
      expected: c.expected,
    });
  for (const c of index<{
    check: string | null;
    file: string;
    config: string | null;
    expected_report_count: number;
  }>('kube-linter').cases) {
    if (c.check === null || c.config !== null) continue;
    out.push({
      tool: 'kube-linter',
      upstream: c.check,
      fixture: `kube-linter/${c.file}`,
      files: [read(`kube-linter/${c.file}`)],
      expected: c.expected_report_count > 0 ? 'fail' : 'pass',
    });
  }
  for (const c of index<{ file: string; check_name: string; expected_grade: string; config: string }>(
    'kube-score',
  ).cases) {
    if (c.config !== 'default') continue;
    out.push({
      tool: 'kube-score',
      upstream: c.check_name,
      fixture: `kube-score/${c.file}`,
      files: [read(`kube-score/${c.file}`)],
      expected: c.expected_grade === 'GradeAllOK' || c.expected_grade === 'GradeAlmostOK' ? 'pass' : 'fail',
    });
  }
  for (const c of index<{
    check_id: string;
    check_class: string;
    dir: string | null;
    expected_summary: { failed?: number };
    passing_resources: string[] | null;
    failing_resources: string[] | null;
  }>('checkov').cases) {
    // Cases without a directory list their resources; their fixtures are in the check's example folder.
    const dir = c.dir ?? `tests/kubernetes/checks/example_${c.check_class}`;
    if (!existsSync(join(ROOT, 'checkov', dir))) continue;
    const failing = c.failing_resources ?? [];
    out.push({
      tool: 'checkov',
      upstream: c.check_id,
      fixture: `checkov/${dir}`,
      files: yamlFilesUnder(`checkov/${dir}`).map(read),
      expected: (c.expected_summary.failed ?? failing.length) > 0 ? 'fail' : 'pass',
      ...(c.dir !== null && c.expected_summary.failed !== undefined
        ? { expectedFailing: c.expected_summary.failed }
        : {}),
      ...(c.dir === null ? { resources: { failing, passing: c.passing_resources ?? [] } } : {}),
    });
  }
  for (const c of index<{
    id: string;
    format: string;
    expected: 'fail' | 'pass';
    example_file: string;
    index: number;
  }>('trivy-checks').cases) {
    if (c.format !== 'kubernetes') continue;
    const examples = parseYaml(readFileSync(join(ROOT, 'trivy-checks', c.example_file), 'utf8')) as {
      kubernetes: { good?: string[]; bad?: string[] };
    };
    const text = (c.expected === 'pass' ? examples.kubernetes.good : examples.kubernetes.bad)?.[c.index];
    if (text === undefined) continue;
    const fixture = `trivy-checks/${c.example_file}#${c.expected === 'pass' ? 'good' : 'bad'}[${c.index}]`;
    out.push({
      tool: 'trivy',
      upstream: c.id,
      fixture,
      files: [{ name: fixture, text }],
      expected: c.expected,
    });
  }
  return out;
}

/** Our verdict: the mapped checks' findings on the fixture (failing resources counted for Checkov). */
function verdict(
  c: Case,
  checks: Check[],
): { verdict: 'fail' | 'pass'; failing: number; failingIds: Set<string> } {
  // Checkov: each file on its own (see the header); the others: the fixture's files together.
  const units = c.tool === 'checkov' ? c.files.map((f) => [f]) : [c.files];
  let failing = 0;
  const failingIds = new Set<string>();
  for (const files of units) {
    const ids = failingResources(files, checks);
    failing += ids.size;
    for (const id of ids) failingIds.add(id);
  }
  return { verdict: failing > 0 ? 'fail' : 'pass', failing, failingIds };
}

/** The resources (`Kind.namespace.name`) our checks report on these files, loaded together. */
function failingResources(files: { name: string; text: string }[], checks: Check[]): Set<string> {
  const loaded = loadCluster(files);
  const options = { ipBlockPods: 'match' as const };
  let model: Connectivity | undefined;
  const result = auditLoaded(
    loaded,
    () => (model ??= Connectivity.build(loaded.cluster, options)),
    options,
    DEFAULT_SETTINGS,
    { config: DEFAULT_CONFIG, today: '2026-11-22' },
    checks,
  );
  return new Set(result.findings.map((f) => `${f.resource.kind}.${f.resource.namespace}.${f.resource.name}`));
}

const all = available ? cases() : [];
const documented: Disagreement[] = available
  ? (JSON.parse(readFileSync(DISAGREEMENTS, 'utf8')) as Disagreement[])
  : [];
const table = new Map<
  Tool,
  { cases: number; mapped: number; agree: number; upstreamChecks: Set<string>; mappedChecks: Set<string> }
>();
const found: Disagreement[] = [];

describe.skipIf(!available)('agreement with other tools on their own fixtures', () => {
  afterAll(() => {
    const lines = [
      '| tool | upstream checks | mapped to ours | fixture cases run | agree | disagree (documented) |',
      '|---|---|---|---|---|---|',
    ];
    for (const [tool, row] of table)
      lines.push(
        `| ${tool} | ${row.upstreamChecks.size} | ${row.mappedChecks.size} | ${row.mapped} | ${row.agree} | ${row.mapped - row.agree} |`,
      );
    console.log(`audit agreement:\n${lines.join('\n')}`);
  });

  for (const c of all) {
    const checks = ours(c.tool, c.upstream);
    const row = table.get(c.tool) ?? {
      cases: 0,
      mapped: 0,
      agree: 0,
      upstreamChecks: new Set<string>(),
      mappedChecks: new Set<string>(),
    };
    table.set(c.tool, row);
    row.cases++;
    row.upstreamChecks.add(c.upstream);
    if (checks.length === 0) continue;
    row.mapped++;
    row.mappedChecks.add(c.upstream);
    it(`${c.tool} ${c.upstream} ${c.fixture} (${c.expected}) ~ ${checks.map((k) => k.info.id).join(', ')}`, () => {
      const ourVerdict = verdict(c, checks);
      const agrees =
        c.resources !== undefined
          ? c.resources.failing.every((r) => ourVerdict.failingIds.has(r)) &&
            c.resources.passing.every((r) => !ourVerdict.failingIds.has(r))
          : c.expectedFailing !== undefined
            ? ourVerdict.failing === c.expectedFailing
            : ourVerdict.verdict === c.expected;
      const note = documented.find(
        (d) => d.tool === c.tool && d.upstream === c.upstream && d.fixture === c.fixture,
      );
      if (agrees) {
        row.agree++;
        expect(
          note,
          `documented as a disagreement but agrees now: remove it from audit-disagreements.json`,
        ).toBeUndefined();
        return;
      }
      found.push({ tool: c.tool, upstream: c.upstream, fixture: c.fixture, reason: '' });
      expect(
        note,
        `we say ${ourVerdict.verdict}${c.expectedFailing !== undefined ? ` (${ourVerdict.failing} failing resources, upstream ${c.expectedFailing})` : ''}, upstream ${c.expected}: fix the check or document the reason`,
      ).toBeDefined();
    });
  }
});
