// Colour bars with the frame counter drawn as a grid of big black/white cells, and the reader that
// gets the counter back out of a decoded frame — so a test can check, after real lossy coding,
// that every frame arrived, once and in order.
//
// Layout (any size from 64×64 up): the top half holds seven 75% colour bars; the bottom half is an
// 8×4 grid of cells, each a whole black or white block (≥ 8×8 px at 64×64, so it survives coarse
// quantisation). Cells carry 32 bits, MSB first, row-major: the frame index modulo 2^24, XOR a
// fixed mask (so frame 0 is not an all-black band), then a CRC-8 of the index XOR a fixed byte (so
// an all-black or all-white band is never a valid code). The reader averages the central quarter
// of each cell, refuses cells that are neither clearly dark nor clearly bright, and checks the CRC.
import { Mp4ForgeError } from '../errors.js';
import { show } from '../validate.js';

const COLS = 8;
const ROWS = 4;
const DATA_BITS = 24;
const DATA_MASK = 0x5a3c96;
const CRC_MASK = 0xa5;

/** Frame counters wrap at this value: {@link readBarsCounter} returns `frameIndex % BARS_COUNTER_MODULUS`. */
export const BARS_COUNTER_MODULUS = 1 << DATA_BITS;

// 75% bars, SMPTE order: white, yellow, cyan, green, magenta, red, blue.
const BAR_COLORS: readonly (readonly [number, number, number])[] = [
  [191, 191, 191],
  [191, 191, 0],
  [0, 191, 191],
  [0, 191, 0],
  [191, 0, 191],
  [191, 0, 0],
  [0, 0, 191],
];

/** Smallest frame the counter can be read from (cells of 2×2 pixels; ≥ 64×64 survives lossy coding). */
const MIN_SIZE = 16;

/**
 * Throws `INVALID_DIMENSIONS` / `INVALID_FRAME` unless `rgba` is a `width`×`height` RGBA frame.
 * Shared by every pattern generator.
 */
export function assertRgbaFrame(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number, what = 'frame'): void {
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0) {
    throw new Mp4ForgeError('INVALID_DIMENSIONS', `${what} size ${show(width)}×${show(height)} is invalid; expected positive integers`);
  }
  if (!(rgba instanceof Uint8Array || rgba instanceof Uint8ClampedArray)) {
    throw new Mp4ForgeError('INVALID_FRAME', `${what} buffer is ${show(rgba)}; expected a Uint8Array or Uint8ClampedArray of ${width * height * 4} bytes`);
  }
  if (rgba.length !== width * height * 4) {
    throw new Mp4ForgeError(
      'INVALID_FRAME',
      `${what} buffer has ${rgba.length} bytes; expected ${width * height * 4} (${width}×${height} RGBA, 4 bytes per pixel)`,
    );
  }
}

/** Throws `INVALID_OPTION` unless `frameIndex` is a non-negative safe integer. */
export function assertFrameIndex(frameIndex: number): void {
  if (!Number.isSafeInteger(frameIndex) || frameIndex < 0) {
    throw new Mp4ForgeError('INVALID_OPTION', `frameIndex ${show(frameIndex)} is invalid; expected a non-negative integer`);
  }
}

/**
 * Draws colour bars and the frame counter of `frameIndex` into `rgba` (alpha 255). Any size can be
 * drawn; the counter can be read back with {@link readBarsCounter} from 16×16 up, and after lossy
 * H.264 coding from 64×64 up (tested at qp 36–40).
 *
 * @param rgba - destination, `width*height*4` bytes.
 * @param frameIndex - non-negative integer; the counter shows it modulo 2^24.
 * @throws Mp4ForgeError `INVALID_FRAME` for a buffer of the wrong length, `INVALID_DIMENSIONS` for
 *   a non-positive size, `INVALID_OPTION` for a bad frame index.
 */
export function drawBars(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number, frameIndex: number): void {
  assertRgbaFrame(rgba, width, height);
  assertFrameIndex(frameIndex);
  const stride = width * 4;
  const top = height >> 1;

  // One row per band is drawn, then replicated with copyWithin (a memmove): cheap even at 4K.
  for (let i = 0; i < BAR_COLORS.length; i++) {
    const [r, g, b] = BAR_COLORS[i];
    fillSpan(rgba, span(i, BAR_COLORS.length, width) * 4, span(i + 1, BAR_COLORS.length, width) * 4, r, g, b);
  }
  replicateRow(rgba, stride, 0, top);

  const bits = codeWord(frameIndex % BARS_COUNTER_MODULUS);
  const band = height - top;
  for (let row = 0; row < ROWS; row++) {
    const y0 = top + span(row, ROWS, band);
    const y1 = top + span(row + 1, ROWS, band);
    const base = y0 * stride;
    for (let col = 0; col < COLS; col++) {
      const bit = (bits >>> (31 - (row * COLS + col))) & 1;
      const v = bit ? 255 : 0;
      fillSpan(rgba, base + span(col, COLS, width) * 4, base + span(col + 1, COLS, width) * 4, v, v, v);
    }
    replicateRow(rgba, stride, y0, y1);
  }
}

/**
 * Reads the frame counter drawn by {@link drawBars} from a decoded frame: packed RGB24 (as
 * ffmpeg's `-pix_fmt rgb24` gives) or RGBA, of the size it was drawn at.
 *
 * @param pixels - `width*height*channels` bytes.
 * @param channels - 3 for RGB24, 4 for RGBA (alpha ignored).
 * @returns the frame index modulo 2^24.
 * @throws Mp4ForgeError `INVALID_FRAME` when the buffer has the wrong length, a cell is neither
 *   clearly black nor clearly white, or the check byte does not match (a misread or no counter);
 *   `INVALID_DIMENSIONS` below 16×16; `INVALID_OPTION` when `channels` is not 3 or 4.
 */
export function readBarsCounter(pixels: Uint8Array, channels: 3 | 4, width: number, height: number): number {
  if (channels !== 3 && channels !== 4) {
    throw new Mp4ForgeError('INVALID_OPTION', `channels ${show(channels)} is invalid; expected 3 (RGB24) or 4 (RGBA)`);
  }
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0) {
    throw new Mp4ForgeError('INVALID_DIMENSIONS', `frame size ${show(width)}×${show(height)} is invalid; expected positive integers`);
  }
  assertCodeSize(width, height);
  if (!(pixels instanceof Uint8Array || (pixels as unknown) instanceof Uint8ClampedArray) || pixels.length !== width * height * channels) {
    throw new Mp4ForgeError(
      'INVALID_FRAME',
      `frame buffer is ${show(pixels)}; expected ${width * height * channels} bytes (${width}×${height}, ${channels} bytes per pixel)`,
    );
  }
  const top = height >> 1;
  const band = height - top;
  let word = 0;
  for (let row = 0; row < ROWS; row++) {
    const y0 = top + span(row, ROWS, band);
    const y1 = top + span(row + 1, ROWS, band);
    for (let col = 0; col < COLS; col++) {
      const x0 = span(col, COLS, width);
      const x1 = span(col + 1, COLS, width);
      const level = cellLevel(pixels, channels, width, x0, x1, y0, y1);
      // Clean cells decode near 0 or 255; anything in the middle third is a misread, not a bit.
      if (level > 85 && level < 170) {
        throw new Mp4ForgeError(
          'INVALID_FRAME',
          `bars counter unreadable: cell ${row * COLS + col} (row ${row}, column ${col}) has mean level ${level.toFixed(1)}; expected < 85 (black) or > 170 (white)`,
        );
      }
      word = (word << 1) | (level >= 128 ? 1 : 0);
    }
  }
  word >>>= 0;
  const value = (word >>> 8) ^ DATA_MASK;
  const check = (word & 0xff) ^ CRC_MASK;
  if (check !== crc8(value)) {
    throw new Mp4ForgeError(
      'INVALID_FRAME',
      `bars counter unreadable: check byte 0x${check.toString(16)} does not match CRC-8 0x${crc8(value).toString(16)} of the decoded value ${value}; the frame has no counter or it was misread`,
    );
  }
  return value;
}

/** The 32 cell bits for a counter value (< 2^24). */
function codeWord(value: number): number {
  return (((value ^ DATA_MASK) << 8) | (crc8(value) ^ CRC_MASK)) >>> 0;
}

/** CRC-8, polynomial x^8+x^2+x+1 (0x07), over the three bytes of a 24-bit value, MSB first. */
function crc8(value: number): number {
  let crc = 0;
  for (let i = 2; i >= 0; i--) {
    crc ^= (value >>> (i * 8)) & 0xff;
    for (let k = 0; k < 8; k++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

/** Start of part `i` of `n` equal parts of `length` (integer edges; parts differ by ≤ 1). */
function span(i: number, n: number, length: number): number {
  return Math.floor((i * length) / n);
}

/** Mean of (R+G+B)/3 over the central half (each way) of a cell, sampling at most ~32×32 points. */
function cellLevel(px: Uint8Array, ch: number, width: number, x0: number, x1: number, y0: number, y1: number): number {
  const qx = (x1 - x0) >> 2;
  const qy = (y1 - y0) >> 2;
  const ax = x0 + qx;
  const bx = Math.max(ax + 1, x1 - qx);
  const ay = y0 + qy;
  const by = Math.max(ay + 1, y1 - qy);
  const sx = Math.max(1, ((bx - ax) / 32) | 0);
  const sy = Math.max(1, ((by - ay) / 32) | 0);
  let sum = 0;
  let n = 0;
  for (let y = ay; y < by; y += sy) {
    for (let x = ax, o = (y * width + ax) * ch; x < bx; x += sx, o += sx * ch) {
      sum += px[o] + px[o + 1] + px[o + 2];
      n++;
    }
  }
  return sum / (3 * n);
}

function assertCodeSize(width: number, height: number): void {
  if (width < MIN_SIZE || height < MIN_SIZE) {
    throw new Mp4ForgeError('INVALID_DIMENSIONS', `bars need at least ${MIN_SIZE}×${MIN_SIZE} pixels to carry the frame counter; got ${width}×${height}`);
  }
}

/** Fills bytes [from, to) of `rgba` (pixel-aligned offsets) with one opaque colour. */
function fillSpan(rgba: Uint8Array | Uint8ClampedArray, from: number, to: number, r: number, g: number, b: number): void {
  for (let o = from; o < to; o += 4) {
    rgba[o] = r;
    rgba[o + 1] = g;
    rgba[o + 2] = b;
    rgba[o + 3] = 255;
  }
}

/** Copies row `y0` over rows y0+1 .. y1-1, doubling the copied block each step. */
function replicateRow(rgba: Uint8Array | Uint8ClampedArray, stride: number, y0: number, y1: number): void {
  const src = y0 * stride;
  for (let done = 1; y0 + done < y1; ) {
    const n = Math.min(done, y1 - y0 - done);
    rgba.copyWithin(src + done * stride, src, src + n * stride);
    done += n;
  }
}

