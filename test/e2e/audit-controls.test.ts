// The audit's CI gate and noise controls end to end: --fail-on, inline suppressions with a required reason,
// .bulkhead.yaml (selection, severity overrides, exceptions with expiry), --baseline and --write-baseline.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/run.js';

const dir = mkdtempSync(join(tmpdir(), 'bulkhead-audit-ctl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** runCli with a fixed date, so exception expiry is tested deterministically. */
async function cli(
  argv: string[],
  today = '2026-11-22',
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    readStdin: async () => '',
    today: () => today,
  });
  return { code, stdout, stderr };
}

// Two unrestricted workloads in a namespace without default deny: BH-SEG-001 (medium), BH-SEG-002 (low),
// BH-SEG-003 (medium) twice.
const manifests = (annotation = ''): string =>
  ['web', 'api']
    .map(
      (name) =>
        `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: shop\n${name === 'web' ? annotation : ''}spec:\n  containers:\n  - name: c\n    image: registry.example.com/${name}:1.0\n---\n`,
    )
    .join('');

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

interface Report {
  findings: { check: string; severity: string; resource: { name: string } }[];
  suppressed: { check: string; by: string; reason: string }[];
  checks: { id: string }[];
  diagnostics: { code: string; line?: number }[];
}

const parse = (stdout: string): Report => JSON.parse(stdout) as Report;
const ids = (r: Report): string[] => r.findings.map((f) => `${f.check}:${f.resource.name}`).sort();

describe('audit noise controls', () => {
  const input = write('shop.yaml', manifests());
  // Only the segmentation checks, so that the test does not move when other areas grow.
  const empty = write('segmentation-only.yaml', 'checks:\n  include: [BH-SEG-*]\n');

  it('reports the findings and gates on --fail-on', async () => {
    const result = await cli(['audit', input, '--format', 'json', '--config', empty]);
    expect(result.code).toBe(0);
    expect(ids(parse(result.stdout))).toEqual(
      expect.arrayContaining(['BH-SEG-001:shop', 'BH-SEG-002:shop', 'BH-SEG-003:api', 'BH-SEG-003:web']),
    );
    expect((await cli(['audit', input, '--config', empty, '--fail-on', 'medium'])).code).toBe(1);
    expect(
      (await cli(['audit', input, '--config', empty, '--fail-on', 'high', '--format', 'json'])).code,
    ).toBe(0);
  });

  it('honours an inline suppression with a reason, and refuses one without', async () => {
    const annotated = write(
      'annotated.yaml',
      manifests(
        '  annotations:\n    bulkhead.io/ignore: "BH-SEG-003: batch runner, isolated by the node pool; BH-NET-*"\n',
      ),
    );
    const report = parse((await cli(['audit', annotated, '--format', 'json', '--config', empty])).stdout);
    expect(ids(report)).not.toContain('BH-SEG-003:web');
    expect(ids(report)).toContain('BH-SEG-003:api');
    expect(report.suppressed).toContainEqual({
      check: 'BH-SEG-003',
      resource: expect.objectContaining({ name: 'web' }) as unknown,
      by: 'annotation',
      reason: 'batch runner, isolated by the node pool',
    });
    // "BH-NET-*" has no reason: reported, and suppresses nothing.
    expect(report.diagnostics.map((d) => d.code)).toContain('SUPPRESSION_WITHOUT_REASON');
  });

  it('applies .bulkhead.yaml: selection, severity overrides, exceptions and their expiry', async () => {
    const config = write(
      'config.yaml',
      [
        'checks:',
        '  include: [BH-SEG-*]',
        '  exclude: [BH-SEG-002]',
        'severity:',
        '  BH-SEG-001: high',
        'exceptions:',
        '  - check: BH-SEG-003',
        '    name: api',
        '    reason: legacy, scheduled for removal',
        '    expires: "2027-01-31"',
        '  - check: BH-SEG-003',
        '    name: web',
        '    reason: old exception',
        '    expires: "2026-01-01"',
        '',
      ].join('\n'),
    );
    const report = parse((await cli(['audit', input, '--format', 'json', '--config', config])).stdout);
    expect(report.checks.map((c) => c.id)).not.toContain('BH-SEG-002');
    expect(report.findings.find((f) => f.check === 'BH-SEG-001')!.severity).toBe('high');
    expect(ids(report)).not.toContain('BH-SEG-003:api');
    // The expired exception no longer applies, and says so at its line.
    expect(ids(report)).toContain('BH-SEG-003:web');
    expect(report.diagnostics).toContainEqual(
      expect.objectContaining({ code: 'EXCEPTION_EXPIRED', line: 11 }),
    );
    // After the api exception expires too.
    const later = parse(
      (await cli(['audit', input, '--format', 'json', '--config', config], '2027-02-01')).stdout,
    );
    expect(ids(later)).toContain('BH-SEG-003:api');
  });

  it('rejects a broken configuration with its line and exit 2', async () => {
    const bad = write('bad.yaml', 'severity:\n  BH-SEG-001: urgent\nexceptions:\n  - check: BH-SEG-003\n');
    const result = await cli(['audit', input, '--config', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('bad.yaml:2:15: error INVALID_SEVERITY');
    expect(result.stderr).toContain('bad.yaml:4:5: error MISSING_FIELD');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('accepts the findings of a baseline, so only new ones count', async () => {
    const baseline = join(dir, 'baseline.json');
    const written = await cli([
      'audit',
      input,
      '--config',
      empty,
      '--write-baseline',
      baseline,
      '--format',
      'json',
    ]);
    expect(written.stderr).toContain('wrote');
    expect(
      (JSON.parse(readFileSync(baseline, 'utf8')) as { findings: unknown[] }).findings.length,
    ).toBeGreaterThan(0);
    const same = await cli([
      'audit',
      input,
      '--config',
      empty,
      '--baseline',
      baseline,
      '--fail-on',
      'low',
      '--format',
      'json',
    ]);
    expect(same.code).toBe(0);
    expect(parse(same.stdout).findings).toEqual([]);
    // A new workload brings new findings past the baseline.
    const grown = write(
      'grown.yaml',
      manifests() + manifests().replaceAll('web', 'admin').split('---\n')[0]! + '---\n',
    );
    const after = await cli([
      'audit',
      grown,
      '--config',
      empty,
      '--baseline',
      baseline,
      '--fail-on',
      'low',
      '--format',
      'json',
    ]);
    expect(after.code).toBe(1);
    expect(ids(parse(after.stdout))).toEqual(['BH-SEG-003:admin']);
    expect((await cli(['audit', input, '--baseline', join(dir, 'missing.json')])).code).toBe(2);
  });
});
