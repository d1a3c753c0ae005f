import js from '@eslint/js';
import ts from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import svelteConfig from './svelte.config.js';

export default ts.config(
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  prettier,
  ...svelte.configs.prettier,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-control-regex': 'off'
    }
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
    languageOptions: { parserOptions: { projectService: true, extraFileExtensions: ['.svelte'], parser: ts.parser, svelteConfig } }
  },
  {
    // The domain is the bottom layer: pure rules and statistics. It may use the word catalogues
    // (plain data), never the protocol, the board, the client, the server or any I/O.
    files: ['src/lib/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../protocol', '../protocol/*', '$lib/protocol', '$lib/protocol/*'], message: 'The protocol sits above the domain.' },
            { group: ['../board/*', '../client/*', '../components/*', '$lib/board/*', '$lib/client/*', '$app/*'], message: 'The domain has no I/O.' },
            { group: ['**/server/**', 'node:*', 'fs', 'path', 'yjs', 'socket.io*'], message: 'The domain has no I/O.' }
          ]
        }
      ]
    }
  },
  { ignores: ['build/', 'dist/', '.svelte-kit/', 'node_modules/', 'data/', 'test-results/'] }
);
