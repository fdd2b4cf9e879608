// ESLint 9 flat config. Syntax-only (no type information, no parserOptions.project) so that
// `npm run lint` stays fast; `npm run typecheck` covers the types. Formatting belongs to Prettier
// (.prettierrc.json): eslint-config-prettier switches the stylistic rules off, and only max-len is
// switched back on after it, as a hard limit on lines Prettier cannot wrap (strings, comments).
import js from '@eslint/js';
import nextPlugin from '@next/eslint-plugin-next';
import prettierConfig from 'eslint-config-prettier';
import { defineConfig, globalIgnores } from 'eslint/config';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const SOURCE_FILES = ['**/*.{ts,tsx,mjs,js}'];

export default defineConfig([
  globalIgnores([
    '.next*/',
    'node_modules/',
    'generated/',
    'lib/generated/',
    'bench/results/',
    'e2e/.run/',
    'coverage/',
    '.data/',
    'playwright-report/',
    'test-results/',
  ]),

  {
    name: 'syncwatch/base',
    files: SOURCE_FILES,
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          caughtErrors: 'none',
        },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'separate-type-imports' }],
    },
  },

  // React: hooks rules (v7 flat preset, including the React Compiler checks) where React code
  // lives. Not in e2e/ or tests/: Playwright fixtures call a `use` callback that rules-of-hooks
  // would mistake for React's `use`.
  {
    name: 'syncwatch/react-hooks',
    files: ['app/**/*.{ts,tsx}', 'components/**/*.{ts,tsx}'],
    extends: [reactHooks.configs.flat.recommended],
  },

  // Next.js rules for the App Router and its components.
  {
    name: 'syncwatch/next',
    files: ['app/**/*.{ts,tsx}', 'components/**/*.{ts,tsx}'],
    extends: [nextPlugin.configs.recommended, nextPlugin.configs['core-web-vitals']],
  },

  // Globals. Server code, scripts, tests and config files run on Node; components run in the
  // browser; app/ holds both server components/route handlers and client entry points; e2e
  // specs run on Node but pass callbacks to page.evaluate that run in the browser.
  {
    name: 'syncwatch/globals-node',
    files: ['scripts/**', 'tests/**', 'tooling/**', 'lib/**', 'types/**', 'prisma/**', '*.{ts,mjs,js}'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    name: 'syncwatch/globals-browser',
    files: ['components/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    name: 'syncwatch/globals-app-e2e',
    files: ['app/**', 'e2e/**'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },

  // Playwright reads a fixture's first parameter as a destructuring pattern, so fixtures that
  // depend on nothing must be written `async ({}, use) => ...`.
  {
    name: 'syncwatch/playwright-fixtures',
    files: ['e2e/**/*.ts'],
    rules: {
      'no-empty-pattern': ['error', { allowObjectPatternsAsParameters: true }],
    },
  },

  // Application source files stay small enough to read in one sitting.
  {
    name: 'syncwatch/max-lines',
    files: ['app/**/*.{ts,tsx,mjs,js}', 'components/**/*.{ts,tsx,mjs,js}', 'lib/**/*.{ts,tsx,mjs,js}'],
    ignores: ['lib/generated/**'],
    rules: {
      'max-lines': ['error', { max: 300, skipBlankLines: false, skipComments: false }],
    },
  },

  // Last: turn off every rule that conflicts with Prettier...
  prettierConfig,
  // ...then turn max-len back on (eslint-config-prettier disables it).
  {
    name: 'syncwatch/max-len',
    files: SOURCE_FILES,
    rules: {
      'max-len': [
        'error',
        { code: 140, ignoreUrls: true, ignoreStrings: false, ignoreTemplateLiterals: false, ignoreRegExpLiterals: true },
      ],
    },
  },
]);
