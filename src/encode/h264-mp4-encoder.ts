// The 'h264-mp4-encoder' backend: minih264 compiled to WASM (the h264-mp4-encoder package), one
// fresh encoder instance per chunk. Chunks are independent (each starts with an IDR and fresh
// rate-control state), so the output depends only on the parameters and the frames, never on how
// chunks are scheduled: a worker pool can encode chunks in parallel and reassemble a byte-identical
// stream. The package writes an MP4 through libmp4v2 into Emscripten's in-memory file system; the
// output tap (encoder-output-tap.ts) takes the coded frames out of it as they are written, and a
// one-frame probe encode gives the SPS/PPS before the first user frame. Both stay in this backend.
import { Mp4ForgeError } from '../errors.js';
import { sameAvcConfig, withLevel, type AvcConfig } from './avc.js';
import type { BackendInfo, ChunkEncoder, CodedFrame, EncoderBackend, EncoderParams, Support } from './backend.js';
import { EncoderOutputTap } from './encoder-output-tap.js';
import { h264Level } from './level.js';
import { loadWasmModule, type HmeEncoder } from './wasm-module.js';

const INFO: BackendInfo = { id: 'h264-mp4-encoder', version: '1.0.12' };
const DEFAULT_SPEED = 6;
/**
 * minih264 runs its temporal denoiser only at its slowest speeds ("H264E_SPEED_SLOWEST: all coding
 * tools enabled, including denoise filter"): at 2–10 the flag changes no byte. So
 * `temporalDenoise: true` makes the default speed 1 (the faster of the two), and is refused with a
 * speed above it.
 */
const DENOISE_MAX_SPEED = 1;

/** The speed minih264 gets: the caller's, else the default for these options. */
function speedFor(p: EncoderParams): number {
  return p.speed ?? (p.temporalDenoise === true ? DENOISE_MAX_SPEED : DEFAULT_SPEED);
}

let instanceCounter = 0;

interface HmeModule {
  createH264MP4Encoder(): Promise<HmeEncoder>;
}

/**
 * Runs chunks on fresh instances writing one MEMFS path, through one tap. Both the probe and the
 * encoder use it; it knows nothing of the stream configuration it is expected to reproduce.
 */
class ChunkRunner {
  private instance: HmeEncoder | null = null;
  private framesInChunk = 0;

  constructor(
    private readonly module: HmeModule,
    private readonly fsOwner: HmeEncoder,
    private readonly tap: EncoderOutputTap,
    private readonly params: EncoderParams,
    private readonly path: string,
  ) {}

  get open(): boolean {
    return this.instance !== null;
  }

  async begin(): Promise<void> {
    if (this.instance) throw new Mp4ForgeError('ENCODER_FAILED', 'beginChunk() called twice without endChunk()');
    const e = await this.module.createH264MP4Encoder();
    const p = this.params;
    e.outputFilename = this.path;
    e.width = p.width;
    e.height = p.height;
    // frameRate 1 makes every sample a full libmp4v2 chunk, so each frame is written out at once
    // (1 s chunks would keep up to a second of frames inside the WASM heap). It only affects the
    // encoder's own MP4 timing, which we discard, and the kbps → bytes/frame division below.
    e.frameRate = 1;
    e.speed = speedFor(p);
    e.groupOfPictures = p.gop;
    e.temporalDenoise = p.temporalDenoise ?? false;
    if (p.kbps > 0) e.kbps = Math.max(1, Math.round(p.kbps / (p.fpsNum / p.fpsDen)));
    else e.quantizationParameter = p.qp;
    this.tap.reset();
    guard(() => e.initialize());
    this.instance = e;
    this.framesInChunk = 0;
  }

  encode(i420: Uint8Array): CodedFrame[] {
    const e = this.instance;
    if (!e) throw new Mp4ForgeError('ENCODER_FAILED', 'encode() called outside a chunk');
    guard(() => e.addFrameYuv(i420));
    this.framesInChunk++;
    return this.tap.take();
  }

  /** Flushes the chunk; returns its remaining frames and the SPS/PPS libmp4v2 wrote for it. */
  end(): { frames: CodedFrame[]; config: AvcConfig } {
    const e = this.instance;
    if (!e) throw new Mp4ForgeError('ENCODER_FAILED', 'endChunk() called outside a chunk');
    this.instance = null;
    this.tap.expect(this.framesInChunk);
    try {
      guard(() => e.finalize());
    } finally {
      e.delete();
    }
    return { frames: this.tap.take(), config: this.tap.readConfig() };
  }

  /** Frees the instance (abandoning an open chunk) and the MEMFS file. */
  close(): void {
    const e = this.instance;
    this.instance = null;
    if (e) {
      this.tap.discard();
      try {
        e.finalize();
        e.delete();
      } catch {
        // The chunk is being abandoned; nothing it wrote is used.
      }
    }
    try {
      this.fsOwner.FS.unlink(this.path);
    } catch {
      // not there
    }
    this.fsOwner.delete();
  }
}

/**
 * minih264 labels its streams with a level from the frame size alone; mp4forge writes the level
 * the frame rate and bitrate need as well (MaxMBPS, MaxBR) into the avcC. The samples carry no SPS
 * to relabel: libmp4v2 moves every SPS/PPS minih264 writes into its avcC (ffmpeg's trace_headers
 * finds one SPS, the avcC's, in a file with three IDRs).
 */
class H264Mp4Encoder implements ChunkEncoder {
  readonly backend = INFO;
  /** The SPS/PPS every chunk must reproduce, taken from the probe encode (as minih264 wrote them). */
  private readonly probed: AvcConfig;
  readonly config: AvcConfig;
  private closed = false;

  constructor(
    private readonly runner: ChunkRunner,
    probed: AvcConfig,
    level: number,
  ) {
    this.probed = probed;
    this.config = withLevel(probed, level);
  }

  /** Starts a chunk on a fresh instance; its first frame is an IDR. The frame index is not needed here. */
  async beginChunk(): Promise<void> {
    if (this.closed) throw new Mp4ForgeError('ENCODER_FAILED', 'The encoder was closed; create a new one.');
    await this.runner.begin();
  }

  encode(i420: Uint8Array): CodedFrame[] {
    return this.runner.encode(i420);
  }

  /** Ends the chunk: flushes the remaining frames and checks the stream configuration. */
  endChunk(): CodedFrame[] {
    const { frames, config } = this.runner.end();
    if (!sameAvcConfig(config, this.probed)) {
      throw new Mp4ForgeError('ENCODER_FAILED', 'The encoder changed its SPS/PPS between chunks; the stream would not be decodable with one avcC.');
    }
    return frames;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.runner.close();
  }
}

/** h264-mp4-encoder as an mp4forge backend. */
export const h264Mp4EncoderBackend: EncoderBackend = {
  ...INFO,
  chunked: true,

  async supports(params: EncoderParams): Promise<Support> {
    const why = unsupported(params);
    return why === null ? { supported: true } : { supported: false, code: 'INVALID_OPTION', reason: why };
  },

  /** Loads the WASM module (once per thread) and probes the stream configuration. */
  async create(params: EncoderParams): Promise<ChunkEncoder> {
    const why = unsupported(params);
    // A bad value reaching the WASM module aborts it for the rest of the process, so check again here.
    if (why !== null) throw new Mp4ForgeError('INVALID_OPTION', `h264-mp4-encoder cannot encode ${JSON.stringify(params)}: ${why}`);
    const mod = await loadWasmModule();
    const owner = await mod.createH264MP4Encoder();
    const path = `/mp4forge-${randomTag()}-${instanceCounter++}.mp4`;
    const runner = new ChunkRunner(mod, owner, new EncoderOutputTap(owner.FS, path), params, path);
    try {
      // The SPS/PPS depend only on the parameters (checked again on every chunk), so one grey frame
      // gives the real configuration before any user frame is encoded.
      await runner.begin();
      runner.encode(new Uint8Array((params.width * params.height * 3) / 2).fill(128));
      const level = h264Level(params.width, params.height, params.fpsNum, params.fpsDen, params.kbps).idc;
      return new H264Mp4Encoder(runner, runner.end().config, level);
    } catch (err) {
      runner.close();
      throw err;
    }
  },
};

/** Why h264-mp4-encoder cannot take these parameters, or null. */
function unsupported(p: EncoderParams): string | null {
  const int = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
  if (!int(p.width, 2, 4096) || !int(p.height, 2, 4096) || p.width % 2 !== 0 || p.height % 2 !== 0) return 'width and height must be even, from 2 to 4096';
  if (!int(p.qp, 10, 51)) return `video.qp must be an integer from 10 to 51 with h264-mp4-encoder, got ${p.qp}`;
  if (p.speed !== undefined && !int(p.speed, 0, 10)) return `video.speed must be an integer from 0 to 10, got ${p.speed}`;
  if (p.temporalDenoise === true && p.speed !== undefined && p.speed > DENOISE_MAX_SPEED) {
    return `video.temporalDenoise needs video.speed 0 or 1 with h264-mp4-encoder (its denoiser runs only at those speeds), got speed ${p.speed}`;
  }
  if (!int(p.gop, 1, Number.MAX_SAFE_INTEGER)) return `gop must be a positive integer, got ${p.gop}`;
  if (!(Number.isFinite(p.kbps) && p.kbps >= 0)) return `kbps must be 0 (constant qp) or a positive bitrate, got ${p.kbps}`;
  if (!int(p.fpsNum, 1, Number.MAX_SAFE_INTEGER) || !int(p.fpsDen, 1, Number.MAX_SAFE_INTEGER))
    return `the frame rate must be a fraction of positive integers, got ${p.fpsNum}/${p.fpsDen}`;
  return null;
}

function guard(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof Mp4ForgeError) throw err;
    throw new Mp4ForgeError('ENCODER_FAILED', `The WASM H.264 encoder failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** MEMFS is shared by every encoder in this realm; a random tag keeps two bundled copies of
 * mp4forge (each with its own counter) from writing to the same path. */
function randomTag(): string {
  return Math.random().toString(36).slice(2, 8);
}
