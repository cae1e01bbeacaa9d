// Intra prediction (ITU-T H.264 8.3): 16x16 luma (4 modes), 4x4 luma (9 modes), 8x8 chroma
// (4 modes). Predictions are written into a block buffer; neighbours are read from the
// reconstructed (not yet deblocked) picture at `dst` with stride `ds`.

export const I16_V: i32 = 0;
export const I16_H: i32 = 1;
export const I16_DC: i32 = 2;
export const I16_PLANE: i32 = 3;

export const C_DC: i32 = 0;
export const C_H: i32 = 1;
export const C_V: i32 = 2;
export const C_PLANE: i32 = 3;

// @ts-ignore: decorator
@inline function clip255(v: i32): u8 {
  return u8(v < 0 ? 0 : v > 255 ? 255 : v);
}

/** Fills a square of `n` x `n` at `out` (stride `os`) with one value. */
function fill(out: usize, os: i32, n: i32, v: u8): void {
  const splat = i8x16.splat(v);
  for (let y = 0; y < n; y++) {
    if (n == 16) v128.store(out + usize(y * os), splat);
    else if (n == 8) v128.store64_lane(out + usize(y * os), splat, 0);
    else store<u32>(out + usize(y * os), u32(v) * 0x01010101);
  }
}

/**
 * 16x16 luma prediction `mode` from the neighbours of the macroblock at `rec` (stride rs) into `out`
 * (stride 16). Returns false when the mode needs a neighbour that is not available.
 */
export function predict16x16(mode: i32, rec: usize, rs: i32, out: usize, left: bool, top: bool): bool {
  if (mode == I16_V) {
    if (!top) return false;
    const row = v128.load(rec - usize(rs));
    for (let y = 0; y < 16; y++) v128.store(out + usize(y * 16), row);
  } else if (mode == I16_H) {
    if (!left) return false;
    for (let y = 0; y < 16; y++) v128.store(out + usize(y * 16), i8x16.splat(load<u8>(rec + usize(y * rs - 1))));
  } else if (mode == I16_DC) {
    let s = 0;
    if (top) for (let x = 0; x < 16; x++) s += i32(load<u8>(rec + usize(x - rs)));
    if (left) for (let y = 0; y < 16; y++) s += i32(load<u8>(rec + usize(y * rs - 1)));
    const dc = top && left ? (s + 16) >> 5 : top || left ? (s + 8) >> 4 : 128;
    fill(out, 16, 16, u8(dc));
  } else {
    if (!top || !left) return false;
    const t = rec - usize(rs); // p[x, -1]
    let hh = 0;
    let vv = 0;
    for (let i = 0; i < 8; i++) {
      // p[-1,-1] is t[-1] and left[-1]
      hh += (i + 1) * (i32(load<u8>(t + usize(8 + i))) - i32(load<u8>(t + usize(6 - i))));
      vv += (i + 1) * (i32(load<u8>(rec + usize((8 + i) * rs - 1))) - i32(load<u8>(rec + usize((6 - i) * rs - 1))));
    }
    const a = 16 * (i32(load<u8>(rec + usize(15 * rs - 1))) + i32(load<u8>(t + 15)));
    const b = (5 * hh + 32) >> 6;
    const c = (5 * vv + 32) >> 6;
    // 16-bit lanes suffice: |a + b(x - 7) + c(y - 7) + 16| < 2^15 for 8-bit samples
    const bv = i16x8.splat(i16(b));
    const ramp = i16x8.mul(i16x8(-7, -6, -5, -4, -3, -2, -1, 0), bv);
    let lo = i16x8.add(ramp, i16x8.splat(i16(a - 7 * c + 16)));
    let hi = i16x8.add(lo, i16x8.shl(bv, 3));
    const cv = i16x8.splat(i16(c));
    for (let y = 0; y < 16; y++) {
      v128.store(out + usize(y * 16), i8x16.narrow_i16x8_u(i16x8.shr_s(lo, 5), i16x8.shr_s(hi, 5)));
      lo = i16x8.add(lo, cv);
      hi = i16x8.add(hi, cv);
    }
  }
  return true;
}

/** 8x8 chroma prediction `mode` (one plane) into `out` (stride 8). False when not available. */
export function predictChroma(mode: i32, rec: usize, rs: i32, out: usize, left: bool, top: bool): bool {
  if (mode == C_DC) {
    for (let by = 0; by < 2; by++) {
      for (let bx = 0; bx < 2; bx++) {
        let st = 0;
        let sl = 0;
        for (let i = 0; i < 4; i++) {
          if (top) st += i32(load<u8>(rec + usize(bx * 4 + i - rs)));
          if (left) sl += i32(load<u8>(rec + usize((by * 4 + i) * rs - 1)));
        }
        let dc: i32;
        if (bx == by) {
          // blocks (0,0) and (4,4): both edges, else whichever exists
          dc = top && left ? (st + sl + 4) >> 3 : left ? (sl + 2) >> 2 : top ? (st + 2) >> 2 : 128;
        } else if (bx == 1) {
          // (4,0): the top edge first
          dc = top ? (st + 2) >> 2 : left ? (sl + 2) >> 2 : 128;
        } else {
          // (0,4): the left edge first
          dc = left ? (sl + 2) >> 2 : top ? (st + 2) >> 2 : 128;
        }
        fill(out + usize(by * 32 + bx * 4), 8, 4, u8(dc));
      }
    }
  } else if (mode == C_H) {
    if (!left) return false;
    for (let y = 0; y < 8; y++) v128.store64_lane(out + usize(y * 8), i8x16.splat(load<u8>(rec + usize(y * rs - 1))), 0);
  } else if (mode == C_V) {
    if (!top) return false;
    const row = load<u64>(rec - usize(rs));
    for (let y = 0; y < 8; y++) store<u64>(out + usize(y * 8), row);
  } else {
    if (!top || !left) return false;
    const t = rec - usize(rs);
    let hh = 0;
    let vv = 0;
    for (let i = 0; i < 4; i++) {
      hh += (i + 1) * (i32(load<u8>(t + usize(4 + i))) - i32(load<u8>(t + usize(2 - i))));
      vv += (i + 1) * (i32(load<u8>(rec + usize((4 + i) * rs - 1))) - i32(load<u8>(rec + usize((2 - i) * rs - 1))));
    }
    const a = 16 * (i32(load<u8>(rec + usize(7 * rs - 1))) + i32(load<u8>(t + 7)));
    const b = (34 * hh + 32) >> 6;
    const c = (34 * vv + 32) >> 6;
    let row = i16x8.add(i16x8.mul(i16x8(-3, -2, -1, 0, 1, 2, 3, 4), i16x8.splat(i16(b))), i16x8.splat(i16(a - 3 * c + 16)));
    const cv = i16x8.splat(i16(c));
    for (let y = 0; y < 8; y++) {
      const r = i16x8.shr_s(row, 5);
      v128.store64_lane(out + usize(y * 8), i8x16.narrow_i16x8_u(r, r), 0);
      row = i16x8.add(row, cv);
    }
  }
  return true;
}

/** Edge samples of a 4x4 block: e[0..3] = left p[-1,3..0] (bottom up), e[4] = p[-1,-1], e[5..12] = top p[0..7,-1]. */
const EDGE = memory.data(16);

/**
 * Loads the neighbours of the 4x4 block at `rec` into EDGE. Missing top-right samples repeat
 * p[3,-1] (8.3.1.2). Returns nothing; availability is passed to predict4x4.
 */
export function loadEdge4x4(rec: usize, rs: i32, left: bool, top: bool, topLeft: bool, topRight: bool): void {
  if (left) {
    for (let i = 0; i < 4; i++) store<u8>(EDGE + usize(3 - i), load<u8>(rec + usize(i * rs - 1)));
  }
  if (topLeft) store<u8>(EDGE + 4, load<u8>(rec - usize(rs) - 1));
  if (top) {
    store<u32>(EDGE + 5, load<u32>(rec - usize(rs)));
    if (topRight) store<u32>(EDGE + 9, load<u32>(rec - usize(rs) + 4));
    else store<u32>(EDGE + 9, u32(load<u8>(rec - usize(rs) + 3)) * 0x01010101);
  }
}

// @ts-ignore: decorator
@inline function T(i: i32): i32 {
  return i32(load<u8>(EDGE + usize(5 + i))); // p[i, -1], i from -1
}
// @ts-ignore: decorator
@inline function L(j: i32): i32 {
  return i32(load<u8>(EDGE + usize(3 - j))); // p[-1, j], j from -1
}

/** Whether 4x4 mode `mode` can be used with these neighbours. */
export function mode4x4Available(mode: i32, left: bool, top: bool, topLeft: bool): bool {
  if (mode == 0 || mode == 3 || mode == 7) return top;
  if (mode == 1 || mode == 8) return left;
  if (mode == 2) return true;
  return left && top && topLeft; // 4, 5, 6
}

/** Scalar reference of predict4x4: the formulas of 8.3.1.2 sample by sample. */
export function predict4x4Ref(mode: i32, out: usize, os: i32, left: bool, top: bool): void {
  for (let y = 0; y < 4; y++) {
    for (let x = 0; x < 4; x++) {
      let v: i32;
      switch (mode) {
        case 0: v = T(x); break;
        case 1: v = L(y); break;
        case 2: {
          if (left && top) v = (T(0) + T(1) + T(2) + T(3) + L(0) + L(1) + L(2) + L(3) + 4) >> 3;
          else if (left) v = (L(0) + L(1) + L(2) + L(3) + 2) >> 2;
          else if (top) v = (T(0) + T(1) + T(2) + T(3) + 2) >> 2;
          else v = 128;
          break;
        }
        case 3: {
          v = x == 3 && y == 3 ? (T(6) + 3 * T(7) + 2) >> 2 : (T(x + y) + 2 * T(x + y + 1) + T(x + y + 2) + 2) >> 2;
          break;
        }
        case 4: {
          if (x > y) v = (T(x - y - 2) + 2 * T(x - y - 1) + T(x - y) + 2) >> 2;
          else if (x < y) v = (L(y - x - 2) + 2 * L(y - x - 1) + L(y - x) + 2) >> 2;
          else v = (T(0) + 2 * T(-1) + L(0) + 2) >> 2;
          break;
        }
        case 5: {
          const z = 2 * x - y;
          if (z >= 0 && (z & 1) == 0) v = (T(x - (y >> 1) - 1) + T(x - (y >> 1)) + 1) >> 1;
          else if (z >= 0) v = (T(x - (y >> 1) - 2) + 2 * T(x - (y >> 1) - 1) + T(x - (y >> 1)) + 2) >> 2;
          else if (z == -1) v = (L(0) + 2 * L(-1) + T(0) + 2) >> 2;
          else v = (L(y - 1) + 2 * L(y - 2) + L(y - 3) + 2) >> 2;
          break;
        }
        case 6: {
          const z = 2 * y - x;
          if (z >= 0 && (z & 1) == 0) v = (L(y - (x >> 1) - 1) + L(y - (x >> 1)) + 1) >> 1;
          else if (z >= 0) v = (L(y - (x >> 1) - 2) + 2 * L(y - (x >> 1) - 1) + L(y - (x >> 1)) + 2) >> 2;
          else if (z == -1) v = (L(0) + 2 * L(-1) + T(0) + 2) >> 2;
          else v = (T(x - 1) + 2 * T(x - 2) + T(x - 3) + 2) >> 2;
          break;
        }
        case 7: {
          const i = x + (y >> 1);
          v = (y & 1) == 0 ? (T(i) + T(i + 1) + 1) >> 1 : (T(i) + 2 * T(i + 1) + T(i + 2) + 2) >> 2;
          break;
        }
        default: {
          const z = x + 2 * y;
          const j = y + (x >> 1);
          if (z > 5) v = L(3);
          else if (z == 5) v = (L(2) + 3 * L(3) + 2) >> 2;
          else if ((z & 1) == 0) v = (L(j) + L(j + 1) + 1) >> 1;
          else v = (L(j) + 2 * L(j + 1) + L(j + 2) + 2) >> 2;
        }
      }
      store<u8>(out + usize(y * os + x), u8(v));
    }
  }
}

// @ts-ignore: decorator
@inline function avg2(a: i32, b: i32): u32 {
  return u32((a + b + 1) >> 1);
}
// @ts-ignore: decorator
@inline function avg3(a: i32, b: i32, c: i32): u32 {
  return u32((a + 2 * b + c + 2) >> 2);
}
// @ts-ignore: decorator
@inline function row4(a: u32, b: u32, c: u32, d: u32): u32 {
  return a | (b << 8) | (c << 16) | (d << 24);
}

/** 4x4 luma prediction `mode` from EDGE into `out` (stride os), row by row. Availability must have been checked. */
export function predict4x4(mode: i32, out: usize, os: i32, left: bool, top: bool): void {
  const s = usize(os);
  switch (mode) {
    case 0: {
      const r = load<u32>(EDGE + 5);
      store<u32>(out, r);
      store<u32>(out + s, r);
      store<u32>(out + 2 * s, r);
      store<u32>(out + 3 * s, r);
      return;
    }
    case 1: {
      for (let y = 0; y < 4; y++) store<u32>(out + usize(y) * s, u32(L(y)) * 0x01010101);
      return;
    }
    case 2: {
      let v: i32;
      if (left && top) v = (T(0) + T(1) + T(2) + T(3) + L(0) + L(1) + L(2) + L(3) + 4) >> 3;
      else if (left) v = (L(0) + L(1) + L(2) + L(3) + 2) >> 2;
      else if (top) v = (T(0) + T(1) + T(2) + T(3) + 2) >> 2;
      else v = 128;
      const r = u32(v) * 0x01010101;
      store<u32>(out, r);
      store<u32>(out + s, r);
      store<u32>(out + 2 * s, r);
      store<u32>(out + 3 * s, r);
      return;
    }
    case 3: {
      // diagonal down-left: d[k] = avg3(T(k), T(k+1), T(k+2)), k = x + y; the last is (T6 + 3 T7 + 2) >> 2
      const d0 = avg3(T(0), T(1), T(2)), d1 = avg3(T(1), T(2), T(3)), d2 = avg3(T(2), T(3), T(4)), d3 = avg3(T(3), T(4), T(5));
      const d4 = avg3(T(4), T(5), T(6)), d5 = avg3(T(5), T(6), T(7)), d6 = u32((T(6) + 3 * T(7) + 2) >> 2);
      store<u32>(out, row4(d0, d1, d2, d3));
      store<u32>(out + s, row4(d1, d2, d3, d4));
      store<u32>(out + 2 * s, row4(d2, d3, d4, d5));
      store<u32>(out + 3 * s, row4(d3, d4, d5, d6));
      return;
    }
    case 4: {
      // diagonal down-right along x - y: e[3] = corner, e[3 + k] from the top, e[3 - k] from the left
      const c = avg3(L(0), T(-1), T(0));
      const t0 = avg3(T(-1), T(0), T(1)), t1 = avg3(T(0), T(1), T(2)), t2 = avg3(T(1), T(2), T(3));
      const l0 = avg3(T(-1), L(0), L(1)), l1 = avg3(L(0), L(1), L(2)), l2 = avg3(L(1), L(2), L(3));
      store<u32>(out, row4(c, t0, t1, t2));
      store<u32>(out + s, row4(l0, c, t0, t1));
      store<u32>(out + 2 * s, row4(l1, l0, c, t0));
      store<u32>(out + 3 * s, row4(l2, l1, l0, c));
      return;
    }
    case 5: {
      // vertical-right
      const a0 = avg2(T(-1), T(0)), a1 = avg2(T(0), T(1)), a2 = avg2(T(1), T(2)), a3 = avg2(T(2), T(3));
      const b0 = avg3(L(0), T(-1), T(0)), b1 = avg3(T(-1), T(0), T(1)), b2 = avg3(T(0), T(1), T(2)), b3 = avg3(T(1), T(2), T(3));
      const c1 = avg3(T(-1), L(0), L(1)), c2 = avg3(L(0), L(1), L(2));
      store<u32>(out, row4(a0, a1, a2, a3));
      store<u32>(out + s, row4(b0, b1, b2, b3));
      store<u32>(out + 2 * s, row4(c1, a0, a1, a2));
      store<u32>(out + 3 * s, row4(c2, b0, b1, b2));
      return;
    }
    case 6: {
      // horizontal-down
      const a0 = avg2(T(-1), L(0)), a1 = avg2(L(0), L(1)), a2 = avg2(L(1), L(2)), a3 = avg2(L(2), L(3));
      const b0 = avg3(L(0), T(-1), T(0)), b1 = avg3(T(-1), L(0), L(1)), b2 = avg3(L(0), L(1), L(2)), b3 = avg3(L(1), L(2), L(3));
      const t1 = avg3(T(-1), T(0), T(1)), t2 = avg3(T(0), T(1), T(2));
      store<u32>(out, row4(a0, b0, t1, t2));
      store<u32>(out + s, row4(a1, b1, a0, b0));
      store<u32>(out + 2 * s, row4(a2, b2, a1, b1));
      store<u32>(out + 3 * s, row4(a3, b3, a2, b2));
      return;
    }
    case 7: {
      // vertical-left
      const a0 = avg2(T(0), T(1)), a1 = avg2(T(1), T(2)), a2 = avg2(T(2), T(3)), a3 = avg2(T(3), T(4)), a4 = avg2(T(4), T(5));
      const b0 = avg3(T(0), T(1), T(2)), b1 = avg3(T(1), T(2), T(3)), b2 = avg3(T(2), T(3), T(4)), b3 = avg3(T(3), T(4), T(5));
      const b4 = avg3(T(4), T(5), T(6));
      store<u32>(out, row4(a0, a1, a2, a3));
      store<u32>(out + s, row4(b0, b1, b2, b3));
      store<u32>(out + 2 * s, row4(a1, a2, a3, a4));
      store<u32>(out + 3 * s, row4(b1, b2, b3, b4));
      return;
    }
    default: {
      // horizontal-up
      const a0 = avg2(L(0), L(1)), a1 = avg2(L(1), L(2)), a2 = avg2(L(2), L(3));
      const b0 = avg3(L(0), L(1), L(2)), b1 = avg3(L(1), L(2), L(3)), b2 = u32((L(2) + 3 * L(3) + 2) >> 2);
      const l3 = u32(L(3));
      store<u32>(out, row4(a0, b0, a1, b1));
      store<u32>(out + s, row4(a1, b1, a2, b2));
      store<u32>(out + 2 * s, row4(a2, b2, l3, l3));
      store<u32>(out + 3 * s, row4(l3, l3, l3, l3));
    }
  }
}

// @ts-ignore: decorator
@inline function pAt(rec: usize, rs: i32, x: i32, y: i32): i32 {
  return i32(load<u8>(rec + usize(y * rs + x))); // p[x, y]; -1 reaches the neighbours
}

/** Scalar reference of the 16x16 and 8x8 chroma predictions (8.3.3, 8.3.4), sample by sample. */
export function predictBlockRef(chroma: bool, mode: i32, rec: usize, rs: i32, out: usize, left: bool, top: bool): bool {
  const n = chroma ? 8 : 16;
  const vMode = chroma ? C_V : I16_V;
  const hMode = chroma ? C_H : I16_H;
  const dcMode = chroma ? C_DC : I16_DC;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      let v = 0;
      if (mode == vMode) {
        if (!top) return false;
        v = pAt(rec, rs, x, -1);
      } else if (mode == hMode) {
        if (!left) return false;
        v = pAt(rec, rs, -1, y);
      } else if (mode == dcMode) {
        if (!chroma) {
          let s = 0;
          for (let i = 0; i < 16; i++) s += (top ? pAt(rec, rs, i, -1) : 0) + (left ? pAt(rec, rs, -1, i) : 0);
          v = top && left ? (s + 16) >> 5 : top || left ? (s + 8) >> 4 : 128;
        } else {
          const xo = x & ~3, yo = y & ~3;
          let st = 0, sl = 0;
          for (let i = 0; i < 4; i++) {
            st += top ? pAt(rec, rs, xo + i, -1) : 0;
            sl += left ? pAt(rec, rs, -1, yo + i) : 0;
          }
          if ((xo == 0 && yo == 0) || (xo > 0 && yo > 0)) v = top && left ? (st + sl + 4) >> 3 : left ? (sl + 2) >> 2 : top ? (st + 2) >> 2 : 128;
          else if (xo > 0) v = top ? (st + 2) >> 2 : left ? (sl + 2) >> 2 : 128;
          else v = left ? (sl + 2) >> 2 : top ? (st + 2) >> 2 : 128;
        }
      } else {
        if (!top || !left) return false;
        const half = n >> 1;
        let hh = 0, vv = 0;
        for (let i = 0; i < half; i++) {
          hh += (i + 1) * (pAt(rec, rs, half + i, -1) - pAt(rec, rs, half - 2 - i, -1));
          vv += (i + 1) * (pAt(rec, rs, -1, half + i) - pAt(rec, rs, -1, half - 2 - i));
        }
        const a = 16 * (pAt(rec, rs, -1, n - 1) + pAt(rec, rs, n - 1, -1));
        const k = chroma ? 34 : 5;
        const b = (k * hh + 32) >> 6, c = (k * vv + 32) >> 6;
        const p = (a + b * (x - (half - 1)) + c * (y - (half - 1)) + 16) >> 5;
        v = p < 0 ? 0 : p > 255 ? 255 : p;
      }
      store<u8>(out + usize(y * n + x), u8(v));
    }
  }
  return true;
}
