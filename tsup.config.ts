import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    // import.meta.url locates dist/encode-worker.js; the CJS build needs tsup's shim for it.
    shims: true,
    sourcemap: true,
    clean: true,
    target: 'node18',
    platform: 'node',
    // lamejs's `require` entry exports nothing; bundling its ESM entry serves both formats.
    noExternal: ['@breezystack/lamejs'],
  },
  {
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node18',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
    noExternal: ['@breezystack/lamejs'],
  },
  {
    // The worker_threads entry of the encode pool; ESM (dist is "type": "module") for both builds.
    entry: { 'encode-worker': 'src/pool/encode-worker.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node18',
    platform: 'node',
    noExternal: ['@breezystack/lamejs'],
  },
]);
