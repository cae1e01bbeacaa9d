// Bundles a Cloudflare Worker the way wrangler does, for the workerd test and bench: esbuild with
// wrangler's export conditions (workerd, worker, browser), so `mp4forge` resolves to its workerd
// build; every `.wasm` / `.wasm?module` import becomes a CompiledWasm module file next to the
// bundle, named by its content hash (wrangler's module rules), and stays an import.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ROOT } from './common.mjs';

/**
 * @param {{ entry: string, outDir: string, conditions?: string[] }} opts  `entry` is the worker's
 *   source; `mp4forge` resolves to this checkout through an app folder's node_modules, as installed.
 * @returns {Promise<{ script: string, wasmModules: string[] }>}  the bundle and the .wasm files it imports
 */
export async function bundleWorker({ entry, outDir, conditions = ['workerd', 'worker', 'browser'] }) {
  const esbuild = await import('esbuild');
  mkdirSync(join(outDir, 'node_modules'), { recursive: true });
  if (!existsSync(join(outDir, 'node_modules/mp4forge'))) symlinkSync(ROOT, join(outDir, 'node_modules/mp4forge'), 'dir');
  const wasmModules = [];
  const wasmRule = {
    name: 'compiled-wasm-modules',
    setup(build) {
      build.onResolve({ filter: /\.wasm(\?module)?$/ }, (args) => {
        const file = resolve(args.resolveDir, args.path.replace(/\?module$/, ''));
        const hash = createHash('sha1').update(readFileSync(file)).digest('hex');
        const name = `${hash}-${basename(file)}`;
        copyFileSync(file, join(outDir, name));
        wasmModules.push(join(outDir, name));
        return { path: `./${name}`, external: true };
      });
    },
  };
  const script = join(outDir, 'worker.js');
  await esbuild.build({
    entryPoints: [entry],
    nodePaths: [join(outDir, 'node_modules')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    conditions,
    mainFields: ['browser', 'module', 'main'],
    plugins: [wasmRule],
    outfile: script,
    logLevel: 'silent',
  });
  return { script, wasmModules };
}

/** `compatibility_date` from a wrangler.toml (the only setting the tests need from it). */
export function compatibilityDate(wranglerToml) {
  const m = /^compatibility_date\s*=\s*"([\d-]+)"/m.exec(readFileSync(wranglerToml, 'utf8'));
  if (!m) throw new Error(`${wranglerToml} has no compatibility_date`);
  return m[1];
}
