// Packed RGB → planar I420 (BT.601, limited range), the input format of every encoder backend.
//
// Why not the encoder's own addFrameRgba: it uses the 8-bit 66/129/25 matrix, truncates instead
// of rounding (a systematic −0.5 bias on every sample) and takes each chroma sample from the
// top-left pixel of its 2×2 block, which aliases colour edges. Here every chroma sample is the
// rounded mean of its block (averaging RGB first, then converting once — the matrix is linear,
// so this equals converting four times and averaging, with a single rounding), and coefficients
// are the exact BT.601 values in 16-bit fixed point (see below).
import { Mp4ForgeError } from '../errors.js';
import { show } from '../validate.js';

/** Packed 8-bit RGB layouts accepted by {@link toI420}. Alpha is ignored. */
export type RgbPixelFormat = 'rgba' | 'bgra' | 'rgb24';

/** Every frame layout mp4forge accepts: packed RGB, or already-converted planar I420. */
export type PixelFormat = RgbPixelFormat | 'yuv420p';

// BT.601 limited range in 16-bit fixed point (×2^16); the exact values are
//   Y  =  16 + 0.256788 R + 0.504129 G + 0.097906 B
//   Cb = 128 − 0.148223 R − 0.290993 G + 0.439216 B
//   Cr = 128 + 0.439216 R − 0.367788 G − 0.071427 B
// Each row's integers were rounded so that the row sums exactly (Y: round(219/255·2^16) = 56284;
// Cb, Cr: 0), so white gives exactly 235 and every grey gives chroma exactly 128. Luma adds 16.5
// (offset plus rounding half) before >> 16; chroma works on the sum of four pixels, so it adds
// 128.5 × 4 before >> 18. Why 2^16 and not more: the WASM path (asm/convert.ts) multiplies in
// 16-bit lanes, and both paths must give the same bytes. Against the BT.601 formulas in floating
// point, about 0.05% of samples round the other way (off by one), all of them within 0.006 of a
// rounding boundary.
//
// The constants live inside the hot function on purpose: bundlers (esbuild, so tsup) emit
// module-level `const` as `var`, which V8 then reloads on every use instead of folding — measured
// 20% slower at 1080p.

/**
 * Bytes one frame occupies in `format` at `width`×`height`.
 *
 * @param format - pixel layout; `yuv420p` is planar I420 (Y, then U, then V at half size).
 * @param width - frame width in pixels, a positive integer (even for `yuv420p`).
 * @param height - frame height in pixels, a positive integer (even for `yuv420p`).
 * @throws Mp4ForgeError `INVALID_OPTION` for an unknown format, `INVALID_DIMENSIONS` for bad sizes.
 */
export function bytesPerFrame(format: PixelFormat, width: number, height: number): number {
  checkSize(width, height, format === 'yuv420p');
  switch (format) {
    case 'rgba':
    case 'bgra':
      return width * height * 4;
    case 'rgb24':
      return width * height * 3;
    case 'yuv420p':
      return (width * height * 3) / 2;
    default:
      throw new Mp4ForgeError('INVALID_OPTION', `unknown pixel format ${JSON.stringify(format)}; expected 'rgba', 'bgra', 'rgb24' or 'yuv420p'`);
  }
}

/**
 * Converts one packed RGB frame to I420 (BT.601 matrix, limited range: Y 16..235, Cb/Cr 16..240)
 * in `out`: the Y plane (`width*height` bytes), then U, then V (`width/2 * height/2` bytes each).
 * Each chroma sample is the correctly rounded mean of its 2×2 block. Alpha is ignored.
 * Allocation-free; `out` may be reused across frames.
 *
 * @param src - packed pixels, `width*height*4` bytes for `rgba`/`bgra`, `width*height*3` for `rgb24`.
 * @param format - byte order of `src`.
 * @param width - even, positive.
 * @param height - even, positive.
 * @param out - destination, exactly `width*height*3/2` bytes.
 * @throws Mp4ForgeError `INVALID_DIMENSIONS` for odd or non-positive sizes, `INVALID_FRAME` when a
 *   buffer has the wrong length, `INVALID_OPTION` for an unknown format.
 */
export function toI420(src: Uint8Array | Uint8ClampedArray, format: RgbPixelFormat, width: number, height: number, out: Uint8Array): void {
  checkSize(width, height, true);
  const channels = format === 'rgb24' ? 3 : format === 'rgba' || format === 'bgra' ? 4 : 0;
  if (channels === 0) {
    throw new Mp4ForgeError('INVALID_OPTION', `unknown RGB pixel format ${JSON.stringify(format)}; expected 'rgba', 'bgra' or 'rgb24'`);
  }
  const need = width * height * channels;
  if (!(src instanceof Uint8Array || src instanceof Uint8ClampedArray) || src.length !== need) {
    throw new Mp4ForgeError(
      'INVALID_FRAME',
      `source frame is ${show(src)}; expected a Uint8Array or Uint8ClampedArray of ${need} bytes (${width}×${height} ${format})`,
    );
  }
  const needOut = (width * height * 3) / 2;
  if (!(out instanceof Uint8Array) || out.length !== needOut) {
    throw new Mp4ForgeError('INVALID_FRAME', `I420 output buffer is ${show(out)}; expected a Uint8Array of ${needOut} bytes (${width}×${height}×1.5)`);
  }
  // Measured: reading RGBA as 32-bit words and unpacking with shifts is no faster than four
  // byte loads once the coefficients are folded constants (6.6 vs 6.5 ms at 1080p), so one
  // byte-addressed loop serves all three layouts.
  if (format === 'bgra') convertBytes(src, 4, 2, 0, width, height, out);
  else convertBytes(src, channels, 0, 2, width, height, out);
}

/**
 * The one conversion loop, two rows at a time: every 2×2 block is read once, gives four Y samples
 * and, from its RGB sums, one U and one V. `ro`/`bo` are the byte offsets of red and blue within a
 * pixel (green is always 1), `px` the bytes per pixel.
 */
function convertBytes(
  src: Uint8Array | Uint8ClampedArray,
  px: number,
  ro: number,
  bo: number,
  width: number,
  height: number,
  out: Uint8Array,
): void {
  const stride = width * px;
  const YR = 16829, YG = 33039, YB = 6416;
  const UR = -9714, UG = -19070, UB = 28784;
  const VR = 28784, VG = -24103, VB = -4681;
  const Y_ADD = (16 << 16) + (1 << 15);
  const C_ADD = (128 << 18) + (1 << 17);
  const ySize = width * height;
  const uBase = ySize;
  const vBase = ySize + (ySize >> 2);
  let ci = 0;
  for (let y = 0; y < height; y += 2) {
    let s0 = y * stride;
    let s1 = s0 + stride;
    let y0 = y * width;
    let y1 = y0 + width;
    const end = y1;
    while (y0 < end) {
      const r00 = src[s0 + ro];
      const g00 = src[s0 + 1];
      const b00 = src[s0 + bo];
      const r01 = src[s0 + px + ro];
      const g01 = src[s0 + px + 1];
      const b01 = src[s0 + px + bo];
      const r10 = src[s1 + ro];
      const g10 = src[s1 + 1];
      const b10 = src[s1 + bo];
      const r11 = src[s1 + px + ro];
      const g11 = src[s1 + px + 1];
      const b11 = src[s1 + px + bo];
      out[y0] = (YR * r00 + YG * g00 + YB * b00 + Y_ADD) >> 16;
      out[y0 + 1] = (YR * r01 + YG * g01 + YB * b01 + Y_ADD) >> 16;
      out[y1] = (YR * r10 + YG * g10 + YB * b10 + Y_ADD) >> 16;
      out[y1 + 1] = (YR * r11 + YG * g11 + YB * b11 + Y_ADD) >> 16;
      const r = r00 + r01 + r10 + r11;
      const g = g00 + g01 + g10 + g11;
      const b = b00 + b01 + b10 + b11;
      out[uBase + ci] = (UR * r + UG * g + UB * b + C_ADD) >> 18;
      out[vBase + ci] = (VR * r + VG * g + VB * b + C_ADD) >> 18;
      ci++;
      y0 += 2;
      y1 += 2;
      s0 += 2 * px;
      s1 += 2 * px;
    }
  }
}

function checkSize(width: number, height: number, even: boolean): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || (even && (width % 2 !== 0 || height % 2 !== 0))) {
    throw new Mp4ForgeError(
      'INVALID_DIMENSIONS',
      `frame size ${show(width)}×${show(height)} is invalid; expected positive${even ? ' even' : ''} integers`,
    );
  }
}

