// The encoder contract: what every H.264 backend takes (EncoderParams), what it gives (CodedFrame,
// one AvcConfig for the whole stream), and the rule by which a video is cut into chunks. The
// writer, renderSegment, stitchSegments and the worker pool depend on this module and on the
// registry (registry.ts) only, never on a backend: a backend is plugged in by adding it there.
import type { AvcConfig } from './avc.js';

export type { AvcConfig } from './avc.js';

/** The ids of the backends mp4forge has; results and segment records name the one that ran. */
export type EncoderId = 'wasm' | 'h264-mp4-encoder' | 'webcodecs';

/**
 * What `video.encoder` accepts: a backend id — `'wasm'` (mp4forge's own encoder, WebAssembly with
 * SIMD; the default), `'h264-mp4-encoder'` (minih264, the reference and the fallback where WASM
 * SIMD is missing), `'webcodecs'` (the platform's encoder) — or `'auto'` (WebCodecs where it can
 * encode these parameters, else WASM).
 */
export type EncoderChoice = 'auto' | EncoderId;

/** A backend as results and segment records name it. */
export interface BackendInfo {
  id: EncoderId;
  /** The version of the encoder behind the id (its package version, for a bundled one). */
  version: string;
}

/**
 * Encoder parameters, validated by options.ts. `speed` and `temporalDenoise` are undefined when
 * the caller did not set them: each backend applies its own default, and a backend that has no
 * such setting refuses it when it is set (options that do nothing are refused).
 */
export interface EncoderParams {
  width: number;
  height: number;
  /** Frame rate as a reduced fraction. */
  fpsNum: number;
  fpsDen: number;
  /** Constant quantiser; not used when `kbps` is set. */
  qp: number;
  /** Target bitrate in kbit/s (rate control); 0 = constant qp. */
  kbps: number;
  /** 0 (best) .. 10 (fastest); undefined = the backend's default. */
  speed?: number;
  /** Keyframe interval in frames. */
  gop: number;
  /** Temporal noise suppression; undefined = the backend's default (off). */
  temporalDenoise?: boolean;
}

/** One coded picture: AVCC bytes (4-byte big-endian NAL lengths), and whether it is an IDR. */
export interface CodedFrame {
  data: Uint8Array;
  keyframe: boolean;
}

/** Packed RGB layouts a backend may take directly (see {@link ChunkEncoder.encodeRgb}). */
export type RgbLayout = 'rgba' | 'bgra' | 'rgb24';

/** Sync or promise results: the WASM backends answer at once, WebCodecs encodes off-thread. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * One open encoder. Frames go in presentation order (no B-frames) in chunks of whole GOPs; every
 * chunk starts with an IDR and depends on nothing before it.
 */
export interface ChunkEncoder {
  readonly backend: BackendInfo;
  /** The SPS/PPS every frame refers to, known before the first frame. */
  readonly config: AvcConfig;
  /** Starts a chunk whose first frame is frame `firstFrameIndex` of the whole video (absolute). */
  beginChunk(firstFrameIndex: number): MaybePromise<void>;
  /**
   * Encodes one I420 frame (the buffer may be reused once this returns), or, without one, the frame
   * loadI420() took; returns the frames completed so far, in order.
   */
  encode(i420?: Uint8Array): MaybePromise<CodedFrame[]>;
  /** Ends the chunk and returns its remaining frames. */
  endChunk(): MaybePromise<CodedFrame[]>;
  /**
   * Optional: a buffer inside the encoder for the next packed RGB frame, so a producer can draw into
   * it and the frame is never copied (pair it with encodeRgb(layout) without pixels). Valid until the
   * next call on the encoder.
   */
  rgbView?(layout: RgbLayout): Uint8Array;
  /**
   * Optional: encodes a packed RGB frame, converted to I420 inside the encoder with the same
   * arithmetic as toI420 (src/encode/convert.ts), from `pixels`, or from what loadRgb() took or was drawn into rgbView().
   */
  encodeRgb?(layout: RgbLayout, pixels?: Uint8Array | Uint8ClampedArray): MaybePromise<CodedFrame[]>;
  /**
   * Optional, with encodeRgb: takes a packed RGB frame into the encoder now (`pixels` may be reused
   * at once); the next encodeRgb(layout) without pixels encodes it. Nothing else may call the
   * encoder in between.
   */
  loadRgb?(layout: RgbLayout, pixels: Uint8Array | Uint8ClampedArray): void;
  /**
   * Optional: takes an I420 frame into the encoder now (`i420` may be reused at once); the next
   * encode() without a frame encodes it. Nothing else may call the encoder in between.
   */
  loadI420?(i420: Uint8Array | Uint8ClampedArray): void;
  /** Frees the encoder. Safe to call more than once. */
  close(): MaybePromise<void>;
}

/** Where an encoder would run, for {@link EncoderBackend.supports}. */
export interface EncoderContext {
  /** Frames are encoded in worker threads, one chunk per worker (the pool). */
  inWorkers: boolean;
}

/** Why a backend cannot encode given parameters here: a runtime that lacks it, or an option it does not have. */
export type Support = { supported: true } | { supported: false; code: 'UNSUPPORTED_RUNTIME' | 'INVALID_OPTION'; reason: string };

/** A backend: the factory of {@link ChunkEncoder}s, registered in registry.ts. */
export interface EncoderBackend extends BackendInfo {
  /**
   * True when its chunks are independent and deterministic (same frames and parameters → same
   * bytes, whichever instance or thread encodes them), so chunks may be encoded by workers and
   * segments stitched. Never throws.
   */
  readonly chunked: boolean;
  /** Whether this backend can encode `params` here. Never throws. */
  supports(params: EncoderParams, context: EncoderContext): Promise<Support>;
  /** Opens an encoder; call after {@link supports} said yes. */
  create(params: EncoderParams): Promise<ChunkEncoder>;
  /**
   * Optional: the SPS/PPS that `create(params)` would give, known without an encoder kept open.
   * With it the worker pool starts taking frames while its workers are still starting (each
   * worker's own configuration is checked against it when the worker is ready); without it, the
   * pool waits for the workers first.
   */
  configFor?(params: EncoderParams): Promise<AvcConfig>;
}

/**
 * Frames per chunk: whole GOPs, at least 16 frames, so tiny GOPs do not pay a fresh encoder
 * instance every few frames. Chunk boundaries are at absolute multiples of this, which is what
 * lets workers encode chunks in parallel, and segments that start on one stitch into exactly the
 * bytes of a single render.
 */
export function chunkFramesFor(gop: number): number {
  return gop * Math.ceil(16 / gop);
}
