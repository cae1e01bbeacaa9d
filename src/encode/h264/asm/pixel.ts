// Pixel comparison kernels: SAD and SATD (sum of absolute 4x4 Hadamard coefficients, halved, as
// x264 defines it). Each v128 kernel has a scalar reference (`*Ref`) that checkasm.ts exports so
// tests can compare them on random input.

// ---- SAD ----

export function sad16x16(a: usize, as: i32, b: usize, bs: i32): i32 {
  let acc = i16x8.splat(0);
  for (let y = 0; y < 16; y += 2) {
    const a0 = v128.load(a);
    const b0 = v128.load(b);
    const a1 = v128.load(a + usize(as));
    const b1 = v128.load(b + usize(bs));
    acc = i16x8.add(acc, i16x8.add(absDiffPairs(a0, b0), absDiffPairs(a1, b1)));
    a += usize(as) << 1;
    b += usize(bs) << 1;
  }
  return hsumU16(acc);
}

export function sad16x16Ref(a: usize, as: i32, b: usize, bs: i32): i32 {
  return sadRef(a, as, b, bs, 16, 16);
}

/** Scalar SAD of a w x h pair: the reference of the SAD kernels. */
export function sadRef(a: usize, as: i32, b: usize, bs: i32, w: i32, h: i32): i32 {
  let s = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) s += abs<i32>(i32(load<u8>(a + usize(y * as + x))) - i32(load<u8>(b + usize(y * bs + x))));
  }
  return s;
}

/** |a - b| of 16 bytes, summed in horizontal pairs (u16 x 8). */
// @ts-ignore: decorator
@inline function absDiffPairs(a: v128, b: v128): v128 {
  return i16x8.extadd_pairwise_i8x16_u(v128.or(i8x16.sub_sat_u(a, b), i8x16.sub_sat_u(b, a)));
}

/**
 * Whether each of the sixteen 4x4 blocks of a 16x16 pair has a SAD of at most `limit`: what
 * decides whether every block of an inter residual quantises to zero (dct.ts `zeroSadInter`).
 * Stops at the first row of blocks over it (on noise, the first).
 */
export function sad4x4Within(a: usize, as: i32, b: usize, bs: i32, limit: i32): bool {
  const lim = i32x4.splat(limit);
  for (let by = 0; by < 4; by++) {
    // four rows of pair sums (u16, at most 4 x 2 x 255), then each lane pair is one block's row of 4
    let acc = i16x8.splat(0);
    for (let y = 0; y < 4; y++) {
      acc = i16x8.add(acc, absDiffPairs(v128.load(a), v128.load(b)));
      a += usize(as);
      b += usize(bs);
    }
    if (v128.any_true(i32x4.gt_s(i32x4.extadd_pairwise_i16x8_u(acc), lim))) return false;
  }
  return true;
}

export function sad4x4WithinRef(a: usize, as: i32, b: usize, bs: i32, limit: i32): bool {
  for (let k = 0; k < 16; k++) {
    const x0 = (k & 3) * 4, y0 = (k >> 2) * 4;
    if (sadRef(a + usize(y0 * as + x0), as, b + usize(y0 * bs + x0), bs, 4, 4) > limit) return false;
  }
  return true;
}

/**
 * The SADs of the four 4x4 blocks of an 8x8 pair (chroma), packed as (sum << 16) | largest: the
 * sum bounds the chroma DC, the largest the AC (dct.ts `zeroSadChromaDc`, `zeroSadInter`).
 */
export function sadBlocks8x8(a: usize, as: i32, b: usize, bs: i32): i32 {
  let sums = i32x4.splat(0);
  for (let half = 0; half < 2; half++) {
    // two rows per vector (the lower one in the high half), so each |a - b| covers 16 samples:
    // u16 lanes 0-1 and 4-5 hold the left block's pair sums, 2-3 and 6-7 the right block's
    const a0 = v128.load64_lane(a + usize(as), v128.load64_zero(a), 1);
    const b0 = v128.load64_lane(b + usize(bs), v128.load64_zero(b), 1);
    const a1 = v128.load64_lane(a + usize(3 * as), v128.load64_zero(a + usize(2 * as)), 1);
    const b1 = v128.load64_lane(b + usize(3 * bs), v128.load64_zero(b + usize(2 * bs)), 1);
    const acc = i16x8.add(absDiffPairs(a0, b0), absDiffPairs(a1, b1));
    a += usize(4 * as);
    b += usize(4 * bs);
    // i32 lanes: left, right (upper rows), left, right (lower rows); added: this half's two blocks
    const q = i32x4.extadd_pairwise_i16x8_u(acc);
    const s = i32x4.add(q, v128.shuffle<i32>(q, q, 2, 3, 0, 1));
    sums = half == 0 ? s : v128.shuffle<i32>(sums, s, 0, 1, 4, 5);
  }
  const s0 = i32x4.extract_lane(sums, 0), s1 = i32x4.extract_lane(sums, 1), s2 = i32x4.extract_lane(sums, 2), s3 = i32x4.extract_lane(sums, 3);
  return ((s0 + s1 + s2 + s3) << 16) | max<i32>(max<i32>(s0, s1), max<i32>(s2, s3));
}

export function sadBlocks8x8Ref(a: usize, as: i32, b: usize, bs: i32): i32 {
  let sum = 0;
  let most = 0;
  for (let k = 0; k < 4; k++) {
    const x0 = (k & 1) * 4, y0 = (k >> 1) * 4;
    const s = sadRef(a + usize(y0 * as + x0), as, b + usize(y0 * bs + x0), bs, 4, 4);
    sum += s;
    most = max<i32>(most, s);
  }
  return (sum << 16) | most;
}

/** Sum of the eight u16 lanes. */
// @ts-ignore: decorator
@inline export function hsumU16(v: v128): i32 {
  const s = i32x4.extadd_pairwise_i16x8_u(v);
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1) + i32x4.extract_lane(s, 2) + i32x4.extract_lane(s, 3);
}

// @ts-ignore: decorator
@inline export function hsumI32(s: v128): i32 {
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1) + i32x4.extract_lane(s, 2) + i32x4.extract_lane(s, 3);
}

// ---- SATD ----

/**
 * Horizontal 4-point Hadamard of each half of `v` (two rows of four), and the sum of its absolute
 * values, doubled: the last butterfly uses |x + y| + |x - y| = 2 max(|x|, |y|), and every max is
 * counted in two lanes. Returns per-lane values; their sum is the sum of |coefficients|.
 */
// @ts-ignore: decorator
@inline function hadamardRowsAbs(v: v128): v128 {
  const sw = v128.shuffle<i16>(v, v, 1, 0, 3, 2, 5, 4, 7, 6);
  // even lanes x0 + x1, odd lanes x0 - x1
  const s1 = v128.bitselect(i16x8.add(v, sw), i16x8.sub(sw, v), i32x4.splat(0x0000ffff));
  const sw2 = v128.shuffle<i16>(s1, s1, 2, 3, 0, 1, 6, 7, 4, 5);
  return i16x8.max_u(i16x8.abs(s1), i16x8.abs(sw2));
}

/** SATD of an 8x4 area (two 4x4 blocks side by side), as u16 lanes to be summed (sum = 2 x SATD). */
// @ts-ignore: decorator
@inline function satd8x4Lanes(a: usize, as: i32, b: usize, bs: i32): v128 {
  const r0 = i16x8.sub(v128.load_ext<u8>(a), v128.load_ext<u8>(b));
  const r1 = i16x8.sub(v128.load_ext<u8>(a + usize(as)), v128.load_ext<u8>(b + usize(bs)));
  const r2 = i16x8.sub(v128.load_ext<u8>(a + usize(2 * as)), v128.load_ext<u8>(b + usize(2 * bs)));
  const r3 = i16x8.sub(v128.load_ext<u8>(a + usize(3 * as)), v128.load_ext<u8>(b + usize(3 * bs)));
  const a0 = i16x8.add(r0, r1);
  const a1 = i16x8.sub(r0, r1);
  const a2 = i16x8.add(r2, r3);
  const a3 = i16x8.sub(r2, r3);
  const s = i16x8.add(
    i16x8.add(hadamardRowsAbs(i16x8.add(a0, a2)), hadamardRowsAbs(i16x8.sub(a0, a2))),
    i16x8.add(hadamardRowsAbs(i16x8.add(a1, a3)), hadamardRowsAbs(i16x8.sub(a1, a3))),
  );
  return s;
}

export function satd16x16(a: usize, as: i32, b: usize, bs: i32): i32 {
  return hadamardAbs16x16(a, as, b, bs) >> 1;
}

/** The sum of |coefficients| of the sixteen 4x4 Hadamard transforms of a 16x16 pair (2 x SATD, unrounded). */
// @ts-ignore: decorator
@inline function hadamardAbs16x16(a: usize, as: i32, b: usize, bs: i32): i32 {
  let acc = i32x4.splat(0);
  for (let y = 0; y < 16; y += 4) {
    const l = satd8x4Lanes(a, as, b, bs);
    const r = satd8x4Lanes(a + 8, as, b + 8, bs);
    acc = i32x4.add(acc, i32x4.add(i32x4.extadd_pairwise_i16x8_u(l), i32x4.extadd_pairwise_i16x8_u(r)));
    a += usize(as) << 2;
    b += usize(bs) << 2;
  }
  return hsumI32(acc);
}

/**
 * SATD of a 16x16 pair as Intra16x16 codes its residual: every 4x4 block's AC coefficients as in
 * satd16x16, but the sixteen DC terms (each block's sum) through a second 4x4 Hadamard, scaled by
 * 1/4 so that uncorrelated DCs weigh what they weigh in satd16x16. Why: a residual that changes
 * smoothly across the macroblock (a ramp that the DC, horizontal or vertical mode leaves) has DC
 * terms that the second transform gathers into a few coefficients, and the mode codes them in few
 * bits; satd16x16 counts each of them in full, which made Intra4x4 look cheaper than it is.
 * = (sum |AC| + (sum |Hadamard(DC)| >> 2)) >> 1.
 */
export function satdI16(a: usize, as: i32, b: usize, bs: i32): i32 {
  const all = hadamardAbs16x16(a, as, b, bs);
  // the block sums, one row of blocks per vector (lane = block column): pair sums of four rows of
  // 16 samples, source minus prediction (within +-2040 per 16-bit lane), then lane pairs added
  let r0 = i32x4.splat(0), r1 = i32x4.splat(0), r2 = i32x4.splat(0), r3 = i32x4.splat(0);
  for (let by = 0; by < 4; by++) {
    let acc = i16x8.splat(0);
    for (let y = 0; y < 4; y++) {
      acc = i16x8.add(acc, i16x8.sub(i16x8.extadd_pairwise_i8x16_u(v128.load(a)), i16x8.extadd_pairwise_i8x16_u(v128.load(b))));
      a += usize(as);
      b += usize(bs);
    }
    const sums = i32x4.extadd_pairwise_i16x8_s(acc);
    if (by == 0) r0 = sums;
    else if (by == 1) r1 = sums;
    else if (by == 2) r2 = sums;
    else r3 = sums;
  }
  const dcAbs = hsumI32(i32x4.add(i32x4.add(i32x4.abs(r0), i32x4.abs(r1)), i32x4.add(i32x4.abs(r2), i32x4.abs(r3))));
  // vertical butterflies across the rows, then each row's horizontal Hadamard summed as in hadamardRowsAbs
  const a0 = i32x4.add(r0, r1), a1 = i32x4.sub(r0, r1), a2 = i32x4.add(r2, r3), a3 = i32x4.sub(r2, r3);
  const h = i32x4.add(
    i32x4.add(hadamardRowAbs32(i32x4.add(a0, a2)), hadamardRowAbs32(i32x4.sub(a0, a2))),
    i32x4.add(hadamardRowAbs32(i32x4.add(a1, a3)), hadamardRowAbs32(i32x4.sub(a1, a3))),
  );
  return (all - dcAbs + (hsumI32(h) >> 2)) >> 1;
}

/** Horizontal 4-point Hadamard of one row of four i32, as lanes whose sum is the sum of |coefficients|. */
// @ts-ignore: decorator
@inline function hadamardRowAbs32(v: v128): v128 {
  const sw = v128.shuffle<i32>(v, v, 1, 0, 3, 2);
  const s1 = v128.bitselect(i32x4.add(v, sw), i32x4.sub(sw, v), i64x2.splat(0xffffffff));
  const sw2 = v128.shuffle<i32>(s1, s1, 2, 3, 0, 1);
  return i32x4.max_s(i32x4.abs(s1), i32x4.abs(sw2));
}

export function satdI16Ref(a: usize, as: i32, b: usize, bs: i32): i32 {
  const dc = memory.data(64); // 16 x i32: the block sums, raster order
  let ac = 0;
  for (let k = 0; k < 16; k++) {
    const pa = a + usize((k >> 2) * 4 * as + (k & 3) * 4);
    const pb = b + usize((k >> 2) * 4 * bs + (k & 3) * 4);
    let s = 0;
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) s += i32(load<u8>(pa + usize(y * as + x))) - i32(load<u8>(pb + usize(y * bs + x)));
    }
    store<i32>(dc + usize(k * 4), s);
    ac += hadamardAbsRef(pa, as, pb, bs) - abs<i32>(s);
  }
  return (ac + (hadamardAbs4x4Ref(dc) >> 2)) >> 1;
}

export function satd8x8(a: usize, as: i32, b: usize, bs: i32): i32 {
  const t = satd8x4Lanes(a, as, b, bs);
  const u = satd8x4Lanes(a + (usize(as) << 2), as, b + (usize(bs) << 2), bs);
  return hsumI32(i32x4.add(i32x4.extadd_pairwise_i16x8_u(t), i32x4.extadd_pairwise_i16x8_u(u))) >> 1;
}

export function satd4x4(a: usize, as: i32, b: usize, bs: i32): i32 {
  // rows 0,1 in one vector and rows 2,3 in another
  let ra = v128.load32_zero(a);
  ra = v128.load32_lane(a + usize(as), ra, 1);
  let rb = v128.load32_zero(b);
  rb = v128.load32_lane(b + usize(bs), rb, 1);
  let sa = v128.load32_zero(a + usize(2 * as));
  sa = v128.load32_lane(a + usize(3 * as), sa, 1);
  let sb = v128.load32_zero(b + usize(2 * bs));
  sb = v128.load32_lane(b + usize(3 * bs), sb, 1);
  const d01 = i16x8.sub(i16x8.extend_low_i8x16_u(ra), i16x8.extend_low_i8x16_u(rb));
  const d23 = i16x8.sub(i16x8.extend_low_i8x16_u(sa), i16x8.extend_low_i8x16_u(sb));
  const s = i16x8.add(d01, d23); // r0+r2 | r1+r3
  const t = i16x8.sub(d01, d23); // r0-r2 | r1-r3
  const u = v128.shuffle<i64>(s, t, 0, 2); // r0+r2 | r0-r2
  const v = v128.shuffle<i64>(s, t, 1, 3); // r1+r3 | r1-r3
  const sum = i16x8.add(hadamardRowsAbs(i16x8.add(u, v)), hadamardRowsAbs(i16x8.sub(u, v)));
  return hsumU16(sum) >> 1;
}

export function satd4x4Ref(a: usize, as: i32, b: usize, bs: i32): i32 {
  return hadamardAbsRef(a, as, b, bs) >> 1;
}

/** Sum of |coefficients| of the 4x4 Hadamard transform of a - b. */
function hadamardAbsRef(a: usize, as: i32, b: usize, bs: i32): i32 {
  const d = memory.data(64); // 16 x i32 scratch
  for (let y = 0; y < 4; y++) {
    for (let x = 0; x < 4; x++) {
      store<i32>(d + usize((y * 4 + x) * 4), i32(load<u8>(a + usize(y * as + x))) - i32(load<u8>(b + usize(y * bs + x))));
    }
  }
  return hadamardAbs4x4Ref(d);
}

/** Sum of |coefficients| of the 4x4 Hadamard transform of the i32 matrix at `d` (overwritten). */
function hadamardAbs4x4Ref(d: usize): i32 {
  for (let y = 0; y < 4; y++) {
    const p = d + usize(y * 16);
    const x0 = load<i32>(p), x1 = load<i32>(p, 4), x2 = load<i32>(p, 8), x3 = load<i32>(p, 12);
    const s01 = x0 + x1, d01 = x0 - x1, s23 = x2 + x3, d23 = x2 - x3;
    store<i32>(p, s01 + s23);
    store<i32>(p, s01 - s23, 4);
    store<i32>(p, d01 + d23, 8);
    store<i32>(p, d01 - d23, 12);
  }
  let sum = 0;
  for (let x = 0; x < 4; x++) {
    const p = d + usize(x * 4);
    const x0 = load<i32>(p), x1 = load<i32>(p, 16), x2 = load<i32>(p, 32), x3 = load<i32>(p, 48);
    const s01 = x0 + x1, d01 = x0 - x1, s23 = x2 + x3, d23 = x2 - x3;
    sum += abs<i32>(s01 + s23) + abs<i32>(s01 - s23) + abs<i32>(d01 + d23) + abs<i32>(d01 - d23);
  }
  return sum;
}

export function satdRef(a: usize, as: i32, b: usize, bs: i32, w: i32, h: i32): i32 {
  let s = 0;
  for (let y = 0; y < h; y += 4) {
    for (let x = 0; x < w; x += 4) s += satd4x4Ref(a + usize(y * as + x), as, b + usize(y * bs + x), bs);
  }
  return s;
}

// ---- SSD ----

export function ssd16x16(a: usize, as: i32, b: usize, bs: i32): i32 {
  let acc = i32x4.splat(0);
  for (let y = 0; y < 16; y++) {
    const va = v128.load(a);
    const vb = v128.load(b);
    const dl = i16x8.sub(i16x8.extend_low_i8x16_u(va), i16x8.extend_low_i8x16_u(vb));
    const dh = i16x8.sub(i16x8.extend_high_i8x16_u(va), i16x8.extend_high_i8x16_u(vb));
    acc = i32x4.add(acc, i32x4.add(i32x4.dot_i16x8_s(dl, dl), i32x4.dot_i16x8_s(dh, dh)));
    a += usize(as);
    b += usize(bs);
  }
  return hsumI32(acc);
}

export function ssdRef(a: usize, as: i32, b: usize, bs: i32, w: i32, h: i32): i32 {
  let s = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const d = i32(load<u8>(a + usize(y * as + x))) - i32(load<u8>(b + usize(y * bs + x)));
      s += d * d;
    }
  }
  return s;
}
