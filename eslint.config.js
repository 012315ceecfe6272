import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'cdk.out/',
      '.local/',
      'coverage/',
      'bench/results/',
      'dist/',
      'console/dist/',
      '.twin/',
      '.build/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'no-console': ['error', { allow: ['warn', 'error'] }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name=/Error$/][property.name='name']",
          message: 'A class name does not survive minification: use nameOf(SomeError) from functions/errors.ts.',
        },
        {
          selector:
            "MemberExpression[object.name='constructor'][property.name='name'], MetaProperty[property.name='target']",
          message: 'A class name does not survive minification: give the class a literal name.',
        },
      ],
    },
  },
  {
    // zod/mini through functions/zod.ts (it loads the English messages); classic would put its weight back in every bundle.
    files: ['**/*.ts', '**/*.tsx'],
    ignores: ['functions/zod.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['zod', 'zod/*'],
              message:
                "Import schemas as `import * as z from '<relative>/functions/zod.js'` (zod/mini, English messages).",
            },
          ],
        },
      ],
    },
  },
  {
    files: ['infra/local/**/*.ts', 'infra/twin/main.ts', 'bench/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  { files: ['eslint.config.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);
