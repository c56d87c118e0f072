// Unit tests of the secrets checks: credentials in env literals and ConfigMaps, Secrets read into the environment.

import { describe, expect, it } from 'vitest';
import { pod, record, runCheck } from './_test-support.js';
import { isLiteralValue, isSecretName, secretsChecks } from './secrets.js';
import type { Finding, ObjectRecord } from './types.js';

const CHECKS = secretsChecks;

function run(id: string, ...objects: ObjectRecord[]): Finding[] {
  return runCheck(CHECKS, id, objects);
}

function withEnv(env: unknown[], envFrom?: unknown[]): ObjectRecord {
  return pod({ env, ...(envFrom ? { envFrom } : {}) });
}

function configMap(data: Record<string, string>): ObjectRecord {
  return record('ConfigMap', 'cm', { data });
}

const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n';

interface Case {
  readonly id: string;
  readonly name: string;
  readonly objects: readonly ObjectRecord[];
  readonly expected: readonly string[];
}

const cases: Case[] = [
  {
    id: 'BH-SEC-001',
    name: 'credential-like names with literal values',
    objects: [
      withEnv([
        { name: 'DB_PASSWORD', value: 'hunter2' },
        { name: 'apiKey', value: 'k-123' },
        { name: 'GREETING', value: 'hello' },
        { name: 'the_good_stuff', value: PEM },
        { name: 'AWS_KEY', value: 'AKIAIOSFODNN7EXAMPLE' },
      ]),
    ],
    expected: [
      'spec.containers.0.env.0.value',
      'spec.containers.0.env.1.value',
      'spec.containers.0.env.3.value',
      'spec.containers.0.env.4.value',
    ],
  },
  {
    id: 'BH-SEC-001',
    name: 'references, placeholders, empty values and secretKeyRef are not literals',
    objects: [
      withEnv([
        { name: 'PASSWORD_FILE', value: '/run/secrets/db' },
        { name: 'SECRET_NAME', value: 'db-credentials' },
        { name: 'TOKEN', value: '$(TOKEN_FROM_INIT)' },
        { name: 'API_KEY', value: '' },
        { name: 'AUTH_TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
        { name: 'AWS_ACCESS_KEY_ID', value: 'some-id' },
      ]),
    ],
    expected: [],
  },
  {
    id: 'BH-SEC-002',
    name: 'secretKeyRef and envFrom secretRef',
    objects: [
      withEnv(
        [
          { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'token' } } },
          { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'c', key: 'mode' } } },
        ],
        [{ configMapRef: { name: 'c' } }, { secretRef: { name: 's' } }],
      ),
    ],
    expected: ['spec.containers.0.env.0.valueFrom.secretKeyRef', 'spec.containers.0.envFrom.1.secretRef'],
  },
  {
    id: 'BH-SEC-002',
    name: 'ConfigMap references only',
    objects: [withEnv([{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'c', key: 'mode' } } }])],
    expected: [],
  },
  {
    id: 'BH-SEC-003',
    name: 'credential keys, embedded assignments, private keys',
    objects: [
      configMap({
        db_password: 'abc123',
        config: 'REDIS_PASSWORD=abcd1234',
        'app.properties': 'server.port=8080\nspring.datasource.password=s3cret\n',
        'tls.key': PEM,
        db_user: 'postgres',
      }),
    ],
    expected: ['data.db_password', 'data.config', 'data.app.properties', 'data.tls.key'],
  },
  {
    id: 'BH-SEC-003',
    name: 'empty and placeholder values, ordinary data',
    objects: [
      configMap({
        config: 'REDIS_PASSWORD=',
        env: 'REDIS_PASSWORD=${REDIS_PASSWORD}',
        message: 'This is a test',
        db_user: 'postgres',
      }),
    ],
    expected: [],
  },
  {
    id: 'BH-SEC-003',
    name: 'Secrets are the right place',
    objects: [record('Secret', 's', { type: 'Opaque', stringData: { password: 'abc123' } })],
    expected: [],
  },
];

describe('secrets checks', () => {
  it.each(cases)('$id: $name', ({ id, objects, expected }) => {
    expect(run(id, ...objects).map((f) => f.location.path)).toEqual(expected);
  });

  it('never prints the value', () => {
    const [f] = run('BH-SEC-001', withEnv([{ name: 'DB_PASSWORD', value: 'hunter2' }]));
    expect(f?.message).toBe(
      'container "app" sets the credential-like variable DB_PASSWORD to a literal value (value not shown)',
    );
    expect(f?.message).not.toContain('hunter2');
    const [g] = run('BH-SEC-003', configMap({ db_password: 'abc123' }));
    expect(g?.message).not.toContain('abc123');
  });

  it('classifies names and values', () => {
    expect(
      ['password', 'my_password', 'AZURE_BATCH_KEY', 'OCI_CLI_KEY_CONTENT', 'clientSecret', 'DB_PWD'].map(
        isSecretName,
      ),
    ).toEqual([true, true, true, true, true, true]);
    expect(['user_name', 'PWD_DIR', 'TOKEN_TTL', 'KEYCLOAK_URL', 'SECRET_NAME'].map(isSecretName)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(['x', '"quoted"'].map(isLiteralValue)).toEqual([true, true]);
    expect(['', '  ', 'true', '${A}', '$(A)', '{{ .Values.pw }}', '""'].map(isLiteralValue)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
