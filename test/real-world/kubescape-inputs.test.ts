// kubescape's rule test inputs (../shared/conformance/audit/kubescape/rules/*/test/*/input) as extra real-world
// manifests: every one is read and audited without a crash, a located diagnostic for what is not valid, and an
// exit code of 0, 1 or 2 — never an exception.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.js';
import { sharedAvailable, sharedPath } from '../shared.js';

const available = sharedAvailable();
const RULES = sharedPath('conformance', 'audit', 'kubescape', 'rules');

function inputDirs(): string[] {
  if (!existsSync(RULES)) return [];
  const out: string[] = [];
  for (const rule of readdirSync(RULES)) {
    const tests = join(RULES, rule, 'test');
    if (!existsSync(tests)) continue;
    for (const test of readdirSync(tests)) {
      const input = join(tests, test, 'input');
      if (existsSync(input) && statSync(input).isDirectory()) out.push(input);
    }
  }
  return out.sort();
}

describe.skipIf(!available)('kubescape rule inputs', () => {
  it('are all audited without a crash', async () => {
    const dirs = inputDirs();
    expect(dirs.length).toBeGreaterThan(500);
    const codes = new Map<number, number>();
    let findings = 0;
    for (const dir of dirs) {
      const result = await runCli(['audit', dir, '--format', 'json']);
      expect([0, 1, 2], `${dir}: ${result.stderr}`).toContain(result.code);
      expect(result.stderr, dir).not.toMatch(/\n\s+at /);
      codes.set(result.code, (codes.get(result.code) ?? 0) + 1);
      findings += (JSON.parse(result.stdout) as { findings: unknown[] }).findings.length;
    }
    console.log(
      `kubescape inputs: ${dirs.length} directories audited, ${findings} findings; exit codes ${[...codes].map(([c, n]) => `${c}: ${n}`).join(', ')}`,
    );
  }, 240_000);
});
