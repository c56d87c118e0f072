// Lint rules, including the layer rule: src/core is pure and the layers depend inward only.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeIo = [
  'node:fs',
  'node:fs/promises',
  'node:net',
  'node:child_process',
  'node:http',
  'node:https',
  'node:os',
  'node:process',
  'node:path',
  'fs',
  'fs/promises',
  'net',
  'child_process',
  'http',
  'https',
  'os',
  'path',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The executable is plain JavaScript run by Node.
    files: ['bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', Buffer: 'readonly' } },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The core is pure: no I/O, no CLI library, nothing from the adapter layers.
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...nodeIo, 'commander', 'picocolors', 'yaml', 'better-sqlite3', 'pg'].map((name) => ({
            name,
            message: 'src/core is pure: do I/O and parsing in an adapter layer.',
          })),
          patterns: [
            {
              group: [
                '**/k8s/**',
                '**/compose/**',
                '**/docker/**',
                '**/host/**',
                '**/flows/**',
                '**/report/**',
                '**/cli/**',
              ],
              message: 'src/core must not depend on outer layers.',
            },
          ],
        },
      ],
    },
  },
  {
    // Adapters that read input may use the core but never the CLI or the renderers.
    files: ['src/k8s/**/*.ts', 'src/compose/**/*.ts', 'src/report/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/cli/**'], message: 'Only bin/ depends on the CLI layer.' }] },
      ],
    },
  },
);
