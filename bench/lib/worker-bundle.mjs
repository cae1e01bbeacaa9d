// Bundles a Cloudflare Worker the way wrangler does, for the workerd test and bench: esbuild with
// wrangler's export conditions (workerd, worker, browser), so `mp4forge` resolves to its workerd
// build; every `.wasm` / `.wasm?module` import becomes a CompiledWasm module file next to the
// bundle, named by its content hash (wrangler's module rules), and stays an import.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ROOT } from './common.mjs';

/** Makes `dir` an app folder in which `mp4forge` resolves to this checkout, as if installed. */
function installAsApp(dir) {
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  if (!existsSync(join(dir, 'node_modules/mp4forge'))) symlinkSync(ROOT, join(dir, 'node_modules/mp4forge'), 'dir');
}

/**
 * @param {{ entry: string, outDir: string, conditions?: string[] }} opts  `entry` is the worker's
 *   source; `mp4forge` resolves to this checkout through an app folder's node_modules, as installed.
 * @returns {Promise<{ script: string, wasmModules: string[] }>}  the bundle and the .wasm files it imports
 */
export async function bundleWorker({ entry, outDir, conditions = ['workerd', 'worker', 'browser'] }) {
  const esbuild = await import('esbuild');
  installAsApp(outDir);
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

/**
 * Bundles an edge function the way Next.js builds one for Vercel's edge runtime: a classic script
 * (no module imports at run time) with the `edge-light` condition first, whose `.wasm?module`
 * imports become globals that the host fills with modules it compiled (Next.js names them
 * `wasm_<hash>` and binds them into the function's context; Vercel compiles them at deploy time).
 * The function's default export answers `fetch` events.
 *
 * @param {{ entry: string, outDir: string }} opts
 * @returns {Promise<{ code: string, wasmBindings: { name: string, path: string }[] }>}
 */
export async function bundleEdgeFunction({ entry, outDir }) {
  const esbuild = await import('esbuild');
  installAsApp(outDir);
  const wasmBindings = [];
  const bindings = {
    name: 'edge-wasm-bindings',
    setup(build) {
      build.onResolve({ filter: /\.wasm\?module$/ }, (args) => {
        const path = resolve(args.resolveDir, args.path.replace(/\?module$/, ''));
        const name = `wasm_${createHash('sha1').update(readFileSync(path)).digest('hex')}`;
        if (!wasmBindings.some((b) => b.name === name)) wasmBindings.push({ name, path });
        return { path: name, namespace: 'edge-wasm' };
      });
      build.onLoad({ filter: /.*/, namespace: 'edge-wasm' }, (args) => ({ contents: `export default globalThis[${JSON.stringify(args.path)}];`, loader: 'js' }));
    },
  };
  const shim = `import handler from ${JSON.stringify(entry)};\naddEventListener('fetch', (event) => event.respondWith(handler(event.request)));\n`;
  const out = await esbuild.build({
    stdin: { contents: shim, resolveDir: outDir, loader: 'js' },
    nodePaths: [join(outDir, 'node_modules')],
    bundle: true,
    format: 'iife',
    target: 'es2022',
    platform: 'browser',
    conditions: ['edge-light', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    plugins: [bindings],
    write: false,
    logLevel: 'silent',
  });
  return { code: out.outputFiles[0].text, wasmBindings };
}
