// The JS side of mp4forge's own H.264 encoder (AssemblyScript in ./asm, compiled to WebAssembly
// with v128 SIMD by scripts/build-wasm.mjs). One WebAssembly instance per encoder: its memory holds
// the source, reconstructed and reference pictures and the bitstream buffers, sized once for the
// picture. The SPS/PPS come straight from the parameters; no probe encode.
import { Mp4ForgeError } from '../../errors.js';
import { NAL_PPS, NAL_SPS, type AvcConfig } from '../avc.js';
import { H264_WASM_BASE64 } from './generated/h264-wasm.js';
import { h264Level } from './level.js';

/** What the encoder is asked to do (validated by the caller). */
export interface AsmEncoderParams {
  width: number;
  height: number;
  fpsNum: number;
  fpsDen: number;
  /** Constant quantiser 0..51 (ignored when kbps > 0). */
  qp: number;
  /** Target bitrate, kbit/s; 0 = constant qp. */
  kbps: number;
  /** 0 (best compression) .. 10 (fastest). */
  speed: number;
  /** Keyframe interval in frames. */
  gop: number;
}

/** One coded picture: AVCC bytes (4-byte big-endian NAL lengths) and whether it is an IDR. */
export interface AsmCodedFrame {
  data: Uint8Array;
  keyframe: boolean;
}

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
}

/** Packed RGB layouts the encoder converts itself (the codes of asm/convert.ts). */
export type RgbLayout = 'rgba' | 'bgra' | 'rgb24';
const RGB_CODES: Record<RgbLayout, number> = { rgba: 0, bgra: 1, rgb24: 2 };

/** Colour description written into the VUI (the same as the `colr` box mp4forge writes). */
export const VUI_COLOUR = { primaries: 1, transfer: 13, matrix: 6, fullRange: false };

let compiled: Promise<WebAssembly.Module> | undefined;

function wasmBytes(): Uint8Array {
  const bin = atob(H264_WASM_BASE64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Whether this runtime runs WebAssembly with v128 SIMD (the encoder needs it). */
export function wasmSimdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(wasmBytes());
  } catch {
    return false;
  }
}

/** Compiles the module once per realm; a precompiled module (workerd imports the .wasm) may be given instead. */
export function loadEncoderModule(precompiled?: WebAssembly.Module): Promise<WebAssembly.Module> {
  if (precompiled) compiled = Promise.resolve(precompiled);
  compiled ??= WebAssembly.compile(wasmBytes() as BufferSource);
  compiled.catch(() => {
    compiled = undefined;
  });
  return compiled;
}

export class AsmH264Encoder {
  readonly kind = 'wasm' as const;
  readonly config: AvcConfig;
  private closed = false;
  private rgbLayout: RgbLayout | null = null;
  private broken: Mp4ForgeError | null = null;
  private readonly frameBytes: number;

  private constructor(
    private readonly x: Exports,
    private readonly params: AsmEncoderParams,
  ) {
    this.frameBytes = (params.width * params.height * 3) / 2;
    this.config = this.readConfig();
  }

  static async create(params: AsmEncoderParams): Promise<AsmH264Encoder> {
    checkParams(params);
    let module: WebAssembly.Module;
    try {
      module = await loadEncoderModule();
    } catch (err) {
      throw new Mp4ForgeError(
        'UNSUPPORTED_RUNTIME',
        `mp4forge's H.264 encoder needs WebAssembly with SIMD, which this runtime does not provide (${errText(err)}); use video.encoder 'h264-mp4-encoder'`,
        { cause: err },
      );
    }
    const instance = await WebAssembly.instantiate(module, { env: { abort: trapAbort } });
    const x = instance.exports as unknown as Exports;
    const level = h264Level(params.width, params.height, params.fpsNum, params.fpsDen, params.kbps);
    const c = VUI_COLOUR;
    guard(() =>
      x.configure(
        params.width, params.height, params.fpsNum, params.fpsDen, level.idc, level.maxVmv, params.speed, params.qp, params.kbps, params.gop,
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

  /** Encodes one I420 frame (width x height, planes back to back); returns it coded. */
  encode(i420: Uint8Array): AsmCodedFrame[] {
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
    return new Uint8Array(this.x.memory.buffer, p, bytes);
  }

  /**
   * Encodes a packed RGB frame: `pixels` is copied into the encoder's memory and converted there
   * (BT.601 limited range, chroma the rounded mean of each 2x2 block: the same bytes as
   * convert.ts), or, without `pixels`, the frame written into rgbView(layout) is used.
   */
  encodeRgb(layout: RgbLayout, pixels?: Uint8Array | Uint8ClampedArray): AsmCodedFrame[] {
    if (pixels) {
      const view = this.rgbView(layout);
      if (pixels.length !== view.length) {
        throw new Mp4ForgeError('INVALID_FRAME', `a ${layout} frame of ${this.params.width}x${this.params.height} is ${view.length} bytes, got ${pixels.length}`);
      }
      view.set(pixels);
    } else if (this.rgbLayout !== layout) {
      throw new Mp4ForgeError('INVALID_FRAME', `encodeRgb('${layout}') without pixels needs a frame drawn into rgbView('${layout}') first`);
    }
    this.check();
    const n = guard(() => this.x.encodeRgbFrame(), this);
    return [this.takeOutput(n)];
  }

  private takeOutput(n: number): AsmCodedFrame {
    const out = this.x.output();
    const data = new Uint8Array(this.x.memory.buffer).slice(out, out + n);
    // the first NAL unit's type (after the 4-byte length) tells an IDR slice
    return { data, keyframe: (data[4] & 0x1f) === 5 };
  }

  /** Ends the chunk. Every frame was returned by encode(), so nothing is pending. */
  endChunk(): AsmCodedFrame[] {
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

function checkParams(p: AsmEncoderParams): void {
  const int = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  const ok =
    int(p.width, 2, 4096) && int(p.height, 2, 4096) && p.width % 2 === 0 && p.height % 2 === 0 &&
    Math.ceil(p.width / 16) * Math.ceil(p.height / 16) <= 36864 &&
    int(p.fpsNum, 1, 0x7fffffff) && int(p.fpsDen, 1, 0xffffffff) &&
    int(p.qp, 0, 51) && int(p.speed, 0, 10) && int(p.gop, 1, 100000) && Number.isFinite(p.kbps) && p.kbps >= 0;
  if (!ok) throw new Mp4ForgeError('INVALID_OPTION', `invalid encoder parameters: ${JSON.stringify(p)}`);
}
