// Validation and defaults for createMp4Writer. Every rejection names the option, what it got and
// what it expected, before anything reaches the WASM encoder (which aborts for good on bad input).
import { Mp4ForgeError } from './errors.js';
import type { EncoderBackend } from './encode/h264-backend.js';
import type { Layout } from './mux/types.js';

/** Frames per second: a number (e.g. 30, 29.97 is not allowed — use a fraction) or a fraction. */
export type FrameRate = number | { num: number; den: number };

/** Video encoder settings. Use either `qp` (constant quality) or `kbps` (target bitrate). */
export interface VideoOptions {
  /** Constant quantiser 10 (best) .. 51 (smallest). Default 26. Ignored when `kbps` is set. */
  qp?: number;
  /** Target bitrate in kbit/s; enables the encoder's rate control instead of constant qp. */
  kbps?: number;
  /**
   * 0 (best compression, slowest) .. 10 (fastest). Default 6: in `npm run bench:sweep` speeds 2–6
   * give identical output, as fast as 8 and 10–23% smaller at equal PSNR; 10 is about 1.9× faster
   * and 4–15% larger.
   */
  speed?: number;
  /** Keyframe interval in frames. Default: 2 seconds of frames. */
  gop?: number;
  /** Temporal noise suppression in the encoder. Default false. */
  temporalDenoise?: boolean;
  /**
   * The H.264 encoder: 'wasm' (default; h264-mp4-encoder, same bytes in every runtime),
   * 'webcodecs' (the browser's `VideoEncoder`; `UNSUPPORTED_RUNTIME` where it cannot encode
   * H.264) or 'auto' (WebCodecs when it can, else WASM). With WebCodecs, `kbps` is its bitrate and
   * `qp` its per-frame quantiser, or a bitrate derived from qp where it has no quantiser mode
   * (Chromium); `speed` and `temporalDenoise` do not apply.
   */
  encoder?: EncoderBackend;
}

export interface ResolvedVideo {
  width: number;
  height: number;
  fpsNum: number;
  fpsDen: number;
  fps: number;
  /** Media timescale and the per-frame duration in it. */
  timescale: number;
  frameDuration: number;
  qp: number;
  kbps: number;
  speed: number;
  gop: number;
  temporalDenoise: boolean;
  encoder: EncoderBackend;
}

/** H.264 level 5.2 MaxFS: the largest frame (in 16×16 macroblocks) minih264 encodes reliably. */
export const MAX_MACROBLOCKS = 36864;
export const MAX_SIDE = 4096;

export const DEFAULT_QP = 26;
export const DEFAULT_SPEED = 6;

function invalid(message: string): Mp4ForgeError {
  return new Mp4ForgeError('INVALID_OPTION', message);
}

function intIn(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw invalid(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function checkDimensions(width: unknown, height: unknown): { width: number; height: number } {
  for (const [name, v] of [['width', width], ['height', height]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new Mp4ForgeError('INVALID_DIMENSIONS', `${name} must be a positive even integer, got ${JSON.stringify(v)}`);
    }
    if (v % 2 !== 0) throw new Mp4ForgeError('INVALID_DIMENSIONS', `${name} must be even (4:2:0 chroma needs 2×2 blocks), got ${v}; try ${v + 1}`);
    if (v > MAX_SIDE) throw new Mp4ForgeError('INVALID_DIMENSIONS', `${name} must be at most ${MAX_SIDE}, got ${v}`);
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
  if (typeof fps === 'number') num = fps;
  else if (typeof fps === 'string' && /^\s*\d+(\s*\/\s*\d+)?\s*$/.test(fps)) {
    const [a, b] = fps.split('/').map((s) => Number(s.trim()));
    num = a;
    den = b ?? 1;
  } else if (fps && typeof fps === 'object' && 'num' in fps && 'den' in fps) {
    num = (fps as { num: number }).num;
    den = (fps as { den: number }).den;
  } else throw invalid(`fps must be a number like 30 or a fraction like {num: 30000, den: 1001} / "30000/1001", got ${JSON.stringify(fps)}`);
  if (!Number.isInteger(num) || !Number.isInteger(den) || num <= 0 || den <= 0) {
    throw invalid(`fps must be a positive integer or a fraction of positive integers (e.g. 30000/1001 for 29.97), got ${JSON.stringify(fps)}`);
  }
  const g = gcd(num, den);
  num /= g;
  den /= g;
  if (num / den > 240 || num / den < 0.1) throw invalid(`fps must be between 0.1 and 240, got ${num}/${den}`);
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

export function resolveVideo(width: unknown, height: unknown, fps: unknown, video: VideoOptions | undefined): ResolvedVideo {
  const dims = checkDimensions(width, height);
  const { num, den } = parseFrameRate(fps);
  if (video !== undefined && (typeof video !== 'object' || video === null)) throw invalid(`video must be an object, got ${JSON.stringify(video)}`);
  const v = video ?? {};
  const known = new Set(['qp', 'kbps', 'speed', 'gop', 'temporalDenoise', 'encoder']);
  for (const k of Object.keys(v)) if (!known.has(k)) throw invalid(`video.${k} is not an option; expected one of ${[...known].join(', ')}`);
  const rate = num / den;
  const qp = v.qp === undefined ? DEFAULT_QP : intIn('video.qp', v.qp, 10, 51);
  let kbps = 0;
  if (v.kbps !== undefined) {
    if (typeof v.kbps !== 'number' || !Number.isFinite(v.kbps) || v.kbps < rate || v.kbps > 200_000) {
      throw invalid(`video.kbps must be a number from ${Math.ceil(rate)} (1 kbit per frame) to 200000, got ${JSON.stringify(v.kbps)}`);
    }
    if (v.qp !== undefined) throw invalid('video.qp and video.kbps are exclusive: qp is constant quality, kbps is a target bitrate');
    kbps = v.kbps;
  }
  const speed = v.speed === undefined ? DEFAULT_SPEED : intIn('video.speed', v.speed, 0, 10);
  const gop = v.gop === undefined ? Math.max(1, Math.round(2 * rate)) : intIn('video.gop', v.gop, 1, 1000);
  if (v.temporalDenoise !== undefined && typeof v.temporalDenoise !== 'boolean') throw invalid(`video.temporalDenoise must be a boolean, got ${JSON.stringify(v.temporalDenoise)}`);
  const encoder = v.encoder ?? 'wasm';
  if (encoder !== 'wasm' && encoder !== 'webcodecs' && encoder !== 'auto') throw invalid(`video.encoder must be 'auto', 'wasm' or 'webcodecs', got ${JSON.stringify(v.encoder)}`);
  const { timescale, frameDuration } = videoTimescale(num, den);
  return { ...dims, fpsNum: num, fpsDen: den, fps: rate, timescale, frameDuration, qp, kbps, speed, gop, temporalDenoise: v.temporalDenoise ?? false, encoder };
}

export function resolveLayout(layout: unknown): Layout {
  if (layout === undefined) return 'faststart';
  if (layout === 'faststart' || layout === 'progressive' || layout === 'fragmented') return layout;
  throw invalid(`layout must be 'faststart', 'progressive' or 'fragmented', got ${JSON.stringify(layout)}`);
}
