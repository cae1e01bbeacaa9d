// Bundles a tiny app that imports `mp4forge` the way a web project would (through the package's
// `exports`, browser condition) with Vite, in memory. Used by test/packaging.test.ts (no Node
// builtins, no warnings) and bench/size.mjs (minified + gzipped sizes).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './common.mjs';

/**
 * @typedef {{ fileName: string, code: string, isEntry: boolean, isDynamicEntry: boolean,
 *   imports: string[], dynamicImports: string[], moduleIds: string[] }} BundleChunk
 */

/** `node:fs`, `fs`, `fs/promises`, … : every specifier that names a Node builtin. */
export const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * @param {{ entries: Record<string, string>, minify?: boolean, workerFormat?: 'es' | 'iife' }} opts  `entries` maps an entry
 *   file name (e.g. 'main.js', 'worker.js') to its source; each becomes an entry chunk named after it.
 *   `workerFormat` is Vite's `worker.format` (default: Vite's own, 'iife').
 * @returns {Promise<{ warnings: string[], chunks: BundleChunk[], assets: { fileName: string, source: string | Uint8Array }[] }>}
 */
export async function bundleBrowserApp({ entries, minify = false, workerFormat }) {
  const { build, createLogger } = await import('vite');
  // A throwaway project whose node_modules/mp4forge links to this checkout, so resolution goes
  // through package.json `exports` exactly as for an installed copy.
  const dir = mkdtempSync(join(tmpdir(), 'mp4forge-vite-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules', 'mp4forge'), 'dir');
    writeFileSync(join(dir, 'package.json'), '{"name":"app","private":true,"type":"module"}\n');
    for (const [name, code] of Object.entries(entries)) writeFileSync(join(dir, name), code);
    const warnings = [];
    const logger = createLogger('warn', { allowClearScreen: false });
    logger.warn = (msg) => warnings.push(String(msg));
    logger.warnOnce = (msg) => warnings.push(String(msg));
    logger.error = (msg) => warnings.push(`error: ${msg}`);
    const out = await build({
      root: dir,
      configFile: false,
      logLevel: 'warn',
      customLogger: logger,
      ...(workerFormat ? { worker: { format: workerFormat } } : {}),
      build: {
        write: false,
        minify,
        target: 'es2022',
        modulePreload: false,
        reportCompressedSize: false,
        // The encoder chunk is ~1.7 MB by design (embedded WASM); the size report covers it.
        chunkSizeWarningLimit: 100_000,
        rollupOptions: {
          input: Object.fromEntries(Object.keys(entries).map((name) => [name.replace(/\.[cm]?js$/, ''), join(dir, name)])),
          output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
          // Rolldown's note that plugins were slow measures this (shared) machine, not the package.
          checks: { pluginTimings: false },
          onwarn: (w) => warnings.push(`${w.code ?? ''} ${w.message}`),
        },
      },
    });
    const outputs = (Array.isArray(out) ? out : [out]).flatMap((o) => o.output);
    const chunks = outputs
      .filter((o) => o.type === 'chunk')
      .map((c) => ({
        fileName: c.fileName,
        code: c.code,
        isEntry: c.isEntry,
        isDynamicEntry: c.isDynamicEntry,
        imports: c.imports,
        dynamicImports: c.dynamicImports,
        moduleIds: c.moduleIds ?? Object.keys(c.modules ?? {}),
      }));
    // Files bundled as assets: the browser pool's encode worker (Vite builds `new Worker(new URL(…))` apart).
    const assets = outputs.filter((o) => o.type === 'asset').map((a) => ({ fileName: a.fileName, source: a.source }));
    return { warnings, chunks, assets };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
