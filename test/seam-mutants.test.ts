// The encoder seam, checked where the thirteenth mutation pass found it unchecked (DEVELOPERS.md):
// the registry's choice (with a stand-in WebCodecs, so 'auto' and the segment refusal have a
// backend that is not chunked), the chunk rule, the module loader's compile-once and retry, the
// own encoder's contract (sizes, closed, broken after a trap, the default speed, the parameter
// limits) and h264-mp4-encoder's (its instances deleted, its MEMFS file removed, its rate and
// level, its import leaving the host's process listeners alone).
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { chunkFramesFor, type EncoderParams, type ChunkEncoder } from '../src/encode/backend.js';
import { backendById, resolveBackend } from '../src/encode/registry.js';
import { wasmBackend } from '../src/encode/h264/backend.js';
import { AsmH264Encoder } from '../src/encode/h264/wasm-encoder.js';
import { h264Mp4EncoderBackend } from '../src/encode/h264-mp4-encoder.js';
import { loadWasmModule, type HmeEncoder } from '../src/encode/wasm-module.js';
import { toI420 } from '../src/encode/convert.js';
import { drawPattern, type PatternName } from '../src/generate/patterns.js';
import { createMp4Writer } from '../src/index.js';
import { rejection, thrown } from './helpers/rejection.js';
import { ffprobe } from './helpers/oracles.js';
import { tmpFile } from './helpers/render.js';

const params = (over: Partial<EncoderParams> = {}): EncoderParams => ({ width: 96, height: 64, fpsNum: 30, fpsDen: 1, qp: 26, kbps: 0, gop: 30, ...over });

function i420Frames(pattern: PatternName, w: number, h: number, n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => {
    const rgba = new Uint8Array(w * h * 4);
    drawPattern(pattern, rgba, w, h, i);
    const yuv = new Uint8Array((w * h * 3) / 2);
    toI420(rgba, 'rgba', w, h, yuv);
    return yuv;
  });
}

/** One chunk of `frames` through `enc`; the coded bytes, concatenated. */
async function encodeChunk(enc: ChunkEncoder, frames: Uint8Array[]): Promise<Buffer> {
  await enc.beginChunk(0);
  const out: Uint8Array[] = [];
  for (const f of frames) for (const c of await enc.encode(f)) out.push(c.data);
  for (const c of await enc.endChunk()) out.push(c.data);
  return Buffer.concat(out);
}

afterEach(() => {
  vi.restoreAllMocks();
});

// First in the file: nothing has imported h264-mp4-encoder in this process yet (vitest runs each
// file in a process of its own), so its Emscripten glue registers its process listeners here.
describe('h264-mp4-encoder: importing it leaves the host process as it was', () => {
  it("keeps the host's uncaughtException/unhandledRejection listeners and adds none of the package's", async () => {
    const mine = [() => {}, () => {}] as const;
    process.on('uncaughtException', mine[0]);
    process.on('unhandledRejection', mine[1]);
    try {
      const before = [process.listeners('uncaughtException'), process.listeners('unhandledRejection')];
      const w = await createMp4Writer({ width: 32, height: 32, fps: 10, output: { buffer: true }, video: { encoder: 'h264-mp4-encoder' } });
      await w.addFrames(2, 'bars');
      expect((await w.finish()).videoEncoder).toBe('h264-mp4-encoder');
      expect([process.listeners('uncaughtException'), process.listeners('unhandledRejection')]).toEqual(before);
    } finally {
      process.off('uncaughtException', mine[0]);
      process.off('unhandledRejection', mine[1]);
    }
  });
});

describe('registry', () => {
  it('an unknown backend id is INVALID_OPTION naming the backends there are', () => {
    const err = thrown(() => backendById('x264'));
    expect(err.code).toBe('INVALID_OPTION');
    expect(err.message).toBe("no H.264 encoder backend 'x264'; this mp4forge has 'wasm', 'h264-mp4-encoder', 'webcodecs'");
  });

  it("'auto' when no backend takes the options reports the own encoder's reason", async () => {
    // wasm has no temporal denoiser; h264-mp4-encoder has no qp 5.
    const err = await rejection(resolveBackend('auto', params({ qp: 5, temporalDenoise: true }), { chunks: false, inWorkers: false }));
    expect(err.code).toBe('INVALID_OPTION');
    expect(err.message).toMatch(/^video\.temporalDenoise is a feature of encoder 'h264-mp4-encoder'/);
  });

  describe('with a WebCodecs that takes every configuration (not chunked)', () => {
    const g = globalThis as Record<string, unknown>;
    const install = () => {
      g.VideoEncoder = class {
        static isConfigSupported() {
          return Promise.resolve({ supported: true });
        }
      };
      g.VideoFrame = class {};
    };
    const remove = () => {
      delete g.VideoEncoder;
      delete g.VideoFrame;
    };

    it("'auto' takes WebCodecs first, but not for segments or workers, where it takes 'wasm'", async () => {
      install();
      try {
        expect((await resolveBackend('auto', params(), { chunks: false, inWorkers: false })).id).toBe('webcodecs');
        expect((await resolveBackend('auto', params(), { chunks: true, inWorkers: false })).id).toBe('wasm');
        expect((await resolveBackend('auto', params(), { chunks: false, inWorkers: true })).id).toBe('wasm');
      } finally {
        remove();
      }
    });

    it("'webcodecs' named for segments is refused: its chunks are not independent", async () => {
      install();
      try {
        const err = await rejection(resolveBackend('webcodecs', params(), { chunks: true, inWorkers: false }));
        expect(err.code).toBe('INVALID_OPTION');
        expect(err.message).toMatch(/^video\.encoder 'webcodecs' cannot render segments/);
        expect((await resolveBackend('webcodecs', params(), { chunks: false, inWorkers: false })).id).toBe('webcodecs');
      } finally {
        remove();
      }
    });
  });

  it('a chunk is the smallest whole number of GOPs that is at least 16 frames', () => {
    for (let gop = 1; gop <= 70; gop++) {
      const n = chunkFramesFor(gop);
      expect(n % gop, `gop ${gop}`).toBe(0);
      expect(n, `gop ${gop}`).toBeGreaterThanOrEqual(16);
      expect(n - gop, `gop ${gop}`).toBeLessThan(16);
    }
  });
});

describe('the own encoder module: compile once, again after a failure, and the runtime refusals', () => {
  // A fresh copy of module.ts (its compiled module and `provided` flag are per realm).
  async function freshModule() {
    vi.resetModules();
    return import('../src/encode/h264/module.js');
  }

  it("a compile refused by the embedder is UNSUPPORTED_RUNTIME naming 'wasm-unsafe-eval'; any other names h264-mp4-encoder", async () => {
    const m = await freshModule();
    const refused = new WebAssembly.CompileError('WebAssembly.compile(): Wasm code generation disallowed by embedder');
    const a = m.compileError(refused);
    expect(a.code).toBe('UNSUPPORTED_RUNTIME');
    expect(a.message).toMatch(/forbids compiling WebAssembly from bytes \(CompileError: WebAssembly\.compile\(\): Wasm code generation disallowed/);
    expect(a.message).toMatch(/'wasm-unsafe-eval'/);
    expect(a.cause).toBe(refused);
    const invalid = new WebAssembly.CompileError('WebAssembly.compile(): invalid opcode 0xfd');
    const b = m.compileError(invalid);
    expect(b.code).toBe('UNSUPPORTED_RUNTIME');
    expect(b.message).toMatch(/needs WebAssembly with SIMD.*use video\.encoder 'h264-mp4-encoder'$/);
    expect(b.message).not.toMatch(/wasm-unsafe-eval/);
    expect(b.cause).toBe(invalid);
  });

  it('compiles once per realm, and again after a compile that failed', async () => {
    const m = await freshModule();
    const compile = WebAssembly.compile;
    let calls = 0;
    const spy = vi.spyOn(WebAssembly, 'compile').mockImplementation((bytes) => {
      calls++;
      return calls === 1 ? Promise.reject(new Error('out of memory (once)')) : compile(bytes);
    });
    await expect(m.loadEncoderModule()).rejects.toThrow('out of memory (once)');
    const mod = await m.loadEncoderModule();
    expect(mod).toBeInstanceOf(WebAssembly.Module);
    expect(await m.loadEncoderModule()).toBe(mod);
    expect(await m.loadEncoderModule()).toBe(mod);
    expect(calls).toBe(2);
    spy.mockRestore();
  });

  it('a module given precompiled (workerd) counts as SIMD support, whatever validate() says', async () => {
    const m = await freshModule();
    const { encoderWasmBytes } = await import('../src/encode/h264/wasm-bytes.js');
    const pre = await WebAssembly.compile(await encoderWasmBytes());
    vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    expect(await m.wasmSimdSupported()).toBe(false);
    expect(await m.loadEncoderModule(pre)).toBe(pre);
    expect(await m.wasmSimdSupported()).toBe(true);
  });
});

describe('the own encoder: its contract', () => {
  const P = params();
  const frameBytes = (P.width * P.height * 3) / 2;

  it('refuses a bad frame index, frames and RGB frames of the wrong size (one byte off either way)', async () => {
    const enc = await AsmH264Encoder.create(P);
    for (const bad of [-1, 1.5]) expect(thrown(() => enc.beginChunk(bad)).code).toBe('INVALID_OPTION');
    enc.beginChunk(0);
    for (const n of [frameBytes - 1, frameBytes + 1]) {
      const err = thrown(() => enc.encode(new Uint8Array(n)));
      expect(err.code).toBe('INVALID_FRAME');
      expect(err.message).toBe(`an I420 frame of 96x64 is ${frameBytes} bytes, got ${n}`);
    }
    for (const [layout, bpp] of [['rgba', 4], ['bgra', 4], ['rgb24', 3]] as const) {
      const size = P.width * P.height * bpp;
      for (const n of [size - 1, size + 1]) {
        const err = thrown(() => enc.loadRgb(layout, new Uint8Array(n)));
        expect(err.code).toBe('INVALID_FRAME');
        expect(err.message).toBe(`a ${layout} frame of 96x64 is ${size} bytes, got ${n}`);
      }
      expect(enc.rgbView(layout).length).toBe(size);
    }
    expect(enc.encode(new Uint8Array(frameBytes))[0].keyframe).toBe(true);
  });

  it('encodeRgb without pixels needs a frame of that layout, not one an encode() since has used', async () => {
    const enc = await AsmH264Encoder.create(P);
    enc.beginChunk(0);
    const rgba = new Uint8Array(P.width * P.height * 4);
    drawPattern('plasma', rgba, P.width, P.height, 0);
    enc.loadRgb('rgba', rgba);
    enc.encode(new Uint8Array(frameBytes));
    expect(thrown(() => enc.encodeRgb('rgba')).code).toBe('INVALID_FRAME');
    const other = await AsmH264Encoder.create(P);
    other.beginChunk(0);
    other.rgbView('rgba').set(rgba);
    const err = thrown(() => other.encodeRgb('bgra'));
    expect(err.code).toBe('INVALID_FRAME');
    expect(err.message).toBe("encodeRgb('bgra') without pixels needs a frame taken by loadRgb('bgra') or drawn into rgbView('bgra') first");
    // encode() without a frame: only one loadI420 took, not a packed RGB one, and a wrong size is refused
    const yuv = await AsmH264Encoder.create(P);
    yuv.beginChunk(0);
    yuv.loadRgb('rgba', rgba);
    const none = thrown(() => yuv.encode());
    expect(none.code).toBe('INVALID_FRAME');
    expect(none.message).toBe('encode() without a frame needs a frame taken by loadI420() first');
    expect(thrown(() => yuv.loadI420(new Uint8Array(frameBytes - 1))).code).toBe('INVALID_FRAME');
  });

  it('after close() every call is WRITER_CLOSED, and close() may be called again', async () => {
    const enc = await AsmH264Encoder.create(P);
    enc.beginChunk(0);
    enc.encode(new Uint8Array(frameBytes));
    enc.close();
    enc.close();
    const calls: Array<() => unknown> = [
      () => enc.beginChunk(0),
      () => enc.encode(new Uint8Array(frameBytes)),
      () => enc.endChunk(),
      () => enc.rgbView('rgba'),
      () => enc.loadRgb('rgba', new Uint8Array(P.width * P.height * 4)),
      () => enc.encodeRgb('rgba', new Uint8Array(P.width * P.height * 4)),
      () => enc.loadI420(new Uint8Array(frameBytes)),
      () => enc.encode(),
    ];
    for (const call of calls) expect(thrown(call).code).toBe('WRITER_CLOSED');
  });

  it('a trap inside the module is ENCODER_FAILED with the trap as cause, and the encoder stays failed', async () => {
    const enc = await AsmH264Encoder.create(P);
    enc.beginChunk(0);
    const inner = enc as unknown as { x: Record<string, unknown> };
    const exports = inner.x;
    const trap = new WebAssembly.RuntimeError('unreachable');
    inner.x = {
      ...exports,
      encodeFrame: () => {
        throw trap;
      },
    };
    const err = thrown(() => enc.encode(new Uint8Array(frameBytes)));
    expect(err.code).toBe('ENCODER_FAILED');
    expect(err.message).toBe('the H.264 encoder failed: RuntimeError: unreachable');
    expect(err.cause).toBe(trap);
    inner.x = exports; // the module would work again; the encoder must not
    for (const call of [() => enc.encode(new Uint8Array(frameBytes)), () => enc.beginChunk(0), () => enc.endChunk()]) expect(thrown(call)).toBe(err);
  });

  it('speed left unset codes as the documented default, speed 8', async () => {
    const frames = i420Frames('plasma', P.width, P.height, 6);
    const code = async (speed?: number) => encodeChunk(await AsmH264Encoder.create(params(speed === undefined ? {} : { speed })), frames);
    const unset = await code();
    expect(unset.equals(await code(8))).toBe(true);
    expect(unset.equals(await code(9))).toBe(false); // the speeds differ on this content
    expect(unset.equals(await code(7))).toBe(false);
  });

  it('parameter limits: even sides, a positive frame rate, gop up to 100000', async () => {
    const refused = async (p: EncoderParams) => {
      const s = await wasmBackend.supports(p, { inWorkers: false });
      expect(s.supported, JSON.stringify(p)).toBe(false);
      expect((await rejection(AsmH264Encoder.create(p))).code).toBe('INVALID_OPTION');
    };
    const taken = async (p: EncoderParams) => expect((await wasmBackend.supports(p, { inWorkers: false })).supported, JSON.stringify(p)).toBe(true);
    await refused(params({ width: 95 }));
    await refused(params({ height: 63 }));
    await refused(params({ fpsNum: 0 }));
    await refused(params({ fpsDen: 0 }));
    await refused(params({ gop: 100001 }));
    await taken(params({ gop: 100000 }));
    await taken(params({ width: 4096, height: 2 }));
  });
});

describe("h264-mp4-encoder's loader: what an import failure becomes, and a retry after it", () => {
  afterEach(() => {
    vi.doUnmock('../src/encode/wasm-import.js');
    vi.resetModules();
  });

  /** A fresh wasm-module.ts whose package import does what `next()` says, call by call. */
  async function loaderWith(next: () => Promise<unknown>) {
    vi.resetModules();
    vi.doMock('../src/encode/wasm-import.js', () => ({ importEncoderPackage: next }));
    return import('../src/encode/wasm-module.js');
  }
  const api = { createH264MP4Encoder: () => Promise.reject(new Error('not used')) };
  /** The rejection of `p` (an Mp4ForgeError of the fresh module graph, so not the class this file imported). */
  async function failure(p: Promise<unknown>): Promise<{ name: string; code: string; message: string; cause?: unknown }> {
    const err = await p.then(
      () => expect.fail('expected a rejection'),
      (e: unknown) => e as { name: string; code: string; message: string; cause?: unknown },
    );
    expect(err.name).toBe('Mp4ForgeError');
    return err;
  }

  it('a refused code generation (EvalError, CompileError) is UNSUPPORTED_RUNTIME; the same words in another error are not', async () => {
    for (const [make, code] of [
      [() => new EvalError('Code generation from strings disallowed for this context'), 'UNSUPPORTED_RUNTIME'],
      [() => new WebAssembly.CompileError('WebAssembly.instantiate(): Wasm code generation disallowed by embedder'), 'UNSUPPORTED_RUNTIME'],
      [() => new TypeError('Code generation from strings disallowed for this context'), 'ENCODER_FAILED'],
    ] as const) {
      const thrownErr = make();
      const { loadWasmModule: load } = await loaderWith(() => Promise.reject(thrownErr));
      const err = await failure(load());
      expect(err.code, thrownErr.name).toBe(code);
      expect(err.cause).toBe(thrownErr);
      expect(err.message).toContain(`${thrownErr.name}: ${thrownErr.message}`);
    }
  });

  it("the workerd build's own refusal comes through as it is", async () => {
    let refusal: Error | undefined;
    const { loadWasmModule: load } = await loaderWith(async () => {
      // the class wasm-module.ts sees, from the same (fresh) module graph
      const { Mp4ForgeError } = await import('../src/errors.js');
      throw (refusal = new Mp4ForgeError('UNSUPPORTED_RUNTIME', "video.encoder 'h264-mp4-encoder' cannot run in workerd"));
    });
    const err = await failure(load());
    expect(err).toBe(refusal);
  });

  it('an import that failed is tried again by the next call; one that worked is not repeated', async () => {
    let calls = 0;
    const { loadWasmModule: load } = await loaderWith(() => (++calls === 1 ? Promise.reject(new Error('ENOENT')) : Promise.resolve(api)));
    expect((await failure(load())).message).toBe('could not load h264-mp4-encoder: Error: ENOENT');
    expect(await load()).toBe(api);
    expect(await load()).toBe(api);
    expect(calls).toBe(2);
  });

  it('takes the API from a CommonJS default export too, and refuses a package without it', async () => {
    expect(await (await loaderWith(() => Promise.resolve({ default: api }))).loadWasmModule()).toBe(api);
    const err = await failure((await loaderWith(() => Promise.resolve({ default: {} }))).loadWasmModule());
    expect(err.code).toBe('ENCODER_FAILED');
    expect(err.message).toMatch(/did not export createH264MP4Encoder/);
  });
});

describe('h264-mp4-encoder: its contract', () => {
  /** Every embind instance initialize()d from here on, through the class prototype the package shares. */
  async function trackInstances(): Promise<{ instances: HmeEncoder[]; fs: HmeEncoder['FS'] }> {
    const mod = await loadWasmModule();
    const probe = await mod.createH264MP4Encoder();
    const proto = Object.getPrototypeOf(probe) as { initialize(this: HmeEncoder): void };
    const fs = probe.FS;
    probe.delete();
    const instances: HmeEncoder[] = [];
    const init = proto.initialize;
    vi.spyOn(proto, 'initialize').mockImplementation(function (this: HmeEncoder) {
      instances.push(this);
      init.call(this);
    });
    return { instances, fs };
  }
  const deleted = (e: HmeEncoder) => (e as unknown as { isDeleted(): boolean }).isDeleted();
  const ourFiles = (fs: HmeEncoder['FS']) => (fs as unknown as { readdir(p: string): string[] }).readdir('/').filter((n) => n.startsWith('mp4forge-'));

  it('chunks run on fresh instances, each deleted at its end; close() deletes an open one and removes the file', async () => {
    const { instances, fs } = await trackInstances();
    const P = params({ width: 64, height: 48 });
    const frames = i420Frames('plasma', 64, 48, 4);
    const enc = await h264Mp4EncoderBackend.create(P);
    expect(instances.length).toBe(1); // the probe encode
    expect(deleted(instances[0])).toBe(true);
    expect(ourFiles(fs).length).toBe(1);
    await encodeChunk(enc, frames);
    await encodeChunk(enc, frames);
    expect(instances.length).toBe(3);
    expect(instances.map(deleted)).toEqual([true, true, true]);
    // misuse, refused with its own message
    expect(thrown(() => enc.encode(frames[0])).message).toBe('encode() called outside a chunk');
    await enc.beginChunk(0);
    expect((await rejection(Promise.resolve().then(() => enc.beginChunk(0)))).message).toBe('beginChunk() called twice without endChunk()');
    // abandoned in the middle of a chunk: nothing printed, the instance deleted, the file gone
    const printed: unknown[] = [];
    for (const m of ['log', 'warn', 'error', 'info'] as const) vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void printed.push(a));
    await enc.encode(frames[0]);
    await enc.encode(frames[1]);
    await enc.close();
    expect(printed).toEqual([]);
    expect(instances.every(deleted)).toBe(true);
    expect(ourFiles(fs)).toEqual([]);
    await enc.close(); // again: nothing to do
    const err = await rejection(Promise.resolve().then(() => enc.beginChunk(0)));
    expect(err.code).toBe('ENCODER_FAILED');
    expect(err.message).toBe('The encoder was closed; create a new one.');
  });

  it('an encoder whose probe encode fails deletes its instance and file', async () => {
    const { instances, fs } = await trackInstances();
    const mod = await loadWasmModule();
    const probe = await mod.createH264MP4Encoder();
    const proto = Object.getPrototypeOf(probe) as { addFrameYuv(b: Uint8Array): void };
    probe.delete();
    vi.spyOn(proto, 'addFrameYuv').mockImplementationOnce(() => {
      throw new Error('out of memory');
    });
    const err = await rejection(h264Mp4EncoderBackend.create(params({ width: 64, height: 48 })));
    expect(err.code).toBe('ENCODER_FAILED');
    expect(err.message).toBe('The WASM H.264 encoder failed: out of memory');
    expect(instances.length).toBe(1);
    expect(deleted(instances[0])).toBe(true);
    expect(ourFiles(fs)).toEqual([]);
  });

  it('temporalDenoise left unset is off (the denoiser runs only at speeds 0 and 1, so it is checked at speed 0)', async () => {
    const frames = i420Frames('noise', 64, 48, 6);
    const code = async (temporalDenoise?: boolean) => {
      const p = params({ width: 64, height: 48, speed: 0, ...(temporalDenoise === undefined ? {} : { temporalDenoise }) });
      const enc = await h264Mp4EncoderBackend.create(p);
      try {
        return await encodeChunk(enc, frames);
      } finally {
        await enc.close();
      }
    };
    const unset = await code();
    expect(unset.equals(await code(false))).toBe(true);
    expect(unset.equals(await code(true))).toBe(false);
  });

  it('temporalDenoise: true denoises: its default speed is 1, where minih264 runs the denoiser; above 1 it is refused', async () => {
    const frames = i420Frames('noise', 64, 48, 6);
    const code = async (over: Partial<EncoderParams>) => {
      const enc = await h264Mp4EncoderBackend.create(params({ width: 64, height: 48, ...over }));
      try {
        return await encodeChunk(enc, frames);
      } finally {
        await enc.close();
      }
    };
    const denoised = await code({ temporalDenoise: true });
    expect(denoised.equals(await code({ temporalDenoise: true, speed: 1 }))).toBe(true);
    expect(denoised.equals(await code({ speed: 1 }))).toBe(false);
    expect((await code({ temporalDenoise: true, speed: 0 })).equals(await code({ speed: 0 }))).toBe(false);
    for (const speed of [2, 6, 10]) {
      const s = await h264Mp4EncoderBackend.supports(params({ temporalDenoise: true, speed }), { inWorkers: false });
      expect(s).toEqual({
        supported: false,
        code: 'INVALID_OPTION',
        reason: `video.temporalDenoise needs video.speed 0 or 1 with h264-mp4-encoder (its denoiser runs only at those speeds), got speed ${speed}`,
      });
    }
    const video = { encoder: 'h264-mp4-encoder', temporalDenoise: true, speed: 6 } as const;
    const err = await rejection(createMp4Writer({ width: 64, height: 48, fps: 10, output: { buffer: true }, video }));
    expect(err.code).toBe('INVALID_OPTION');
    expect(err.message).toMatch(/^video\.temporalDenoise needs video\.speed 0 or 1/);
  });

  it('kbps is met per second, not per frame', async () => {
    const fps = 30;
    const kbps = 200;
    const frames = i420Frames('plasma', 160, 96, fps); // one second
    const enc = await h264Mp4EncoderBackend.create(params({ width: 160, height: 96, fpsNum: fps, kbps }));
    const bits = (await encodeChunk(enc, frames)).length * 8;
    await enc.close();
    expect(bits / 1000).toBeGreaterThan(kbps * 0.5);
    expect(bits / 1000).toBeLessThan(kbps * 2);
  });

  it('the level counts the bitrate (MaxBR): 5000 kbit/s at 64x48 needs level 3 (Table A-1)', async () => {
    const w = await createMp4Writer({ width: 64, height: 48, fps: 10, output: { buffer: true }, video: { encoder: 'h264-mp4-encoder', kbps: 5000 } });
    await w.addFrames(3, 'bars');
    const file = tmpFile('seam-hme-level.mp4');
    writeFileSync(file, (await w.finish()).data as Uint8Array);
    expect(((await ffprobe(file)).streams[0] as { level?: number }).level).toBe(30);
  });

  it('parameter limits: qp from 10, gop from 1, even sides; create() checks them itself', async () => {
    const supported = async (p: EncoderParams) => (await h264Mp4EncoderBackend.supports(p, { inWorkers: false })).supported;
    expect(await supported(params({ qp: 10 }))).toBe(true);
    expect(await supported(params({ qp: 9 }))).toBe(false);
    expect(await supported(params({ gop: 0 }))).toBe(false);
    expect(await supported(params({ height: 47 }))).toBe(false);
    expect(await supported(params({ width: 47 }))).toBe(false);
    // Last in the file: without create()'s own check the bad value would reach (and may abort) the WASM module.
    const err = await rejection(h264Mp4EncoderBackend.create(params({ qp: 5 })));
    expect(err.code).toBe('INVALID_OPTION');
    expect(err.message).toMatch(/^h264-mp4-encoder cannot encode \{.*\}: video\.qp must be an integer from 10 to 51 with h264-mp4-encoder, got 5$/);
  });
});
