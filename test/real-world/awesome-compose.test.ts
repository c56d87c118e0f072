// Real-world Compose files (awesome-compose): load, reach and audit every project; and KICS agreement on its
// dockerCompose queries (positive samples must give our mapped finding at KICS's line, negatives none).

import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCompose } from '../../src/compose/load-compose.js';
import { composeChecks } from '../../src/core/audit/compose.js';
import { DEFAULT_SETTINGS } from '../../src/core/audit/types.js';
import { Connectivity } from '../../src/core/engine/connectivity.js';
import { runCli } from '../run-cli.js';
import { sharedAvailable, sharedPath } from '../shared.js';

const available = sharedAvailable();
const root = sharedPath('real-world', 'awesome-compose');
const kicsRoot = sharedPath('conformance', 'audit', 'kics', 'assets', 'queries', 'dockerCompose');

function projects(): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .filter((name) => readdirSync(join(root, name)).some((f) => /compose\.ya?ml$/.test(f)))
    .sort();
}

describe.skipIf(!available)('awesome-compose', () => {
  it('loads, reaches and audits every project', async () => {
    const rows: string[] = [];
    const list = projects();
    expect(list.length).toBeGreaterThan(30);
    for (const name of list) {
      const dir = join(root, name);
      const reach = await runCli(['reach', dir]);
      expect([0, 1], `${name}: ${reach.stderr}`).toContain(reach.code);
      const audit = await runCli(['audit', dir, '--format', 'json']);
      expect([0, 1], `${name}: ${audit.stderr}`).toContain(audit.code);
      const json = JSON.parse(audit.stdout) as { findings: { check: string; severity: string }[] };
      const compose = json.findings.filter((f) => f.check.startsWith('BH-CMP-'));
      const by = (s: string): number => compose.filter((f) => f.severity === s).length;
      const ids = [...new Set(compose.map((f) => f.check.slice('BH-CMP-'.length)))].sort().join(',');
      const workloads = reach.stdout.split('\n').filter((l) => l !== '').length;
      rows.push(
        `${name.padEnd(30)} ${String(by('critical')).padStart(4)} ${String(by('high')).padStart(4)} ${String(by('medium')).padStart(4)} ${String(by('low')).padStart(4)} ${String(workloads).padStart(6)}  ${ids}`,
      );
    }
    console.log(`${'project'.padEnd(30)} crit high  med  low  conns  BH-CMP checks\n${rows.join('\n')}`);
  }, 120_000);
});

interface KicsExpected {
  readonly line: number;
  readonly filename: string;
  readonly searchKey: string;
}

describe.skipIf(!available || !existsSync(kicsRoot))('KICS dockerCompose agreement', () => {
  it('gives our mapped finding at each expected line, and none on negatives', () => {
    let agreed = 0;
    let total = 0;
    const misses: string[] = [];
    for (const query of readdirSync(kicsRoot).sort()) {
      const id = (JSON.parse(readFileSync(join(kicsRoot, query, 'metadata.json'), 'utf8')) as { id: string })
        .id;
      const mapped = composeChecks.filter((c) => c.info.mappings.kics?.includes(id));
      expect(mapped.length, query).toBeGreaterThan(0);
      const testDir = join(kicsRoot, query, 'test');
      const findingsOf = (file: string) => {
        const loaded = loadCompose([
          { name: join(testDir, file), text: readFileSync(join(testDir, file), 'utf8') },
        ]);
        const options = { ipBlockPods: 'match' as const };
        const context = {
          cluster: loaded.cluster,
          objects: loaded.objects,
          locate: loaded.locate,
          model: () => Connectivity.build(loaded.cluster, options),
          options,
          settings: DEFAULT_SETTINGS,
        };
        const source = loaded.sources.get(join(testDir, file))!;
        return mapped.flatMap((c) =>
          c.run(context).map((f) => ({
            line: f.location.range ? source.position(f.location.range[0]).line : 0,
            path: f.location.path ?? '',
          })),
        );
      };
      const expected = JSON.parse(
        readFileSync(join(testDir, 'positive_expected_result.json'), 'utf8'),
      ) as KicsExpected[];
      for (const result of expected) {
        total++;
        const ours = findingsOf(result.filename);
        // KICS reports the key of its search path (`services.webapp.ports`); we may point inside it (the item).
        const ok = ours.some(
          (f) =>
            f.line === result.line ||
            (f.path.startsWith(result.searchKey) &&
              f.path !== result.searchKey &&
              f.line > result.line &&
              result.searchKey.split('.').length > 2),
        );
        if (ok) agreed++;
        else
          misses.push(
            `${query}/${result.filename}:${result.line} (${result.searchKey}) ours: ${JSON.stringify(ours)}`,
          );
      }
      for (const file of readdirSync(testDir)
        .filter((f) => f.startsWith('negative'))
        .sort()) {
        total++;
        const ours = findingsOf(file);
        if (ours.length === 0) agreed++;
        else misses.push(`${query}/${file}: expected none, ours: ${JSON.stringify(ours)}`);
      }
    }
    console.log(`KICS agreement: ${agreed}/${total}${misses.length ? `\n${misses.join('\n')}` : ''}`);
    expect(misses).toEqual([]);
  });
});
