// Audit checks of the images area: mutable tags, digests, trusted registries and pull policies.

import { containersOf, finding, podSpecs, type ContainerRef } from './objects.js';
import { describeContainer } from './pod-security.js';
import type { AuditContext, Check, CheckInfo, Finding, ValuePath } from './types.js';

const NSA_IMAGES = 'NSA/CISA Kubernetes Hardening Guide: Building secure container images';

const IMG_LATEST: CheckInfo = {
  id: 'BH-IMG-001',
  area: 'images',
  title: 'Image tag latest or missing',
  severity: 'medium',
  rationale:
    'An image without a tag means `:latest`, and `latest` moves: two nodes can run different code under the same ' +
    'spec, a rollback does not roll back, and whoever can push to the repository changes what runs. An image ' +
    'pinned by digest is not reported, whatever its tag.',
  remediation:
    'Use an immutable version tag, and preferably the digest (`image: repo/app:1.4.2@sha256:...`).',
  references: [NSA_IMAGES, 'MITRE ATT&CK T1525', 'MITRE ATT&CK T1204.003'],
  mappings: {
    kubescape: ['C-0075'],
    polaris: ['tagNotSpecified'],
    'kube-linter': ['latest-tag'],
    'kube-score': ['Container Image Tag'],
    checkov: ['CKV_K8S_14'],
    trivy: ['KSV-0013'],
  },
};

const IMG_NO_DIGEST: CheckInfo = {
  id: 'BH-IMG-002',
  area: 'images',
  title: 'Image not pinned by digest',
  severity: 'low',
  rationale:
    'A tag is a mutable pointer: the registry (or anyone who can push to it) can make it name other content. Only a ' +
    'digest (`@sha256:...`) guarantees that every node runs the bytes that were reviewed and scanned. Low: version ' +
    'tags are usually not moved, and supply-chain controls (signing, admission) can cover the rest.',
  remediation:
    'Reference images by digest, e.g. `registry.example.com/app:1.4.2@sha256:<digest>` (tools like crane or Renovate keep them current).',
  references: ['CIS 5.5.1', NSA_IMAGES, 'MITRE ATT&CK T1525'],
  mappings: { kubescape: ['C-0306'], checkov: ['CKV_K8S_43'] },
};

const IMG_REGISTRY: CheckInfo = {
  id: 'BH-IMG-003',
  area: 'images',
  title: 'Image from a registry not in the allowlist',
  severity: 'high',
  rationale:
    'Images from registries the organisation does not control or mirror bypass its scanning, signing and retention, ' +
    'and are the usual way a malicious or typo-squatted image gets in. The check is off until ' +
    '`audit.allowedRegistries` is configured; a bare name like `nginx` means `docker.io/library/nginx`, and ' +
    '`index.docker.io` is `docker.io`. An allowlist entry matches the registry host, or a path prefix of the ' +
    'repository (`registry.example.com/team`).',
  remediation:
    'Mirror the image into an allowed registry and reference it there, or add the registry to the allowlist after review.',
  references: ['CIS 5.5.1', NSA_IMAGES, 'MITRE ATT&CK T1525', 'MITRE ATT&CK T1204.003'],
  mappings: { kubescape: ['C-0078', 'C-0001'] },
};

const IMG_PULL_POLICY: CheckInfo = {
  id: 'BH-IMG-004',
  area: 'images',
  title: 'Mutable image not pulled on every start',
  severity: 'low',
  rationale:
    'With pull policy IfNotPresent (or Never) a node runs whatever it cached under the tag, so nodes drift apart, ' +
    'and a pod can start from a private image another pod pulled without presenting pull credentials itself. ' +
    'Kubernetes defaults the policy when it is absent: Always when the tag is `latest` or missing, IfNotPresent ' +
    'otherwise (including for digests) — so a missing policy is reported only for version tags. Images pinned by ' +
    'digest are not reported: what they name cannot change. Low: pinning by digest (BH-IMG-002) is the better fix.',
  remediation:
    'Pin the image by digest, or set `imagePullPolicy: Always` (and the AlwaysPullImages admission plugin, CIS 1.2.11).',
  references: ['CIS 1.2.11', NSA_IMAGES, 'MITRE ATT&CK T1525'],
  mappings: {
    kubescape: ['C-0075'],
    polaris: ['pullPolicyNotAlways'],
    'kube-score': ['Container Image Pull Policy'],
    checkov: ['CKV_K8S_15'],
  },
};

/** An image reference split as the container runtimes read it. */
export interface ImageRef {
  /** Registry host (with port), `docker.io` when the name has none. */
  readonly registry: string;
  /** Repository path without the registry (`library/nginx` for `nginx`). */
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

/**
 * `[registry/]path[:tag][@digest]`; the first component is a registry when it contains `.` or `:` or is `localhost`
 * (the rule of the distribution reference grammar), else the image is on Docker Hub and one-component names are
 * under `library/`.
 */
export function parseImage(image: string): ImageRef {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const tag = colon > slash ? name.slice(colon + 1) : undefined;
  const path = colon > slash ? name.slice(0, colon) : name;
  const first = path.split('/')[0] ?? '';
  const hasRegistry =
    path.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  let registry = hasRegistry ? first.toLowerCase() : 'docker.io';
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = 'docker.io';
  let repository = hasRegistry ? path.slice(first.length + 1) : path;
  if (registry === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`;
  return { registry, repository, tag, digest };
}

/** The pull policy in effect: the written one, else Kubernetes' default for the reference. */
export function effectivePullPolicy(ref: ImageRef, written: unknown): string {
  if (typeof written === 'string' && written !== '') return written;
  // "Defaults to Always if :latest tag is specified, or IfNotPresent otherwise" (Container.imagePullPolicy);
  // an image without a tag is `:latest`, and one with a digest but no tag is IfNotPresent.
  if (ref.digest !== undefined && ref.tag === undefined) return 'IfNotPresent';
  return ref.tag === undefined || ref.tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** Whether an allowlist entry (a registry host, or host plus repository prefix) covers the image. */
export function registryAllowed(ref: ImageRef, allowed: readonly string[]): boolean {
  const full = `${ref.registry}/${ref.repository}`;
  return allowed.some((entry) => {
    const parsed = entry.trim().replace(/\/+$/, '').toLowerCase();
    if (parsed === '') return false;
    const normalized =
      parsed === 'index.docker.io' || parsed === 'registry-1.docker.io' ? 'docker.io' : parsed;
    return normalized === ref.registry || full === normalized || full.startsWith(`${normalized}/`);
  });
}

interface ImageUse {
  readonly c: ContainerRef;
  readonly image: string;
  readonly ref: ImageRef;
}

function imageUses(context: AuditContext): ImageUse[] {
  const out: ImageUse[] = [];
  for (const pod of podSpecs(context.objects))
    for (const c of containersOf(pod)) {
      const image = c.container['image'];
      if (typeof image !== 'string' || image.trim() === '') continue;
      out.push({ c, image: image.trim(), ref: parseImage(image.trim()) });
    }
  return out;
}

function imagePath(c: ContainerRef): ValuePath {
  return [...c.path, 'image'];
}

function checkLatest(context: AuditContext): Finding[] {
  return imageUses(context)
    .filter((u) => u.ref.digest === undefined && (u.ref.tag === undefined || u.ref.tag === 'latest'))
    .map((u) =>
      finding(
        context,
        IMG_LATEST,
        u.c.pod.object,
        imagePath(u.c),
        u.ref.tag === undefined
          ? `${describeContainer(u.c)} uses image ${u.image} without a tag (that is :latest)`
          : `${describeContainer(u.c)} uses image ${u.image} with the mutable tag latest`,
      ),
    );
}

function checkDigest(context: AuditContext): Finding[] {
  return imageUses(context)
    .filter((u) => u.ref.digest === undefined)
    .map((u) =>
      finding(
        context,
        IMG_NO_DIGEST,
        u.c.pod.object,
        imagePath(u.c),
        `${describeContainer(u.c)} uses image ${u.image}, not pinned by digest`,
      ),
    );
}

function checkRegistry(context: AuditContext): Finding[] {
  const allowed = context.settings.allowedRegistries;
  if (allowed.length === 0) return [];
  return imageUses(context)
    .filter((u) => !registryAllowed(u.ref, allowed))
    .map((u) =>
      finding(
        context,
        IMG_REGISTRY,
        u.c.pod.object,
        imagePath(u.c),
        `${describeContainer(u.c)} uses image ${u.image} from registry ${u.ref.registry}, which is not in allowedRegistries (${allowed.join(', ')})`,
      ),
    );
}

function checkPullPolicy(context: AuditContext): Finding[] {
  return imageUses(context).flatMap((u) => {
    if (u.ref.digest !== undefined) return [];
    const written = u.c.container['imagePullPolicy'];
    const policy = effectivePullPolicy(u.ref, written);
    if (policy === 'Always') return [];
    const explicit = typeof written === 'string' && written !== '';
    return [
      finding(
        context,
        IMG_PULL_POLICY,
        u.c.pod.object,
        explicit ? [...u.c.path, 'imagePullPolicy'] : imagePath(u.c),
        explicit
          ? `${describeContainer(u.c)} pulls the mutable image ${u.image} with imagePullPolicy: ${policy}`
          : `${describeContainer(u.c)} pulls the mutable image ${u.image} with the default imagePullPolicy IfNotPresent (the tag is not latest)`,
      ),
    ];
  });
}

export const imagesChecks: readonly Check[] = [
  { info: IMG_LATEST, run: checkLatest },
  { info: IMG_NO_DIGEST, run: checkDigest },
  { info: IMG_REGISTRY, run: checkRegistry },
  { info: IMG_PULL_POLICY, run: checkPullPolicy },
];
