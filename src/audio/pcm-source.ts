// PCM input for the MP3 encoder: a pull interface (streaming, bounded memory) and a whole-buffer
// form, normalised to one pull interface that checks every block it hands on.
import { Mp4ForgeError } from '../errors.js';
import { closest, show } from '../validate.js';

/**
 * A streaming source of planar float PCM.
 *
 * `pull(frames)` returns one `Float32Array` per channel, all the same length, between 1 and
 * `frames` sample frames long, or `null` once the source is exhausted. Values are nominally in
 * [-1, 1]; anything outside is clipped when converted to 16-bit, NaN becomes silence.
 * The returned arrays are only read before the next `pull`, so a source may reuse them.
 */
export interface PcmPullSource {
  /** Samples per second per channel (integer). */
  readonly sampleRate: number;
  /** 1 = mono, 2 = stereo (plane 0 = left, plane 1 = right). */
  readonly channels: 1 | 2;
  pull(frames: number): Float32Array[] | null;
}

/** Whole-buffer PCM: one `Float32Array` per channel (1 or 2), all the same length. */
export interface PcmBufferSource {
  /** Samples per second per channel (integer). */
  readonly sampleRate: number;
  readonly planes: Float32Array[];
}

/** Either a streaming {@link PcmPullSource} or a whole {@link PcmBufferSource}. */
export type PcmSource = PcmPullSource | PcmBufferSource;

/** True when `source` is the streaming form. */
export function isPcmPullSource(source: PcmSource): source is PcmPullSource {
  return typeof (source as Partial<PcmPullSource>).pull === 'function';
}

function checkSampleRate(sampleRate: unknown, what: string): number {
  if (typeof sampleRate !== 'number' || !Number.isInteger(sampleRate) || sampleRate <= 0) {
    throw new Mp4ForgeError('INVALID_OPTION', `${what}: sampleRate must be a positive integer (Hz), got ${show(sampleRate)}`);
  }
  return sampleRate;
}

/**
 * Validates a {@link PcmSource} and returns it as a pull source whose blocks are checked:
 * right plane count, equal lengths, 1..frames long. The whole-buffer form is served as
 * `subarray` views, never copied.
 *
 * @throws Mp4ForgeError `INVALID_OPTION` for a malformed source up front; `INVALID_FRAME` when
 *   a pulled block has the wrong shape; `USER_CALLBACK_FAILED` when `pull` itself throws.
 */
export function toCheckedPullSource(source: PcmSource): PcmPullSource {
  if (source === null || typeof source !== 'object') {
    throw new Mp4ForgeError('INVALID_OPTION', `PCM source must be an object with sampleRate and pull() or planes, got ${show(source)}`);
  }
  // An object literal is checked for misspelt keys, like every options object; an object of a
  // class of the caller's (a pull source with state of its own) may carry anything else.
  if (Object.getPrototypeOf(source) === Object.prototype) {
    const pull = isPcmPullSource(source);
    const allowed = pull ? ['sampleRate', 'channels', 'pull'] : ['sampleRate', 'planes'];
    for (const key of Object.keys(source)) {
      if (allowed.includes(key)) continue;
      const guess = closest(key, allowed);
      throw new Mp4ForgeError(
        'INVALID_OPTION',
        `PCM ${pull ? 'pull' : 'buffer'} source: ${key} is not one of its keys${guess ? ` (did you mean ${guess}?)` : ''}; expected ${allowed.join(', ')}`,
        { details: { option: key } },
      );
    }
  }
  if (isPcmPullSource(source)) {
    const sampleRate = checkSampleRate(source.sampleRate, 'PCM pull source');
    const channels = source.channels;
    if (channels !== 1 && channels !== 2) {
      throw new Mp4ForgeError('INVALID_OPTION', `PCM pull source: channels must be 1 or 2, got ${show(channels)}`);
    }
    let ended = false;
    return {
      sampleRate,
      channels,
      pull(frames: number): Float32Array[] | null {
        if (ended) return null;
        let block: Float32Array[] | null;
        try {
          block = source.pull(frames);
        } catch (cause) {
          throw new Mp4ForgeError('USER_CALLBACK_FAILED', `PCM source pull(${frames}) threw: ${(cause as Error)?.message ?? String(cause)}`, { cause });
        }
        if (block === null) {
          ended = true;
          return null;
        }
        checkBlock(block, channels, frames);
        return block;
      },
    };
  }
  const sampleRate = checkSampleRate(source.sampleRate, 'PCM buffer source');
  const planes = (source as Partial<PcmBufferSource>).planes;
  if (!Array.isArray(planes) || (planes.length !== 1 && planes.length !== 2)) {
    throw new Mp4ForgeError(
      'INVALID_OPTION',
      `PCM buffer source: planes must be an array of 1 or 2 Float32Arrays (one per channel), got ${Array.isArray(planes) ? `${planes.length} planes` : typeof planes}`,
    );
  }
  for (const p of planes) {
    if (!(p instanceof Float32Array)) {
      throw new Mp4ForgeError('INVALID_OPTION', 'PCM buffer source: every plane must be a Float32Array');
    }
  }
  const length = planes[0].length;
  if (planes.length === 2 && planes[1].length !== length) {
    throw new Mp4ForgeError('INVALID_OPTION', `PCM buffer source: planes differ in length (${length} vs ${planes[1].length}); they must be equal`);
  }
  const channels = planes.length;
  let pos = 0;
  return {
    sampleRate,
    channels,
    pull(frames: number): Float32Array[] | null {
      if (pos >= length) return null;
      const end = Math.min(length, pos + frames);
      const out = channels === 1 ? [planes[0].subarray(pos, end)] : [planes[0].subarray(pos, end), planes[1].subarray(pos, end)];
      pos = end;
      return out;
    },
  };
}

function checkBlock(block: unknown, channels: number, frames: number): asserts block is Float32Array[] {
  if (!Array.isArray(block) || block.length !== channels) {
    throw new Mp4ForgeError(
      'INVALID_FRAME',
      `PCM source pull() must return ${channels} Float32Array plane(s) or null, got ${Array.isArray(block) ? `${block.length} planes` : typeof block}`,
    );
  }
  const n = (block[0] as Float32Array | undefined)?.length;
  for (const p of block) {
    if (!(p instanceof Float32Array)) {
      throw new Mp4ForgeError('INVALID_FRAME', 'PCM source pull() must return Float32Array planes');
    }
    if (p.length !== n) {
      throw new Mp4ForgeError('INVALID_FRAME', `PCM source pull() returned planes of different lengths (${n} vs ${p.length})`);
    }
  }
  // An empty block would let a broken source spin forever; the end is signalled with null.
  if (n === undefined || n === 0 || n > frames) {
    throw new Mp4ForgeError(
      'INVALID_FRAME',
      `PCM source pull(${frames}) must return between 1 and ${frames} samples per plane (null at the end), got ${n ?? 0}`,
    );
  }
}
