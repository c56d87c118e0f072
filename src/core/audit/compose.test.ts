// Tests of the compose-area checks, positive and negative, on Compose text loaded by the Compose loader.

import { describe, expect, it } from 'vitest';
import { loadCompose } from '../../compose/load-compose.js';
import { Connectivity } from '../engine/connectivity.js';
import { composeChecks } from './compose.js';
import { parseImage } from './images.js';
import { DEFAULT_SETTINGS, type AuditContext } from './types.js';

function audit(text: string): string[] {
  const loaded = loadCompose([{ name: 'p/compose.yaml', text }]);
  const options = { ipBlockPods: 'match' as const };
  const context: AuditContext = {
    cluster: loaded.cluster,
    objects: loaded.objects,
    locate: loaded.locate,
    model: () => Connectivity.build(loaded.cluster, options),
    options,
    settings: DEFAULT_SETTINGS,
  };
  const source = loaded.sources.get('p/compose.yaml')!;
  return composeChecks.flatMap((c) =>
    c
      .run(context)
      .map(
        (f) => `${f.check} ${f.severity} ${f.resource.name} ${source.position(f.location.range![0]).line}`,
      ),
  );
}

const HARDENED = '    cap_drop: [ALL]\n    security_opt: ["no-new-privileges:true"]\n';

describe('compose checks', () => {
  it('finds nothing on a hardened service', () => {
    expect(
      audit(`services:\n  a:\n    image: nginx:1.27@sha256:abc\n    ports: ["127.0.0.1:80:80"]\n${HARDENED}`),
    ).toEqual([]);
  });

  it('BH-CMP-001: ports on all interfaces, high for sensitive ports', () => {
    const found = audit(
      `services:\n  a:\n    ports:\n      - "8080:80"\n      - "0.0.0.0:5432:5432"\n      - "[::]:22:22"\n      - "127.0.0.1:6379:6379"\n      - target: 27017\n        host_ip: 10.0.0.5\n${HARDENED}`,
    );
    expect(found).toEqual(['BH-CMP-001 medium a 4', 'BH-CMP-001 high a 5', 'BH-CMP-001 high a 6']);
  });

  it('BH-CMP-002/003/004/006: host network, privileged, capabilities, runtime sockets', () => {
    const found = audit(
      [
        'services:',
        '  a:',
        '    image: x:1@sha256:1',
        '    network_mode: host',
        '    privileged: true',
        '    cap_add: [SYS_ADMIN]',
        '    volumes:',
        '      - /var/run/docker.sock:/var/run/docker.sock:ro',
        '      - type: bind',
        '        source: /run/containerd/containerd.sock',
        '        target: /s',
        '      - ./data:/data',
        '    security_opt: [no-new-privileges]',
        '  b:',
        '    image: x:1@sha256:1',
        '    cap_add: [CHOWN]',
        HARDENED,
      ].join('\n'),
    );
    expect(found).toEqual([
      'BH-CMP-002 high a 4',
      'BH-CMP-003 critical a 5',
      'BH-CMP-004 high a 6',
      'BH-CMP-004 medium b 16',
      'BH-CMP-006 critical a 8',
      'BH-CMP-006 critical a 9',
    ]);
  });

  it('BH-CMP-005/008: no cap_drop, no no-new-privileges', () => {
    expect(audit('services:\n  a:\n    image: x:1@sha256:1\n')).toEqual([
      'BH-CMP-005 low a 2',
      'BH-CMP-008 low a 2',
    ]);
  });

  it('BH-CMP-007: several services on the default network only; not once networks segment', () => {
    const flat = `services:\n  a:\n    image: x:1@sha256:1\n${HARDENED}  b:\n    image: x:1@sha256:1\n${HARDENED}`;
    expect(audit(flat)).toEqual(['BH-CMP-007 low a 2', 'BH-CMP-007 low b 6']);
    const segmented = `services:\n  a:\n    image: x:1@sha256:1\n    networks: [n]\n${HARDENED}  b:\n    image: x:1@sha256:1\n${HARDENED}networks:\n  n:\n`;
    expect(audit(segmented)).toEqual([]);
    expect(audit(`services:\n  a:\n    image: x:1@sha256:1\n${HARDENED}`)).toEqual([]);
  });

  it('BH-CMP-009/010: latest, no tag, no digest', () => {
    const found = audit(
      `services:\n  a:\n    image: nginx\n${HARDENED}    networks: [n]\n  b:\n    image: registry:5000/x/y:latest\n${HARDENED}    networks: [n]\n  c:\n    image: redis:7\n${HARDENED}    networks: [n]\n  d:\n    build: .\n${HARDENED}    networks: [n]\nnetworks:\n  n:\n`,
    );
    expect(found).toEqual(['BH-CMP-009 medium a 3', 'BH-CMP-009 medium b 8', 'BH-CMP-010 low c 13']);
    // The reference is parsed as for Kubernetes images (src/core/audit/images.ts).
    expect(parseImage('registry:5000/a/b:1.2@sha256:ff')).toEqual({
      registry: 'registry:5000',
      repository: 'a/b',
      tag: '1.2',
      digest: 'sha256:ff',
    });
  });

  it('every check has a complete catalog entry', () => {
    for (const check of composeChecks) {
      expect(check.info.id).toMatch(/^BH-CMP-\d{3}$/);
      expect(check.info.area).toBe('compose');
      expect(check.info.references.length).toBeGreaterThan(0);
      expect(check.info.rationale.length).toBeGreaterThan(20);
    }
  });
});
