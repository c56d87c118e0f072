// Real-world check: Google's Online Boutique manifests with its own network policies load cleanly and the
// reachability is what its architecture says (frontend public, redis only from cartservice, ...).

import { describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.js';
import { sharedAvailable, sharedPath } from '../shared.js';

const available = sharedAvailable();
const manifests = sharedPath('real-world', 'online-boutique', 'kubernetes-manifests');
const policies = sharedPath('real-world', 'online-boutique', 'network-policies');

interface Reach {
  workloads: { id: string }[];
  connections: { src: string; dst: string; conn: string }[];
  diagnostics: { severity: string; code: string }[];
}

describe.skipIf(!available)('Online Boutique', () => {
  it('loads the release manifest and the per-service manifests without errors', async () => {
    for (const path of [
      sharedPath('real-world', 'online-boutique', 'release-kubernetes-manifests.yaml'),
      manifests,
      policies,
    ]) {
      const result = await runCli(['reach', path, '--format', 'json']);
      expect(result.code, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout) as Reach;
      expect(report.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    }
  });

  it('gives the connectivity its architecture describes', async () => {
    const result = await runCli(['reach', manifests, policies, '--format', 'json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Reach;
    expect(report.workloads).toHaveLength(12);
    const conn = (src: string, dst: string): string | undefined =>
      report.connections.find((c) => c.src === src && c.dst === dst)?.conn;
    const into = (dst: string): string[] =>
      report.connections
        .filter((c) => c.dst === dst)
        .map((c) => c.src)
        .sort();
    const d = (name: string): string => `default/${name}[Deployment]`;

    // The frontend is the only service reachable from outside the cluster.
    expect(conn('0.0.0.0-255.255.255.255[External]', d('frontend'))).toBe('All Connections');
    expect(report.connections.filter((c) => c.src.endsWith('[External]')).map((c) => c.dst)).toEqual([
      d('frontend'),
    ]);
    // redis only from cartservice, only on its port.
    expect(into(d('redis-cart'))).toEqual([d('cartservice')]);
    expect(conn(d('cartservice'), d('redis-cart'))).toBe('TCP 6379');
    // The checkout path.
    expect(conn(d('frontend'), d('checkoutservice'))).toBe('TCP 5050');
    expect(into(d('paymentservice'))).toEqual([d('checkoutservice')]);
    expect(into(d('emailservice'))).toEqual([d('checkoutservice')]);
    expect(conn(d('checkoutservice'), d('shippingservice'))).toBe('TCP 50051');
    // Product catalog from its three callers only.
    expect(into(d('productcatalogservice'))).toEqual([
      d('checkoutservice'),
      d('frontend'),
      d('recommendationservice'),
    ]);
    // The load generator reaches the frontend, and nothing else inside the cluster.
    expect(
      report.connections
        .filter((c) => c.src === d('loadgenerator') && !c.dst.endsWith('[External]'))
        .map((c) => c.dst),
    ).toEqual([d('frontend')]);
  });

  it('without the policies, everything is open', async () => {
    const result = await runCli(['reach', manifests, '--stats', '--format', 'json']);
    expect(result.code, result.stderr).toBe(0);
    const stats = JSON.parse(result.stdout) as {
      workloads: number;
      allowedPairs: number;
      fullyOpenPairs: number;
      ingressIsolated: number;
    };
    expect(stats.workloads).toBe(12);
    expect(stats.allowedPairs).toBe(12 * 11);
    expect(stats.fullyOpenPairs).toBe(12 * 11);
    expect(stats.ingressIsolated).toBe(0);
  });
});
