// video.encoder: the choice of backend, and the pure parts of the WebCodecs backend (its H.264
// level and qp → bitrate mapping). The WebCodecs encoder itself runs in Chromium: see
// test/browser-demo.test.ts (worker snippet, encoder 'webcodecs' / 'auto') and bench/browser.mjs.
import { describe, expect, it } from 'vitest';
import { createMp4Writer, isMp4ForgeError } from '../src/index.js';
import { avcCodecFor, bitrateForQp } from '../src/encode/webcodecs-encoder.js';

describe('video.encoder', () => {
  it("'auto' without WebCodecs (Node) uses the WASM encoder and names the backend that ran", async () => {
    expect(typeof (globalThis as { VideoEncoder?: unknown }).VideoEncoder).toBe('undefined');
    const w = await createMp4Writer({ width: 64, height: 48, fps: 10, output: { buffer: true }, video: { encoder: 'auto' } });
    await w.addFrames(3, 'bars');
    const r = await w.finish();
    expect(r.videoEncoder).toBe('wasm');
    expect(r.frames).toBe(3);
  });

  it("the default is 'wasm', mp4forge's own encoder", async () => {
    const w = await createMp4Writer({ width: 64, height: 48, fps: 10, output: { buffer: true } });
    await w.addFrames(1, 'solid');
    expect((await w.finish()).videoEncoder).toBe('wasm');
  });

  it("where WebAssembly has no SIMD, 'wasm' is UNSUPPORTED_RUNTIME and 'auto' falls back to h264-mp4-encoder", async () => {
    // A runtime without v128 rejects the module at validation; simulated here by a validate() that
    // refuses every module that uses the SIMD opcode prefix (0xfd), as such a runtime would.
    const validate = WebAssembly.validate;
    WebAssembly.validate = (bytes: BufferSource) => !new Uint8Array(ArrayBuffer.isView(bytes) ? bytes.buffer : bytes).includes(0xfd) && validate(bytes);
    try {
      const err = await createMp4Writer({ width: 64, height: 48, fps: 10, output: { buffer: true }, video: { encoder: 'wasm' } }).catch((e: unknown) => e);
      expect(isMp4ForgeError(err, 'UNSUPPORTED_RUNTIME')).toBe(true);
      expect((err as Error).message).toMatch(/no WebAssembly SIMD.*'auto'/);
      const w = await createMp4Writer({ width: 64, height: 48, fps: 10, output: { buffer: true }, video: { encoder: 'auto' } });
      await w.addFrames(2, 'bars');
      expect((await w.finish()).videoEncoder).toBe('h264-mp4-encoder');
    } finally {
      WebAssembly.validate = validate;
    }
  });

  it("'webcodecs' where there is none is UNSUPPORTED_RUNTIME, naming the fallback", async () => {
    const err = await createMp4Writer({ width: 64, height: 48, fps: 10, output: { buffer: true }, video: { encoder: 'webcodecs' } }).catch((e: unknown) => e);
    expect(isMp4ForgeError(err, 'UNSUPPORTED_RUNTIME')).toBe(true);
    expect((err as Error).message).toMatch(/no WebCodecs VideoEncoder.*'auto'/);
  });

  it('an unknown backend is INVALID_OPTION', async () => {
    const err = await createMp4Writer({ width: 64, height: 48, fps: 10, output: { buffer: true }, video: { encoder: 'gpu' as 'auto' } }).catch(
      (e: unknown) => e,
    );
    expect(isMp4ForgeError(err, 'INVALID_OPTION')).toBe(true);
    expect((err as Error).message).toContain("video.encoder must be 'auto', 'wasm', 'h264-mp4-encoder' or 'webcodecs', got \"gpu\"");
  });
});

describe('WebCodecs backend parameters', () => {
  it('asks the browser for the level the parameters need (the level table of src/encode/h264/level.ts)', () => {
    expect(avcCodecFor({ width: 1920, height: 1080, fpsNum: 30, fpsDen: 1, qp: 26, kbps: 0, gop: 60 }, 3500)).toBe('avc1.42E028');
    expect(avcCodecFor({ width: 1920, height: 1080, fpsNum: 60, fpsDen: 1, qp: 26, kbps: 0, gop: 60 }, 3500)).toBe('avc1.42E02A');
    expect(avcCodecFor({ width: 640, height: 360, fpsNum: 30000, fpsDen: 1001, qp: 26, kbps: 0, gop: 60 }, 1000)).toBe('avc1.42E01E');
  });

  it('maps qp to a bitrate that grows with size, rate and quality', () => {
    expect(bitrateForQp(26, 640, 360, 30)).toBe(1060);
    expect(bitrateForQp(26, 1280, 720, 30)).toBe(2272);
    expect(bitrateForQp(20, 640, 360, 30)).toBeGreaterThan(bitrateForQp(26, 640, 360, 30));
    expect(bitrateForQp(26, 640, 360, 30)).toBeGreaterThan(bitrateForQp(32, 640, 360, 30));
    expect(bitrateForQp(26, 640, 360, 60)).toBe(2 * bitrateForQp(26, 640, 360, 30));
    // Never below 1 kbit per frame (the writer's own lower bound for kbps).
    expect(bitrateForQp(51, 16, 16, 30)).toBe(30);
  });
});
