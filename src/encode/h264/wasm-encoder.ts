// The JS side of mp4forge's own H.264 encoder (AssemblyScript in ./asm, compiled to WebAssembly
// with v128 SIMD by scripts/build-wasm.mjs). One WebAssembly instance per encoder: its memory holds
// the source, reconstructed and reference pictures and the bitstream buffers, sized once for the
// picture. The SPS/PPS come straight from the parameters; no probe encode.
import { Mp4ForgeError } from '../../errors.js';
import { NAL_PPS, NAL_SPS, type AvcConfig } from '../avc.js';
import type { BackendInfo, ChunkEncoder, CodedFrame, EncoderParams } from '../backend.js';
import { H264_WASM_VERSION } from './generated/h264-version.js';
import { compileError, loadEncoderModule } from './module.js';
import { h264Level } from '../level.js';

/** The backend as results and segment records name it: mp4forge's own encoder, and which build of it. */
export const WASM_ENCODER: BackendInfo = { id: 'wasm', version: H264_WASM_VERSION };

/**
 * `speed` when the caller does not set one (see config.ts for what each level does): the most
 * efficient speed (frames per CPU second per byte at equal quality) among those that compress at
 * least as well as h264-mp4-encoder on every content of `npm run bench:sweep`
 * (bench/results/speed-sweep.md).
 */
export const DEFAULT_SPEED = 8;

interface Exports {
  memory: WebAssembly.Memory;
  configure(
    w: number, h: number, fpsNum: number, fpsDen: number, level: number, vmv: number, speed: number, qp: number, kbps: number, gop: number,
    primaries: number, transfer: number, matrix: number, fullRange: number,
  ): void;
  inputY(): number;
  inputU(): number;
  inputV(): number;
  output(): number;
  parameterSets(): number;
  beginChunk(firstFrame: number): void;
  encodeFrame(): number;
  reconstruction(): void;
  rgbInput(format: number): number;
  encodeRgbFrame(): number;
  rgbStrip(): number;
  stripRows(): number;
  convertRgbStrip(format: number, firstRow: number, rows: number): void;
}

import type { RgbLayout } from '../backend.js';
import { RGB_CODES, convertByStrips } from './module.js';

/** Colour description written into the VUI (the same as the `colr` box mp4forge writes). */
export const VUI_COLOUR = { primaries: 1, transfer: 13, matrix: 6, fullRange: false };

export class AsmH264Encoder implements ChunkEncoder {
  readonly backend = WASM_ENCODER;
  readonly config: AvcConfig;
  private closed = false;
  private rgbLayout: RgbLayout | null = null;
  /** The layout of a frame loadRgb() or loadI420() put into the input picture and no encode has used yet. */
  private loadedLayout: RgbLayout | 'yuv420p' | null = null;
  private broken: Mp4ForgeError | null = null;
  private readonly frameBytes: number;

  private constructor(
    private readonly x: Exports,
    private readonly params: EncoderParams,
  ) {
    this.frameBytes = (params.width * params.height * 3) / 2;
    this.config = this.readConfig();
  }

  static async create(params: EncoderParams): Promise<AsmH264Encoder> {
    checkParams(params);
    let module: WebAssembly.Module;
    try {
      module = await loadEncoderModule();
    } catch (err) {
      throw compileError(err);
    }
    const instance = await WebAssembly.instantiate(module, { env: { abort: trapAbort } });
    const x = instance.exports as unknown as Exports;
    const level = h264Level(params.width, params.height, params.fpsNum, params.fpsDen, params.kbps);
    const c = VUI_COLOUR;
    guard(() =>
      x.configure(
        params.width, params.height, params.fpsNum, params.fpsDen, level.idc, level.maxVmv, params.speed ?? DEFAULT_SPEED, params.qp, params.kbps, params.gop,
        c.primaries, c.transfer, c.matrix, c.fullRange ? 1 : 0,
      ),
    );
    return new AsmH264Encoder(x, params);
  }

  private readConfig(): AvcConfig {
    const sizes = guard(() => this.x.parameterSets());
    const spsLen = sizes >>> 16;
    const mem = new Uint8Array(this.x.memory.buffer);
    const out = this.x.output();
    // each NAL unit is preceded by its 4-byte length
    const sps = mem.slice(out + 4, out + spsLen);
    const pps = mem.slice(out + spsLen + 4, out + spsLen + (sizes & 0xffff));
    if ((sps[0] & 0x1f) !== NAL_SPS || (pps[0] & 0x1f) !== NAL_PPS) throw new Mp4ForgeError('ENCODER_FAILED', 'the encoder wrote malformed parameter sets');
    return { sps: [sps], pps: [pps], profile: sps[1], compatibility: sps[2], level: sps[3] };
  }

  /** Starts an independent chunk; `firstFrame` is the absolute index of its first frame (an IDR). */
  beginChunk(firstFrame = 0): void {
    this.check();
    if (!Number.isInteger(firstFrame) || firstFrame < 0) throw new Mp4ForgeError('INVALID_OPTION', `beginChunk needs a frame index >= 0, got ${firstFrame}`);
    this.x.beginChunk(firstFrame);
  }

  /**
   * Takes an I420 frame (width x height, planes back to back) into the encoder's input picture now;
   * encode() without a frame then encodes it, and `i420` may be reused as soon as this returns.
   */
  loadI420(i420: Uint8Array | Uint8ClampedArray): void {
    this.check();
    if (i420.length !== this.frameBytes) {
      throw new Mp4ForgeError('INVALID_FRAME', `an I420 frame of ${this.params.width}x${this.params.height} is ${this.frameBytes} bytes, got ${i420.length}`);
    }
    const { width: w, height: h } = this.params;
    const mem = new Uint8Array(this.x.memory.buffer);
    const ySize = w * h;
    const cSize = ySize >> 2;
    mem.set(i420.subarray(0, ySize), this.x.inputY());
    mem.set(i420.subarray(ySize, ySize + cSize), this.x.inputU());
    mem.set(i420.subarray(ySize + cSize), this.x.inputV());
    this.loadedLayout = 'yuv420p';
  }

  /** Encodes one I420 frame, or, without one, the frame loadI420() took; returns it coded. */
  encode(i420?: Uint8Array): CodedFrame[] {
    if (i420) this.loadI420(i420);
    this.check();
    if (this.loadedLayout !== 'yuv420p') throw new Mp4ForgeError('INVALID_FRAME', 'encode() without a frame needs a frame taken by loadI420() first');
    // Taken once: encoding may leave other pixels in the input picture (reconstruction()).
    this.loadedLayout = null;
    const n = guard(() => this.x.encodeFrame(), this);
    return [this.takeOutput(n)];
  }

  /**
   * A view of the encoder's own input buffer for one packed RGB frame of `layout`: a producer may
   * draw straight into it and call encodeRgb() without arguments, so the frame is never copied.
   * The view is only valid until the next call into the encoder (its memory may grow).
   */
  rgbView(layout: RgbLayout): Uint8Array {
    this.check();
    const { width: w, height: h } = this.params;
    const bytes = w * h * (layout === 'rgb24' ? 3 : 4);
    const p = guard(() => this.x.rgbInput(RGB_CODES[layout]), this);
    this.rgbLayout = layout;
    this.loadedLayout = null;
    return new Uint8Array(this.x.memory.buffer, p, bytes);
  }

  /**
   * Takes a packed RGB frame now: copied into the encoder's memory a strip of rows at a time, each
   * strip converted into the input picture while it is still in cache (the same bytes as converting
   * the whole frame: the rows of a strip are whole chroma rows). encodeRgb(layout) without pixels
   * then encodes it; `pixels` may be reused as soon as this returns.
   */
  loadRgb(layout: RgbLayout, pixels: Uint8Array | Uint8ClampedArray): void {
    this.check();
    const { width: w, height: h } = this.params;
    const rowBytes = w * (layout === 'rgb24' ? 3 : 4);
    if (pixels.length !== rowBytes * h) {
      throw new Mp4ForgeError('INVALID_FRAME', `a ${layout} frame of ${w}x${h} is ${rowBytes * h} bytes, got ${pixels.length}`);
    }
    const strip = guard(() => this.x.rgbStrip(), this);
    const code = RGB_CODES[layout];
    convertByStrips(this.x.memory, strip, this.x.stripRows(), pixels, rowBytes, h, (y, n) => this.x.convertRgbStrip(code, y, n));
    this.loadedLayout = layout;
  }

  /**
   * Encodes a packed RGB frame: `pixels` is copied into the encoder's memory and converted there
   * (BT.601 limited range, chroma the rounded mean of each 2x2 block: the same bytes as
   * convert.ts), or, without `pixels`, the frame loadRgb(layout) took or, failing that, the frame
   * written into rgbView(layout) is used.
   */
  encodeRgb(layout: RgbLayout, pixels?: Uint8Array | Uint8ClampedArray): CodedFrame[] {
    if (pixels) this.loadRgb(layout, pixels);
    this.check();
    let n: number;
    if (this.loadedLayout === layout) {
      // Taken once: encoding may leave other pixels in the input picture (reconstruction()).
      this.loadedLayout = null;
      n = guard(() => this.x.encodeFrame(), this);
    } else if (this.rgbLayout === layout) {
      n = guard(() => this.x.encodeRgbFrame(), this);
    } else {
      const need = `a frame taken by loadRgb('${layout}') or drawn into rgbView('${layout}') first`;
      throw new Mp4ForgeError('INVALID_FRAME', `encodeRgb('${layout}') without pixels needs ${need}`);
    }
    return [this.takeOutput(n)];
  }

  private takeOutput(n: number): CodedFrame {
    const out = this.x.output();
    const data = new Uint8Array(this.x.memory.buffer).slice(out, out + n);
    // the first NAL unit's type (after the 4-byte length) tells an IDR slice
    return { data, keyframe: (data[4] & 0x1f) === 5 };
  }

  /** Ends the chunk. Every frame was returned by encode(), so nothing is pending. */
  endChunk(): CodedFrame[] {
    this.check();
    return [];
  }

  /**
   * The decoder's picture for the last encoded frame (I420, width x height).
   * @internal For the tests that compare it with ffmpeg's decode of the stream.
   */
  reconstruction(): Uint8Array {
    this.check();
    this.x.reconstruction();
    const { width: w, height: h } = this.params;
    const mem = new Uint8Array(this.x.memory.buffer);
    const out = new Uint8Array(this.frameBytes);
    out.set(mem.subarray(this.x.inputY(), this.x.inputY() + w * h), 0);
    out.set(mem.subarray(this.x.inputU(), this.x.inputU() + (w * h) / 4), w * h);
    out.set(mem.subarray(this.x.inputV(), this.x.inputV() + (w * h) / 4), (w * h * 5) / 4);
    return out;
  }

  /** Releases the instance (its memory goes with it). Safe to call more than once. */
  close(): void {
    this.closed = true;
  }

  /** Bytes of WebAssembly memory this encoder holds. */
  get memoryBytes(): number {
    return this.x.memory.buffer.byteLength;
  }

  markBroken(err: Mp4ForgeError): void {
    this.broken = err;
  }

  private check(): void {
    if (this.broken) throw this.broken;
    if (this.closed) throw new Mp4ForgeError('WRITER_CLOSED', 'The encoder was closed; create a new one.');
  }
}

function trapAbort(): never {
  throw new Error('abort() inside the encoder');
}

function errText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Runs a call into the module; a trap becomes ENCODER_FAILED and leaves the encoder unusable. */
function guard<T>(fn: () => T, enc?: AsmH264Encoder): T {
  try {
    return fn();
  } catch (err) {
    const e = new Mp4ForgeError('ENCODER_FAILED', `the H.264 encoder failed: ${errText(err)}`, { cause: err });
    enc?.markBroken(e);
    throw e;
  }
}

/** Why the encoder cannot take these parameters, or null. Checked before any call into the module. */
export function unsupportedParams(p: EncoderParams): string | null {
  const int = (v: unknown, lo: number, hi: number) => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
  if (!int(p.width, 2, 4096) || !int(p.height, 2, 4096) || p.width % 2 !== 0 || p.height % 2 !== 0) return 'width and height must be even, from 2 to 4096';
  if (Math.ceil(p.width / 16) * Math.ceil(p.height / 16) > 36864) return `${p.width}x${p.height} is more than 36,864 macroblocks (H.264 level 5.2)`;
  if (!int(p.fpsNum, 1, 0x7fffffff) || !int(p.fpsDen, 1, 0xffffffff)) {
    return `the frame rate must be a fraction of positive integers, got ${p.fpsNum}/${p.fpsDen}`;
  }
  if (!int(p.qp, 0, 51)) return `video.qp must be an integer from 0 to 51, got ${p.qp}`;
  if (p.speed !== undefined && !int(p.speed, 0, 10)) return `video.speed must be an integer from 0 to 10, got ${p.speed}`;
  if (!int(p.gop, 1, 100000)) return `video.gop must be an integer from 1 to 100000, got ${p.gop}`;
  if (!(Number.isFinite(p.kbps) && p.kbps >= 0)) return `video.kbps must be 0 (constant qp) or a positive bitrate, got ${p.kbps}`;
  if (p.temporalDenoise === true) return "video.temporalDenoise is a feature of encoder 'h264-mp4-encoder'; the 'wasm' encoder has no temporal denoiser";
  return null;
}

function checkParams(p: EncoderParams): void {
  const why = unsupportedParams(p);
  if (why !== null) throw new Mp4ForgeError('INVALID_OPTION', why);
}
