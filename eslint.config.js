// ESLint for mp4forge: typescript-eslint with type information for the TypeScript sources and
// tests, a 160-column line limit everywhere. `npm run lint` runs it; `npm test` runs it first.
import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import tseslint from 'typescript-eslint';

// A line that is nothing but one string or template literal (a message, a report sentence, a test
// title) may run on: splitting product text makes it impossible to grep for. Code may not.
const LEAD = String.raw`(?:[?:]\s*|\w+:\s*|[\w.]+\s*\+?=\s*|return\s+|it(?:\.each\(.*\))?\(\s*)?`;
const LONE_LITERAL = String.raw`^\s*${LEAD}(['"\x60]).*\1\s*[,;)+]*(?:\s*(?:async\s*)?\(\)\s*=>\s*\{)?$`;
const maxLen = {
  '@stylistic/max-len': ['error', { code: 160, ignoreUrls: true, ignoreRegExpLiterals: true, ignorePattern: LONE_LITERAL }],
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'bench/results/**',
      'examples/web/dist/**',
      // The AssemblyScript encoder (issue 12): TypeScript syntax, but not TypeScript.
      'src/encode/h264/asm/**',
    ],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { '@stylistic': stylistic },
    rules: maxLen,
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['tsup.config.ts', 'vitest.config.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Errors are Mp4ForgeError; a rejected promise carries whatever the caller or a platform API threw.
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      // An async function without await is how a synchronous throw becomes a rejection (sinks,
      // readers, platform stubs that refuse): deliberate here, so not flagged.
      '@typescript-eslint/require-await': 'off',
      // Template literals name numbers and unknown values in messages on purpose.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
    },
  },
  {
    // Tests reach into JSON, child-process output and deliberately malformed inputs: type-checked,
    // but `any` from those is allowed where the assertion itself checks the shape.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended],
    languageOptions: {
      globals: {
        process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', performance: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly',
        setImmediate: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', globalThis: 'readonly',
        self: 'readonly', postMessage: 'readonly', addEventListener: 'readonly', navigator: 'readonly', document: 'readonly', window: 'readonly',
        fetch: 'readonly', Response: 'readonly', Request: 'readonly', WritableStream: 'readonly', ReadableStream: 'readonly', crypto: 'readonly',
        require: 'readonly', module: 'writable', __dirname: 'readonly', structuredClone: 'readonly', AbortController: 'readonly', queueMicrotask: 'readonly',
        OffscreenCanvas: 'readonly', ImageData: 'readonly', Blob: 'readonly', atob: 'readonly', btoa: 'readonly', WebAssembly: 'readonly',
        Worker: 'readonly', VideoEncoder: 'readonly', AbortSignal: 'readonly', URLSearchParams: 'readonly',
      },
    },
  },
);
