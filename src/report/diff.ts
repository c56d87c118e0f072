// Renders a connectivity diff as txt, csv and md (np-guard netpol-analyzer's diff grammar, byte for byte) or json.

import type { Diagnostic } from '../core/diagnostics.js';
import type { ConnectivityDiff, DiffEntry } from '../core/engine/diff.js';
import { diagnosticsJson, type PositionLookup } from './diagnostics.js';
import { csvField } from './csv.js';

export const DIFF_FORMATS = ['txt', 'json', 'csv', 'md'] as const;
export type DiffFormat = (typeof DIFF_FORMATS)[number];

export interface DiffReport {
  readonly diff: ConnectivityDiff;
  /** Column names of the two versions: `old` and `new` by default (np-guard's own default is `ref1`, `ref2`). */
  readonly oldName: string;
  readonly newName: string;
  readonly diagnostics: readonly Diagnostic[];
  /** The files read, to give diagnostics a line and column. */
  readonly sources?: ReadonlyMap<string, PositionLookup>;
}

/**
 * txt: `Connectivity diff:` then `diff-type: T, source: S, destination: D, <old>: C, <new>: C[, workloads-diff-info:
 * I]` per entry. csv: a header row and one row per entry. md: a table for a pull-request comment. Each ends with a
 * newline; with no entry they are empty, as np-guard prints them (json then has an empty `diff`).
 */
export function renderDiff(report: DiffReport, format: DiffFormat): string {
  const { entries } = report.diff;
  if (entries.length === 0 && format !== 'json') return '';
  switch (format) {
    case 'txt':
      return ['Connectivity diff:', ...entries.map((e) => txtLine(e, report))].join('\n') + '\n';
    case 'csv':
      return (
        [
          ['diff-type', 'source', 'destination', report.oldName, report.newName, 'workloads-diff-info'],
          ...entries.map(fields),
        ]
          .map((row) => row.map(csvField).join(','))
          .join('\n') + '\n'
      );
    case 'md':
      return (
        [
          `| diff-type | source | destination | ${report.oldName} | ${report.newName} | workloads-diff-info |`,
          '|-----------|--------|-------------|------|------|---------------------|',
          ...entries.map((e) => `| ${fields(e).join(' | ')} |`),
        ].join('\n') + '\n'
      );
    case 'json':
      return renderJson(report);
  }
}

function fields(e: DiffEntry): string[] {
  return [e.type, e.src, e.dst, e.old.toString(), e.new.toString(), e.info ?? ''];
}

function txtLine(e: DiffEntry, report: DiffReport): string {
  const line =
    `diff-type: ${e.type}, source: ${e.src}, destination: ${e.dst}, ` +
    `${report.oldName}: ${e.old.toString()}, ${report.newName}: ${e.new.toString()}`;
  return e.info !== undefined ? `${line}, workloads-diff-info: ${e.info}` : line;
}

function renderJson(report: DiffReport): string {
  const { diff } = report;
  const count = (type: DiffEntry['type']): number => diff.entries.filter((e) => e.type === type).length;
  const document = {
    diff: diff.entries.map((e) => ({
      type: e.type,
      src: e.src,
      dst: e.dst,
      old: e.old.toString(),
      new: e.new.toString(),
      ...(e.info !== undefined ? { info: e.info } : {}),
    })),
    summary: { changed: count('changed'), added: count('added'), removed: count('removed') },
    workloads: { added: diff.addedWorkloads, removed: diff.removedWorkloads },
    diagnostics: diagnosticsJson(report.diagnostics, report.sources),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
