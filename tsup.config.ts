import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { defineConfig } from 'tsup';
import type { Plugin } from 'esbuild';

// src/encode/h264/asm/** is AssemblyScript (issue 12's encoder): never bundled from here, and left
// out of tsconfig.json (whose settings the .d.ts build uses) and the linter; its .wasm is built apart.

// lamejs's `require` entry exports nothing; bundling its ESM entry serves every format.
const noExternal = ['@breezystack/lamejs'];

// No source maps in the package: dist is not minified (stack traces already name readable code,
// with `// src/…` markers between modules), and the maps were 7 of its 11.6 MB unpacked — 2.8 MB of
// them mapping h264-mp4-encoder's minified web build onto itself. MP4FORGE_SOURCEMAP=1 builds
// them for local debugging.
const sourcemap = process.env.MP4FORGE_SOURCEMAP === '1';

/**
 * The browser build: a relative import of `x.js` whose sibling `x.browser.ts` exists resolves to
 * that file instead (src/platform/io.browser.ts, src/encode/wasm-import.browser.ts), so Node-only
 * modules never enter the graph. h264-mp4-encoder's web build is a classic script (`var HME = …`);
 * it is bundled (into its own lazily imported chunk) with `export default HME` appended.
 */
const browserPlatform = platformSwaps(['browser']);

/**
 * The workerd build (Cloudflare Workers, edge functions): the browser build's modules, except that
 * `x.workerd.ts` replaces `x.ts` first (no WASM bytes, no h264-mp4-encoder), and the encoder comes
 * in as `./h264.wasm?module`, left as an import for wrangler / Next.js to turn into a compiled module
 * (dist/h264.wasm sits beside dist/index.workerd.js).
 */
const workerdPlatform = platformSwaps(['workerd', 'browser']);

function platformSwaps(flavours: string[]): Plugin {
  return {
    name: `mp4forge-${flavours[0]}-platform`,
    setup(build) {
      build.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => {
        if (!args.importer.includes('/src/')) return undefined;
        // The entries (index.browser.ts, index.workerd.ts) re-export the shared src/index.ts: never swapped.
        if (resolve(dirname(args.importer), args.path) === resolve('src/index.js')) return undefined;
        for (const flavour of flavours) {
          const swapped = resolve(dirname(args.importer), args.path.replace(/\.js$/, `.${flavour}.ts`));
          if (swapped !== args.importer && existsSync(swapped)) return { path: swapped };
        }
        return undefined;
      });
      build.onResolve({ filter: /\.wasm\?module$/ }, (args) => ({ path: args.path, external: true }));
      if (flavours[0] === 'browser') hmeWebBuild(build);
    },
  };
}

/** h264-mp4-encoder's web build, wrapped as an ES module (browser build only). */
function hmeWebBuild(build: Parameters<Plugin['setup']>[0]): void {
  build.onResolve({ filter: /^h264-mp4-encoder\/embuild\/dist\/h264-mp4-encoder\.web\.js$/ }, () => ({
    path: resolve('node_modules/h264-mp4-encoder/embuild/dist/h264-mp4-encoder.web.js'),
  }));
  build.onLoad({ filter: /h264-mp4-encoder\.web\.js$/ }, (args) => {
    let source = readFileSync(args.path, 'utf8');
    const patch = (from: string, to: string, why: string) => {
      if (!source.includes(from)) throw new Error(`h264-mp4-encoder web build changed (${why}): re-check tsup.config.ts`);
      source = source.replace(from, to);
    };
    // webpack's vm-browserify shim (never called by the encoder) uses a direct eval, which makes
    // bundlers warn and deoptimise the chunk; an indirect eval is what runInThisContext means anyway.
    patch(
      'Script.prototype.runInThisContext=function(){return eval(this.code)}',
      'Script.prototype.runInThisContext=function(){return(0,eval)(this.code)}',
      'vm shim',
    );
    // webpack's `global` shim: `this` is undefined in a module, so it falls back to
    // `new Function("return this")`, which CSP without 'unsafe-eval' and Cloudflare workerd
    // refuse, leaving `global` undefined (the Buffer shim then crashes). globalThis is the answer.
    patch(
      'var Q;Q=function(){return this}();try{Q=Q||new Function("return this")()}catch(A){"object"==typeof window&&(Q=window)}A.exports=Q',
      'A.exports=globalThis',
      'global shim',
    );
    return {
      contents:
        '// h264-mp4-encoder 1.0.12 web build (MIT, (c) 2020 Trevor Sundberg), wrapped as an ES module by mp4forge.\n' +
        source.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '') +
        '\nexport default HME;\n',
      loader: 'js',
    };
  });
}

/**
 * mp4forge/queue: src/queue/core.ts reaches the core through `../index.node.js`; in the build that
 * import becomes the package itself ('mp4forge', resolved through `exports` like a user's import),
 * so the queue entry shares the main entry's code and its Mp4ForgeError class instead of bundling a
 * second copy. bullmq, ioredis and @aws-sdk/client-s3 stay external (optional peer dependencies;
 * the SDK is imported with import() when an s3Store is first used).
 */
const queueUsesPackage: Plugin = {
  name: 'mp4forge-queue-core',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/index\.node\.js$/ }, (args) =>
      args.importer.includes('/src/queue/') ? { path: 'mp4forge', external: true } : undefined,
    );
  },
};

export default defineConfig([
  {
    entry: { index: 'src/index.node.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    // import.meta.url locates dist/encode-worker.js; the CJS build needs tsup's shim for it.
    shims: true,
    sourcemap,
    clean: true,
    target: 'node18',
    platform: 'node',
    noExternal,
  },
  {
    entry: { queue: 'src/queue/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap,
    target: 'node18',
    platform: 'node',
    external: ['mp4forge', 'bullmq', 'ioredis', '@aws-sdk/client-s3'],
    esbuildPlugins: [queueUsesPackage],
  },
  {
    // The encode worker of the browser pool is an entry of its own, sharing chunks with the library:
    // src/pool/web-transport.ts starts it as new URL('./encode-worker.browser.js', import.meta.url).
    entry: { 'index.browser': 'src/index.browser.ts', 'encode-worker.browser': 'src/pool/encode-worker.browser.ts' },
    format: ['esm'],
    // Same public types as the Node entry: package.json points the browser condition at index.d.ts.
    dts: false,
    sourcemap,
    target: 'es2022',
    platform: 'browser',
    splitting: true,
    noExternal: [...noExternal, 'h264-mp4-encoder'],
    esbuildPlugins: [browserPlatform],
  },
  {
    entry: { 'index.workerd': 'src/index.workerd.ts' },
    format: ['esm'],
    dts: false,
    sourcemap,
    target: 'es2022',
    platform: 'browser',
    // One file: wrangler and Next.js bundle it again, and the .wasm import must stay beside it.
    splitting: false,
    noExternal,
    esbuildPlugins: [workerdPlatform],
  },
  {
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    sourcemap,
    target: 'node18',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
    noExternal,
  },
  {
    // The worker_threads entry of the encode pool; ESM (dist is "type": "module") for both builds.
    entry: { 'encode-worker': 'src/pool/encode-worker.ts' },
    format: ['esm'],
    sourcemap,
    target: 'node18',
    platform: 'node',
    noExternal: ['@breezystack/lamejs'],
  },
]);
