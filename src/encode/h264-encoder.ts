// H.264 encoding through h264-mp4-encoder (minih264 in WASM), one fresh encoder instance per
// GOP-aligned chunk. Chunks are independent (each starts with an IDR and fresh rate-control state),
// so the output depends only on the options and the frames, never on how chunks are scheduled:
// a worker pool can encode chunks in parallel and reassemble a byte-identical stream.
import { Mp4ForgeError } from '../errors.js';
import { sameAvcConfig, type AvcConfig } from './avc.js';
import { EncoderOutputTap, type CodedFrame } from './encoder-output-tap.js';
import { loadWasmModule, type HmeEncoder } from './wasm-module.js';

export type { CodedFrame } from './encoder-output-tap.js';

/** Encoder parameters, already validated by the caller (see `resolveVideoOptions`). */
export interface H264Params {
  width: number;
  height: number;
  /** Frames per second as a number; only used to turn `kbps` into bytes per frame. */
  fps: number;
  /** Constant quantiser 10..51; ignored when `kbps` is set. */
  qp: number;
  /** Target bitrate in kbit/s (rate control); 0 = constant qp. */
  kbps: number;
  /** 0 (best) .. 10 (fastest). */
  speed: number;
  /** Keyframe interval in frames. */
  gop: number;
  temporalDenoise: boolean;
}

let instanceCounter = 0;

/** Frames per chunk: whole GOPs, at least 16 frames so tiny GOPs do not pay per-instance costs. */
export function chunkFramesFor(gop: number): number {
  return gop * Math.ceil(16 / gop);
}

export class WasmH264Encoder {
  readonly kind = 'wasm' as const;
  /** The SPS/PPS every chunk must reproduce, taken from a one-frame probe encode. */
  readonly config: AvcConfig;
  private readonly path: string;
  private instance: HmeEncoder | null = null;
  private framesInChunk = 0;
  private closed = false;

  private constructor(
    private readonly module: { createH264MP4Encoder(): Promise<HmeEncoder> },
    private readonly fsOwner: HmeEncoder,
    private readonly tap: EncoderOutputTap,
    private readonly params: H264Params,
    path: string,
    config: AvcConfig,
  ) {
    this.path = path;
    this.config = config;
  }

  /** Loads the WASM module (once per thread) and probes the stream configuration. */
  static async create(params: H264Params): Promise<WasmH264Encoder> {
    checkParams(params);
    const mod = await loadWasmModule();
    const owner = await mod.createH264MP4Encoder();
    const path = `/mp4forge-${randomTag()}-${instanceCounter++}.mp4`;
    const tap = new EncoderOutputTap(owner.FS, path);
    const enc = new WasmH264Encoder(mod, owner, tap, params, path, { sps: [], pps: [], profile: 0, compatibility: 0, level: 0 });
    // The SPS/PPS depend only on the parameters (checked again on every chunk), so one grey frame
    // gives the real configuration before any user frame is encoded.
    await enc.beginChunk();
    const grey = new Uint8Array((params.width * params.height * 3) / 2).fill(128);
    enc.encode(grey);
    const { config } = enc.finishChunk(false);
    (enc as { config: AvcConfig }).config = config;
    return enc;
  }

  /** Starts a chunk on a fresh instance. The first frame of a chunk is always an IDR. */
  async beginChunk(): Promise<void> {
    if (this.closed) throw new Mp4ForgeError('WRITER_CLOSED', 'The encoder was closed; create a new one.');
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
    e.speed = p.speed;
    e.groupOfPictures = p.gop;
    e.temporalDenoise = p.temporalDenoise;
    if (p.kbps > 0) e.kbps = Math.max(1, Math.round(p.kbps / p.fps));
    else e.quantizationParameter = p.qp;
    this.tap.reset();
    this.guard(() => e.initialize());
    this.instance = e;
    this.framesInChunk = 0;
  }

  /** Encodes one I420 frame; returns the frames whose bytes are complete so far (in order). */
  encode(i420: Uint8Array): CodedFrame[] {
    const e = this.instance;
    if (!e) throw new Mp4ForgeError('ENCODER_FAILED', 'encode() called outside a chunk');
    this.guard(() => e.addFrameYuv(i420));
    this.framesInChunk++;
    return this.tap.take();
  }

  /** Ends the chunk: flushes the remaining frames and checks the stream configuration. */
  endChunk(): CodedFrame[] {
    return this.finishChunk(true).frames;
  }

  private finishChunk(check: boolean): { frames: CodedFrame[]; config: AvcConfig } {
    const e = this.instance;
    if (!e) throw new Mp4ForgeError('ENCODER_FAILED', 'endChunk() called outside a chunk');
    this.instance = null;
    this.tap.expect(this.framesInChunk);
    try {
      this.guard(() => e.finalize());
    } finally {
      e.delete();
    }
    const frames = this.tap.take();
    const config = this.tap.readConfig();
    if (check && !sameAvcConfig(config, this.config)) {
      throw new Mp4ForgeError('ENCODER_FAILED', 'The encoder changed its SPS/PPS between chunks; the stream would not be decodable with one avcC.');
    }
    return { frames, config };
  }

  /** Frees the current instance, if any. Safe to call more than once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
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

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (err instanceof Mp4ForgeError) throw err;
      throw new Mp4ForgeError('ENCODER_FAILED', `The WASM H.264 encoder failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
}

/** MEMFS is shared by every encoder in this realm; a random tag keeps two bundled copies of
 * mp4forge (each with its own counter) from writing to the same path. */
function randomTag(): string {
  return Math.random().toString(36).slice(2, 8);
}

function checkParams(p: H264Params): void {
  // A bad value reaching the WASM module aborts it for the rest of the process, so re-check here.
  const ok =
    Number.isInteger(p.width) && Number.isInteger(p.height) && p.width >= 2 && p.height >= 2 && p.width % 2 === 0 && p.height % 2 === 0 &&
    Number.isInteger(p.qp) && p.qp >= 10 && p.qp <= 51 &&
    Number.isInteger(p.speed) && p.speed >= 0 && p.speed <= 10 &&
    Number.isInteger(p.gop) && p.gop >= 1 &&
    Number.isFinite(p.kbps) && p.kbps >= 0 && Number.isFinite(p.fps) && p.fps > 0;
  if (!ok) throw new Mp4ForgeError('INVALID_OPTION', `Invalid encoder parameters: ${JSON.stringify(p)}`);
}
