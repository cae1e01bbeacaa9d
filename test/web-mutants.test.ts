// The fifteenth mutation pass (DEVELOPERS.md): the WebCodecs backend in Chromium, built straight
// from src/ (esbuild, with the browser build's `x.browser.ts` swaps) so a change to the backend is
// tested without rebuilding dist/. Oracles: ffprobe's frame count, timestamps and keyframe flags,
// ffmpeg -xerror, PSNR of the decoded frames against the frames given; the platform's own
// VideoEncoder/VideoFrame counted by subclasses (every encoder and frame closed, queue bounded).
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, requireBrowser, serveDir } from './helpers/browser.js';
import { decodeRgbFrames, ffmpegDecodeCheck, ffprobe, ffprobePackets, rgbPsnr } from './helpers/oracles.js';
import { tmpFile, workDir } from './helpers/render.js';
import { fromBase64, ROOT } from './helpers/web-build.js';
import { rejection, thrown } from './helpers/rejection.js';
import { webCodecsBackend } from '../src/encode/webcodecs-encoder.js';
import { checkSceneModule } from '../src/platform/scene-check.js';
import { fdFrames, fileChunks } from '../src/platform/io.js';
import type { CodedFrame, EncoderParams } from '../src/encode/backend.js';
import { isMp4ForgeError, Mp4ForgeError } from '../src/errors.js';
import { createMp4Writer } from '../src/index.js';

/** Frame `i` as RGBA: a horizontal gradient that moves, and a bright square crossing the picture. Runs in Node and in the page. */
function frameRgba(i: number, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 4);
  const bx = (i * 9) % (width - 32);
  const by = (i * 5) % (height - 32);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      const inBox = x >= bx && x < bx + 32 && y >= by && y < by + 32;
      out[o] = inBox ? 240 : (x * 2 + i * 6) & 255;
      out[o + 1] = inBox ? 230 : 40 + ((y + i * 3) % 160);
      out[o + 2] = inBox ? 40 : 200 - ((x + y) % 150);
      out[o + 3] = 255;
    }
  }
  return out;
}

interface PlatformStats {
  encoders: number;
  encoderCloses: number;
  frames: number;
  frameCloses: number;
  maxQueueAtEncode: number;
  configs: Array<{ bitrate?: number; bitrateMode?: string; codec: string }>;
}

interface PageRun {
  mp4?: string;
  error?: { code?: string; message: string };
  encoder?: string;
  stats: PlatformStats;
}

/** The page's script: counting subclasses of the platform classes, and the library from src/. */
const ENTRY = `
import { createMp4Writer } from './src/index.browser.ts';
const stats = { encoders: 0, encoderCloses: 0, frames: 0, frameCloses: 0, maxQueueAtEncode: 0, configs: [] };
const NativeEncoder = globalThis.VideoEncoder;
const NativeFrame = globalThis.VideoFrame;
let refuseAll = false;
class CountingFrame extends NativeFrame {
  constructor(...a) { super(...a); stats.frames++; }
  close() { if (!this.counted) { this.counted = true; stats.frameCloses++; } super.close(); }
}
class CountingEncoder extends NativeEncoder {
  static async isConfigSupported(c) { return refuseAll ? { supported: false, config: c } : NativeEncoder.isConfigSupported(c); }
  constructor(init) { super(init); stats.encoders++; }
  configure(c) { stats.configs.push({ bitrate: c.bitrate, bitrateMode: c.bitrateMode, codec: c.codec }); super.configure(c); }
  encode(f, o) { stats.maxQueueAtEncode = Math.max(stats.maxQueueAtEncode, this.encodeQueueSize); super.encode(f, o); }
  close() { stats.encoderCloses++; super.close(); }
}
globalThis.VideoEncoder = CountingEncoder;
globalThis.VideoFrame = CountingFrame;
const frameRgba = ${frameRgba.toString()};
function base64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
window.run = async (job) => {
  Object.assign(stats, { encoders: 0, encoderCloses: 0, frames: 0, frameCloses: 0, maxQueueAtEncode: 0, configs: [] });
  refuseAll = !!job.refuse;
  try {
    const output = job.stream ? new WritableStream({ write() {} }) : { buffer: true };
    const writer = await createMp4Writer({ width: job.width, height: job.height, fps: job.fps, output, layout: job.layout, video: job.video });
    for (let i = 0; i < job.frames; i++) await writer.addFrame(frameRgba(i, job.width, job.height));
    const r = await writer.finish();
    return { mp4: base64(r.data), encoder: r.videoEncoder, stats };
  } catch (e) {
    return { error: { code: e.code, message: String(e.message) }, stats };
  }
};
window.ready = true;
`;

const RELATIVE_JS = /^\.\.?\/.*\.js$/;

/** The library's browser build from src/, as one ES module (the swaps tsup.config.ts makes for 'browser'). */
async function bundle(): Promise<string> {
  const { build } = await import('esbuild');
  const result = await build({
    stdin: { contents: ENTRY, resolveDir: ROOT, loader: 'ts', sourcefile: 'web-mutants-entry.ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    external: ['h264-mp4-encoder*'],
    logLevel: 'error',
    plugins: [
      {
        name: 'browser-swaps',
        setup(b) {
          b.onResolve({ filter: RELATIVE_JS }, (args) => {
            if (!args.importer.includes('/src/')) return undefined;
            const swapped = resolve(dirname(args.importer), args.path.replace(/\.js$/, '.browser.ts'));
            if (!swapped.endsWith('index.browser.ts') && existsSync(swapped)) return { path: swapped };
            const plain = resolve(dirname(args.importer), args.path.replace(/\.js$/, '.ts'));
            return existsSync(plain) ? { path: plain } : undefined;
          });
        },
      },
    ],
  });
  return result.outputFiles[0].text;
}

describe.runIf(chromiumAvailable || requireBrowser)('the WebCodecs backend in Chromium', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveDir>>;
  let page: Page;
  const pageErrors: string[] = [];
  let h264 = false;

  beforeAll(async () => {
    const dir = join(workDir, 'web-mutants');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'wm.js'), await bundle());
    writeFileSync(join(dir, 'index.html'), '<!doctype html><html><body><script type="module" src="/wm.js"></script></body></html>');
    [browser, server] = await Promise.all([launchChromium(), serveDir(dir)]);
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => 'ready' in window, undefined, { timeout: 20_000 });
    h264 = await page.evaluate(async () => {
      const r = await VideoEncoder.isConfigSupported({ codec: 'avc1.42E01E', width: 320, height: 180, avc: { format: 'avc' } }).catch(() => null);
      return r?.supported === true;
    });
    if (!h264) console.warn('[mp4forge] this Chromium has no WebCodecs H.264 encoder: the WebCodecs tests are not applicable');
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function run(job: object): Promise<PageRun> {
    return page.evaluate((j) => (window as unknown as { run(j: object): Promise<PageRun> }).run(j), job);
  }

  it('qp mode, GOP 10, 25 frames at 30000/1001 fps: every frame, in order, keyframes on the GOP, every encoder and frame closed', async () => {
    if (!h264) return;
    const W = 320;
    const H = 180;
    const r = await run({ width: W, height: H, fps: { num: 30000, den: 1001 }, frames: 25, video: { encoder: 'webcodecs', gop: 10, qp: 22 } });
    expect(r.error).toBeUndefined();
    expect(r.encoder).toBe('webcodecs');
    const file = tmpFile('wc-qp.mp4');
    writeFileSync(file, fromBase64(r.mp4 as string));
    const v = (await ffprobe(file, { count: true })).streams.find((s) => s.codec_type === 'video');
    expect(v?.nb_read_frames).toBe('25');
    expect(v?.profile).toMatch(/Baseline/);
    // The colour description in the SPS: the one the WASM encoder writes for the same conversion (BT.601 matrix, limited range).
    const wasm = await createMp4Writer({ width: W, height: H, fps: 30, output: { buffer: true }, video: { encoder: 'wasm' } });
    await wasm.addFrame(frameRgba(0, W, H));
    const wasmFile = tmpFile('wc-colour-wasm.mp4');
    writeFileSync(wasmFile, (await wasm.finish()).data as Uint8Array);
    const w = (await ffprobe(wasmFile)).streams[0];
    const colour = (s: typeof v) => [s?.color_range, s?.color_space, s?.color_primaries, s?.color_transfer];
    expect(colour(w)).toEqual(['tv', 'smpte170m', 'bt709', 'iec61966-2-1']);
    expect(colour(v)).toEqual(colour(w));
    expect((await ffmpegDecodeCheck(file)).ok).toBe(true);
    const packets = await ffprobePackets(file);
    expect(packets.flatMap((p, i) => (p.flags.includes('K') ? [i] : []))).toEqual([0, 10, 20]);
    packets.forEach((p, i) => expect(Number(p.pts_time)).toBeCloseTo((i * 1001) / 30000, 4));
    const decoded = await decodeRgbFrames(file, W, H);
    expect(decoded).toHaveLength(25);
    const psnr = decoded.map((d, i) => rgbPsnr(frameRgba(i, W, H), 4, d));
    console.info(psnr.map((p) => p.toFixed(1)).join(" "), rgbPsnr(frameRgba(1, W, H), 4, decoded[2]).toFixed(1));
    for (let i = 0; i < 25; i++) expect(psnr[i], `frame ${i}`).toBeGreaterThan(25);
    console.info(`[mp4forge] WebCodecs qp mode: configs ${JSON.stringify(r.stats.configs)}, max queue ${r.stats.maxQueueAtEncode}`);
    // The probe encoder and the stream's: both closed, as is every VideoFrame made for them.
    expect(r.stats.encoders).toBeGreaterThanOrEqual(2);
    expect(r.stats.encoderCloses).toBe(r.stats.encoders);
    expect(r.stats.frames).toBe(26);
    expect(r.stats.frameCloses).toBe(r.stats.frames);
    expect(pageErrors).toEqual([]);
  });

  it('kbps at 15 fps: the bitrate per second of media, within a factor of 2', async () => {
    if (!h264) return;
    const r = await run({ width: 320, height: 180, fps: 15, frames: 45, video: { encoder: 'webcodecs', kbps: 300 } });
    expect(r.error).toBeUndefined();
    const file = tmpFile('wc-kbps.mp4');
    writeFileSync(file, fromBase64(r.mp4 as string));
    const packets = await ffprobePackets(file);
    expect(packets).toHaveLength(45);
    const kbps = (packets.reduce((n, p) => n + Number(p.size), 0) * 8) / 3 / 1000;
    console.info(`[mp4forge] WebCodecs at kbps 300, 15 fps: ${kbps.toFixed(0)} kbit/s written`);
    expect(kbps).toBeGreaterThan(150);
    expect(kbps).toBeLessThan(600);
  });

  it('a large frame size keeps the platform queue bounded (encode waits for it)', async () => {
    if (!h264) return;
    const r = await run({ width: 1280, height: 720, fps: 30, frames: 30, video: { encoder: 'webcodecs', kbps: 2000 } });
    expect(r.error).toBeUndefined();
    console.info(`[mp4forge] WebCodecs 1280x720: max encodeQueueSize at encode() ${r.stats.maxQueueAtEncode}`);
    expect(r.stats.maxQueueAtEncode).toBeLessThanOrEqual(8);
    expect(r.stats.encoderCloses).toBe(r.stats.encoders);
  });

  it("layout 'faststart' on a WritableStream: the browser build has no spool, and says what to use instead", async () => {
    const r = await run({ stream: true, layout: 'faststart', width: 64, height: 48, fps: 30, frames: 1, video: { encoder: 'wasm' } });
    expect(r.error).toEqual({
      code: 'INVALID_OPTION',
      message: "layout 'faststart' needs a seekable output or a spool; use 'progressive' or 'fragmented' for streams here",
    });
  });

  it('a platform that refuses every configuration: UNSUPPORTED_RUNTIME naming the refused config, no encoder made', async () => {
    if (!h264) return;
    const r = await run({ refuse: true, width: 320, height: 180, fps: 30, frames: 1, video: { encoder: 'webcodecs', kbps: 500 } });
    expect(r.error?.code).toBe('UNSUPPORTED_RUNTIME');
    expect(r.error?.message).toMatch(/isConfigSupported rejected .*"bitrate":500000/);
    expect(r.stats.encoders).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// The backend's handling of what a platform encoder may do wrong, with a scripted stand-in for
// WebCodecs in Node. The oracle is the WebCodecs contract (timestamps in microseconds, 'key'
// chunks start decoding, one avcC per stream) and the backend's documented ENCODER_FAILED errors.

interface Script {
  /** The isConfigSupported answer; 'throw' = a TypeError, as for a config that cannot be parsed. */
  supports?: (c: VideoEncoderConfig) => boolean | 'throw';
  profile?: number;
  lengthSize?: number;
  /** Per stream encoder (not the probe): a frame whose chunk never comes, one marked 'key' without an IDR, a keyframe with another SPS, an error. */
  dropAt?: number;
  keyWithoutIdrAt?: number;
  newSpsAt?: number;
  errorAt?: number;
  noDescription?: boolean;
}

const PPS = [0x68, 0xce, 0x38, 0x80];
function avcC(profile: number, lengthSize: number, spsTail: number): Uint8Array {
  const sps = [0x67, profile, 0xc0, 30, 0xda, spsTail];
  return new Uint8Array([1, profile, 0xc0, 30, 0xfc | (lengthSize - 1), 0xe1, 0, sps.length, ...sps, 1, 0, PPS.length, ...PPS]);
}
/** An AVCC sample: an SEI, then an IDR (type 5) or non-IDR (type 1) slice. */
function sample(idr: boolean): Uint8Array {
  return new Uint8Array([0, 0, 0, 3, 0x06, 0x05, 0x80, 0, 0, 0, 4, idr ? 0x65 : 0x41, 0x88, 0x84, 0x00]);
}

class FakeStandIn {
  encoders: FakeEncoder[] = [];
  frames = 0;
  frameCloses = 0;
  constructor(readonly script: Script) {}
}
let standIn: FakeStandIn;

class FakeFrame {
  constructor(
    _data: Uint8Array,
    readonly init: VideoFrameBufferInit,
  ) {
    standIn.frames++;
  }
  close(): void {
    standIn.frameCloses++;
  }
}

class FakeEncoder {
  static async isConfigSupported(c: VideoEncoderConfig): Promise<VideoEncoderSupport> {
    const a = standIn.script.supports?.(c) ?? true;
    if (a === 'throw') throw new TypeError('unparsable config');
    return { supported: a, config: c };
  }
  state = 'unconfigured';
  encodeQueueSize = 0;
  config: VideoEncoderConfig | null = null;
  readonly encodes: Array<{ timestamp: number; duration?: number; keyFrame: boolean; quantizer?: number }> = [];
  private readonly pending: Array<() => void> = [];
  private readonly stream: boolean;
  constructor(private readonly init: VideoEncoderInit) {
    this.stream = standIn.encoders.length > 0;
    standIn.encoders.push(this);
  }
  configure(c: VideoEncoderConfig): void {
    this.config = c;
    this.state = 'configured';
  }
  encode(frame: FakeFrame, opts?: VideoEncoderEncodeOptions & { avc?: { quantizer?: number } }): void {
    const i = this.encodes.length;
    const keyFrame = opts?.keyFrame === true || i === 0;
    this.encodes.push({ timestamp: frame.init.timestamp, duration: frame.init.duration ?? undefined, keyFrame, quantizer: opts?.avc?.quantizer });
    this.encodeQueueSize++;
    const s = standIn.script;
    this.pending.push(() => {
      this.encodeQueueSize--;
      if (this.stream && i === s.errorAt) {
        this.state = 'closed';
        return this.init.error(new DOMException('the platform encoder broke', 'EncodingError'));
      }
      if (this.stream && i === s.dropAt) return;
      const badKey = this.stream && i === s.keyWithoutIdrAt;
      const data = sample(keyFrame && !badKey);
      const chunk = { type: keyFrame || badKey ? 'key' : 'delta', byteLength: data.length, copyTo: (d: Uint8Array) => d.set(data) };
      const described = keyFrame && !s.noDescription;
      const tail = this.stream && s.newSpsAt !== undefined && i >= s.newSpsAt ? 0x22 : 0x11;
      const meta = described ? { decoderConfig: { codec: 'avc1', description: avcC(s.profile ?? 66, s.lengthSize ?? 4, tail) } } : undefined;
      this.init.output(chunk as unknown as EncodedVideoChunk, meta);
    });
    // The platform works on its own time: a frame leaves the queue a little later.
    setTimeout(() => this.pending.shift()?.(), 1);
  }
  async flush(): Promise<void> {
    while (this.pending.length > 0) await new Promise((r) => setTimeout(r, 2));
    if (this.state === 'closed') throw new DOMException('Aborted due to close()', 'AbortError');
  }
  close(): void {
    this.state = 'closed';
  }
}

describe('the WebCodecs backend against a scripted platform encoder', () => {
  const g = globalThis as Record<string, unknown>;
  const P: EncoderParams = { width: 64, height: 48, fpsNum: 30000, fpsDen: 1001, qp: 26, kbps: 0, gop: 4 };
  const frame = new Uint8Array((64 * 48 * 3) / 2).fill(100);

  beforeAll(() => {
    g.VideoEncoder = FakeEncoder;
    g.VideoFrame = FakeFrame;
  });
  afterAll(() => {
    delete g.VideoEncoder;
    delete g.VideoFrame;
  });

  /** Encodes `n` frames as one chunk; the error, if one was thrown, and the frames. */
  async function encode(script: Script, n: number, params: Partial<EncoderParams> = {}) {
    standIn = new FakeStandIn(script);
    const enc = await webCodecsBackend.create({ ...P, ...params });
    const out: CodedFrame[] = [];
    try {
      await enc.beginChunk(0);
      for (let i = 0; i < n; i++) out.push(...(await enc.encode(frame)));
      out.push(...(await enc.endChunk()));
      return { out, error: null, enc };
    } catch (e) {
      return { out, error: e as Mp4ForgeError, enc };
    } finally {
      await enc.close();
    }
  }

  it('frames in: microsecond timestamps and durations, a keyframe asked for on every GOP start, every frame and encoder closed', async () => {
    const { out, error } = await encode({}, 9);
    expect(error).toBeNull();
    expect(out.map((f) => f.keyframe)).toEqual([true, false, false, false, true, false, false, false, true]);
    const stream = standIn.encoders[1];
    expect(stream.encodes.map((e) => e.keyFrame)).toEqual([true, false, false, false, true, false, false, false, true]);
    // 30000/1001 fps: frame i starts at i × 33366.67 µs and lasts 33366.67 µs (WebCodecs counts microseconds).
    stream.encodes.forEach((e, i) => expect(e.timestamp).toBeCloseTo(i * 33366.67, -1));
    for (const e of stream.encodes) expect(e.duration).toBeCloseTo(33366.67, -1);
    expect(stream.config?.framerate).toBeCloseTo(29.97, 2);
    expect(standIn.encoders.map((e) => e.state)).toEqual(['closed', 'closed']);
    expect(standIn.frameCloses).toBe(standIn.frames);
  });

  it('the probe encoder is closed once the avcC is known, before the first user frame', async () => {
    standIn = new FakeStandIn({});
    const enc = await webCodecsBackend.create(P);
    try {
      expect(standIn.encoders.map((e) => e.state)).toEqual(['closed', 'configured']);
      expect(standIn.frameCloses).toBe(standIn.frames);
      expect(enc.config.profile).toBe(66);
    } finally {
      await enc.close();
    }
    expect(standIn.encoders[1].state).toBe('closed');
  });

  it("qp: per frame where the platform has bitrateMode 'quantizer', else the documented bitrate (640×360 at 30 fps, qp 26: 1060 kbit/s)", async () => {
    const q = await encode({}, 2, { width: 640, height: 360, fpsNum: 30, fpsDen: 1, qp: 31 });
    expect(q.error).toBeNull();
    expect(standIn.encoders[1].config?.bitrateMode).toBe('quantizer');
    expect(standIn.encoders[1].encodes.map((e) => e.quantizer)).toEqual([31, 31]);
    const b = await encode({ supports: (c) => c.bitrateMode !== 'quantizer' }, 2, { width: 640, height: 360, fpsNum: 30, fpsDen: 1, qp: 26 });
    expect(b.error).toBeNull();
    expect(standIn.encoders[1].config).toMatchObject({ bitrateMode: 'variable', bitrate: 1_060_000 });
    expect(standIn.encoders[1].encodes.map((e) => e.quantizer)).toEqual([undefined, undefined]);
  });

  it('qp mapped to a bitrate: the level is the one that bitrate needs (H.264 Table A-1: above level 4\'s 24 Mbit/s is 4.1)', async () => {
    // 1080p30 fits level 4 by frame size and rate; qp 5 maps to some 28 Mbit/s, beyond level 4's MaxBR 20000 × 1200 bit/s.
    const r = await encode({ supports: (c) => c.bitrateMode !== 'quantizer' }, 1, { width: 1920, height: 1080, fpsNum: 30, fpsDen: 1, qp: 5 });
    expect(r.error).toBeNull();
    const config = standIn.encoders[1].config;
    expect(config?.bitrate).toBeGreaterThan(24_000_000);
    expect(config?.bitrate).toBeLessThanOrEqual(50_000_000 * 1.2);
    expect(config?.codec).toBe('avc1.42E029');
  });

  it('a platform that throws in isConfigSupported is a refusal (UNSUPPORTED_RUNTIME), not a crash', async () => {
    standIn = new FakeStandIn({ supports: () => 'throw' });
    expect(await webCodecsBackend.supports(P, { inWorkers: false })).toMatchObject({ supported: false, code: 'UNSUPPORTED_RUNTIME' });
    const e = await rejection(webCodecsBackend.create(P));
    expect(e.code).toBe('UNSUPPORTED_RUNTIME');
    expect(standIn.encoders).toHaveLength(0);
  });

  it('a frame the platform never returns: ENCODER_FAILED at the end of the chunk (the timeline would shift)', async () => {
    const { error } = await encode({ dropAt: 5 }, 8);
    expect(error?.code).toBe('ENCODER_FAILED');
    expect(error?.message).toBe('The WebCodecs VideoEncoder returned 7 frames for 8; a skipped frame would shift the timeline');
  });

  it("a chunk marked 'key' without an IDR slice: ENCODER_FAILED (stss would point at a frame that cannot start decoding)", async () => {
    const { error } = await encode({ keyWithoutIdrAt: 2 }, 4);
    expect(error?.code).toBe('ENCODER_FAILED');
    expect(error?.message).toMatch(/marked frame 2 'key' but it holds no IDR slice/);
  });

  it('a new SPS at a later keyframe: ENCODER_FAILED (one avcC must describe the whole stream)', async () => {
    const { error, out } = await encode({ newSpsAt: 4 }, 8);
    expect(error?.code).toBe('ENCODER_FAILED');
    expect(error?.message).toMatch(/changed its SPS\/PPS mid-stream/);
    expect(out.length).toBeLessThanOrEqual(4);
  });

  it('an avcC the muxer cannot take: 2-byte NAL lengths, High profile, none at all', async () => {
    standIn = new FakeStandIn({ lengthSize: 2 });
    expect((await rejection(webCodecsBackend.create(P))).message).toBe('The WebCodecs avcC uses 2-byte NAL lengths; mp4forge expects 4');
    standIn = new FakeStandIn({ profile: 100 });
    expect((await rejection(webCodecsBackend.create(P))).message).toMatch(/chose H\.264 profile 100; mp4forge asked for Constrained Baseline/);
    standIn = new FakeStandIn({ noDescription: true });
    expect((await rejection(webCodecsBackend.create(P))).message).toMatch(/gave no avcC/);
    // Main (77) is a superset a Baseline decoder may not play, but the platform chose it and the avcC says so: taken.
    expect((await encode({ profile: 77 }, 1)).error).toBeNull();
  });

  it("the platform's error callback: ENCODER_FAILED carrying its message, and every later call fails the same way", async () => {
    const { error, enc } = await encode({ errorAt: 1 }, 4);
    expect(error?.code).toBe('ENCODER_FAILED');
    expect(error?.message).toBe('The WebCodecs VideoEncoder failed: the platform encoder broke');
    expect((error?.cause as DOMException).name).toBe('EncodingError');
    expect(standIn.encoders[1].state).toBe('closed');
    expect(thrown(() => enc.beginChunk(9))).toBe(error);
  });

  it('an error while the chunk is flushed: the platform\'s first error is the one reported, not the flush\'s rejection after it', async () => {
    const { error } = await encode({ errorAt: 3 }, 4);
    expect(error?.message).toBe('The WebCodecs VideoEncoder failed: the platform encoder broke');
  });

  it('refused before any encoder is made: speed and temporalDenoise (no WebCodecs equivalent), workers', async () => {
    standIn = new FakeStandIn({});
    for (const k of ['speed', 'temporalDenoise'] as const) {
      const r = await webCodecsBackend.supports({ ...P, [k]: k === 'speed' ? 5 : false }, { inWorkers: false });
      expect(r).toEqual({ supported: false, code: 'INVALID_OPTION', reason: `video.${k} has no WebCodecs equivalent; leave it out with encoder 'webcodecs'` });
    }
    const w = await webCodecsBackend.supports(P, { inWorkers: true });
    expect(w).toMatchObject({ supported: false, code: 'INVALID_OPTION' });
    expect(w.supported ? '' : w.reason).toMatch(/^video\.encoder 'webcodecs' cannot run in workers/);
    expect(await webCodecsBackend.supports(P, { inWorkers: false })).toEqual({ supported: true });
    expect(standIn.encoders).toHaveLength(0);
  });

  it('a chunk must start on a GOP boundary, and one chunk at a time', async () => {
    standIn = new FakeStandIn({});
    const enc = await webCodecsBackend.create(P);
    try {
      await enc.beginChunk(0);
      expect(thrown(() => enc.beginChunk(0)).message).toBe('beginChunk() called twice without endChunk()');
      for (let i = 0; i < 3; i++) await enc.encode(frame);
      await enc.endChunk();
      const e = thrown(() => enc.beginChunk(3));
      expect(e.code).toBe('ENCODER_FAILED');
      expect(e.message).toBe('a chunk must start on a GOP boundary (frame 3, GOP 4)');
    } finally {
      await enc.close();
    }
  });

  it('encode() waits while the platform queue is long: never more than a few frames queued', async () => {
    standIn = new FakeStandIn({});
    const enc = await webCodecsBackend.create(P);
    const seen: number[] = [];
    try {
      await enc.beginChunk(0);
      for (let i = 0; i < 40; i++) {
        await enc.encode(frame);
        seen.push(standIn.encoders[1].encodeQueueSize);
      }
      await enc.endChunk();
    } finally {
      await enc.close();
    }
    expect(Math.max(...seen)).toBeLessThanOrEqual(8);
  });
});

// ---------------------------------------------------------------------------------------------
// The Node platform modules on small temporary files. Oracles: what Node itself does with the same
// files (the scene check must refuse exactly what Node would load as the wrong kind of module), the
// descriptor table in /proc/self/fd, and the bytes written.

describe('checkSceneModule: ES module syntax in a .js file Node would load as CommonJS', () => {
  const dir = join(workDir, 'scenes');
  const write = (rel: string, text: string): string => {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return path;
  };
  const check = (path: string) => checkSceneModule(pathToFileURL(path).href);

  it('refused, naming the package.json without "type": "module", for each kind of module syntax', async () => {
    write('cjs/package.json', '{ "name": "x", "type": "commonjs" }');
    const sources = {
      export: 'export default function draw() {}\n',
      import: "import { readFile } from 'node:fs';\nmodule.exports = readFile;\n",
      meta: 'const here = import.meta.url;\nmodule.exports = () => here;\n',
      await: 'const x = await Promise.resolve(1);\nmodule.exports = () => x;\n',
    };
    for (const [name, source] of Object.entries(sources)) {
      const path = write(`cjs/${name}.js`, source);
      const e = await rejection(check(path));
      expect(e.code, name).toBe('INVALID_OPTION');
      expect(e.details.option).toBe('scene');
      expect(e.message).toBe(
        `scene ${path} is an ES module (export/import), but Node loads .js files there as CommonJS (${join(dir, 'cjs', 'package.json')} has no "type": "module"): ` +
          `rename it to ${name}.mjs, or add "type": "module" to that package.json`,
      );
      // The oracle: Node itself refuses to require it.
      const node = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path)})`], { encoding: 'utf8' });
      expect(node.status, name).not.toBe(0);
    }
  });

  it('a package.json that is not JSON is still the nearest one: named in the refusal', async () => {
    write('broken/package.json', '{ "type": "module", ');
    write('broken/sub/package.json.bak', '');
    const path = write('broken/scene.js', 'export default () => {};\n');
    expect((await rejection(check(path))).message).toContain(`(${join(dir, 'broken', 'package.json')} has no "type": "module")`);
  });

  it('no package.json up to the root: says so, and where to add one', async () => {
    const bare = mkdtempSync(join(tmpdir(), 'mp4forge-scene-'));
    try {
      let up = bare;
      while (dirname(up) !== up && !existsSync(join(up, 'package.json'))) up = dirname(up);
      if (existsSync(join(up, 'package.json'))) return; // a package.json above the temporary directory: not this case
      const path = join(bare, 'scene.js');
      writeFileSync(path, 'export default () => {};\n');
      expect((await rejection(check(path))).message).toMatch(/\(no package\.json says "type": "module"\): .* add "type": "module" to a package\.json beside it$/);
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it('let through: "type": "module", CommonJS, a plain syntax error, a missing file, .mjs/.cjs, a URL that is not a file', async () => {
    write('esm/package.json', '{ "type": "module" }');
    await expect(check(write('esm/scene.js', 'export default () => {};\n'))).resolves.toBeUndefined();
    await expect(check(write('cjs/plain.js', 'module.exports = function draw() {};\n'))).resolves.toBeUndefined();
    await expect(check(write('cjs/typo.js', 'module.exports = function draw( {};\n'))).resolves.toBeUndefined();
    await expect(check(join(dir, 'cjs', 'missing.js'))).resolves.toBeUndefined();
    await expect(check(write('cjs/scene.cjs', 'export default () => {};\n'))).resolves.toBeUndefined();
    await expect(check(write('cjs/scene.mjs', 'export default () => {};\n'))).resolves.toBeUndefined();
    await expect(checkSceneModule('https://example.com/scene.js')).resolves.toBeUndefined();
  });
});

describe('io.ts: files and file descriptors', () => {
  const dir = join(workDir, 'io');
  beforeAll(() => mkdirSync(dir, { recursive: true }));

  /** Descriptors of this process open on `path` (Linux /proc). */
  const openOn = (path: string) =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === path;
      } catch {
        return false;
      }
    }).length;

  it('fileChunks: a missing file is INVALID_OPTION naming the path; a reader that stops early leaves no descriptor open', async () => {
    const missing = join(dir, 'nope.mp3');
    const e = await rejection((async () => {
      for await (const _ of fileChunks(missing, 'audio')) void _;
    })());
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toMatch(new RegExp(`^audio: cannot read '${missing.replace(/[.]/g, '\\.')}': ENOENT`));

    const big = join(dir, 'big.bin');
    writeFileSync(big, new Uint8Array(3 << 20).fill(7));
    for await (const chunk of fileChunks(big, 'audio')) {
      expect(chunk.length).toBe(1 << 20);
      expect(openOn(big)).toBe(1);
      break;
    }
    for (let i = 0; i < 100 && openOn(big) > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(openOn(big)).toBe(0);
  });

  it('fdFrames on a regular file: every whole frame, the leftover counted, and the descriptor left open for its owner', async () => {
    const size = 4096 * 3;
    const bytes = new Uint8Array(size * 3 + 5).map((_, i) => (i * 7 + (i >> 12)) & 255);
    const path = join(dir, 'frames.raw');
    writeFileSync(path, bytes);
    const fd = openSync(path, 'r');
    try {
      const gen = fdFrames(fd, size);
      const frames: Uint8Array[] = [];
      let r = await gen.next();
      for (; !r.done; r = await gen.next()) frames.push(r.value.slice());
      expect(r.value).toEqual({ frames: 3, bytes: size * 3 + 5, leftover: 5 });
      frames.forEach((f, i) => expect(Buffer.compare(f, bytes.subarray(i * size, (i + 1) * size)), `frame ${i}`).toBe(0));
      expect(fstatSync(fd).size).toBe(bytes.length); // still open
    } finally {
      closeSync(fd);
    }
  });

  it('fdFrames on a regular file with frames larger than its 4 MiB read size', async () => {
    const size = 5 << 20;
    const path = join(dir, 'large.raw');
    writeFileSync(path, new Uint8Array(size * 2).fill(9));
    const fd = openSync(path, 'r');
    try {
      const gen = fdFrames(fd, size);
      let n = 0;
      let r = await gen.next();
      for (; !r.done; r = await gen.next()) {
        expect(r.value.length).toBe(size);
        n++;
      }
      expect(n).toBe(2);
      expect(r.value).toEqual({ frames: 2, bytes: size * 2, leftover: 0 });
    } finally {
      closeSync(fd);
      rmSync(path);
    }
  });
});

describe('Mp4ForgeError and isMp4ForgeError (the documented error API)', () => {
  it('name, code, details (empty when none given), cause only when given; isMp4ForgeError with and without a code', () => {
    const plain = new Mp4ForgeError('INVALID_OPTION', 'bad');
    expect(plain.name).toBe('Mp4ForgeError');
    expect(String(plain)).toBe('Mp4ForgeError: bad');
    expect(plain.details).toEqual({});
    expect('cause' in plain).toBe(false);
    const cause = new Error('root');
    const detailed = new Mp4ForgeError('INVALID_FRAME', 'short', { cause, details: { frameIndex: 3 } });
    expect(detailed.cause).toBe(cause);
    expect(detailed.details.frameIndex).toBe(3);
    expect(isMp4ForgeError(plain)).toBe(true);
    expect(isMp4ForgeError(plain, 'INVALID_OPTION')).toBe(true);
    expect(isMp4ForgeError(plain, 'INVALID_FRAME')).toBe(false);
    expect(isMp4ForgeError(new Error('bad'))).toBe(false);
  });
});

describe('the entries export what the README names', () => {
  it("every name in README's 'Other exports' line, and the main API, is a value of the Node entry and the shared (browser) one", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const para = /^Other exports:([\s\S]*?)\n\n/m.exec(readme)?.[1] ?? '';
    const names = [...para.matchAll(/`([A-Za-z_$][\w$]*)`/g)].map((m) => m[1]);
    expect(names).toContain('describeMp4');
    expect(names.length).toBeGreaterThanOrEqual(12);
    names.push('createMp4Writer', 'renderVideo', 'renderSegment', 'stitchSegments', 'readRawFrames', 'createWorkerPool', 'isMp4ForgeError');
    const node = (await import('../src/index.node.js')) as Record<string, unknown>;
    const shared = (await import('../src/index.js')) as Record<string, unknown>;
    for (const name of names) {
      expect(node[name], `${name} (index.node.ts)`).toBeDefined();
      expect(shared[name], `${name} (index.ts)`).toBeDefined();
    }
  });
});
