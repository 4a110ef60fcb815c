// ESLint flat config: typescript-eslint's strict, type-checked rules on every
// TypeScript file; focused and skipped tests are errors (a skipped suite must
// never count as passing).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/, lowest first: each folder may import only the folders it names (and
 * itself). The pure core (lib, api, baseline, drift, posture, report) never reaches the network; kube is
 * the one edge that does; the controller wires them; cli is the process. A new import that runs
 * back up is a lint error, not a review comment.
 */
const LAYERS = {
  lib: [],
  api: ['lib'],
  baseline: ['lib', 'api'],
  drift: ['lib', 'api', 'baseline'],
  posture: ['lib', 'api'],
  report: ['lib', 'api', 'baseline'],
  kube: ['lib', 'api'],
  observability: ['lib', 'api', 'kube'],
  controller: ['lib', 'api', 'baseline', 'drift', 'posture', 'report', 'kube', 'observability'],
};
const SRC_FOLDERS = [...Object.keys(LAYERS), 'cli', 'config'];
const layerRules = Object.entries(LAYERS).map(([folder, allowed]) => {
  const banned = SRC_FOLDERS.filter((f) => f !== folder && !allowed.includes(f));
  return {
    files: [`src/${folder}/**/*.ts`],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(\\.\\./)+(${banned.join('|')})(/|\\.ts$)`,
              message: `src/${folder} may import only from ${allowed.length === 0 ? 'itself' : allowed.map((f) => `src/${f}`).join(', ')} (the layers in eslint.config.js)`,
            },
          ],
        },
      ],
    },
  };
});

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
      'no-restricted-properties': [
        'error',
        ...noSkippedTests,
        { object: 'process', property: 'exit', message: 'only src/cli/main.ts may exit the process' },
      ],
      // client-node's models are generated classes with no behaviour; plain object
      // literals are how its API is meant to be called.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      'no-restricted-globals': ['error', 'xit', 'xdescribe', 'fit', 'fdescribe'],
    },
  },
  ...layerRules,
  {
    // Test doubles are often async functions that resolve at once.
    files: ['**/*.test.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
);
