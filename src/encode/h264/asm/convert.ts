// Packed RGB (RGBA, BGRA, RGB24) → I420, BT.601 limited range, with each chroma sample the rounded
// mean of its 2×2 block: the same 20-bit fixed-point arithmetic as src/encode/convert.ts (the JS
// path), so both give identical bytes. Four pixels are one i32x4: each lane holds a pixel's bytes.

const YR: i32 = 269262, YG: i32 = 528618, YB: i32 = 102662;
const UR: i32 = -155423, UG: i32 = -305128, UB: i32 = 460551;
const VR: i32 = 460551, VG: i32 = -385654, VB: i32 = -74897;
const Y_ADD: i32 = (16 << 20) + (1 << 19);
const C_ADD: i32 = (128 << 22) + (1 << 21);

export const FORMAT_RGBA: i32 = 0;
export const FORMAT_BGRA: i32 = 1;
export const FORMAT_RGB24: i32 = 2;

/** Four pixels as i32 lanes with R in bits 0-7, G 8-15, B 16-23. */
// @ts-ignore: decorator
@inline function load4(p: usize, format: i32): v128 {
  if (format == FORMAT_RGB24) {
    return i8x16.swizzle(v128.load(p), i8x16(0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1));
  }
  const v = v128.load(p);
  return format == FORMAT_BGRA ? i8x16.shuffle(v, v, 2, 1, 0, 3, 6, 5, 4, 7, 10, 9, 8, 11, 14, 13, 12, 15) : v;
}

// @ts-ignore: decorator
@inline function luma4(px: v128): v128 {
  const m = i32x4.splat(0xff);
  const r = v128.and(px, m);
  const g = v128.and(i32x4.shr_u(px, 8), m);
  const b = v128.and(i32x4.shr_u(px, 16), m);
  const y = i32x4.add(i32x4.add(i32x4.mul(r, i32x4.splat(YR)), i32x4.mul(g, i32x4.splat(YG))), i32x4.add(i32x4.mul(b, i32x4.splat(YB)), i32x4.splat(Y_ADD)));
  return i32x4.shr_s(y, 20);
}

// @ts-ignore: decorator
@inline function narrow16(a: v128, b: v128, c: v128, d: v128): v128 {
  return i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(a, b), i16x8.narrow_i32x4_s(c, d));
}

/** Sums of each horizontal pixel pair of 8 pixels (two i32x4 of packed pixels), per channel, as i32x4. */
// @ts-ignore: decorator
@inline function pairSums(a: v128, b: v128, shift: i32): v128 {
  const m = i32x4.splat(0xff);
  const ca = v128.and(i32x4.shr_u(a, shift), m);
  const cb = v128.and(i32x4.shr_u(b, shift), m);
  return i32x4.add(v128.shuffle<i32>(ca, cb, 0, 2, 4, 6), v128.shuffle<i32>(ca, cb, 1, 3, 5, 7));
}

/**
 * Converts a width x height frame at `src` (packed, `format`) into the planes at outY/outU/outV
 * (strides width and width / 2).
 */
export function rgbToI420(src: usize, format: i32, width: i32, height: i32, outY: usize, outU: usize, outV: usize): void {
  const bpp = format == FORMAT_RGB24 ? 3 : 4;
  const stride = usize(width * bpp);
  const cw = width >> 1;
  for (let y = 0; y < height; y += 2) {
    const s0 = src + usize(y) * stride;
    const s1 = s0 + stride;
    const y0 = outY + usize(y * width);
    const y1 = y0 + usize(width);
    const u = outU + usize((y >> 1) * cw);
    const v = outV + usize((y >> 1) * cw);
    let x = 0;
    // 16 pixels per step; RGB24 reads 4 bytes past each group of 12, so stop a group early
    const simdEnd = format == FORMAT_RGB24 ? width - 22 : width - 15;
    for (; x < simdEnd; x += 16) {
      const o = usize(x * bpp);
      const b4 = usize(4 * bpp);
      const a0 = load4(s0 + o, format), a1 = load4(s0 + o + b4, format), a2 = load4(s0 + o + 2 * b4, format), a3 = load4(s0 + o + 3 * b4, format);
      const c0 = load4(s1 + o, format), c1 = load4(s1 + o + b4, format), c2 = load4(s1 + o + 2 * b4, format), c3 = load4(s1 + o + 3 * b4, format);
      v128.store(y0 + usize(x), narrow16(luma4(a0), luma4(a1), luma4(a2), luma4(a3)));
      v128.store(y1 + usize(x), narrow16(luma4(c0), luma4(c1), luma4(c2), luma4(c3)));
      // 2x2 sums of R, G, B for 8 chroma samples (lanes 0-3 from pixels 0-7, 4-7 from 8-15)
      const r0 = i32x4.add(pairSums(a0, a1, 0), pairSums(c0, c1, 0));
      const g0 = i32x4.add(pairSums(a0, a1, 8), pairSums(c0, c1, 8));
      const bl0 = i32x4.add(pairSums(a0, a1, 16), pairSums(c0, c1, 16));
      const r1 = i32x4.add(pairSums(a2, a3, 0), pairSums(c2, c3, 0));
      const g1 = i32x4.add(pairSums(a2, a3, 8), pairSums(c2, c3, 8));
      const bl1 = i32x4.add(pairSums(a2, a3, 16), pairSums(c2, c3, 16));
      const cadd = i32x4.splat(C_ADD);
      const u0 = i32x4.shr_s(i32x4.add(i32x4.add(i32x4.mul(r0, i32x4.splat(UR)), i32x4.mul(g0, i32x4.splat(UG))), i32x4.add(i32x4.mul(bl0, i32x4.splat(UB)), cadd)), 22);
      const u1 = i32x4.shr_s(i32x4.add(i32x4.add(i32x4.mul(r1, i32x4.splat(UR)), i32x4.mul(g1, i32x4.splat(UG))), i32x4.add(i32x4.mul(bl1, i32x4.splat(UB)), cadd)), 22);
      const v0 = i32x4.shr_s(i32x4.add(i32x4.add(i32x4.mul(r0, i32x4.splat(VR)), i32x4.mul(g0, i32x4.splat(VG))), i32x4.add(i32x4.mul(bl0, i32x4.splat(VB)), cadd)), 22);
      const v1 = i32x4.shr_s(i32x4.add(i32x4.add(i32x4.mul(r1, i32x4.splat(VR)), i32x4.mul(g1, i32x4.splat(VG))), i32x4.add(i32x4.mul(bl1, i32x4.splat(VB)), cadd)), 22);
      const uu = i16x8.narrow_i32x4_s(u0, u1);
      const vv = i16x8.narrow_i32x4_s(v0, v1);
      v128.store64_lane(u + usize(x >> 1), i8x16.narrow_i16x8_u(uu, uu), 0);
      v128.store64_lane(v + usize(x >> 1), i8x16.narrow_i16x8_u(vv, vv), 0);
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
      store<u8>(y0 + usize(x), u8((YR * r00 + YG * g00 + YB * b00 + Y_ADD) >> 20));
      store<u8>(y0 + usize(x + 1), u8((YR * r01 + YG * g01 + YB * b01 + Y_ADD) >> 20));
      store<u8>(y1 + usize(x), u8((YR * r10 + YG * g10 + YB * b10 + Y_ADD) >> 20));
      store<u8>(y1 + usize(x + 1), u8((YR * r11 + YG * g11 + YB * b11 + Y_ADD) >> 20));
      const r = r00 + r01 + r10 + r11, g = g00 + g01 + g10 + g11, b = b00 + b01 + b10 + b11;
      store<u8>(u + usize(x >> 1), u8((UR * r + UG * g + UB * b + C_ADD) >> 22));
      store<u8>(v + usize(x >> 1), u8((VR * r + VG * g + VB * b + C_ADD) >> 22));
    }
  }
}
