// ESLint flat config: typescript-eslint's type-aware recommended rules, plus the layering rules
// from docs/architecture.md (core and ports import nothing with side effects; only compose.ts
// and adapters/ reach execa, pino, pm2, node-cron's tasks and node:child_process).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const sideEffectModules = ['execa', 'pino', 'pino-pretty', 'pm2', 'node:child_process', 'child_process'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/adapters/**', 'src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...sideEffectModules.map((name) => ({ name, message: 'Only src/adapters/ may import this; take a port instead.' })),
            // Its expression parser is pure; its tasks start timers.
            { name: 'node-cron', allowImportNames: ['validateDetailed'], message: 'Only src/adapters/ may schedule; take the Schedule port instead.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/core/**/*.ts', 'src/ports/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['node:*', '../adapters/*', '../platform/*', '../daemon/*', '../cli/*'], message: 'core and ports stay free of I/O and of the layers above them.' }] },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'scripts/**/*.ts', 'src/**/*.test.ts'],
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['eslint.config.js', 'vitest.config.ts'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Test executables in plain CommonJS (the fake ollama): no type information, Node's globals.
    files: ['**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, sourceType: 'commonjs', globals: { require: 'readonly', process: 'readonly' } },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
);
