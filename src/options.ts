// Validation and defaults, in one place per type of options object: the video settings, and the
// options of createMp4Writer, renderVideo, renderSegment and stitchSegments. Every refusal goes
// through src/validate.ts (one message template; unknown keys refused at every level, with a
// did-you-mean), before anything reaches an encoder (a bad value aborts h264-mp4-encoder for good).
import { chunkFramesFor, type EncoderChoice, type EncoderParams } from './encode/backend.js';
import { ENCODER_CHOICES } from './encode/registry.js';
import type { PixelFormat } from './encode/convert.js';
import { Mp4ForgeError } from './errors.js';
import type { Layout } from './mux/types.js';
import { WorkerPool } from './pool/worker-pool.js';
import type { AudioEncodeOptions, AudioLength } from './soundtrack.js';
import { conflict, optionsObject, refuse, show } from './validate.js';

/** Frames per second: a number (e.g. 30, 29.97 is not allowed — use a fraction) or a fraction. */
export type FrameRate = number | { num: number; den: number };

/** Video encoder settings. Use either `qp` (constant quality) or `kbps` (target bitrate). */
export interface VideoOptions {
  /**
   * Constant quantiser 0 (best) .. 51 (smallest); h264-mp4-encoder takes 10 .. 51. Default 26.
   * The 'wasm' encoder codes IDR pictures at qp − 3 (not below 0), as x264 does by default.
   */
  qp?: number;
  /** Target bitrate in kbit/s; enables the encoder's rate control instead of constant qp. */
  kbps?: number;
  /**
   * 0 (best compression, slowest) .. 10 (fastest): how much searching the encoder does (README,
   * "How the encoder works", lists the tools of each level). Default 8 for 'wasm' (chosen with
   * `npm run bench:sweep`), 6 for 'h264-mp4-encoder' (1 with `temporalDenoise: true`). WASM encoders
   * only (refused with 'webcodecs').
   */
  speed?: number;
  /** Keyframe interval in frames. Default: 2 seconds of frames. */
  gop?: number;
  /**
   * Temporal noise suppression in the encoder. Default false. 'h264-mp4-encoder' only (refused by
   * 'wasm' and 'webcodecs'), which denoises only at speed 0 or 1: with it, that encoder's default
   * speed is 1 and a speed above 1 is refused.
   */
  temporalDenoise?: boolean;
  /**
   * The H.264 encoder: 'wasm' (default; mp4forge's own encoder, WebAssembly with SIMD, the same
   * bytes in every runtime), 'h264-mp4-encoder' (minih264: the reference mp4forge is measured
   * against, and the fallback where WebAssembly SIMD is missing), 'webcodecs' (the platform's
   * `VideoEncoder`; `UNSUPPORTED_RUNTIME` where it cannot encode H.264) or 'auto' (WebCodecs when it
   * can, else 'wasm', else 'h264-mp4-encoder': the first that takes these options, so
   * `temporalDenoise: true` picks 'h264-mp4-encoder'). With WebCodecs, `kbps` is its bitrate and `qp` its
   * per-frame quantiser, or a bitrate derived from qp where it has no quantiser mode (Chromium).
   * Results name the backend that ran (`videoEncoder`).
   */
  encoder?: EncoderChoice;
}

const VIDEO_KEYS = ['qp', 'kbps', 'speed', 'gop', 'temporalDenoise', 'encoder'] as const;

export interface ResolvedVideo {
  width: number;
  height: number;
  fpsNum: number;
  fpsDen: number;
  /** Media timescale and the per-frame duration in it. */
  timescale: number;
  frameDuration: number;
  gop: number;
  /** Frames per independently encoded chunk (see chunkFramesFor). */
  chunkFrames: number;
  /** What the encoder backend is given. */
  params: EncoderParams;
  encoder: EncoderChoice;
}

/** H.264 level 5.2 MaxFS: the largest frame (in 16×16 macroblocks) minih264 encodes reliably. */
export const MAX_MACROBLOCKS = 36864;
export const MAX_SIDE = 4096;

export const DEFAULT_QP = 26;

function intIn(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw refuse(name, `an integer from ${min} to ${max}`, v);
  return v;
}

export function checkDimensions(width: unknown, height: unknown): { width: number; height: number } {
  for (const [name, v] of [['width', width], ['height', height]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw refuse(name, 'a positive even integer', v, 'INVALID_DIMENSIONS');
    if (v % 2 !== 0) throw new Mp4ForgeError('INVALID_DIMENSIONS', `${name} must be even (4:2:0 chroma needs 2×2 blocks), got ${v}; try ${v + 1}`);
    if (v > MAX_SIDE) throw refuse(name, `at most ${MAX_SIDE}`, v, 'INVALID_DIMENSIONS');
  }
  const w = width as number;
  const h = height as number;
  const mbs = Math.ceil(w / 16) * Math.ceil(h / 16);
  if (mbs > MAX_MACROBLOCKS) {
    throw new Mp4ForgeError('INVALID_DIMENSIONS', `${w}×${h} is ${mbs} macroblocks; H.264 allows at most ${MAX_MACROBLOCKS} (e.g. 4096×2304)`);
  }
  return { width: w, height: h };
}

/** Parses 30, "30", "30000/1001" or {num, den} into a reduced fraction. */
export function parseFrameRate(fps: unknown): { num: number; den: number } {
  let num: number;
  let den = 1;
  const expected = 'a number like 30 or a fraction like {num: 30000, den: 1001} / "30000/1001"';
  if (typeof fps === 'number') num = fps;
  else if (typeof fps === 'string' && /^\s*\d+(\s*\/\s*\d+)?\s*$/.test(fps)) {
    const [a, b] = fps.split('/').map((s) => Number(s.trim()));
    num = a;
    den = b ?? 1;
  } else if (fps && typeof fps === 'object' && !Array.isArray(fps)) {
    const f = optionsObject(fps, 'fps', ['num', 'den']);
    num = f.num as number;
    den = f.den as number;
  } else throw refuse('fps', expected, fps);
  if (!Number.isInteger(num) || !Number.isInteger(den) || num <= 0 || den <= 0) {
    throw refuse('fps', 'a positive integer or a fraction of positive integers (e.g. 30000/1001 for 29.97)', fps);
  }
  const g = gcd(num, den);
  num /= g;
  den /= g;
  if (num / den > 240 || num / den < 0.1) throw refuse('fps', 'between 0.1 and 240', `${num}/${den}`);
  return { num, den };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** 90 kHz when a frame is a whole number of its ticks (30, 25, 30000/1001, ...), else the rate's own numerator. */
export function videoTimescale(num: number, den: number): { timescale: number; frameDuration: number } {
  if ((90000 * den) % num === 0) return { timescale: 90000, frameDuration: (90000 * den) / num };
  return { timescale: num, frameDuration: den };
}

export function resolveVideo(width: unknown, height: unknown, fps: unknown, video: unknown): ResolvedVideo {
  const dims = checkDimensions(width, height);
  const { num, den } = parseFrameRate(fps);
  const v = (video === undefined ? {} : optionsObject(video, 'video', VIDEO_KEYS)) as VideoOptions;
  const rate = num / den;
  // H.264's range; a backend with a narrower one (h264-mp4-encoder: 10–51) refuses the rest itself.
  const qp = v.qp === undefined ? DEFAULT_QP : intIn('video.qp', v.qp, 0, 51);
  let kbps = 0;
  if (v.kbps !== undefined) {
    if (typeof v.kbps !== 'number' || !Number.isFinite(v.kbps) || v.kbps < rate || v.kbps > 200_000) {
      throw refuse('video.kbps', `a number from ${Math.ceil(rate)} (1 kbit per frame) to 200000`, v.kbps);
    }
    if (v.qp !== undefined)
      throw new Mp4ForgeError('INVALID_OPTION', 'video.qp and video.kbps are exclusive: qp is constant quality, kbps is a target bitrate');
    kbps = v.kbps;
  }
  const speed = v.speed === undefined ? undefined : intIn('video.speed', v.speed, 0, 10);
  const gop = v.gop === undefined ? Math.max(1, Math.round(2 * rate)) : intIn('video.gop', v.gop, 1, 1000);
  if (v.temporalDenoise !== undefined && typeof v.temporalDenoise !== 'boolean') throw refuse('video.temporalDenoise', 'a boolean', v.temporalDenoise);
  const encoder = v.encoder ?? 'wasm';
  if (!ENCODER_CHOICES.includes(encoder)) throw refuse('video.encoder', oneOf(ENCODER_CHOICES), v.encoder);
  const { timescale, frameDuration } = videoTimescale(num, den);
  const params: EncoderParams = {
    ...dims,
    fpsNum: num,
    fpsDen: den,
    qp,
    kbps,
    gop,
    ...(speed !== undefined ? { speed } : {}),
    ...(v.temporalDenoise !== undefined ? { temporalDenoise: v.temporalDenoise } : {}),
  };
  return { ...dims, fpsNum: num, fpsDen: den, timescale, frameDuration, gop, chunkFrames: chunkFramesFor(gop), params, encoder };
}

/** `'a', 'b' or 'c'`. */
export function oneOf(values: readonly string[]): string {
  const q = values.map((x) => `'${x}'`);
  return q.length < 2 ? q.join('') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

const LAYOUTS: readonly Layout[] = ['faststart', 'progressive', 'fragmented'];

export function resolveLayout(layout: unknown, name = 'layout'): Layout {
  if (layout === undefined) return 'faststart';
  if (LAYOUTS.includes(layout as Layout)) return layout as Layout;
  throw refuse(name, oneOf(LAYOUTS), layout);
}

const AUDIO_LENGTHS: readonly AudioLength[] = ['trim', 'full', 'loop'];

export function resolveAudioLength(v: unknown, hasAudio: boolean): AudioLength {
  if (v === undefined) return 'trim';
  if (!hasAudio) throw conflict('audioLength applies to a soundtrack, and there is no audio option', 'audioLength');
  if (AUDIO_LENGTHS.includes(v as AudioLength)) return v as AudioLength;
  throw refuse('audioLength', oneOf(AUDIO_LENGTHS), v);
}

const AUDIO_ENCODING_KEYS = ['kbps', 'channels', 'sampleRate'] as const;

/**
 * `audioEncoding`: its keys here, its values in the MP3 encoder (which knows the rates). It applies
 * to PCM only (an MP3 is muxed as is), and its `sampleRate` to a bare Float32Array[] only.
 */
export function resolveAudioEncoding(v: unknown, audio: unknown): AudioEncodeOptions | undefined {
  if (v === undefined) return undefined;
  const encoding: AudioEncodeOptions = optionsObject(v, 'audioEncoding', AUDIO_ENCODING_KEYS);
  const planes = Array.isArray(audio);
  const pcm = planes || (audio !== null && typeof audio === 'object' && typeof (audio as { sampleRate?: unknown }).sampleRate === 'number');
  if (!pcm) {
    const why = audio === undefined ? 'there is no audio option' : 'an MP3 is muxed as is, without re-encoding';
    throw conflict(`audioEncoding applies to PCM audio; ${why}`, 'audioEncoding');
  }
  if (encoding.sampleRate !== undefined && !planes) {
    throw conflict('audioEncoding.sampleRate is the rate of a bare Float32Array[]; a PCM source gives its own sampleRate', 'audioEncoding.sampleRate');
  }
  return encoding;
}

const PIXEL_FORMATS: readonly PixelFormat[] = ['rgba', 'bgra', 'rgb24', 'yuv420p'];

export function resolvePixelFormat(v: unknown): PixelFormat {
  if (v === undefined) return 'rgba';
  if (PIXEL_FORMATS.includes(v as PixelFormat)) return v as PixelFormat;
  throw refuse('pixelFormat', oneOf(PIXEL_FORMATS), v);
}

/**
 * `workers`: 0 = in-process; 'auto' = one per available core (resolved later, where cores are
 * known); a WorkerPool = its threads, lent for this writer.
 */
export function resolveWorkers(v: unknown, fallback: number | 'auto'): number | 'auto' | WorkerPool {
  if (v === undefined) return fallback;
  if (v === 'auto' || v instanceof WorkerPool) return v;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 256) {
    throw refuse('workers', "'auto', an integer from 0 (no workers) to 256, or a WorkerPool from createWorkerPool()", v);
  }
  return v;
}

export function resolveCallback<T extends (...a: never[]) => unknown>(v: unknown, name: string): T | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'function') throw refuse(name, 'a function', v);
  return v as T;
}

export function resolveSignal(v: unknown): AbortSignal | undefined {
  if (v === undefined) return undefined;
  const s: Partial<Record<'aborted' | 'addEventListener', unknown>> | null = typeof v === 'object' ? v : null;
  if (!s || typeof s.aborted !== 'boolean' || typeof s.addEventListener !== 'function') throw refuse('signal', 'an AbortSignal', v);
  return v as AbortSignal;
}

/** The aborted signal as an error. */
export function abortedError(signal: AbortSignal): Mp4ForgeError {
  const reason: unknown = signal.reason;
  const why = reason instanceof Error ? reason.message : reason === undefined ? 'signal aborted' : show(reason);
  return new Mp4ForgeError('ABORTED', `Aborted: ${why}`, { cause: reason });
}

/** Checks a positive frame count. */
export function resolveFrameCount(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw refuse(name, 'a positive integer', v);
  return v;
}

export { show };
