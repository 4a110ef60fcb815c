// ESLint flat config: typescript-eslint's strict, type-checked rules on every
// TypeScript file; focused and skipped tests are errors (a skipped suite must
// never count as passing).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noSkippedTests = ['describe', 'it', 'test'].flatMap((object) =>
  ['skip', 'only', 'todo'].map((property) => ({ object, property, message: `${object}.${property} leaves tests out of the run` })),
);

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.cache/', 'coverage/', '**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/explicit-function-return-type': ['error', { allowExpressions: true }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      'no-restricted-properties': ['error', ...noSkippedTests, { object: 'process', property: 'exit', message: 'only src/main.ts may exit the process' }],
      // client-node's models are generated classes with no behaviour; plain object
      // literals are how its API is meant to be called.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      'no-restricted-globals': ['error', 'xit', 'xdescribe', 'fit', 'fdescribe'],
    },
  },
  {
    // Test doubles are often async functions that resolve at once.
    files: ['**/*.test.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
);
