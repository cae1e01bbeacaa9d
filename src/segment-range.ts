// How a video is cut into segments: pure arithmetic, so a job queue can compute every segment's
// range up front and any worker can recompute its own from (k, n) alone.
import { chunkFramesFor } from './encode/backend.js';
import { Mp4ForgeError } from './errors.js';

/** A half-open range of absolute frame indices: frames `start`, …, `end - 1`. */
export interface FrameRange {
  start: number;
  end: number;
}

/**
 * The frames of segment `k` of `n` (k counted from 1) in a video of `total` frames.
 *
 * Boundaries fall on encoder chunk boundaries (`gop × ⌈16 / gop⌉` frames, a whole number of GOPs),
 * because the encoder starts a fresh instance at every chunk: a segment that starts on one encodes
 * to exactly the bytes a single render would produce for the same frames. Chunks are shared out
 * as evenly as possible; the last segment takes the partial chunk at the end, so segment sizes
 * differ by at most one chunk.
 *
 * @throws Mp4ForgeError `INVALID_OPTION` when the numbers are not positive integers, k > n, or
 *   there are fewer chunks than segments (some segment would be empty).
 *
 * @example
 * segmentRange(300, 2, 4, 60); // { start: 60, end: 120 } — chunks of 60 frames: 1, 1, 1, 2
 */
export function segmentRange(total: number, k: number, n: number, gop: number): FrameRange {
  const int = (name: string, v: number, min: number) => {
    if (!Number.isSafeInteger(v) || v < min)
      throw new Mp4ForgeError('INVALID_OPTION', `segmentRange: ${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  };
  int('total', total, 1);
  int('n', n, 1);
  int('k', k, 1);
  int('gop', gop, 1);
  if (k > n) throw new Mp4ForgeError('INVALID_OPTION', `segment ${k}/${n}: k must be between 1 and ${n}`);
  const unit = chunkFramesFor(gop);
  const chunks = Math.ceil(total / unit);
  if (n > chunks) {
    throw new Mp4ForgeError(
      'INVALID_OPTION',
      `${total} frames make ${chunks} chunk${chunks === 1 ? '' : 's'} of ${unit} frames (GOP ${gop}), too few for ${n} segments; use at most ${chunks} segment${chunks === 1 ? '' : 's'} or a shorter GOP`,
    );
  }
  const boundary = (i: number) => Math.min(total, unit * Math.floor((i * chunks) / n));
  return { start: boundary(k - 1), end: boundary(k) };
}
