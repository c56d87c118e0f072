// Audit checks of the secrets area: credentials written into environment variables and ConfigMaps, Secrets in env.

import { containersOf, finding, podSpecs } from './objects.js';
import { describeContainer } from './pod-security.js';
import type { AuditContext, Check, CheckInfo, Finding } from './types.js';
import { isRecord } from './values.js';

const NSA_SECRETS = 'NSA/CISA Kubernetes Hardening Guide: Secrets';

const SEC_ENV_LITERAL: CheckInfo = {
  id: 'BH-SEC-001',
  area: 'secrets',
  title: 'Credential written into an environment variable',
  severity: 'high',
  rationale:
    'A password, token or key written as a literal `env` value is in the manifest, in Git, in every copy of the ' +
    'object (`kubectl get -o yaml` shows it to anyone who may read the workload), and in the process environment ' +
    'of every child process. Reported when the variable name looks like a credential (PASSWORD, SECRET, TOKEN, ' +
    'API_KEY, PRIVATE_KEY, ACCESS_KEY, CREDENTIAL, ...; names ending in _FILE, _PATH, _URL, _NAME, _ID and the like ' +
    'only point to one) or the value looks like one (a PEM private key, an AWS access key id, a GitHub or Slack ' +
    'token, a JWT). Empty values, booleans and placeholders (`$(VAR)`, `${VAR}`, `{{ }}`) are not reported. ' +
    'Messages name the variable, never the value.',
  remediation:
    'Move the value into a Secret (or an external secret store) and mount it as a file; rotate the credential, since ' +
    'it is in the repository history.',
  references: ['CIS 5.4.1', 'CIS 5.4.2', NSA_SECRETS, 'MITRE ATT&CK T1552.001', 'MITRE ATT&CK T1552.007'],
  mappings: {
    kubescape: ['C-0012'],
    polaris: ['sensitiveContainerEnvVar'],
    'kube-linter': ['env-var-secret'],
    cis: ['5.4.1'],
  },
};

const SEC_ENV_FROM_SECRET: CheckInfo = {
  id: 'BH-SEC-002',
  area: 'secrets',
  title: 'Secret exposed as environment variables',
  severity: 'low',
  rationale:
    'A Secret read into the environment (`valueFrom.secretKeyRef`, `envFrom.secretRef`) is inherited by every child ' +
    'process, often dumped into logs and crash reports, and visible in /proc to anything sharing the PID namespace; ' +
    'it is also not updated when the Secret is rotated. Secrets mounted as files have none of these problems. Low: ' +
    'the Secret itself is handled correctly.',
  remediation: 'Mount the Secret as a volume (read-only) and have the application read the file.',
  references: ['CIS 5.4.1', NSA_SECRETS, 'MITRE ATT&CK T1552.001'],
  mappings: {
    kubescape: ['C-0207'],
    'kube-linter': ['read-secret-from-env-var'],
    checkov: ['CKV_K8S_35'],
    cis: ['5.4.1'],
  },
};

const SEC_CONFIGMAP: CheckInfo = {
  id: 'BH-SEC-003',
  area: 'secrets',
  title: 'Credential stored in a ConfigMap',
  severity: 'high',
  rationale:
    'ConfigMaps are meant for non-confidential data: more roles may read them than Secrets, they are never ' +
    'encrypted at rest by the API server\u2019s encryption configuration for Secrets, and tools print them in full. ' +
    'Reported when a data key looks like a credential (password, secret, token, api_key, ...) and has a literal ' +
    'value; when a value holds a PEM private key, an AWS access key id, a GitHub or Slack token or a JWT; or when an ' +
    'embedded configuration line assigns a literal to such a name (`REDIS_PASSWORD=abcd1234`, `password: x`). ' +
    'Empty values and placeholders (`${VAR}`, `$(VAR)`, `{{ }}`) are not reported. Secrets of type Opaque are ' +
    'the right place for such values and are not reported.',
  remediation:
    'Move the value into a Secret (or an external secret store) and reference it from the workload; rotate it.',
  references: ['CIS 5.4.1', 'CIS 5.4.2', NSA_SECRETS, 'MITRE ATT&CK T1552.001', 'MITRE ATT&CK T1552.007'],
  mappings: {
    kubescape: ['C-0012'],
    polaris: ['sensitiveConfigmapContent'],
    trivy: ['KSV-0109'],
    cis: ['5.4.1'],
  },
};

/** Words in a name that mark a credential. */
const SECRET_NAME =
  /PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|CREDENTIAL|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|AUTH_?KEY|SIGNING_?KEY|ENCRYPTION_?KEY|ACCOUNT_?KEY|MASTER_?KEY|BATCH_?KEY|KEY_?CONTENT|CONN(?:ECTION)?_?STRING|(?:^|_)PWD$/;

/** Name endings that point to a credential (a file, a reference) or describe it, rather than hold it. */
const REFERENCE_SUFFIX =
  /_(?:FILE|PATH|DIR|LOCATION|URL|URI|ENDPOINT|HOST|NAME|REF|ID|KEY_ID|TTL|EXPIRY|EXPIRATION|EXPIRES|TIMEOUT|LENGTH|HEADER|ALGORITHM|ALG|TYPE|ENABLED|MOUNT)$/;

/** Values that are credentials whatever the name. */
const SECRET_VALUES: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /-{3,}\s*BEGIN[A-Z ]*PRIVATE KEY(?: BLOCK)?\s*-{3,}/, what: 'a private key' },
  { pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/, what: 'an AWS access key id' },
  { pattern: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/, what: 'a GitHub token' },
  { pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/, what: 'a Slack token' },
  { pattern: /\bAIza[0-9A-Za-z_-]{35}\b/, what: 'a Google API key' },
  { pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/, what: 'a JWT' },
];

/** Whether a variable or key name looks like it holds a credential. */
export function isSecretName(name: string): boolean {
  const normalized = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_');
  return SECRET_NAME.test(normalized) && !REFERENCE_SUFFIX.test(normalized);
}

/** Whether a value is a real literal rather than nothing, a switch or a placeholder filled in elsewhere. */
export function isLiteralValue(value: string): boolean {
  const v = value
    .trim()
    .replace(/^["']|["'],?$/g, '')
    .trim();
  if (v === '' || /^(?:true|false|yes|no|on|off|null|none|changeme|<.*>)$/i.test(v)) return false;
  if (
    /^\$\([A-Za-z_][A-Za-z0-9_]*\)$/.test(v) ||
    /^\$\{[^}]*\}$/.test(v) ||
    /^\$[A-Za-z_][A-Za-z0-9_]*$/.test(v)
  )
    return false;
  if (/^\{\{.*\}\}$/.test(v)) return false;
  return true;
}

/** What kind of credential a value holds, if it matches a known format. */
export function secretValueKind(value: string): string | undefined {
  return SECRET_VALUES.find((s) => s.pattern.test(value))?.what;
}

function checkEnvLiterals(context: AuditContext): Finding[] {
  const out: Finding[] = [];
  for (const pod of podSpecs(context.objects))
    for (const c of containersOf(pod)) {
      const env = c.container['env'];
      if (!Array.isArray(env)) continue;
      env.forEach((variable: unknown, i) => {
        if (!isRecord(variable) || typeof variable['name'] !== 'string') return;
        const value = variable['value'];
        if (typeof value !== 'string') return;
        const name = variable['name'];
        const kind = secretValueKind(value);
        const byName = isSecretName(name) && isLiteralValue(value);
        if (kind === undefined && !byName) return;
        out.push(
          finding(
            context,
            SEC_ENV_LITERAL,
            pod.object,
            [...c.path, 'env', i, 'value'],
            kind !== undefined
              ? `${describeContainer(c)} sets ${name} to a literal value that looks like ${kind} (value not shown)`
              : `${describeContainer(c)} sets the credential-like variable ${name} to a literal value (value not shown)`,
          ),
        );
      });
    }
  return out;
}

function checkEnvFromSecret(context: AuditContext): Finding[] {
  const out: Finding[] = [];
  for (const pod of podSpecs(context.objects))
    for (const c of containersOf(pod)) {
      const env = c.container['env'];
      if (Array.isArray(env))
        env.forEach((variable: unknown, i) => {
          if (!isRecord(variable)) return;
          const ref = isRecord(variable['valueFrom']) ? variable['valueFrom']['secretKeyRef'] : undefined;
          if (!isRecord(ref)) return;
          out.push(
            finding(
              context,
              SEC_ENV_FROM_SECRET,
              pod.object,
              [...c.path, 'env', i, 'valueFrom', 'secretKeyRef'],
              `${describeContainer(c)} reads key "${String(ref['key'] ?? '')}" of Secret "${String(ref['name'] ?? '')}" into the environment variable ${String(variable['name'] ?? '')}`,
            ),
          );
        });
      const envFrom = c.container['envFrom'];
      if (Array.isArray(envFrom))
        envFrom.forEach((source: unknown, i) => {
          if (!isRecord(source) || !isRecord(source['secretRef'])) return;
          out.push(
            finding(
              context,
              SEC_ENV_FROM_SECRET,
              pod.object,
              [...c.path, 'envFrom', i, 'secretRef'],
              `${describeContainer(c)} reads every key of Secret "${String(source['secretRef']['name'] ?? '')}" into environment variables (envFrom)`,
            ),
          );
        });
    }
  return out;
}

/** `NAME=value`, `name: value`, `"name": "value",` lines of embedded configuration files. */
const ASSIGNMENT = /^\s*(?:export\s+)?["']?([A-Za-z_][A-Za-z0-9_.-]*)["']?\s*[=:]\s*(.*?)\s*$/;

function configMapReason(key: string, value: string): string | undefined {
  const kind = secretValueKind(value);
  if (kind !== undefined) return `holds what looks like ${kind}`;
  if (isSecretName(key) && isLiteralValue(value)) return 'has a credential-like name and a literal value';
  for (const line of value.split('\n')) {
    const match = ASSIGNMENT.exec(line);
    if (match === null) continue;
    const [, name, assigned] = match;
    if (name !== undefined && assigned !== undefined && isSecretName(name) && isLiteralValue(assigned))
      return `assigns a literal value to ${name}`;
  }
  return undefined;
}

function checkConfigMaps(context: AuditContext): Finding[] {
  const out: Finding[] = [];
  for (const object of context.objects) {
    if (object.kind !== 'ConfigMap') continue;
    const data = object.value['data'];
    if (!isRecord(data)) continue;
    for (const [key, value] of Object.entries(data)) {
      if (typeof value !== 'string') continue;
      const reason = configMapReason(key, value);
      if (reason === undefined) continue;
      out.push(
        finding(
          context,
          SEC_CONFIGMAP,
          object,
          ['data', key],
          `key "${key}" of the ConfigMap ${reason} (value not shown)`,
        ),
      );
    }
  }
  return out;
}

export const secretsChecks: readonly Check[] = [
  { info: SEC_ENV_LITERAL, run: checkEnvLiterals },
  { info: SEC_ENV_FROM_SECRET, run: checkEnvFromSecret },
  { info: SEC_CONFIGMAP, run: checkConfigMaps },
];
