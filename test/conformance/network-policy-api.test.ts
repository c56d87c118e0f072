// The network-policy-api conformance manifests (../shared/conformance/network-policy-api), v0.1.7
// (AdminNetworkPolicy, BaselineAdminNetworkPolicy v1alpha1) and HEAD (ClusterNetworkPolicy v1alpha2), must load
// through `bulkhead reach` with no diagnostic at all, every admin policy read. Upstream applies each policy file
// on its own beside the base manifests, so each is loaded that way (together they would collide on names and
// priorities). HEAD's files are Go templates over the suite's host-network ports; they are rendered first with
// the ports that v0.1.7 wrote literally.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCluster } from '../../src/k8s/load-cluster.js';
import { runCli } from '../run-cli.js';
import { sharedAvailable, sharedPath } from '../shared.js';

const ROOT = sharedPath('conformance', 'network-policy-api');
const VERSIONS = ['conformance-v0.1.7', 'conformance-HEAD'] as const;
/** `s.HostNetworkPorts` of upstream's suite, as v0.1.7's manifests spell them out (centaur containers). */
const HOST_NETWORK_PORTS = [36363, 36364, 34345, 34358, 34346, 34357, 9003, 9005];
const ADMIN_KIND = /^kind:\s*(AdminNetworkPolicy|BaselineAdminNetworkPolicy|ClusterNetworkPolicy)\s*$/gm;

const available = sharedAvailable();

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

function render(text: string): string {
  return text.replace(/\{\{\s*index \.HostNetworkPorts (\d+)\s*\}\}/g, (_, i: string) => {
    const port = HOST_NETWORK_PORTS[Number(i)];
    if (port === undefined) throw new Error(`no host network port ${i}`);
    return String(port);
  });
}

interface ReachJson {
  readonly diagnostics: readonly { code: string; severity: string; message: string }[];
}

const tally = { manifests: 0, policies: 0 };

describe.skipIf(!available)('network-policy-api conformance manifests', () => {
  const work = available ? mkdtempSync(join(tmpdir(), 'bulkhead-npapi-')) : '';
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
    console.log(
      `network-policy-api conformance: ${tally.manifests} manifests, ${tally.policies} admin policies loaded without diagnostics`,
    );
  });

  for (const version of VERSIONS) {
    const base = join(ROOT, version, 'conformance', 'base');
    const policyFiles = available
      ? filesUnder(base).filter((f) => f !== join(base, 'manifests.yaml') && /\.ya?ml$/.test(f))
      : [];

    it(`${version}: finds the policy files`, () => {
      expect(policyFiles.length).toBe(20);
    });

    for (const file of policyFiles) {
      const name = relative(base, file);
      it(`${version}/${name}`, async () => {
        const dir = mkdtempSync(join(work, 'case-'));
        const policyText = render(readFileSync(file, 'utf8'));
        writeFileSync(
          join(dir, 'manifests.yaml'),
          render(readFileSync(join(base, 'manifests.yaml'), 'utf8')),
        );
        writeFileSync(join(dir, 'policy.yaml'), policyText);
        const expected = [...policyText.matchAll(ADMIN_KIND)].length;
        expect(expected).toBeGreaterThan(0);

        const result = await runCli(['reach', dir, '--format', 'json']);
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
        const json = JSON.parse(result.stdout) as ReachJson;
        expect(json.diagnostics).toEqual([]);

        // The policies themselves, as the loader read them: every one there, none dropped.
        const loaded = loadCluster([
          { name: 'manifests.yaml', text: readFileSync(join(dir, 'manifests.yaml'), 'utf8') },
          { name: 'policy.yaml', text: policyText },
        ]);
        expect(loaded.diagnostics).toEqual([]);
        expect(loaded.cluster.adminPolicies.length).toBe(expected);
        tally.manifests++;
        tally.policies += expected;
      });
    }
  }
});
