// Vercel's edge runtime (npm `edge-runtime`, the runtime `next dev` and Vercel use for edge
// functions) running examples/edge-function/api/clip.js, bundled as Next.js bundles an edge function
// (`edge-light` condition, `.wasm?module` imports bound to modules the host compiled). Code
// generation is off for strings and for WebAssembly, as on Vercel: the encoder only works because
// the edge build never compiles WebAssembly itself. The clip is checked with ffprobe/ffmpeg and
// against the bytes Node writes.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EdgeRuntime } from 'edge-runtime';
// @ts-expect-error plain .mjs helper shared with the workerd test (no type declarations)
import { bundleEdgeFunction } from '../bench/lib/worker-bundle.mjs';
import { ffmpegDecodeCheck, ffprobe } from './helpers/oracles.js';
import { workDir } from './helpers/render.js';
import { audio, bytesSource, createMp4Writer, probeMp4 } from '../src/index.js';

type Bundle = { code: string; wasmBindings: { name: string; path: string }[] };

describe('Vercel edge runtime (npm edge-runtime): examples/edge-function/api/clip.js', () => {
  let runtime: EdgeRuntime;
  let bundle: Bundle;

  beforeAll(async () => {
    bundle = (await bundleEdgeFunction({ entry: resolve('examples/edge-function/api/clip.js'), outDir: join(workDir, 'edge-function') })) as Bundle;
    const modules = await Promise.all(bundle.wasmBindings.map(async (b) => [b.name, await WebAssembly.compile(readFileSync(b.path))] as const));
    const { EdgeRuntime } = await import('edge-runtime');
    runtime = new EdgeRuntime({
      initialCode: bundle.code,
      codeGeneration: { strings: false, wasm: false },
      extend: (context) => Object.assign(context, Object.fromEntries(modules)),
    });
  });

  it('the bundle took the edge build: one .wasm module binding, no WebAssembly bytes, no h264-mp4-encoder', () => {
    expect(bundle.wasmBindings.map((b) => b.path)).toEqual([resolve('dist/h264.wasm')]);
    expect(bundle.code).not.toContain('H264_WASM_BASE64');
    expect(bundle.code).not.toMatch(/h264-mp4-encoder 1\.0\.12 web build|HEAPU8/); // the Emscripten build is left out
  });

  it('the runtime refuses to compile WebAssembly from bytes and to eval, as Vercel does', () => {
    const probe = `(async () => { const out = {};
      const smallest = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
      try { await WebAssembly.compile(smallest); out.wasm = 'compiled'; } catch (e) { out.wasm = e.name + ': ' + e.message; }
      try { new Function('return 1'); out.eval = 'ran'; } catch (e) { out.eval = e.name; }
      return out; })()`;
    return expect(runtime.evaluate(probe)).resolves.toEqual({
      wasm: 'CompileError: WebAssembly.compile(): Wasm code generation disallowed by embedder',
      eval: 'EvalError',
    });
  });

  it('streams a fragmented 2 s clip with a melody: ffprobe/ffmpeg read it, and it is byte-identical to Node', async () => {
    const res = await runtime.dispatchFetch('http://edge.local/api/clip?seconds=2&pattern=plasma');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    const bytes = new Uint8Array(await res.arrayBuffer());
    await res.waitUntil();
    expect((await probeMp4(bytesSource(bytes))).layout).toBe('fragmented');
    const file = join(workDir, 'edge-clip.mp4');
    writeFileSync(file, bytes);
    const probe = await ffprobe(file, { count: true });
    const v = probe.streams.find((s) => s.codec_type === 'video');
    expect([v?.codec_name, v?.width, v?.height, Number(v?.nb_read_frames)]).toEqual(['h264', 320, 180, 48]);
    expect(probe.streams.find((s) => s.codec_type === 'audio')?.codec_name).toBe('mp3');
    expect(await ffmpegDecodeCheck(file)).toEqual({ ok: true, stderr: '' });
    const writer = await createMp4Writer({
      width: 320, height: 180, fps: 24, video: { gop: 24 }, audio: audio.melody({ seconds: 2 }), layout: 'fragmented', output: { buffer: true },
    });
    await writer.addFrames(48, 'plasma');
    expect(Buffer.compare(bytes, (await writer.finish()).data as Uint8Array)).toBe(0);
  });

  it('answers a bad query with 400', async () => {
    const res = await runtime.dispatchFetch('http://edge.local/api/clip?pattern=nope');
    expect(res.status).toBe(400);
  });
});
