// Renders diagnostics for people: `file:line:column: severity CODE: message`, then the hint.

import type { Diagnostic } from '../core/diagnostics.js';

export interface PositionLookup {
  position(offset: number): { line: number; column: number };
}

/** One diagnostic per block; line and column are computed here, from the file the diagnostic names. */
export function renderDiagnostics(
  diagnostics: readonly Diagnostic[],
  sources: ReadonlyMap<string, PositionLookup>,
): string {
  return diagnostics
    .map((d) => {
      const source = sources.get(d.file);
      let where = d.file;
      if (d.range !== undefined && source !== undefined) {
        const { line, column } = source.position(d.range[0]);
        where = `${d.file}:${line}:${column}`;
      }
      const path = d.path !== undefined && d.path !== '' ? ` (at ${d.path})` : '';
      const hint = d.hint !== undefined ? `\n  hint: ${d.hint}` : '';
      return `${where}: ${d.severity} ${d.code}: ${d.message}${path}${hint}\n`;
    })
    .join('');
}

/** Diagnostics for JSON output: the stable fields, with line and column when the file's positions are known. */
export function diagnosticsJson(
  diagnostics: readonly Diagnostic[],
  sources?: ReadonlyMap<string, PositionLookup>,
): Record<string, unknown>[] {
  return diagnostics.map((d) => {
    const source = sources?.get(d.file);
    const position = d.range !== undefined && source !== undefined ? source.position(d.range[0]) : undefined;
    return {
      code: d.code,
      severity: d.severity,
      message: d.message,
      file: d.file,
      ...(position !== undefined ? { line: position.line, column: position.column } : {}),
      ...(d.path !== undefined ? { path: d.path } : {}),
      ...(d.hint !== undefined ? { hint: d.hint } : {}),
    };
  });
}
