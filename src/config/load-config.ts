// Reads and validates `.bulkhead.yaml`: check selection, severity overrides, audit settings and exceptions.
//
// ```yaml
// checks: { include: [BH-NET-*], exclude: [BH-IMG-003] }
// severity: { BH-IMG-001: low }
// settings: { allowedRegistries: [registry.example.com], lateralMovementShare: 0.5, sensitiveNamespaces: [payments] }
// exceptions:
//   - { check: BH-POD-001, namespace: monitoring, kind: DaemonSet, name: node-exporter, reason: "...", expires: 2027-01-31 }
// ```

import { readFile } from 'node:fs/promises';
import { DEFAULT_CONFIG, type AuditConfig, type AuditException } from '../core/audit/run.js';
import { DEFAULT_SETTINGS, type AuditSettings } from '../core/audit/types.js';
import type { Diagnostic } from '../core/diagnostics.js';
import { SEVERITIES, type Severity } from '../core/severity.js';
import { splitObjects, type SourceDocument } from '../k8s/documents.js';
import { ObjectReader, isRecord } from '../k8s/object-reader.js';

export const CONFIG_FILE = '.bulkhead.yaml';
/** How diagnostics name the configuration. */
export const CONFIG_KIND = 'BulkheadConfig';

export interface LoadedConfig {
  readonly config: AuditConfig;
  readonly settings: AuditSettings;
  readonly diagnostics: Diagnostic[];
  readonly source?: SourceDocument;
}

/**
 * Reads `path`; when `explicit` is false a missing file is simply no configuration (the default `.bulkhead.yaml`
 * of the working directory).
 */
export async function loadConfig(path: string, explicit: boolean): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    if (!explicit) return { config: DEFAULT_CONFIG, settings: DEFAULT_SETTINGS, diagnostics: [] };
    return {
      config: DEFAULT_CONFIG,
      settings: DEFAULT_SETTINGS,
      diagnostics: [
        {
          code: 'PATH_NOT_FOUND',
          severity: 'error',
          message: `cannot read the configuration ${path}`,
          file: path,
          hint: 'Check the --config path.',
        },
      ],
    };
  }
  return parseConfig({ name: path, text });
}

const TOP_LEVEL = ['checks', 'severity', 'settings', 'exceptions'];
const CHECK_ID = /^BH-[A-Z]+-\d{3}$/;
const CHECK_PATTERN = /^(BH-[A-Z*-]*\*?|BH-[A-Z]+-\d{3}|\*)$/;

export function parseConfig(file: { name: string; text: string }): LoadedConfig {
  const split = splitObjects(file.text.trim() === '' ? { name: file.name, text: '{}' } : file, {
    defaultKind: CONFIG_KIND,
  });
  const diagnostics: Diagnostic[] = [...split.diagnostics];
  const object = split.objects[0];
  if (object === undefined)
    return { config: DEFAULT_CONFIG, settings: DEFAULT_SETTINGS, diagnostics, source: split.source };
  const reader = new ObjectReader(object, diagnostics);
  reader.checkKnownFields([], ['kind', ...TOP_LEVEL]);
  const patterns = (path: (string | number)[]): string[] | undefined => {
    const list = reader.array(path);
    if (list === undefined) return undefined;
    const out: string[] = [];
    list.forEach((_, i) => {
      const p = reader.string([...path, i]);
      if (p === undefined) return;
      if (!CHECK_PATTERN.test(p))
        reader.report(
          'INVALID_CHECK_ID',
          'error',
          [...path, i],
          `"${p}" is not a check id or pattern`,
          'Use ids like BH-NET-001, or patterns like BH-NET-* (see bulkhead audit --list-checks).',
        );
      else out.push(p);
    });
    return out;
  };
  reader.checkKnownFields(['checks'], ['include', 'exclude']);
  const include = patterns(['checks', 'include']);
  const exclude = patterns(['checks', 'exclude']) ?? [];
  const severityOverrides: Record<string, Severity> = {};
  for (const [id, value] of Object.entries(reader.record(['severity']) ?? {})) {
    if (!CHECK_ID.test(id)) {
      reader.report(
        'INVALID_CHECK_ID',
        'error',
        ['severity', id],
        `"${id}" is not a check id`,
        'Use ids like BH-NET-001.',
        true,
      );
      continue;
    }
    if (typeof value !== 'string' || !(SEVERITIES as readonly string[]).includes(value)) {
      reader.report(
        'INVALID_SEVERITY',
        'error',
        ['severity', id],
        `severity ${JSON.stringify(value)} is not low, medium, high or critical`,
        'Use low, medium, high or critical.',
      );
      continue;
    }
    severityOverrides[id] = value as Severity;
  }
  reader.checkKnownFields(['settings'], ['allowedRegistries', 'lateralMovementShare', 'sensitiveNamespaces']);
  const strings = (path: (string | number)[]): string[] | undefined =>
    reader.array(path)?.flatMap((_, i) => {
      const v = reader.string([...path, i]);
      return v === undefined ? [] : [v];
    });
  const share = reader.get(['settings', 'lateralMovementShare']);
  let lateralMovementShare = DEFAULT_SETTINGS.lateralMovementShare;
  if (share !== undefined) {
    if (typeof share === 'number' && share > 0 && share <= 1) lateralMovementShare = share;
    else
      reader.report(
        'INVALID_SETTING',
        'error',
        ['settings', 'lateralMovementShare'],
        'lateralMovementShare must be a number in (0, 1]',
        'E.g. 0.5: a workload reaching more than half the cluster is reported.',
      );
  }
  const settings: AuditSettings = {
    allowedRegistries: strings(['settings', 'allowedRegistries']) ?? DEFAULT_SETTINGS.allowedRegistries,
    lateralMovementShare,
    sensitiveNamespaces: strings(['settings', 'sensitiveNamespaces']) ?? DEFAULT_SETTINGS.sensitiveNamespaces,
  };
  const exceptions: AuditException[] = [];
  (reader.array(['exceptions']) ?? []).forEach((raw, i) => {
    const at = ['exceptions', i];
    if (!isRecord(raw)) {
      reader.record(at, true);
      return;
    }
    reader.checkKnownFields(at, ['check', 'namespace', 'kind', 'name', 'reason', 'expires']);
    const check = reader.string([...at, 'check'], true);
    const reason = reader.string([...at, 'reason'], true);
    const expires = reader.get([...at, 'expires']);
    if (check !== undefined && !CHECK_PATTERN.test(check))
      reader.report(
        'INVALID_CHECK_ID',
        'error',
        [...at, 'check'],
        `"${check}" is not a check id or pattern`,
        'Use ids like BH-NET-001, or patterns like BH-NET-*.',
      );
    if (reason !== undefined && reason.trim() === '')
      reader.report(
        'MISSING_FIELD',
        'error',
        [...at, 'reason'],
        'an exception needs a reason',
        'Say why the risk is accepted.',
      );
    let expiry: string | undefined;
    if (expires !== undefined) {
      if (
        typeof expires === 'string' &&
        /^\d{4}-\d{2}-\d{2}$/.test(expires) &&
        !Number.isNaN(Date.parse(expires))
      )
        expiry = expires;
      else
        reader.report(
          'INVALID_DATE',
          'error',
          [...at, 'expires'],
          `expires ${JSON.stringify(expires)} is not a date YYYY-MM-DD`,
          'Write the date as YYYY-MM-DD (quote it if your editor turns it into something else).',
        );
    }
    if (check === undefined || reason === undefined || reason.trim() === '') return;
    const optional = (field: string): string | undefined => reader.string([...at, field]);
    const namespace = optional('namespace');
    const kind = optional('kind');
    const name = optional('name');
    exceptions.push({
      check,
      reason,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(kind !== undefined ? { kind } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(expiry !== undefined ? { expires: expiry } : {}),
      source: reader.sourceRef(at),
    });
  });
  return {
    config: { ...(include !== undefined ? { include } : {}), exclude, severityOverrides, exceptions },
    settings,
    diagnostics,
    source: split.source,
  };
}
