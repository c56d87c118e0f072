// End-to-end tests of `bulkhead audit --format ...` through run() on the storefront example: every format parses
// (SARIF against the official schema, JUnit as XML), locations are real, colour follows the edge's decision.

import { XMLValidator } from 'fast-xml-parser';
import type { Log } from 'sarif';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/run.js';
import { runCli } from '../run-cli.js';
import { sarifErrors } from '../sarif-schema.js';

/** The start of an ANSI escape sequence (colour). */
const ANSI = '\u001b[';

const STOREFRONT = 'examples/storefront';

describe('bulkhead audit output formats on the storefront', () => {
  it('sarif: valid 2.1.0, a rule for every check that ran, a file/line/column region for every result', async () => {
    const [sarifRun, jsonRun] = await Promise.all([
      runCli(['audit', STOREFRONT, '--format', 'sarif']),
      runCli(['audit', STOREFRONT, '--format', 'json']),
    ]);
    expect(sarifRun.code, sarifRun.stderr).toBe(0);
    const log = JSON.parse(sarifRun.stdout) as Log;
    expect(sarifErrors(log)).toEqual([]);
    const json = JSON.parse(jsonRun.stdout) as {
      findings: { check: string; location: { file: string; line?: number; column?: number } }[];
      checks: { id: string }[];
    };
    const run0 = log.runs[0]!;
    expect(run0.tool.driver.rules!.map((r) => r.id)).toEqual(json.checks.map((c) => c.id));
    const live = run0.results!.filter((r) => r.suppressions === undefined);
    expect(live).toHaveLength(json.findings.length);
    live.forEach((r, i) => {
      const where = json.findings[i]!.location;
      const physical = r.locations![0]!.physicalLocation!;
      expect(physical.artifactLocation!.uri).toBe(where.file);
      expect(physical.artifactLocation!.uri).toMatch(/^examples\/storefront\/[a-z]+\.yaml$/);
      expect(physical.region!.startLine).toBe(where.line);
      expect(physical.region!.startColumn).toBe(where.column);
      expect(physical.region!.endLine).toBeGreaterThanOrEqual(physical.region!.startLine!);
      expect(r.partialFingerprints?.['bulkheadFinding/v1']).toBeTruthy();
    });
  });

  it('junit: well-formed XML, one testsuite per check', async () => {
    const result = await runCli(['audit', STOREFRONT, '--format', 'junit']);
    expect(result.code, result.stderr).toBe(0);
    expect(XMLValidator.validate(result.stdout)).toBe(true);
    const checks = JSON.parse((await runCli(['audit', STOREFRONT, '--format', 'json'])).stdout)
      .checks as unknown[];
    expect(result.stdout.match(/<testsuite /g)?.length ?? 0).toBe(checks.length);
  });

  it('md and html: a PR comment and a self-contained page', async () => {
    const md = await runCli(['audit', STOREFRONT, '--format', 'md']);
    expect(md.stdout).toMatch(/^## Bulkhead audit\n/);
    const html = await runCli(['audit', STOREFRONT, '--format', 'html']);
    expect(html.stdout).toContain('<svg xmlns="http://www.w3.org/2000/svg" id="reach-graph"');
    expect(html.stdout).toContain('data-id="storefront/web[Deployment]" data-exposed="true"');
    // Nothing loaded from elsewhere (references appear as text only).
    expect(html.stdout).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//);
    expect(html.stdout).not.toMatch(/@import|url\((?!#)/);
  });

  it('table: colour only when the edge says so (a TTY without NO_COLOR)', async () => {
    const plain = await runCli(['audit', STOREFRONT]);
    expect(plain.stdout).not.toContain(ANSI);
    expect(plain.stdout).toMatch(
      /\n\d+ findings?: \d+ critical, \d+ high, \d+ medium, \d+ low; \d+ suppressed; \d+ checks? run\n$/,
    );
    let coloured = '';
    await run(['audit', STOREFRONT], {
      stdout: (t) => {
        coloured += t;
      },
      stderr: () => undefined,
      readStdin: async () => '',
      color: true,
    });
    expect(coloured).toContain(ANSI);
  });

  it('rejects an unknown format with exit code 2', async () => {
    const result = await runCli(['audit', STOREFRONT, '--format', 'pdf']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/table, json, sarif, junit, md, html/);
  });
});
