// Reads the user's paths: files, directories (recursive, .yaml/.yml/.json in name order), and `-` for stdin.

import { readdirSync, statSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Diagnostic } from '../core/diagnostics.js';

export interface SourceFile {
  /** The path as the user would recognise it (relative paths stay relative), or `-` for stdin. */
  readonly name: string;
  readonly text: string;
}

export interface ReadSourcesResult {
  readonly files: SourceFile[];
  readonly diagnostics: Diagnostic[];
}

const MANIFEST_EXTENSIONS = /\.(ya?ml|json)$/i;

/** Reads every manifest file under `paths`. Problems become diagnostics; nothing here throws on bad input. */
export async function readSources(
  paths: readonly string[],
  readStdin: () => Promise<string>,
): Promise<ReadSourcesResult> {
  const files: SourceFile[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const path of paths) {
    if (path === '-') {
      files.push({ name: '-', text: await readStdin() });
      continue;
    }
    await collect(path, true, files, diagnostics);
  }
  return { files, diagnostics };
}

async function collect(
  path: string,
  explicit: boolean,
  files: SourceFile[],
  diagnostics: Diagnostic[],
): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    diagnostics.push({
      code: 'PATH_NOT_FOUND',
      severity: 'error',
      message: `cannot read ${path}: ${describe(error)}`,
      file: path,
      hint: 'Check the path; give files or directories of Kubernetes manifests, or - for stdin.',
    });
    return;
  }
  if (info.isDirectory()) {
    const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const child = join(path, entry.name);
      if (entry.isDirectory()) await collect(child, false, files, diagnostics);
      else if (entry.isFile() && MANIFEST_EXTENSIONS.test(entry.name))
        await collect(child, false, files, diagnostics);
    }
    return;
  }
  if (!explicit && !MANIFEST_EXTENSIONS.test(path)) return;
  try {
    files.push({ name: path, text: await readFile(path, 'utf8') });
  } catch (error) {
    diagnostics.push({
      code: 'READ_ERROR',
      severity: 'error',
      message: `cannot read ${path}: ${describe(error)}`,
      file: path,
      hint: 'Check that the file is readable.',
    });
  }
}

/**
 * A cheap summary of what `readSources(paths)` would read: every manifest file's name, size, inode and change times
 * (nanoseconds), and what cannot be read. Equal fingerprints mean the files were not written in between, so a daemon
 * (`bulkhead agent`) can keep what it loaded from them instead of reading and parsing them at every event.
 */
export function sourcesFingerprint(paths: readonly string[]): string {
  const parts: string[] = [];
  const visit = (path: string, explicit: boolean): void => {
    let info;
    try {
      info = statSync(path, { bigint: true });
    } catch (error) {
      parts.push(`${path}!${describe(error)}`);
      return;
    }
    if (info.isDirectory()) {
      let names: string[];
      try {
        names = readdirSync(path).sort();
      } catch (error) {
        parts.push(`${path}!${describe(error)}`);
        return;
      }
      for (const name of names) if (!name.startsWith('.')) visit(join(path, name), false);
      return;
    }
    if (!explicit && !MANIFEST_EXTENSIONS.test(path)) return;
    // File times move in clock ticks (milliseconds): a file written again within the tick of the last read would
    // look unchanged. A file written in the last two seconds therefore never matches (as git treats "racy" files).
    if (info.mtimeNs > racyAfter) parts.push(`${path}:recent:${++racyReads}`);
    else parts.push(`${path}:${info.size}:${info.ino}:${info.mtimeNs}:${info.ctimeNs}`);
  };
  const racyAfter = BigInt(Date.now() - 2000) * 1_000_000n;
  for (const path of paths) visit(path, true);
  return parts.join('\n');
}

let racyReads = 0;

function describe(error: unknown): string {
  if (error instanceof Error && 'code' in error) {
    const code = String((error as { code: unknown }).code);
    if (code === 'ENOENT') return 'no such file or directory';
    if (code === 'EACCES') return 'permission denied';
    return code;
  }
  return error instanceof Error ? error.message : String(error);
}
