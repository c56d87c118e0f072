// Conformance against np-guard netpol-analyzer's golden connlist outputs (../shared/conformance/netpol-analyzer).
// Every plain connlist case, with NetworkPolicy only or with AdminNetworkPolicy and BaselineAdminNetworkPolicy,
// must reproduce its goldens exactly with --ipblock-pods ignore (netpol-analyzer never matches pods by address).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.js';
import { sharedAvailable, sharedPath } from '../shared.js';

interface IndexEntry {
  readonly testDirName: string;
  readonly kind: string;
  readonly plainConnlist: boolean;
  readonly outputFormats?: string[];
  readonly expectedFiles: string[];
}

const ROOT = sharedPath('conformance', 'netpol-analyzer');
const available = sharedAvailable();
const ADMIN_KIND = /^\s*"?kind"?\s*:\s*"?(AdminNetworkPolicy|BaselineAdminNetworkPolicy)\b/m;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

function caseHas(dir: string, pattern: RegExp): boolean {
  return filesUnder(dir).some((f) => /\.(ya?ml|json)$/.test(f) && pattern.test(readFileSync(f, 'utf8')));
}

const entries: IndexEntry[] = available
  ? (JSON.parse(readFileSync(join(ROOT, 'INDEX.json'), 'utf8')) as IndexEntry[])
  : [];
const plain = entries.filter((e) => e.kind === 'connlist' && e.plainConnlist);
const withAdminTiers = new Set(
  plain.filter((e) => caseHas(join(ROOT, 'tests', e.testDirName), ADMIN_KIND)).map((e) => e.testDirName),
);

const tally = { ran: 0, passed: 0, goldens: 0, goldensPassed: 0, adminRan: 0, adminPassed: 0 };

describe.skipIf(!available)('netpol-analyzer connlist goldens', () => {
  afterAll(() => {
    const npRan = tally.ran - tally.adminRan;
    const npPassed = tally.passed - tally.adminPassed;
    console.log(
      `netpol-analyzer conformance: ${tally.passed}/${tally.ran} plain connlist cases passed ` +
        `(NetworkPolicy only ${npPassed}/${npRan}, with admin tiers ${tally.adminPassed}/${tally.adminRan}; ` +
        `${tally.goldensPassed}/${tally.goldens} golden files)`,
    );
  });

  it('finds the cases', () => {
    expect(plain.length).toBe(104);
    expect(withAdminTiers.size).toBe(54);
  });

  for (const entry of plain) {
    it(entry.testDirName, async () => {
      tally.ran++;
      const admin = withAdminTiers.has(entry.testDirName);
      if (admin) tally.adminRan++;
      const dir = join(ROOT, 'tests', entry.testDirName);
      let allPassed = true;
      for (const expected of entry.expectedFiles) {
        const format = expected.slice(expected.lastIndexOf('.') + 1);
        if (format === 'svg' || !existsSync(join(ROOT, expected))) continue;
        tally.goldens++;
        const result = await runCli(['reach', dir, '--ipblock-pods', 'ignore', '--format', format]);
        expect(result.code, result.stderr).toBe(0);
        const golden = readFileSync(join(ROOT, expected), 'utf8');
        // Our json is an object with the connection list inside; netpol-analyzer's is the bare list.
        const actual =
          format === 'json'
            ? JSON.stringify((JSON.parse(result.stdout) as { connections: unknown }).connections)
            : result.stdout;
        const wanted = format === 'json' ? JSON.stringify(JSON.parse(golden)) : golden;
        if (actual === wanted) tally.goldensPassed++;
        else allPassed = false;
        expect(actual, `${expected}`).toBe(wanted);
      }
      if (allPassed) tally.passed++;
      if (allPassed && admin) tally.adminPassed++;
    });
  }
});
