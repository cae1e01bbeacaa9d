// The browser entry as a web project gets it: resolved through package.json `exports` (browser
// condition), bundled by Vite with no warnings and no Node builtin, then run in Chromium in a page
// and in a module Web Worker, the MP4 checked with ffprobe/ffmpeg.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
// @ts-expect-error plain .mjs helper shared with bench/size.mjs (no type declarations)
import { bundleBrowserApp, NODE_BUILTINS } from '../bench/lib/browser-bundle.mjs';
import { chromiumAvailable, launchChromium, requireBrowser, serveDir } from './helpers/browser.js';
import { ffmpegDecodeCheck, ffprobe } from './helpers/oracles.js';
import { tmpFile, workDir } from './helpers/render.js';

interface Chunk {
  fileName: string;
  code: string;
  isEntry: boolean;
  isDynamicEntry: boolean;
  imports: string[];
  dynamicImports: string[];
  moduleIds: string[];
}
type Bundle = { warnings: string[]; chunks: Chunk[] };

const DIST = resolve('dist');

// The app the browser runs: examples/browser/render.js and worker.js (the README's snippets),
// plus test glue in main.js that exposes them to playwright.
const RENDER_JS = readFileSync('examples/browser/render.js', 'utf8');
const WORKER_JS = readFileSync('examples/browser/worker.js', 'utf8');
const MAIN_JS = `
import { createMp4Writer, isMp4ForgeError, readRawFrames } from 'mp4forge';
import { render } from './render.js';
const OPTS = { width: 320, height: 240, fps: 15, seconds: 1 };
window.renderInPage = async () => Array.from(await render(OPTS));
window.renderInWorker = () => new Promise((resolve, reject) => {
  const worker = new Worker('./worker.js', { type: 'module' });
  worker.onmessage = (e) => { worker.terminate(); e.data.error ? reject(new Error(e.data.error)) : resolve(Array.from(e.data.bytes)); };
  worker.onerror = (e) => { worker.terminate(); reject(new Error('worker: ' + e.message)); };
  worker.postMessage(OPTS);
});
window.renderError = async () => {
  try {
    await render(OPTS);
    return 'no error';
  } catch (e) {
    return { name: e.name, code: e.code, message: e.message, cause: String(e.cause) };
  }
};
window.rawFrames = async () => {
  const stream = new ReadableStream({ start(c) { c.enqueue(new Uint8Array([1, 2, 3, 4, 5])); c.enqueue(new Uint8Array([6, 7])); c.close(); } });
  const frames = [];
  const gen = readRawFrames(stream, 3);
  let r;
  while (!(r = await gen.next()).done) frames.push(Array.from(r.value));
  let fd = 'no error';
  try {
    await readRawFrames(0, 3).next();
  } catch (e) {
    fd = isMp4ForgeError(e) ? e.code : String(e);
  }
  return { frames, read: r.value, fd };
};
window.filePathError = async () => {
  try {
    await createMp4Writer({ width: 64, height: 64, fps: 10, output: 'out.mp4' });
    return 'no error';
  } catch (e) {
    return isMp4ForgeError(e) ? e.code : String(e);
  }
};
`;

/** Bare and relative specifiers imported by a built file (static and dynamic). */
function specifiers(code: string): string[] {
  const out: string[] = [];
  for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)["']([^"']+)["']/g)) out.push(m[1]);
  return out;
}

/** What only mp4forge/queue may load: the job engine, its Redis client and the S3 client of s3Store (optional peer dependencies). */
const QUEUE_ONLY = new Set(['bullmq', 'ioredis', '@aws-sdk/client-s3']);

/** Every built file `entry` can load (static and dynamic imports, relative ones followed), with its bare imports. */
function reachable(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const specs = specifiers(readFileSync(file, 'utf8'));
    seen.set(file, specs);
    for (const spec of specs) if (spec.startsWith('.')) visit(join(dirname(file), spec));
  };
  visit(entry);
  return seen;
}

describe('mp4forge/queue entry (Node only)', () => {
  it('the core entries (Node ESM, CommonJS, browser) and every chunk they can load never import bullmq, ioredis or @aws-sdk/client-s3', () => {
    for (const entry of ['index.js', 'index.cjs', 'index.browser.js']) {
      const files = reachable(join(DIST, entry));
      expect(files.size).toBeGreaterThan(0);
      for (const [file, specs] of files) for (const spec of specs) expect(QUEUE_ONLY.has(spec), `${file} imports ${spec}`).toBe(false);
    }
    // The CLI loads its queue commands (and so bullmq) only when a queue command runs.
    expect(specifiers(readFileSync(join(DIST, 'cli.js'), 'utf8')).filter((s) => QUEUE_ONLY.has(s))).toEqual([]);
  });

  it('is exported for import and require with types, imports the core from the package itself, and bullmq/ioredis/@aws-sdk/client-s3 are optional peers', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      exports: Record<string, Record<string, { types: string; default: string }>>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
      dependencies: Record<string, string>;
    };
    const q = pkg.exports['./queue'];
    expect(Object.keys(q)).toEqual(['import', 'require']); // no browser condition: a bundler for the web gets no match
    for (const cond of ['import', 'require']) {
      expect(existsSync(resolve(q[cond].default))).toBe(true);
      expect(existsSync(resolve(q[cond].types))).toBe(true);
    }
    for (const name of QUEUE_ONLY) {
      expect(pkg.peerDependencies[name]).toBeDefined();
      expect(pkg.peerDependenciesMeta[name]).toEqual({ optional: true });
      expect(pkg.dependencies[name]).toBeUndefined();
    }
    for (const file of ['queue.js', 'queue.cjs']) {
      const code = readFileSync(join(DIST, file), 'utf8');
      expect(specifiers(code)).toContain('mp4forge');
      // One copy of the core: no second Mp4ForgeError class, no encoder, no muxer in the queue build.
      expect(code).not.toMatch(/class Mp4ForgeError|h264-mp4-encoder|FragmentedMuxer/);
    }
  });

  it('resolves by package name in ESM and CommonJS, sharing the main entry\'s Mp4ForgeError class', () => {
    const esmScript = [
      "const q = await import('mp4forge/queue')",
      "const m = await import('mp4forge')",
      'console.log(q.Mp4ForgeError === m.Mp4ForgeError, typeof q.submitRender, typeof q.startRenderWorker, typeof q.directoryStore, typeof q.s3Store)',
    ].join('; ');
    const esm = spawnSync(process.execPath, ['--input-type=module', '-e', esmScript], { encoding: 'utf8' });
    expect(esm.stderr).toBe('');
    expect(esm.stdout.trim()).toBe('true function function function function');
    const cjsScript = [
      "const q = require('mp4forge/queue')",
      "const m = require('mp4forge')",
      'console.log(q.Mp4ForgeError === m.Mp4ForgeError, typeof q.submitRender)',
    ].join('; ');
    const cjs = spawnSync(process.execPath, ['-e', cjsScript], { encoding: 'utf8' });
    expect(cjs.stderr).toBe('');
    expect(cjs.stdout.trim()).toBe('true function');
  });
});

describe('README snippets', () => {
  it('every `<!-- include: file -->` block in the README is that file, verbatim', () => {
    const readme = readFileSync('README.md', 'utf8');
    const blocks = [...readme.matchAll(/<!-- include: (\S+) -->\n```\w*\n([\s\S]*?)```\n/g)];
    expect(blocks.map((b) => b[1])).toEqual(
      expect.arrayContaining(['examples/serverless/handler.mjs', 'examples/browser/render.js', 'examples/browser/worker.js']),
    );
    for (const [, file, body] of blocks) expect(body, file).toBe(readFileSync(file, 'utf8'));
  });
});

describe('browser entry (exports "browser" condition)', () => {
  let bundle: Bundle;

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'index.browser.js'))) throw new Error('dist/index.browser.js is missing: run `npm run build` first (`npm test` does)');
    bundle = (await bundleBrowserApp({ entries: { 'main.js': MAIN_JS, 'worker.js': WORKER_JS, 'render.js': RENDER_JS } })) as Bundle;
  });

  it('package.json maps browser → index.browser.js, import → index.js, require → index.cjs, all with types', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, Record<string, { types: string; default: string }>> };
    const root = pkg.exports['.'];
    // workerd / edge builds first (their bundlers also set 'browser'), then browser before import/require.
    expect(Object.keys(root)).toEqual(['workerd', 'edge-light', 'worker', 'browser', 'import', 'require']);
    for (const cond of ['workerd', 'edge-light', 'worker']) expect(root[cond]).toEqual({ types: './dist/index.d.ts', default: './dist/index.workerd.js' });
    for (const [cond, file] of [['browser', 'index.browser.js'], ['import', 'index.js'], ['require', 'index.cjs']] as const) {
      expect(root[cond].default).toBe(`./dist/${file}`);
      expect(existsSync(resolve(root[cond].default))).toBe(true);
      expect(existsSync(resolve(root[cond].types))).toBe(true);
    }
  });

  it('the browser entry and every chunk it can load import no Node builtin', () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        expect(NODE_BUILTINS.has(spec), `${file} imports ${spec}`).toBe(false);
        if (spec.startsWith('.')) visit(join(dirname(file), spec));
      }
    };
    visit(join(DIST, 'index.browser.js'));
    const files = [...seen].map((f) => f.slice(DIST.length + 1));
    // The web build of the encoder is reachable (lazily); the Node build is not.
    expect(files.some((f) => f.startsWith('h264-mp4-encoder.web'))).toBe(true);
    expect(files.some((f) => f.includes('node-sinks'))).toBe(false);
  });

  it('Vite bundles it with no warnings, no browser-externalized builtin, and the web encoder build', () => {
    expect(bundle.warnings).toEqual([]);
    const ids = bundle.chunks.flatMap((c) => c.moduleIds);
    expect(ids.filter((id) => id.includes('__vite-browser-external'))).toEqual([]);
    expect(ids.some((id) => id.endsWith('/dist/index.browser.js'))).toBe(true);
    expect(ids.some((id) => /\/dist\/index\.(js|cjs)$/.test(id))).toBe(false);
    expect(ids.some((id) => id.includes('h264-mp4-encoder.node'))).toBe(false);
    // The encoder is its own chunk, loaded by dynamic import only.
    const encoder = bundle.chunks.find((c) => c.moduleIds.some((id) => id.includes('h264-mp4-encoder.web')));
    expect(encoder?.isDynamicEntry).toBe(true);
    expect(bundle.chunks.filter((c) => c.isEntry).every((c) => !c.moduleIds.some((id) => id.includes('h264-mp4-encoder')))).toBe(true);
  });

  it('its published types compile in a browser project without @types/node (skipLibCheck off)', () => {
    const dir = join(workDir, 'types-app');
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    if (!existsSync(join(dir, 'node_modules/mp4forge'))) symlinkSync(resolve('.'), join(dir, 'node_modules/mp4forge'), 'dir');
    writeFileSync(
      join(dir, 'app.ts'),
      `import { createMp4Writer, type Mp4WriterResult } from 'mp4forge';
export async function run(canvas: OffscreenCanvas): Promise<Mp4WriterResult> {
  const ctx = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D;
  const w = await createMp4Writer({ width: canvas.width, height: canvas.height, fps: 30, output: { buffer: true } });
  await w.addFrame(ctx.getImageData(0, 0, canvas.width, canvas.height));
  return w.finish();
}
`,
    );
    const options = {
      strict: true,
      skipLibCheck: false,
      types: [],
      lib: ['ES2022', 'DOM'],
      module: 'ESNext',
      moduleResolution: 'Bundler',
      customConditions: ['browser'],
      target: 'ES2022',
      noEmit: true,
      traceResolution: true,
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, files: ['app.ts'] }));
    const r = spawnSync(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
    const errors = r.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
    expect(errors).toEqual([]);
    expect(r.status).toBe(0);
    // The browser branch of `exports` was the one used.
    expect(r.stdout).toMatch(/Matched 'exports' condition 'browser'/);
  });

  describe.runIf(chromiumAvailable || requireBrowser)('in Chromium', () => {
    let browser: Browser;
    let server: Awaited<ReturnType<typeof serveDir>>;
    const site = join(workDir, 'browser-entry');

    beforeAll(async () => {
      mkdirSync(join(site, 'chunks'), { recursive: true });
      for (const c of bundle.chunks) writeFileSync(join(site, c.fileName), c.code);
      writeFileSync(join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./main.js"></script>');
      // A strict Content-Security-Policy: no 'unsafe-eval', no 'wasm-unsafe-eval'.
      const csp = (policy: string) =>
        `<!doctype html><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${policy}"><script type="module" src="./main.js"></script>`;
      writeFileSync(join(site, 'csp.html'), csp("script-src 'self'"));
      // The policy issue 16 asks for: WebAssembly from bytes allowed, nothing else evaluated.
      writeFileSync(join(site, 'csp-wasm.html'), csp("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:"));
      server = await serveDir(site);
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    async function check(bytes: number[], name: string): Promise<void> {
      const file = tmpFile(name);
      writeFileSync(file, Uint8Array.from(bytes));
      const probe = await ffprobe(file, { count: true });
      const v = probe.streams.find((s) => s.codec_type === 'video');
      const a = probe.streams.find((s) => s.codec_type === 'audio');
      expect(v?.codec_name).toBe('h264');
      expect([v?.width, v?.height]).toEqual([320, 240]);
      expect(Number(v?.nb_read_frames)).toBe(15);
      expect(a?.codec_name).toBe('mp3');
      expect(Number(a?.duration)).toBeGreaterThan(0.9);
      expect(await ffmpegDecodeCheck(file)).toEqual({ ok: true, stderr: '' });
    }

    it('renders an MP4 with audio in a page (ImageData from a 2D canvas), reads raw frames from a ReadableStream, and refuses file paths and descriptors with UNSUPPORTED_RUNTIME', async () => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}/index.html`);
      await page.waitForFunction('typeof window.renderInPage === "function"');
      const bytes = await page.evaluate<number[]>('window.renderInPage()');
      expect(await page.evaluate('window.filePathError()')).toBe('UNSUPPORTED_RUNTIME');
      // readRawFrames: a ReadableStream is cut into frames; a file descriptor is refused.
      expect(await page.evaluate('window.rawFrames()')).toEqual({
        frames: [
          [1, 2, 3],
          [4, 5, 6],
        ],
        read: { frames: 2, bytes: 7, leftover: 1 },
        fd: 'UNSUPPORTED_RUNTIME',
      });
      await page.close();
      expect(errors).toEqual([]);
      await check(bytes, 'browser-page.mp4');
    });

    it("under a CSP that allows only 'wasm-unsafe-eval', the page renders, with no CSP violation", async () => {
      const page = await browser.newPage();
      // Violations are DOM events on the document; listen before any script runs.
      await page.addInitScript(() => {
        const w = window as unknown as { cspViolations: string[] };
        w.cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => w.cspViolations.push(`${e.violatedDirective}: ${e.blockedURI}`));
      });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}/csp-wasm.html`);
      await page.waitForFunction('typeof window.renderInPage === "function"');
      const bytes = await page.evaluate<number[]>('window.renderInPage()');
      const violations = await page.evaluate<string[]>('window.cspViolations');
      await page.close();
      expect(violations).toEqual([]);
      expect(errors).toEqual([]);
      await check(bytes, 'browser-page-csp.mp4');
    });

    it("under a CSP without 'wasm-unsafe-eval', rendering rejects with UNSUPPORTED_RUNTIME naming the refusal", async () => {
      const page = await browser.newPage();
      await page.goto(`${server.url}/csp.html`);
      await page.waitForFunction('typeof window.renderError === "function"');
      const r = await page.evaluate<{ name: string; code: string; message: string; cause: string }>('window.renderError()');
      await page.close();
      expect(r).toMatchObject({ name: 'Mp4ForgeError', code: 'UNSUPPORTED_RUNTIME' });
      expect(r.cause).toMatch(/^CompileError: .*Content Security Policy/);
      expect(r.message).toMatch(/'wasm-unsafe-eval'/);
    });

    it('renders the same clip in a module Web Worker (examples/browser/worker.js)', async () => {
      const page = await browser.newPage();
      await page.goto(`${server.url}/index.html`);
      await page.waitForFunction('typeof window.renderInWorker === "function"');
      const bytes = await page.evaluate<number[]>('window.renderInWorker()');
      await page.close();
      await check(bytes, 'browser-worker.mp4');
    });
  });
});
