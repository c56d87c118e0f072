// Diagnostics as data: every problem found in the input, with a stable code and where it is.

export type DiagnosticSeverity = 'error' | 'warning' | 'info';

/** A position in a source file as byte offsets [start, end); line and column are computed when rendering. */
export type SourceRange = readonly [start: number, end: number];

export interface Diagnostic {
  /** Stable SCREAMING_SNAKE code, e.g. `INVALID_CIDR`. */
  readonly code: string;
  readonly severity: DiagnosticSeverity;
  readonly message: string;
  /** The file the problem is in (as given by the user), or `-` for stdin. */
  readonly file: string;
  readonly range?: SourceRange;
  /** Path of the offending value inside the document, e.g. `spec.ingress[0].from[1].ipBlock.cidr`. */
  readonly path?: string;
  readonly hint?: string;
}

/** Where an object or rule came from, kept so findings and explanations can point at the YAML. */
export interface SourceRef {
  readonly file: string;
  readonly range?: SourceRange;
  readonly path?: string;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
