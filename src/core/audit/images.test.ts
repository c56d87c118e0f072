// Unit tests of the images checks: tags, digests, the registry allowlist and Kubernetes' pull-policy defaulting.

import { describe, expect, it } from 'vitest';
import { pod, runCheck, type Json } from './_test-support.js';
import { effectivePullPolicy, imagesChecks, parseImage, registryAllowed } from './images.js';
import { DEFAULT_SETTINGS, type AuditSettings, type Finding, type ObjectRecord } from './types.js';

const CHECKS = imagesChecks;
let settings: AuditSettings = DEFAULT_SETTINGS;

function run(id: string, ...objects: ObjectRecord[]): Finding[] {
  return runCheck(CHECKS, id, objects, settings);
}

/** A Pod whose container `app` uses `image`, with `extra` merged into the container. */
function withImage(image: string, extra: Json = {}): ObjectRecord {
  return pod({ image, ...extra });
}

const IMAGE = 'spec.containers.0.image';
const POLICY = 'spec.containers.0.imagePullPolicy';
const DIGEST = 'sha256:' + 'a'.repeat(64);

interface Case {
  readonly id: string;
  readonly name: string;
  readonly objects: readonly ObjectRecord[];
  readonly expected: readonly string[];
  readonly allowed?: readonly string[];
}

const cases: Case[] = [
  { id: 'BH-IMG-001', name: 'no tag', objects: [withImage('nginx')], expected: [IMAGE] },
  {
    id: 'BH-IMG-001',
    name: 'latest',
    objects: [withImage('registry.example.com:5000/app:latest')],
    expected: [IMAGE],
  },
  { id: 'BH-IMG-001', name: 'version tag', objects: [withImage('nginx:1.27.1')], expected: [] },
  {
    id: 'BH-IMG-001',
    name: 'registry port is not a tag',
    objects: [withImage('localhost:5000/app')],
    expected: [IMAGE],
  },
  {
    id: 'BH-IMG-001',
    name: 'latest pinned by digest',
    objects: [withImage(`nginx:latest@${DIGEST}`)],
    expected: [],
  },
  { id: 'BH-IMG-002', name: 'tag without digest', objects: [withImage('nginx:1.27.1')], expected: [IMAGE] },
  { id: 'BH-IMG-002', name: 'digest', objects: [withImage(`nginx@${DIGEST}`)], expected: [] },
  {
    id: 'BH-IMG-003',
    name: 'bare name means docker.io',
    objects: [withImage('nginx:1.27')],
    allowed: ['registry.example.com'],
    expected: [IMAGE],
  },
  {
    id: 'BH-IMG-003',
    name: 'docker.io allowed covers bare names',
    objects: [withImage('nginx:1.27')],
    allowed: ['docker.io'],
    expected: [],
  },
  {
    id: 'BH-IMG-003',
    name: 'allowed registry',
    objects: [withImage('registry.example.com/shop/web:1.4.2')],
    allowed: ['registry.example.com'],
    expected: [],
  },
  {
    id: 'BH-IMG-003',
    name: 'a path prefix restricts the repositories',
    objects: [withImage('registry.example.com/other/web:1.4.2')],
    allowed: ['registry.example.com/shop'],
    expected: [IMAGE],
  },
  {
    id: 'BH-IMG-003',
    name: 'off when the allowlist is empty',
    objects: [withImage('evil.example.net/miner:1')],
    allowed: [],
    expected: [],
  },
  {
    id: 'BH-IMG-004',
    name: 'version tag defaults to IfNotPresent',
    objects: [withImage('nginx:1.27')],
    expected: [IMAGE],
  },
  {
    id: 'BH-IMG-004',
    name: 'explicit IfNotPresent on latest is reported at the policy',
    objects: [withImage('nginx:latest', { imagePullPolicy: 'IfNotPresent' })],
    expected: [POLICY],
  },
  {
    id: 'BH-IMG-004',
    name: 'latest and no tag default to Always',
    objects: [withImage('nginx:latest'), withImage('nginx')],
    expected: [],
  },
  {
    id: 'BH-IMG-004',
    name: 'explicit Always',
    objects: [withImage('nginx:1.27', { imagePullPolicy: 'Always' })],
    expected: [],
  },
  {
    id: 'BH-IMG-004',
    name: 'digest needs no pull policy',
    objects: [withImage(`nginx:1.27@${DIGEST}`, { imagePullPolicy: 'Never' })],
    expected: [],
  },
];

describe('images checks', () => {
  it.each(cases)('$id: $name', ({ id, objects, expected, allowed }) => {
    settings = { ...DEFAULT_SETTINGS, allowedRegistries: allowed ?? [] };
    expect(run(id, ...objects).map((f) => f.location.path)).toEqual(expected);
    settings = DEFAULT_SETTINGS;
  });

  it('parses references like the runtimes', () => {
    expect(parseImage('nginx')).toEqual({
      registry: 'docker.io',
      repository: 'library/nginx',
      tag: undefined,
      digest: undefined,
    });
    expect(parseImage('bitnami/redis:7')).toEqual({
      registry: 'docker.io',
      repository: 'bitnami/redis',
      tag: '7',
      digest: undefined,
    });
    expect(parseImage('index.docker.io/library/nginx:1')).toMatchObject({
      registry: 'docker.io',
      repository: 'library/nginx',
    });
    expect(parseImage(`localhost:5000/a/b:2@${DIGEST}`)).toEqual({
      registry: 'localhost:5000',
      repository: 'a/b',
      tag: '2',
      digest: DIGEST,
    });
    expect(registryAllowed(parseImage('gcr.io/p/x:1'), ['GCR.io/'])).toBe(true);
  });

  it("follows Kubernetes' pull-policy defaulting", () => {
    expect(effectivePullPolicy(parseImage('nginx'), undefined)).toBe('Always');
    expect(effectivePullPolicy(parseImage('nginx:latest'), undefined)).toBe('Always');
    expect(effectivePullPolicy(parseImage('nginx:1'), undefined)).toBe('IfNotPresent');
    expect(effectivePullPolicy(parseImage(`nginx@${DIGEST}`), undefined)).toBe('IfNotPresent');
    expect(effectivePullPolicy(parseImage('nginx:1'), 'Never')).toBe('Never');
  });

  it('messages name the container and the image', () => {
    const [f] = run('BH-IMG-001', withImage('nginx'));
    expect(f?.message).toBe('container "app" uses image nginx without a tag (that is :latest)');
    expect(f?.severity).toBe('medium');
  });
});
