// Splits source files into Kubernetes objects, keeping where each came from. YAML is read as YAML 1.1, like
// kubectl; JSON takes a fast path and is re-read with positions only when a diagnostic needs a location.

import {
  LineCounter,
  parseAllDocuments,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Document,
  type Node,
} from 'yaml';
import type { Diagnostic, DiagnosticSeverity, SourceRange } from '../core/diagnostics.js';
import { JsonPositions } from './json-positions.js';
import type { SourceFile } from './read-sources.js';

export type PathSegment = string | number;

/** A source file with lazily parsed documents, used to turn value paths into source ranges. */
export class SourceDocument {
  private documents: Document.Parsed[] | undefined;
  private lines: LineCounter | undefined;

  constructor(readonly file: SourceFile) {}

  /** Set when the file was read as JSON: its positions come from a JSON index, not from YAML documents. */
  private jsonPositions: JsonPositions | undefined;
  json = false;

  /** True once the YAML documents exist (always for YAML input; for JSON only after a diagnostic needed them). */
  get parsed(): boolean {
    return this.documents !== undefined;
  }

  /** Why the YAML parser itself failed (not a syntax error it reports, but e.g. nesting too deep), if it did. */
  parseFailure: string | undefined;
  /** Offsets of lines whose leading tabs had to be read as spaces (see `readTabsAsSpaces`). */
  tabLines: number[] = [];

  /** The parsed YAML documents, parsed on first use; empty when the parser itself failed. */
  yamlDocuments(): Document.Parsed[] {
    if (this.documents === undefined) {
      if (nestingDepth(this.file.text) > MAX_NESTING) {
        this.documents = [];
        this.parseFailure = `nesting deeper than ${MAX_NESTING} levels`;
        return this.documents;
      }
      try {
        const { documents, tabLines } = readTabsAsSpaces(this.file.text);
        this.documents = documents;
        this.tabLines = tabLines;
      } catch (error) {
        this.documents = [];
        this.parseFailure = error instanceof RangeError ? 'nesting too deep' : firstLine(String(error));
      }
    }
    return this.documents;
  }

  /** The source range of the value (or, with `key`, of the key) at `path` in document `doc`. */
  rangeOf(doc: number, path: readonly PathSegment[], key = false): SourceRange | undefined {
    if (this.json) {
      this.jsonPositions ??= new JsonPositions(this.file.text);
      return this.jsonPositions.rangeOf(path, key);
    }
    const document = this.yamlDocuments()[doc];
    if (document === undefined) return undefined;
    let node: unknown = document.contents;
    let best: SourceRange | undefined = rangeOfNode(node);
    for (let i = 0; i < path.length; i++) {
      const segment = path[i]!;
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
        );
        if (pair === undefined) return best;
        if (last && key) return rangeOfNode(pair.key) ?? best;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment];
      } else {
        return best;
      }
      best = rangeOfNode(node) ?? best;
    }
    return best;
  }

  /** 1-based line and column of an offset. */
  position(offset: number): { line: number; column: number } {
    if (this.lines === undefined) {
      this.lines = new LineCounter();
      const text = this.file.text;
      this.lines.addNewLine(0);
      for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lines.addNewLine(i + 1);
    }
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }
}

/** One Kubernetes object as read, with the document and path it came from. */
export interface ManifestObject {
  readonly source: SourceDocument;
  /** Index of the YAML document in the file (0 for JSON). */
  readonly doc: number;
  /** Path of the object inside its document: `[]`, or `['items', 3]` for an element of a List. */
  readonly base: readonly PathSegment[];
  readonly value: Readonly<Record<string, unknown>>;
}

export interface SplitResult {
  readonly source: SourceDocument;
  readonly objects: ManifestObject[];
  readonly diagnostics: Diagnostic[];
}

/** Deeper than any manifest: beyond it the YAML parser can exhaust V8's stack in a way no catch can stop. */
export const MAX_NESTING = 100;

/**
 * An upper bound of the nesting depth of a YAML or JSON text: open flow brackets outside quotes and comments,
 * plus block indentation (two spaces a level). Cheap, and only ever over-counts.
 */
export function nestingDepth(text: string): number {
  const scan = scanNesting(text);
  return scan.maxFlow + Math.ceil(scan.maxIndent / 2);
}

/** Open flow brackets at the end of `text`, the most open at once, and the deepest block indentation. */
function scanNesting(text: string): { flow: number; maxFlow: number; maxIndent: number } {
  let flow = 0;
  let maxFlow = 0;
  let maxIndent = 0;
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') {
      lineStart = true;
      indent = 0;
      continue;
    }
    if (lineStart) {
      if (c === ' ' || c === '-') {
        indent++;
        continue;
      }
      lineStart = false;
      if (indent > maxIndent) maxIndent = indent;
    }
    if (c === '#' && (i === 0 || text[i - 1] === ' ' || text[i - 1] === '\t')) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if (c === '"' || c === "'") {
      // Skip a quoted scalar (a backslash escapes in double quotes; '' escapes in single quotes).
      for (i++; i < text.length && text[i] !== c; i++) if (c === '"' && text[i] === '\\') i++;
    } else if (c === '[' || c === '{') {
      flow++;
      if (flow > maxFlow) maxFlow = flow;
    } else if ((c === ']' || c === '}') && flow > 0) {
      flow--;
    }
  }
  return { flow, maxFlow, maxIndent };
}

/**
 * Parses, and where an error sits on a line whose indentation holds a tab, reads those tabs as spaces and tries
 * again, when the line is inside a flow collection. YAML forbids tabs in indentation, but Go's YAML reader
 * (kubectl's) accepts them inside a flow sequence or mapping, where whitespace carries no structure, and such
 * manifests are common. A tab becomes one space, so every offset is
 * unchanged; the fix is kept only if it leaves fewer errors.
 */
function readTabsAsSpaces(text: string): { documents: Document.Parsed[]; tabLines: number[] } {
  let documents = parseYaml(text);
  const tabLines: number[] = [];
  let current = text;
  for (let attempt = 0; attempt < 50; attempt++) {
    const errors = documents.flatMap((d) => d.errors);
    const first = errors[0];
    if (first === undefined) break;
    const lineStart = current.lastIndexOf('\n', first.pos[0] - 1) + 1;
    let end = lineStart;
    while (end < current.length && (current[end] === ' ' || current[end] === '\t')) end++;
    const indentation = current.slice(lineStart, end);
    // Only inside a flow collection, where whitespace carries no structure; in block context a tab stays an error.
    if (!indentation.includes('\t') || scanNesting(current.slice(0, lineStart)).flow === 0) break;
    const fixed = current.slice(0, lineStart) + indentation.replace(/\t/g, ' ') + current.slice(end);
    const retried = parseYaml(fixed);
    if (retried.flatMap((d) => d.errors).length >= errors.length) break;
    current = fixed;
    documents = retried;
    tabLines.push(lineStart);
  }
  return { documents, tabLines };
}

function parseYaml(text: string): Document.Parsed[] {
  return parseAllDocuments(text, {
    version: '1.1',
    prettyErrors: false,
    // kubectl converts YAML to JSON: timestamps stay strings.
    customTags: (tags) =>
      tags.filter((t) => typeof t === 'string' || t.tag !== 'tag:yaml.org,2002:timestamp'),
  }) as Document.Parsed[];
}

function rangeOfNode(node: unknown): SourceRange | undefined {
  const range = (node as Node | undefined)?.range;
  return range === undefined || range === null ? undefined : [range[0], range[1]];
}

/**
 * Reads every object in a file. `List` and `*List` kinds are flattened into their items. `defaultKind` is the kind
 * of documents that have none (the configuration file).
 */
export function splitObjects(file: SourceFile, options: { readonly defaultKind?: string } = {}): SplitResult {
  const source = new SourceDocument(file);
  const objects: ManifestObject[] = [];
  const diagnostics: Diagnostic[] = [];
  const note = (
    code: string,
    severity: DiagnosticSeverity,
    message: string,
    doc: number,
    path: readonly PathSegment[],
    hint: string,
  ): void => {
    const range = source.rangeOf(doc, path);
    diagnostics.push({
      code,
      severity,
      message,
      file: file.name,
      ...(range ? { range } : {}),
      path: renderPath(path),
      hint,
    });
  };
  const addValue = (value: unknown, doc: number, base: readonly PathSegment[], itemKind?: string): void => {
    if (value === null || value === undefined) return; // an empty document
    if (typeof value !== 'object' || Array.isArray(value)) {
      note(
        'NOT_AN_OBJECT',
        'warning',
        'this document is not a Kubernetes object (expected a mapping with apiVersion and kind); skipped',
        doc,
        base,
        'Remove it, or move non-manifest files out of the analysed paths.',
      );
      return;
    }
    let object = value as Record<string, unknown>;
    if (itemKind !== undefined && object['kind'] === undefined) object = { ...object, kind: itemKind };
    // Files that are not manifests (the configuration) name what they are through `defaultKind`.
    if (options.defaultKind !== undefined && object['kind'] === undefined)
      object = { ...object, kind: options.defaultKind };
    const kind = object['kind'];
    if (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(object['items'])) {
      // Items of a typed list (`PodList`) may leave out their kind, as the API server's list output does.
      const inherited = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
      (object['items'] as unknown[]).forEach((item, i) =>
        addValue(item, doc, [...base, 'items', i], inherited),
      );
      return;
    }
    if (typeof kind !== 'string' || kind === '') {
      note(
        'MISSING_KIND',
        'warning',
        'object has no kind; skipped',
        doc,
        base,
        'Every Kubernetes object needs apiVersion and kind.',
      );
      return;
    }
    objects.push({ source, doc, base, value: object });
  };

  if (/\.json$/i.test(file.name)) {
    let parsed: unknown;
    let ok = true;
    try {
      parsed = JSON.parse(file.text);
    } catch {
      ok = false;
    }
    if (ok) {
      source.json = true;
      addValue(parsed, 0, []);
      return { source, objects, diagnostics };
    }
  }

  const documents = source.yamlDocuments();
  for (const offset of source.tabLines) {
    diagnostics.push({
      code: 'TAB_INDENTATION',
      severity: 'warning',
      message: 'a tab in the indentation was read as a space',
      file: file.name,
      range: [offset, offset + 1],
      hint: 'YAML does not allow tabs for indentation; replace them with spaces.',
    });
  }
  if (source.parseFailure !== undefined) {
    diagnostics.push({
      code: 'YAML_SYNTAX',
      severity: 'error',
      message: `cannot parse: ${source.parseFailure}`,
      file: file.name,
      hint: 'Fix the YAML syntax; the file is skipped.',
    });
    return { source, objects, diagnostics };
  }
  documents.forEach((document, doc) => {
    if (document.errors.length > 0) {
      for (const error of document.errors) {
        diagnostics.push({
          code: 'YAML_SYNTAX',
          severity: 'error',
          message: `malformed YAML: ${firstLine(error.message)}`,
          file: file.name,
          range: [error.pos[0], error.pos[1]],
          hint: 'Fix the YAML syntax; the rest of this document is skipped.',
        });
      }
      return;
    }
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: 1000 });
    } catch (error) {
      const reason = error instanceof RangeError ? 'nesting too deep' : firstLine(String(error));
      diagnostics.push({
        code: 'YAML_SYNTAX',
        severity: 'error',
        message: `cannot read document: ${reason}`,
        file: file.name,
        ...(rangeOfNode(document.contents) ? { range: rangeOfNode(document.contents)! } : {}),
        hint: 'Fix the YAML (aliases that expand too much are refused).',
      });
      return;
    }
    addValue(value, doc, []);
  });
  return { source, objects, diagnostics };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}

/** `spec.ingress[0].from[1]` from a path. */
export function renderPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}
