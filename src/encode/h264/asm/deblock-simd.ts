// v128 forms of the loop filter's edge filters (scalar references: lumaEdgeRef / chromaEdgeRef in
// deblock.ts). An edge's samples across it (p3..q3) become eight vectors of 16 lanes, one lane per
// sample along the edge: loaded directly for a horizontal edge, through a byte transpose for a
// vertical one. U and V chroma edges are filtered together, eight lanes each.
import { ALPHA, BETA, TC0 } from './tables';

const T = memory.data(16 * 8); // eight 16-byte lines: p3 p2 p1 p0 q0 q1 q2 q3

// @ts-ignore: decorator
@inline function absDiff(a: v128, b: v128): v128 {
  return v128.or(i8x16.sub_sat_u(a, b), i8x16.sub_sat_u(b, a));
}

/** 8x8 byte transpose of the low halves of r0..r7; output k holds columns 2k (low half) and 2k+1. */
// @ts-ignore: decorator
@inline function transpose8x8(r0: v128, r1: v128, r2: v128, r3: v128, r4: v128, r5: v128, r6: v128, r7: v128, out: usize): void {
  const t01 = v128.shuffle<u8>(r0, r1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const t23 = v128.shuffle<u8>(r2, r3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const t45 = v128.shuffle<u8>(r4, r5, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const t67 = v128.shuffle<u8>(r6, r7, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const u0 = v128.shuffle<u16>(t01, t23, 0, 8, 1, 9, 2, 10, 3, 11);
  const u1 = v128.shuffle<u16>(t01, t23, 4, 12, 5, 13, 6, 14, 7, 15);
  const u2 = v128.shuffle<u16>(t45, t67, 0, 8, 1, 9, 2, 10, 3, 11);
  const u3 = v128.shuffle<u16>(t45, t67, 4, 12, 5, 13, 6, 14, 7, 15);
  v128.store(out, v128.shuffle<u32>(u0, u2, 0, 4, 1, 5));
  v128.store(out, v128.shuffle<u32>(u0, u2, 2, 6, 3, 7), 16);
  v128.store(out, v128.shuffle<u32>(u1, u3, 0, 4, 1, 5), 32);
  v128.store(out, v128.shuffle<u32>(u1, u3, 2, 6, 3, 7), 48);
}

const TA = memory.data(64);
const TB = memory.data(64);

/** Loads the 8 samples p3..q3 across a vertical edge for 16 rows into T (transposed). */
function loadVertical(q0p: usize, stride: i32): void {
  const s = usize(stride);
  const p = q0p - 4;
  transpose8x8(
    v128.load64_zero(p), v128.load64_zero(p + s), v128.load64_zero(p + 2 * s), v128.load64_zero(p + 3 * s),
    v128.load64_zero(p + 4 * s), v128.load64_zero(p + 5 * s), v128.load64_zero(p + 6 * s), v128.load64_zero(p + 7 * s), TA,
  );
  const p8 = p + 8 * s;
  transpose8x8(
    v128.load64_zero(p8), v128.load64_zero(p8 + s), v128.load64_zero(p8 + 2 * s), v128.load64_zero(p8 + 3 * s),
    v128.load64_zero(p8 + 4 * s), v128.load64_zero(p8 + 5 * s), v128.load64_zero(p8 + 6 * s), v128.load64_zero(p8 + 7 * s), TB,
  );
  for (let k = 0; k < 4; k++) {
    const a = v128.load(TA + usize(k * 16));
    const b = v128.load(TB + usize(k * 16));
    v128.store(T + usize(2 * k * 16), v128.shuffle<u64>(a, b, 0, 2));
    v128.store(T + usize((2 * k + 1) * 16), v128.shuffle<u64>(a, b, 1, 3));
  }
}

// @ts-ignore: decorator
@inline function hi64(v: v128): v128 {
  return v128.shuffle<u64>(v, v, 1, 1);
}

/** Writes T (transposed lines) back across a vertical edge for 16 rows. */
function storeVertical(q0p: usize, stride: i32): void {
  const s = usize(stride);
  const p = q0p - 4;
  const l0 = v128.load(T), l1 = v128.load(T, 16), l2 = v128.load(T, 32), l3 = v128.load(T, 48);
  const l4 = v128.load(T, 64), l5 = v128.load(T, 80), l6 = v128.load(T, 96), l7 = v128.load(T, 112);
  transpose8x8(l0, l1, l2, l3, l4, l5, l6, l7, TA);
  transpose8x8(hi64(l0), hi64(l1), hi64(l2), hi64(l3), hi64(l4), hi64(l5), hi64(l6), hi64(l7), TB);
  for (let k = 0; k < 4; k++) {
    const a = v128.load(TA + usize(k * 16));
    const b = v128.load(TB + usize(k * 16));
    v128.store64_lane(p + usize(2 * k) * s, a, 0);
    v128.store64_lane(p + usize(2 * k + 1) * s, a, 1);
    v128.store64_lane(p + usize(2 * k + 8) * s, b, 0);
    v128.store64_lane(p + usize(2 * k + 9) * s, b, 1);
  }
}

/** The per-lane bS (packed one byte per 4-sample segment in `bs`) spread over 16 lanes: four lanes per segment. */
// @ts-ignore: decorator
@inline function spreadLuma(v: v128): v128 {
  return i8x16.swizzle(v, i8x16(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3));
}

/** As spreadLuma for chroma: U in lanes 0-7 and V in lanes 8-15, two lanes per segment. */
// @ts-ignore: decorator
@inline function spreadChroma(v: v128): v128 {
  return i8x16.swizzle(v, i8x16(0, 0, 1, 1, 2, 2, 3, 3, 0, 0, 1, 1, 2, 2, 3, 3));
}

/** Luma filtering of the lines in T (p3 at T[0] .. q3 at T[7]) with bS per segment `bs`. */
function filterLuma(bs: u32, qpav: i32): void {
  const alpha = i32(load<u8>(ALPHA + usize(qpav)));
  const beta = i32(load<u8>(BETA + usize(qpav)));
  const p3 = v128.load(T), p2 = v128.load(T, 16), p1 = v128.load(T, 32), p0 = v128.load(T, 48);
  const q0 = v128.load(T, 64), q1 = v128.load(T, 80), q2 = v128.load(T, 96), q3 = v128.load(T, 112);
  const vBeta = i8x16.splat(u8(beta));
  const bsv = spreadLuma(i32x4.splat(bs));
  let mask = v128.and(
    v128.and(i8x16.lt_u(absDiff(p0, q0), i8x16.splat(u8(alpha))), i8x16.lt_u(absDiff(p1, p0), vBeta)),
    v128.and(i8x16.lt_u(absDiff(q1, q0), vBeta), i8x16.ne(bsv, i8x16.splat(0))),
  );
  if (!v128.any_true(mask)) return;
  const ap = i8x16.lt_u(absDiff(p2, p0), vBeta);
  const aq = i8x16.lt_u(absDiff(q2, q0), vBeta);
  if (bs == 0x04040404) {
    const strong = i8x16.lt_u(absDiff(p0, q0), i8x16.splat(u8((alpha >> 2) + 2)));
    // in 16-bit lanes, low and high halves
    filterStrongHalf(p3, p2, p1, p0, q0, q1, q2, q3, false);
    filterStrongHalf(p3, p2, p1, p0, q0, q1, q2, q3, true);
    // results in LO/HI: p2' p1' p0' p0'' (weak) q0' q1' q2' q0'' (weak)
    const np2 = narrowPair(0), np1 = narrowPair(1), np0s = narrowPair(2), np0w = narrowPair(3);
    const nq0s = narrowPair(4), nq1 = narrowPair(5), nq2 = narrowPair(6), nq0w = narrowPair(7);
    const sp = v128.and(mask, v128.and(ap, strong));
    const sq = v128.and(mask, v128.and(aq, strong));
    v128.store(T, v128.bitselect(np2, p2, sp), 16);
    v128.store(T, v128.bitselect(np1, p1, sp), 32);
    v128.store(T, v128.bitselect(v128.bitselect(np0s, np0w, sp), p0, mask), 48);
    v128.store(T, v128.bitselect(v128.bitselect(nq0s, nq0w, sq), q0, mask), 64);
    v128.store(T, v128.bitselect(nq1, q1, sq), 80);
    v128.store(T, v128.bitselect(nq2, q2, sq), 96);
    return;
  }
  // bS < 4: tc0 per segment
  const qoff = usize(qpav * 4);
  const tc0b = i32x4.splat(
    i32(load<u8>(TC0 + qoff + usize(bs & 0xff))) |
      (i32(load<u8>(TC0 + qoff + usize((bs >> 8) & 0xff))) << 8) |
      (i32(load<u8>(TC0 + qoff + usize((bs >> 16) & 0xff))) << 16) |
      (i32(load<u8>(TC0 + qoff + usize(bs >> 24))) << 24),
  );
  const tc0 = spreadLuma(tc0b);
  const one = i8x16.splat(1);
  const tc = i8x16.add(i8x16.add(tc0, v128.and(ap, one)), v128.and(aq, one));
  normalHalf(p2, p1, p0, q0, q1, q2, tc0, tc, false);
  normalHalf(p2, p1, p0, q0, q1, q2, tc0, tc, true);
  const np1 = narrowPair(0), np0 = narrowPair(1), nq0 = narrowPair(2), nq1 = narrowPair(3);
  v128.store(T, v128.bitselect(np1, p1, v128.and(mask, ap)), 32);
  v128.store(T, v128.bitselect(np0, p0, mask), 48);
  v128.store(T, v128.bitselect(nq0, q0, mask), 64);
  v128.store(T, v128.bitselect(nq1, q1, v128.and(mask, aq)), 80);
}

/** 16-bit results of the filters, 8 per half: LO[k] / HI[k] for output k. */
const LO = memory.data(16 * 8);
const HI = memory.data(16 * 8);

// @ts-ignore: decorator
@inline function ext(v: v128, high: bool): v128 {
  return high ? i16x8.extend_high_i8x16_u(v) : i16x8.extend_low_i8x16_u(v);
}

// @ts-ignore: decorator
@inline function narrowPair(k: i32): v128 {
  return i8x16.narrow_i16x8_u(v128.load(LO + usize(k * 16)), v128.load(HI + usize(k * 16)));
}

// @ts-ignore: decorator
@inline function put(k: i32, high: bool, v: v128): void {
  v128.store((high ? HI : LO) + usize(k * 16), v);
}

function filterStrongHalf(p3b: v128, p2b: v128, p1b: v128, p0b: v128, q0b: v128, q1b: v128, q2b: v128, q3b: v128, high: bool): void {
  const p3 = ext(p3b, high), p2 = ext(p2b, high), p1 = ext(p1b, high), p0 = ext(p0b, high);
  const q0 = ext(q0b, high), q1 = ext(q1b, high), q2 = ext(q2b, high), q3 = ext(q3b, high);
  const two = i16x8.splat(2);
  const four = i16x8.splat(4);
  const p0q0 = i16x8.add(p0, q0);
  // p side
  put(0, high, i16x8.shr_u(i16x8.add(i16x8.add(i16x8.shl(p3, 1), i16x8.add(i16x8.shl(p2, 1), p2)), i16x8.add(i16x8.add(p1, p0q0), four)), 3));
  put(1, high, i16x8.shr_u(i16x8.add(i16x8.add(p2, p1), i16x8.add(p0q0, two)), 2));
  put(2, high, i16x8.shr_u(i16x8.add(i16x8.add(p2, i16x8.shl(i16x8.add(p1, p0q0), 1)), i16x8.add(q1, four)), 3));
  put(3, high, i16x8.shr_u(i16x8.add(i16x8.add(i16x8.shl(p1, 1), p0), i16x8.add(q1, two)), 2));
  // q side
  put(4, high, i16x8.shr_u(i16x8.add(i16x8.add(p1, i16x8.shl(i16x8.add(p0q0, q1), 1)), i16x8.add(q2, four)), 3));
  put(5, high, i16x8.shr_u(i16x8.add(i16x8.add(q2, q1), i16x8.add(p0q0, two)), 2));
  put(6, high, i16x8.shr_u(i16x8.add(i16x8.add(i16x8.shl(q3, 1), i16x8.add(i16x8.shl(q2, 1), q2)), i16x8.add(i16x8.add(q1, p0q0), four)), 3));
  put(7, high, i16x8.shr_u(i16x8.add(i16x8.add(i16x8.shl(q1, 1), q0), i16x8.add(p1, two)), 2));
}

function normalHalf(p2b: v128, p1b: v128, p0b: v128, q0b: v128, q1b: v128, q2b: v128, tc0b: v128, tcb: v128, high: bool): void {
  const p2 = ext(p2b, high), p1 = ext(p1b, high), p0 = ext(p0b, high);
  const q0 = ext(q0b, high), q1 = ext(q1b, high), q2 = ext(q2b, high);
  const tc0 = ext(tc0b, high), tc = ext(tcb, high);
  const delta = clip(i16x8.shr_s(i16x8.add(i16x8.add(i16x8.shl(i16x8.sub(q0, p0), 2), i16x8.sub(p1, q1)), i16x8.splat(4)), 3), tc);
  const avg = ext(i8x16.avgr_u(p0b, q0b), high);
  put(0, high, i16x8.add(p1, clip(i16x8.shr_s(i16x8.sub(i16x8.add(p2, avg), i16x8.shl(p1, 1)), 1), tc0)));
  put(1, high, i16x8.add(p0, delta));
  put(2, high, i16x8.sub(q0, delta));
  put(3, high, i16x8.add(q1, clip(i16x8.shr_s(i16x8.sub(i16x8.add(q2, avg), i16x8.shl(q1, 1)), 1), tc0)));
}

// @ts-ignore: decorator
@inline function clip(v: v128, t: v128): v128 {
  return i16x8.max_s(i16x8.min_s(v, t), i16x8.neg(t));
}

/** Filters a 16-sample luma edge; see lumaEdgeRef for the arguments. */
export function lumaEdgeSimd(q0p: usize, step: i32, along: i32, qpav: i32, bs: u32): void {
  if (load<u8>(ALPHA + usize(qpav)) == 0 || load<u8>(BETA + usize(qpav)) == 0) return;
  if (step == 1) {
    loadVertical(q0p, along);
    filterLuma(bs, qpav);
    storeVertical(q0p, along);
  } else {
    const s = usize(step);
    for (let k = 0; k < 8; k++) v128.store(T + usize(k * 16), v128.load(q0p + usize(k - 4) * s));
    filterLuma(bs, qpav);
    for (let k = 1; k < 7; k++) v128.store(q0p + usize(k - 4) * s, v128.load(T + usize(k * 16)));
  }
}

/**
 * Filters the U and V edges of a macroblock side together (8 samples each): `u0`/`v0` point at
 * their first q0 sample. Lines p1 p0 q0 q1 go to T[2..5].
 */
export function chromaEdgesSimd(u0: usize, v0: usize, step: i32, along: i32, qpav: i32, bs: u32): void {
  const alpha = i32(load<u8>(ALPHA + usize(qpav)));
  const beta = i32(load<u8>(BETA + usize(qpav)));
  if (alpha == 0 || beta == 0) return;
  const st = usize(step), al = usize(along);
  if (step == 1) {
    // rows of four samples p1 p0 q0 q1 (U rows 0-7, then V rows 0-7), gathered into four lines
    for (let i = 0; i < 8; i++) {
      store<u32>(TA + usize(i * 4), load<u32>(u0 - 2 + usize(i) * al));
      store<u32>(TB + usize(i * 4), load<u32>(v0 - 2 + usize(i) * al));
    }
    const ua = v128.load(TA), ub = v128.load(TA, 16), va = v128.load(TB), vb = v128.load(TB, 16);
    v128.store(T, v128.shuffle<u64>(v128.shuffle<u8>(ua, ub, 0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28), v128.shuffle<u8>(va, vb, 0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28), 0, 2), 32);
    v128.store(T, v128.shuffle<u64>(v128.shuffle<u8>(ua, ub, 1, 5, 9, 13, 17, 21, 25, 29, 1, 5, 9, 13, 17, 21, 25, 29), v128.shuffle<u8>(va, vb, 1, 5, 9, 13, 17, 21, 25, 29, 1, 5, 9, 13, 17, 21, 25, 29), 0, 2), 48);
    v128.store(T, v128.shuffle<u64>(v128.shuffle<u8>(ua, ub, 2, 6, 10, 14, 18, 22, 26, 30, 2, 6, 10, 14, 18, 22, 26, 30), v128.shuffle<u8>(va, vb, 2, 6, 10, 14, 18, 22, 26, 30, 2, 6, 10, 14, 18, 22, 26, 30), 0, 2), 64);
    v128.store(T, v128.shuffle<u64>(v128.shuffle<u8>(ua, ub, 3, 7, 11, 15, 19, 23, 27, 31, 3, 7, 11, 15, 19, 23, 27, 31), v128.shuffle<u8>(va, vb, 3, 7, 11, 15, 19, 23, 27, 31, 3, 7, 11, 15, 19, 23, 27, 31), 0, 2), 80);
  } else {
    for (let k = 0; k < 4; k++) {
      const line = v128.load64_zero(u0 + usize(k - 2) * st);
      v128.store(T + usize((k + 2) * 16), v128.load64_lane(v0 + usize(k - 2) * st, line, 1));
    }
  }
  const p1 = v128.load(T, 32), p0 = v128.load(T, 48), q0 = v128.load(T, 64), q1 = v128.load(T, 80);
  const vBeta = i8x16.splat(u8(beta));
  const bsv = spreadChroma(i32x4.splat(bs));
  const mask = v128.and(
    v128.and(i8x16.lt_u(absDiff(p0, q0), i8x16.splat(u8(alpha))), i8x16.lt_u(absDiff(p1, p0), vBeta)),
    v128.and(i8x16.lt_u(absDiff(q1, q0), vBeta), i8x16.ne(bsv, i8x16.splat(0))),
  );
  if (!v128.any_true(mask)) return;
  let np0: v128, nq0: v128;
  if (bs == 0x04040404) {
    // p0' = (2 p1 + p0 + q1 + 2) >> 2, q0' = (2 q1 + q0 + p1 + 2) >> 2
    const two = i16x8.splat(2);
    const lp = i16x8.shr_u(i16x8.add(i16x8.add(i16x8.shl(ext(p1, false), 1), ext(p0, false)), i16x8.add(ext(q1, false), two)), 2);
    const hp = i16x8.shr_u(i16x8.add(i16x8.add(i16x8.shl(ext(p1, true), 1), ext(p0, true)), i16x8.add(ext(q1, true), two)), 2);
    const lq = i16x8.shr_u(i16x8.add(i16x8.add(i16x8.shl(ext(q1, false), 1), ext(q0, false)), i16x8.add(ext(p1, false), two)), 2);
    const hq = i16x8.shr_u(i16x8.add(i16x8.add(i16x8.shl(ext(q1, true), 1), ext(q0, true)), i16x8.add(ext(p1, true), two)), 2);
    np0 = i8x16.narrow_i16x8_u(lp, hp);
    nq0 = i8x16.narrow_i16x8_u(lq, hq);
  } else {
    const qoff = usize(qpav * 4);
    const tcb = i32x4.splat(
      i32(load<u8>(TC0 + qoff + usize(bs & 0xff))) |
        (i32(load<u8>(TC0 + qoff + usize((bs >> 8) & 0xff))) << 8) |
        (i32(load<u8>(TC0 + qoff + usize((bs >> 16) & 0xff))) << 16) |
        (i32(load<u8>(TC0 + qoff + usize(bs >> 24))) << 24),
    );
    const tc = i8x16.add(spreadChroma(tcb), i8x16.splat(1));
    const four = i16x8.splat(4);
    const dl = clip(i16x8.shr_s(i16x8.add(i16x8.add(i16x8.shl(i16x8.sub(ext(q0, false), ext(p0, false)), 2), i16x8.sub(ext(p1, false), ext(q1, false))), four), 3), ext(tc, false));
    const dh = clip(i16x8.shr_s(i16x8.add(i16x8.add(i16x8.shl(i16x8.sub(ext(q0, true), ext(p0, true)), 2), i16x8.sub(ext(p1, true), ext(q1, true))), four), 3), ext(tc, true));
    np0 = i8x16.narrow_i16x8_u(i16x8.add(ext(p0, false), dl), i16x8.add(ext(p0, true), dh));
    nq0 = i8x16.narrow_i16x8_u(i16x8.sub(ext(q0, false), dl), i16x8.sub(ext(q0, true), dh));
  }
  writeChroma(u0, v0, st, al, step == 1, v128.bitselect(np0, p0, mask), v128.bitselect(nq0, q0, mask));
}

/** Writes the filtered p0 and q0 lines back (the only chroma samples the filter changes). */
function writeChroma(u0: usize, v0: usize, st: usize, al: usize, vertical: bool, p0: v128, q0: v128): void {
  if (vertical) {
    v128.store(TA, p0);
    v128.store(TB, q0);
    for (let i = 0; i < 8; i++) {
      store<u8>(u0 - 1 + usize(i) * al, load<u8>(TA + usize(i)));
      store<u8>(u0 + usize(i) * al, load<u8>(TB + usize(i)));
      store<u8>(v0 - 1 + usize(i) * al, load<u8>(TA + usize(8 + i)));
      store<u8>(v0 + usize(i) * al, load<u8>(TB + usize(8 + i)));
    }
  } else {
    v128.store64_lane(u0 - st, p0, 0);
    v128.store64_lane(v0 - st, p0, 1);
    v128.store64_lane(u0, q0, 0);
    v128.store64_lane(v0, q0, 1);
  }
}
