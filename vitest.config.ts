import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // A temporary directory per run (TMPDIR); the run fails if a test leaves anything in it.
    globalSetup: ['test/helpers/tmp-guard.ts'],
    reporters: ['default'],
    // Worker threads started from src/ (not dist/) load src/pool/encode-worker.ts through these hooks.
    env: { MP4FORGE_WORKER_HOOKS: new URL('./test/helpers/ts-worker-hooks.mjs', import.meta.url).href },
  },
});
