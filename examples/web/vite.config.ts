// Vite config for the demo page (npm run web:dev / web:build) and the bare snippet page the browser
// tests use. `mp4forge` is the file the package's own `exports` map names under the `browser`
// condition (dist/index.browser.js), i.e. what an application bundling mp4forge gets, so the library
// must be built first (`npm run build`; the web:* scripts do it).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const pkg = JSON.parse(readFileSync(here('../../package.json'), 'utf8')) as { exports: Record<string, { browser?: { default?: string } }> };
const browserEntry = pkg.exports['.']?.browser?.default;
if (!browserEntry) throw new Error("package.json has no exports['.'].browser.default; the demo needs mp4forge's browser entry");

export default defineConfig({
  root: here('.'),
  base: './',
  resolve: {
    alias: [{ find: /^mp4forge$/, replacement: here(`../../${browserEntry}`) }],
  },
  worker: { format: 'es' },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    // The WASM encoder (base64 inside its chunk) is ~2 MB; it is loaded lazily, by the worker.
    chunkSizeWarningLimit: 2500,
    rollupOptions: {
      input: { demo: here('index.html'), snippets: here('snippets/index.html') },
    },
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
