// Cloudflare's workerd (through miniflare 3): what works and what is refused, with the exact errors
// the README quotes. The worker is bundled from the package's browser entry with wrangler's
// conditions (workerd, worker, browser).
import { mkdirSync, symlinkSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffprobe } from './helpers/oracles.js';
import { workDir } from './helpers/render.js';

const ROOT = resolve('.');
const require = createRequire(import.meta.url);

/** miniflare 3 starts workerd; if it cannot here, the test is skipped with the exact reason. */
let skipReason: string | null = null;
try {
  require.resolve('miniflare');
} catch (e) {
  skipReason = `miniflare is not installed: ${(e as Error).message}`;
}

/** h264-mp4-encoder's WASM, as embedded (base64) in its web build. */
function encoderWasm(): Uint8Array {
  const src = readFileSync(join(ROOT, 'node_modules/h264-mp4-encoder/embuild/dist/h264-mp4-encoder.web.js'), 'utf8');
  const b64 = /data:application\/octet-stream;base64,([A-Za-z0-9+/=]{1000,})/.exec(src)?.[1];
  if (!b64) throw new Error('no embedded WASM found in the h264-mp4-encoder web build');
  return Buffer.from(b64, 'base64');
}

type Attempt = { ok: true; value: unknown } | { ok: false; name: string; code?: string; message: string; cause?: string };

describe.skipIf(skipReason !== null)('Cloudflare workerd (miniflare 3)', () => {
  let mf: { dispatchFetch(url: string): Promise<{ status: number; arrayBuffer(): Promise<ArrayBuffer>; json(): Promise<unknown> }>; dispose(): Promise<void> };
  const app = join(workDir, 'workerd-app');

  beforeAll(async () => {
    mkdirSync(join(app, 'node_modules'), { recursive: true });
    if (!existsSync(join(app, 'node_modules/mp4forge'))) symlinkSync(ROOT, join(app, 'node_modules/mp4forge'), 'dir');
    writeFileSync(join(app, 'h264.wasm'), encoderWasm());
    const esbuild = await import('esbuild');
    await esbuild.build({
      entryPoints: [join(ROOT, 'test/fixtures/workerd/worker.mjs')],
      nodePaths: [join(app, 'node_modules')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      conditions: ['workerd', 'worker', 'browser'],
      external: ['./h264.wasm'],
      outfile: join(app, 'worker.js'),
      logLevel: 'silent',
    });
    const { Miniflare } = await import('miniflare');
    mf = new Miniflare({
      modules: [
        { type: 'ESModule', path: join(app, 'worker.js') },
        { type: 'CompiledWasm', path: join(app, 'h264.wasm') },
      ],
      modulesRoot: app,
      compatibilityDate: '2025-07-01',
    });
  });
  afterAll(async () => {
    await mf?.dispose();
  });

  it('generates audio, encodes it to MP3 and parses it back — ffprobe reads 1 s of MP3 with the same frame count', async () => {
    const res = (await mf.dispatchFetch('http://worker/mp3')) as Awaited<ReturnType<typeof mf.dispatchFetch>> & {
      headers: { get(name: string): string | null };
    };
    expect(res.status).toBe(200);
    const file = join(app, 'workerd.mp3');
    writeFileSync(file, new Uint8Array(await res.arrayBuffer()));
    const probe = await ffprobe(file, { count: true });
    expect(probe.streams[0]?.codec_name).toBe('mp3');
    expect(Number(probe.format.duration)).toBeCloseTo(1, 0);
    expect(Number(res.headers.get('x-mp3-frames'))).toBe(Number(probe.streams[0]?.nb_read_packets));
  });

  it('refuses to compile WASM from bytes and to run new Function; a .wasm module binding is a WebAssembly.Module', async () => {
    const res = (await (await mf.dispatchFetch('http://worker/wasm')).json()) as Record<string, Attempt | number | null>;
    expect(res.compileBytes).toMatchObject({ ok: false, name: 'CompileError', message: 'WebAssembly.compile(): Wasm code generation disallowed by embedder' });
    expect(res.instantiateBytes).toMatchObject({
      ok: false,
      name: 'CompileError',
      message: 'WebAssembly.instantiate(): Wasm code generation disallowed by embedder',
    });
    expect(res.newFunction).toMatchObject({ ok: false, name: 'EvalError', message: 'Code generation from strings disallowed for this context' });
    // The binding route works: the encoder's module, compiled by workerd at upload time.
    expect(res.binding).toBeGreaterThan(10);
  });

  it('createMp4Writer from the browser build rejects with UNSUPPORTED_RUNTIME naming the refusal (workerd takes WASM only as a module)', async () => {
    const res = (await (await mf.dispatchFetch('http://worker/mp4')).json()) as Attempt;
    expect(res).toMatchObject({
      ok: false,
      name: 'Mp4ForgeError',
      code: 'UNSUPPORTED_RUNTIME',
      cause: 'CompileError: WebAssembly.compile(): Wasm code generation disallowed by embedder',
    });
    expect((res as { message: string }).message).toMatch(/forbids compiling WebAssembly from bytes/);
  });
});

if (skipReason) console.warn(`\n[mp4forge] workerd test SKIPPED: ${skipReason}\n`);
