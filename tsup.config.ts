import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { defineConfig } from 'tsup';
import type { Plugin } from 'esbuild';

// lamejs's `require` entry exports nothing; bundling its ESM entry serves every format.
const noExternal = ['@breezystack/lamejs'];

/**
 * The browser build: a relative import of `x.js` whose sibling `x.browser.ts` exists resolves to
 * that file instead (src/platform/io.browser.ts, src/encode/wasm-import.browser.ts), so Node-only
 * modules never enter the graph. h264-mp4-encoder's web build is a classic script (`var HME = …`);
 * it is bundled (into its own lazily imported chunk) with `export default HME` appended.
 */
const browserPlatform: Plugin = {
  name: 'mp4forge-browser-platform',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => {
      if (!args.importer.includes('/src/')) return undefined;
      const swapped = resolve(dirname(args.importer), args.path.replace(/\.js$/, '.browser.ts'));
      return swapped !== args.importer && existsSync(swapped) ? { path: swapped } : undefined;
    });
    build.onResolve({ filter: /^h264-mp4-encoder\/embuild\/dist\/h264-mp4-encoder\.web\.js$/ }, () => ({
      path: resolve('node_modules/h264-mp4-encoder/embuild/dist/h264-mp4-encoder.web.js'),
    }));
    build.onLoad({ filter: /h264-mp4-encoder\.web\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      // webpack's vm-browserify shim (never called by the encoder) uses a direct eval, which makes
      // bundlers warn and deoptimise the chunk; an indirect eval is what runInThisContext means anyway.
      const directEval = 'Script.prototype.runInThisContext=function(){return eval(this.code)}';
      if (!source.includes(directEval)) throw new Error('h264-mp4-encoder web build changed: vm shim not found; re-check the wrapper');
      return {
        contents:
          '// h264-mp4-encoder 1.0.12 web build (MIT, (c) 2020 Trevor Sundberg), wrapped as an ES module by mp4forge.\n' +
          source.replace(directEval, 'Script.prototype.runInThisContext=function(){return(0,eval)(this.code)}').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '') +
          '\nexport default HME;\n',
        loader: 'js',
      };
    });
  },
};

export default defineConfig([
  {
    entry: { index: 'src/index.node.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node18',
    platform: 'node',
    noExternal,
  },
  {
    entry: { 'index.browser': 'src/index.browser.ts' },
    format: ['esm'],
    // Same public types as the Node entry: package.json points the browser condition at index.d.ts.
    dts: false,
    sourcemap: true,
    target: 'es2022',
    platform: 'browser',
    splitting: true,
    noExternal: [...noExternal, 'h264-mp4-encoder'],
    esbuildPlugins: [browserPlatform],
  },
  {
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node18',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
    noExternal,
  },
]);
