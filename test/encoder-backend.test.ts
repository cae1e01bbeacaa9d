// video.encoder: the choice of backend, and the pure parts of the WebCodecs backend (its H.264
// level and qp → bitrate mapping). The WebCodecs encoder itself runs in Chromium: see
// test/browser-demo.test.ts (worker snippet, encoder 'webcodecs' / 'auto') and bench/browser.mjs.
import { describe, expect, it } from 'vitest';
import { createMp4Writer, isMp4ForgeError } from '../src/index.js';
import { avcCodecFor, avcLevelFor, bitrateForQp } from '../src/encode/webcodecs-encoder.js';

describe('video.encoder', () => {
  it("'auto' without WebCodecs (Node) uses the WASM encoder and names the backend that ran", async () => {
    expect(typeof (globalThis as { VideoEncoder?: unknown }).VideoEncoder).toBe('undefined');
    const w = await createMp4Writer({ width: 64, height: 48, fps: 10, output: { buffer: true }, video: { encoder: 'auto' } });
    await w.addFrames(3, 'bars');
    const r = await w.finish();
    expect(r.videoEncoder).toBe('h264-mp4-encoder');
    expect(r.frames).toBe(3);
  });

  it("the default is 'wasm', which is h264-mp4-encoder until mp4forge's own encoder lands", async () => {
    const w = await createMp4Writer({ width: 64, height: 48, fps: 10, output: { buffer: true } });
    await w.addFrames(1, 'solid');
    expect((await w.finish()).videoEncoder).toBe('h264-mp4-encoder');
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
  it('picks the lowest H.264 level that holds the picture size and rate (Table A-1)', () => {
    // Well-known pairs: 720p30 is level 3.1, 1080p30 4.0, 1080p60 4.2, 2160p30 5.1.
    expect(avcLevelFor(176, 144, 15, 0)).toBe(10);
    expect(avcLevelFor(640, 360, 30, 1000)).toBe(30);
    expect(avcLevelFor(1280, 720, 30, 2000)).toBe(31);
    expect(avcLevelFor(1920, 1080, 30, 4000)).toBe(40);
    expect(avcLevelFor(1920, 1080, 60, 8000)).toBe(42);
    expect(avcLevelFor(3840, 2160, 30, 20000)).toBe(51);
    // The bitrate can raise the level: 640×360 at 12 Mbit/s is beyond level 3's 10 Mbit/s.
    expect(avcLevelFor(640, 360, 30, 12000)).toBe(31);
    // A frame wider than sqrt(8 × MaxFS) macroblocks needs a higher level even when small in area.
    expect(avcLevelFor(2048, 64, 1, 0)).toBeGreaterThan(avcLevelFor(1024, 128, 1, 0));
    expect(avcCodecFor({ width: 1920, height: 1080, fpsNum: 30, fpsDen: 1, qp: 26, kbps: 0, gop: 60 }, 3500)).toBe('avc1.42E028');
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
