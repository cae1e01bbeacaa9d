// Packed RGB (RGBA, BGRA, RGB24) → I420, BT.601 limited range, with each chroma sample the rounded
// mean of its 2×2 block: the same 16-bit fixed-point arithmetic as src/encode/convert.ts (the JS
// path, also the scalar reference the kernel tests compare with), so both give identical bytes.
//
// The multiplies are i32x4.dot_i16x8_s (two 16-bit products summed per 32-bit lane; pmaddwd on
// x86, where i32x4.mul is a slow two-uop pmulld). Four pixels become two vectors of 16-bit lanes
// by one byte shuffle each (which also zero-extends and handles the three layouts): (R, G) pairs
// and (B, G) pairs, so that two dot products give four weighted sums. Green appears twice, and
// its luma coefficient, too large for one signed 16-bit lane at 2^16 scale, is split between them.

// BT.601 ×2^16, rows rounded to sum exactly (see src/encode/convert.ts). Green's luma coefficient
// 33039 is 16519 + 16520, one half per copy of G.
const YR: i32 = 16829, YG1: i32 = 16519, YB: i32 = 6416, YG2: i32 = 16520;
const UR: i32 = -9714, UG: i32 = -19070, UB: i32 = 28784;
const VR: i32 = 28784, VG: i32 = -24103, VB: i32 = -4681;
const Y_ADD: i32 = (16 << 16) + (1 << 15);
const C_ADD: i32 = (128 << 18) + (1 << 17);

export const FORMAT_RGBA: i32 = 0;
export const FORMAT_BGRA: i32 = 1;
export const FORMAT_RGB24: i32 = 2;

const Z: u8 = 0x80; // a shuffle index past both inputs' bytes, for a zero

/** Four pixels at `p` as 16-bit (R, G) pairs (a literal `format` folds the branch away). */
// @ts-ignore: decorator
@inline function rg4(v: v128, format: i32): v128 {
  if (format == FORMAT_RGB24) return i8x16.swizzle(v, i8x16(0, Z, 1, Z, 3, Z, 4, Z, 6, Z, 7, Z, 9, Z, 10, Z));
  if (format == FORMAT_BGRA) return i8x16.swizzle(v, i8x16(2, Z, 1, Z, 6, Z, 5, Z, 10, Z, 9, Z, 14, Z, 13, Z));
  return i8x16.swizzle(v, i8x16(0, Z, 1, Z, 4, Z, 5, Z, 8, Z, 9, Z, 12, Z, 13, Z));
}

/** The same four pixels as 16-bit (B, G) pairs. */
// @ts-ignore: decorator
@inline function bg4(v: v128, format: i32): v128 {
  if (format == FORMAT_RGB24) return i8x16.swizzle(v, i8x16(2, Z, 1, Z, 5, Z, 4, Z, 8, Z, 7, Z, 11, Z, 10, Z));
  if (format == FORMAT_BGRA) return i8x16.swizzle(v, i8x16(0, Z, 1, Z, 4, Z, 5, Z, 8, Z, 9, Z, 12, Z, 13, Z));
  return i8x16.swizzle(v, i8x16(2, Z, 1, Z, 6, Z, 5, Z, 10, Z, 9, Z, 14, Z, 13, Z));
}

/** Weighted sums of four pixels (or chroma blocks) from their (R, G) and (B, G) pairs, plus `add`. */
// @ts-ignore: decorator
@inline function weigh4(rg: v128, bg: v128, kRg: v128, kBg: v128, add: v128): v128 {
  return i32x4.add(i32x4.add(i32x4.dot_i16x8_s(rg, kRg), i32x4.dot_i16x8_s(bg, kBg)), add);
}

/** Sums of horizontally adjacent pixel pairs (each pixel one 32-bit lane of two 16-bit values) of `a` then `b`. */
// @ts-ignore: decorator
@inline function pairs(a: v128, b: v128): v128 {
  return i16x8.add(v128.shuffle<i32>(a, b, 0, 2, 4, 6), v128.shuffle<i32>(a, b, 1, 3, 5, 7));
}

/**
 * Converts a width x height frame at `src` (packed, `format`) into the planes at outY/outU/outV
 * (strides width and width / 2).
 */
export function rgbToI420(src: usize, format: i32, width: i32, height: i32, outY: usize, outU: usize, outV: usize): void {
  if (format == FORMAT_RGBA) convertFrame(src, FORMAT_RGBA, width, height, outY, outU, outV);
  else if (format == FORMAT_BGRA) convertFrame(src, FORMAT_BGRA, width, height, outY, outU, outV);
  else convertFrame(src, FORMAT_RGB24, width, height, outY, outU, outV);
}

// @ts-ignore: decorator
@inline function convertFrame(src: usize, format: i32, width: i32, height: i32, outY: usize, outU: usize, outV: usize): void {
  const bpp = format == FORMAT_RGB24 ? 3 : 4;
  const stride = usize(width * bpp);
  const cw = width >> 1;
  const kyRg = i16x8(<i16>YR, <i16>YG1, <i16>YR, <i16>YG1, <i16>YR, <i16>YG1, <i16>YR, <i16>YG1);
  const kyBg = i16x8(<i16>YB, <i16>YG2, <i16>YB, <i16>YG2, <i16>YB, <i16>YG2, <i16>YB, <i16>YG2);
  const kuRg = i16x8(<i16>UR, <i16>UG, <i16>UR, <i16>UG, <i16>UR, <i16>UG, <i16>UR, <i16>UG);
  const kuBg = i16x8(<i16>UB, 0, <i16>UB, 0, <i16>UB, 0, <i16>UB, 0);
  const kvRg = i16x8(<i16>VR, <i16>VG, <i16>VR, <i16>VG, <i16>VR, <i16>VG, <i16>VR, <i16>VG);
  const kvBg = i16x8(<i16>VB, 0, <i16>VB, 0, <i16>VB, 0, <i16>VB, 0);
  const yAdd = i32x4.splat(Y_ADD);
  const cAdd = i32x4.splat(C_ADD);
  const step = usize(4 * bpp);
  for (let y = 0; y < height; y += 2) {
    const s0 = src + usize(y) * stride;
    const s1 = s0 + stride;
    const y0 = outY + usize(y * width);
    const y1 = y0 + usize(width);
    const u = outU + usize((y >> 1) * cw);
    const v = outV + usize((y >> 1) * cw);
    let x = 0;
    // 8 pixels of both rows per step; RGB24 reads 4 bytes past each group of 12, so stop early
    const simdEnd = format == FORMAT_RGB24 ? width - 9 : width - 7;
    for (; x < simdEnd; x += 8) {
      const o = usize(x * bpp);
      const a = v128.load(s0 + o), b = v128.load(s0 + o + step);
      const c = v128.load(s1 + o), d = v128.load(s1 + o + step);
      const aRg = rg4(a, format), aBg = bg4(a, format), bRg = rg4(b, format), bBg = bg4(b, format);
      const cRg = rg4(c, format), cBg = bg4(c, format), dRg = rg4(d, format), dBg = bg4(d, format);
      const ys = i8x16.narrow_i16x8_u(
        i16x8.narrow_i32x4_s(i32x4.shr_s(weigh4(aRg, aBg, kyRg, kyBg, yAdd), 16), i32x4.shr_s(weigh4(bRg, bBg, kyRg, kyBg, yAdd), 16)),
        i16x8.narrow_i32x4_s(i32x4.shr_s(weigh4(cRg, cBg, kyRg, kyBg, yAdd), 16), i32x4.shr_s(weigh4(dRg, dBg, kyRg, kyBg, yAdd), 16)),
      );
      v128.store64_lane(y0 + usize(x), ys, 0);
      v128.store64_lane(y1 + usize(x), ys, 1);
      // 2x2 sums (at most 1020) of the four chroma blocks
      const sRg = pairs(i16x8.add(aRg, cRg), i16x8.add(bRg, dRg));
      const sBg = pairs(i16x8.add(aBg, cBg), i16x8.add(bBg, dBg));
      const cs = i16x8.narrow_i32x4_s(i32x4.shr_s(weigh4(sRg, sBg, kuRg, kuBg, cAdd), 18), i32x4.shr_s(weigh4(sRg, sBg, kvRg, kvBg, cAdd), 18));
      const cb = i8x16.narrow_i16x8_u(cs, cs);
      v128.store32_lane(u + usize(x >> 1), cb, 0);
      v128.store32_lane(v + usize(x >> 1), cb, 1);
    }
    const ro: usize = format == FORMAT_BGRA ? 2 : 0;
    const bo: usize = format == FORMAT_BGRA ? 0 : 2;
    for (; x < width; x += 2) {
      const p0 = s0 + usize(x * bpp);
      const p1 = s1 + usize(x * bpp);
      const q0 = p0 + usize(bpp);
      const q1 = p1 + usize(bpp);
      const r00 = i32(load<u8>(p0 + ro)), g00 = i32(load<u8>(p0 + 1)), b00 = i32(load<u8>(p0 + bo));
      const r01 = i32(load<u8>(q0 + ro)), g01 = i32(load<u8>(q0 + 1)), b01 = i32(load<u8>(q0 + bo));
      const r10 = i32(load<u8>(p1 + ro)), g10 = i32(load<u8>(p1 + 1)), b10 = i32(load<u8>(p1 + bo));
      const r11 = i32(load<u8>(q1 + ro)), g11 = i32(load<u8>(q1 + 1)), b11 = i32(load<u8>(q1 + bo));
      const YG = YG1 + YG2;
      store<u8>(y0 + usize(x), u8((YR * r00 + YG * g00 + YB * b00 + Y_ADD) >> 16));
      store<u8>(y0 + usize(x + 1), u8((YR * r01 + YG * g01 + YB * b01 + Y_ADD) >> 16));
      store<u8>(y1 + usize(x), u8((YR * r10 + YG * g10 + YB * b10 + Y_ADD) >> 16));
      store<u8>(y1 + usize(x + 1), u8((YR * r11 + YG * g11 + YB * b11 + Y_ADD) >> 16));
      const r = r00 + r01 + r10 + r11, g = g00 + g01 + g10 + g11, b = b00 + b01 + b10 + b11;
      store<u8>(u + usize(x >> 1), u8((UR * r + UG * g + UB * b + C_ADD) >> 18));
      store<u8>(v + usize(x >> 1), u8((VR * r + VG * g + VB * b + C_ADD) >> 18));
    }
  }
}
