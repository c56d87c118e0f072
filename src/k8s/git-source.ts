// Reads manifests at a git revision (`git:REF[:PATH]`) with git ls-tree and git cat-file, never through a shell.

import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { dirname, posix, relative, resolve, sep } from 'node:path';
import type { Diagnostic } from '../core/diagnostics.js';
import type { ReadSourcesResult, SourceFile } from './read-sources.js';

/** `git:REF` or `git:REF:PATH`. */
export interface GitSpec {
  readonly ref: string;
  /** The path at that revision, as the user wrote it (relative to the current directory); absent: see readGitSources. */
  readonly path?: string;
}

export const GIT_PREFIX = 'git:';

/**
 * A revision as a branch, tag, commit id or relative ref (`main`, `origin/main`, `v1.2`, `HEAD~1`, `HEAD^2`,
 * `@{u}`): no leading `-` (never read as an option), no `:` (that starts the path), no `..` (a range).
 */
const SAFE_REF = /^[A-Za-z0-9_@][A-Za-z0-9_./~^@{}+-]*$/;

/** Parses `git:REF[:PATH]`; returns an error message when it is malformed. */
export function parseGitSpec(text: string): GitSpec | { readonly error: string } {
  const body = text.slice(GIT_PREFIX.length);
  const colon = body.indexOf(':');
  const ref = colon < 0 ? body : body.slice(0, colon);
  const path = colon < 0 ? undefined : body.slice(colon + 1);
  if (!SAFE_REF.test(ref) || ref.includes('..'))
    return {
      error: `"${text}": "${ref}" is not a git revision this command accepts (e.g. git:main, git:HEAD~1, git:v1.2:deploy/)`,
    };
  if (path === '')
    return { error: `"${text}": the path after the revision is empty (write git:${ref} or git:${ref}:PATH)` };
  return path === undefined ? { ref } : { ref, path };
}

/** Runs git with an argument array in `cwd`; rejects with git's own message on failure. */
function git(args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      'git',
      [...args],
      {
        cwd,
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
      },
      (error, stdout, stderr) => {
        if (error !== null) {
          const message = stderr.trim().split('\n')[0] ?? '';
          reject(new Error(message !== '' ? message : error.message));
        } else resolvePromise(stdout);
      },
    );
  });
}

const MANIFEST_EXTENSIONS = /\.(ya?ml|json)$/i;

/**
 * Reads every manifest under `path` (a file or directory, relative to the current directory or absolute) as it is
 * at revision `ref` of the repository holding it, like readSources does on disk: directories recursively, `.yaml`,
 * `.yml` and `.json` files in name order, dot-files and dot-directories skipped. Files are named `git:REF:<path
 * from the repository root>`. Problems (no repository, unknown revision, no such path) become diagnostics.
 */
export async function readGitSources(ref: string, path: string): Promise<ReadSourcesResult> {
  const label = `${GIT_PREFIX}${ref}:${path}`;
  const fail = (code: string, message: string, hint: string): ReadSourcesResult => ({
    files: [],
    diagnostics: [{ code, severity: 'error', message, file: label, hint } satisfies Diagnostic],
  });
  const absolute = resolve(path);
  const cwd = await nearestDirectory(absolute);
  const pathspec = relative(cwd, absolute).split(sep).join('/') || '.';
  let commit: string;
  let prefix: string;
  try {
    prefix = (await git(['rev-parse', '--show-prefix'], cwd)).trim();
  } catch (error) {
    return fail(
      'GIT_ERROR',
      `cannot read ${label}: ${describe(error)}`,
      'Run inside a git repository, or give a path that is in one.',
    );
  }
  try {
    commit = (
      await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], cwd)
    ).trim();
  } catch {
    return fail(
      'GIT_REF_NOT_FOUND',
      `cannot read ${label}: no commit "${ref}" in the repository`,
      'Give a branch, tag or commit that exists here (git log --oneline shows the commits).',
    );
  }
  let listing: string;
  try {
    listing = await git(['ls-tree', '-r', '-z', '--full-name', commit, '--', pathspec], cwd);
  } catch (error) {
    return fail('GIT_ERROR', `cannot read ${label}: ${describe(error)}`, 'Check the path and the revision.');
  }
  const root = posix.normalize(posix.join(prefix, pathspec)).replace(/\/$/, '');
  const files: SourceFile[] = [];
  const wanted: { name: string; object: string }[] = [];
  for (const record of listing.split('\0')) {
    const tab = record.indexOf('\t');
    if (tab < 0) continue;
    const [mode, type, object] = record.slice(0, tab).split(' ');
    const name = record.slice(tab + 1);
    // Blobs only: no submodules (commit), no symbolic links (mode 120000, whose blob is the link target).
    if (type !== 'blob' || mode === '120000' || object === undefined) continue;
    if (name !== root) {
      const below = root === '.' ? name : name.slice(root.length + 1);
      if (below.split('/').some((part) => part.startsWith('.')) || !MANIFEST_EXTENSIONS.test(name)) continue;
    }
    wanted.push({ name, object });
  }
  if (listing === '')
    return fail(
      'PATH_NOT_FOUND',
      `cannot read ${label}: no such path at ${ref}`,
      'Check the path: it is read at that revision, relative to the current directory.',
    );
  wanted.sort((a, b) => comparePaths(a.name, b.name));
  for (const { name, object } of wanted) {
    try {
      files.push({ name: `${GIT_PREFIX}${ref}:${name}`, text: await git(['cat-file', 'blob', object], cwd) });
    } catch (error) {
      return fail(
        'GIT_ERROR',
        `cannot read ${GIT_PREFIX}${ref}:${name}: ${describe(error)}`,
        'Check the repository.',
      );
    }
  }
  return { files, diagnostics: [] };
}

/** `path` if it is an existing directory, else its nearest existing ancestor (a path deleted since may be read). */
async function nearestDirectory(path: string): Promise<string> {
  let current = path;
  for (;;) {
    try {
      if ((await stat(current)).isDirectory()) return current;
    } catch {
      // missing: try the parent
    }
    const parent = dirname(current);
    if (parent === current) return current;
    current = parent;
  }
}

/** Directory order as readSources walks it: component by component, each in name order. */
function comparePaths(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  }
  return x.length - y.length;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
