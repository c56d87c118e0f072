// End-to-end tests of `bulkhead explain` through run(): text, JSON, --all-denied, scope and endpoint errors.

import { describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.js';

const EXAMPLE = 'examples/storefront';

describe('bulkhead explain', () => {
  it('explains a pair per direction with file:line', async () => {
    const r = await runCli(['explain', 'storefront/web', 'storefront/api', EXAMPLE]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      'storefront/web[Deployment] => storefront/api[Deployment]\n  allowed: TCP 8000\n',
    );
    expect(r.stdout).toMatch(
      /TCP 8000 +allowed by NetworkPolicy storefront\/web-from-internet egress rule 0 \(examples\/storefront\/policies\.yaml:\d+\)/,
    );
    expect(r.stdout).toContain(
      'everything else  denied: storefront/web[Deployment] is isolated for egress by',
    );
  });

  it('gives the full structure as JSON', async () => {
    const r = await runCli([
      'explain',
      'storefront/web[Deployment]',
      'storefront/api',
      EXAMPLE,
      '--format',
      'json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as {
      allowed: string;
      egress: {
        segments: {
          protocol: string;
          ports: string;
          verdict: string;
          tier: string;
          policy: { name: string; line: number };
          rule: { index: number } | null;
        }[];
      };
    };
    expect(json.allowed).toBe('TCP 8000');
    const allowed = json.egress.segments.find((s) => s.verdict === 'allowed')!;
    expect(allowed).toMatchObject({
      protocol: 'TCP',
      ports: '8000',
      tier: 'networkpolicy',
      rule: { index: 0 },
    });
    expect(allowed.policy.name).toBe('web-from-internet');
    expect(typeof allowed.policy.line).toBe('number');
  });

  it('restricts to --port and --protocol, and takes an IP address', async () => {
    const r = await runCli([
      'explain',
      '203.0.113.9',
      'storefront/web',
      EXAMPLE,
      '--port',
      '8080',
      '--protocol',
      'tcp',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('203.0.113.9[External] => storefront/web[Deployment]\n  allowed: TCP 8080');
  });

  it('lists what a source can not reach with --all-denied', async () => {
    const r = await runCli(['explain', '--all-denied', 'storefront/web', EXAMPLE]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('storefront/web[Deployment] can not reach:');
    expect(r.stdout).toContain('  payments/gateway[Deployment] : All Connections denied');
  });

  it('exits 2 with suggestions for an unknown endpoint', async () => {
    const r = await runCli(['explain', 'storefront/web', 'storefront/apx', EXAMPLE]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no workload "storefront/apx"');
    expect(r.stderr).toContain('did you mean storefront/api[Deployment]');
    expect((await runCli(['explain', 'storefront/web', EXAMPLE])).code).toBe(2);
    expect((await runCli(['explain', 'a', 'b', EXAMPLE, '--port', '70000'])).code).toBe(2);
  });
});
