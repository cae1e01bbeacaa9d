// Motion compensation (ITU-T H.264 8.4.2.2): the three half-sample planes of the reference
// picture (6-tap filter), quarter samples as rounded averages of two of those planes, and
// eighth-sample bilinear chroma.
import { YS, CS, CW, CH, PAD, refY, refU, refV, refH, refVh, refC, rowTmp, halfTiles, halfTilesW, halfTilesH } from './state';

// @ts-ignore: decorator
@inline function clip255(v: i32): i32 {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Margin of the padding that the half-sample planes leave uncomputed (the 6-tap filter's reach). */
const MARGIN: i32 = 3;

/**
 * Forgets the half-sample planes (a new reference): they are computed lazily, one 16x16 tile at
 * a time, where motion compensation first needs them — on mostly static pictures only a few tiles.
 */
export function resetHalfPlanes(): void {
  memory.fill(halfTiles, 0, halfTilesW * halfTilesH);
}

const PLANE_H: u8 = 1;
const PLANE_V: u8 = 2;
const PLANE_C: u8 = 4;

/** The half-sample planes each quarter-sample position (fy * 4 + fx) reads. */
const PLANES_OF = memory.data<u8>([0, 1, 1, 1, 2, 3, 5, 3, 2, 6, 4, 6, 2, 3, 5, 3]);

/** Makes sure the planes in `planes` hold samples x0..x1, y0..y1 (picture coordinates, inclusive). */
// @ts-ignore: decorator
@inline function ensureHalf(x0: i32, y0: i32, x1: i32, y1: i32, planes: u8): void {
  const tx0 = (x0 + PAD) >> 4, tx1 = (x1 + PAD) >> 4;
  const ty0 = (y0 + PAD) >> 4, ty1 = (y1 + PAD) >> 4;
  for (let ty = ty0; ty <= ty1; ty++) {
    for (let tx = tx0; tx <= tx1; tx++) {
      const f = halfTiles + usize(ty * halfTilesW + tx);
      const done = load<u8>(f);
      const missing = planes & ~done;
      if (missing != 0) {
        computeTile(tx, ty, missing);
        store<u8>(f, done | missing);
      }
    }
  }
}

function computeTile(tx: i32, ty: i32, planes: u8): void {
  // the tile, clipped to where the 6-tap filter stays inside the padded picture
  const x0 = max<i32>(tx * 16 - PAD, -PAD + MARGIN);
  const x1 = min<i32>(tx * 16 - PAD + 16, CW + PAD - MARGIN);
  const y0 = max<i32>(ty * 16 - PAD, -PAD + MARGIN);
  const y1 = min<i32>(ty * 16 - PAD + 16, CH + PAD - MARGIN);
  if (x1 <= x0) return;
  // every tile but those at the padding's outer edge is whole
  if (x1 - x0 == 16 && y1 - y0 == 16) {
    halfTile16(refY + usize(y0 * YS + x0), refH + usize(y0 * YS + x0), refVh + usize(y0 * YS + x0), refC + usize(y0 * YS + x0), YS, planes);
    return;
  }
  for (let y = y0; y < y1; y++) {
    const o = usize(y * YS + x0);
    if (planes & PLANE_H) halfRowH(refY + o, refH + o, x1 - x0);
    if (planes & PLANE_C) halfRowVC(refY + o, planes & PLANE_V ? refVh + o : 0, refC + o, x1 - x0, YS, rowTmp);
    else if (planes & PLANE_V) halfRowV(refY + o, refVh + o, x1 - x0, YS);
  }
}

/** Computes refH, refVh and refC from refY over the padded area (minus MARGIN) at once. */
export function buildHalfPlanes(): void {
  const x0 = -PAD + MARGIN;
  const x1 = CW + PAD - MARGIN;
  const y0 = -PAD + MARGIN;
  const y1 = CH + PAD - MARGIN;
  for (let y = y0; y < y1; y++) {
    halfRowH(refY + usize(y * YS + x0), refH + usize(y * YS + x0), x1 - x0);
    halfRowVC(refY + usize(y * YS + x0), refVh + usize(y * YS + x0), refC + usize(y * YS + x0), x1 - x0, YS, rowTmp);
  }
}

/** The vertical 6-tap sums of a whole tile's columns -2 .. 21 (i16, 24 a row, 16 rows). */
const TILE_SUMS = memory.data(16 * 24 * 2, 16);

/**
 * The half-sample planes in `planes` of one whole 16x16 tile at `src` (outH, outV, outC: the same
 * place in each plane; rows `s` apart). The same arithmetic as halfRowH, halfRowV and halfRowVC
 * row by row (the scalar reference, halfRowsRef, checks both), but the vertical filter slides
 * down each group of eight columns, so that each source row is loaded once per group instead of
 * six times, and the horizontal rows take sixteen samples at a time.
 */
export function halfTile16(src: usize, outH: usize, outV: usize, outC: usize, s: i32, planes: u8): void {
  const ss = usize(s);
  const r16 = i16x8.splat(16);
  if (planes & PLANE_H) {
    let p = src;
    let o = outH;
    for (let y = 0; y < 16; y++) {
      const l0 = v128.load(p - 2), l1 = v128.load(p - 1), l2 = v128.load(p);
      const l3 = v128.load(p + 1), l4 = v128.load(p + 2), l5 = v128.load(p + 3);
      const lo = tap6(
        i16x8.extend_low_i8x16_u(l0), i16x8.extend_low_i8x16_u(l1), i16x8.extend_low_i8x16_u(l2),
        i16x8.extend_low_i8x16_u(l3), i16x8.extend_low_i8x16_u(l4), i16x8.extend_low_i8x16_u(l5),
      );
      const hi = tap6(
        i16x8.extend_high_i8x16_u(l0), i16x8.extend_high_i8x16_u(l1), i16x8.extend_high_i8x16_u(l2),
        i16x8.extend_high_i8x16_u(l3), i16x8.extend_high_i8x16_u(l4), i16x8.extend_high_i8x16_u(l5),
      );
      v128.store(o, i8x16.narrow_i16x8_u(i16x8.shr_s(i16x8.add(lo, r16), 5), i16x8.shr_s(i16x8.add(hi, r16), 5)));
      p += ss;
      o += ss;
    }
  }
  if ((planes & (PLANE_V | PLANE_C)) == 0) return;
  // without the centre plane, the vertical one needs columns 0 .. 15 only, rounded at once
  const withC = (planes & PLANE_C) != 0;
  const groups = withC ? 3 : 2;
  for (let g = 0; g < groups; g++) {
    const col = withC ? g * 8 - 2 : g * 8;
    let p = src + usize(col) - 2 * ss;
    let a = v128.load_ext<u8>(p), b = v128.load_ext<u8>(p + ss), c = v128.load_ext<u8>(p + 2 * ss);
    let d = v128.load_ext<u8>(p + 3 * ss), e = v128.load_ext<u8>(p + 4 * ss);
    p += 5 * ss;
    let o = withC ? TILE_SUMS + usize(g * 16) : outV + usize(col);
    const os = withC ? usize(48) : ss;
    for (let y = 0; y < 16; y++) {
      const f = v128.load_ext<u8>(p);
      const v = tap6(a, b, c, d, e, f);
      if (withC) v128.store(o, v);
      else {
        const r = i16x8.shr_s(i16x8.add(v, r16), 5);
        v128.store64_lane(o, i8x16.narrow_i16x8_u(r, r), 0);
      }
      a = b;
      b = c;
      c = d;
      d = e;
      e = f;
      p += ss;
      o += os;
    }
  }
  if (!withC) return;
  const r32 = i16x8.splat(32);
  const wantV = (planes & PLANE_V) != 0;
  let t = TILE_SUMS;
  let ov = outV;
  let oc = outC;
  for (let y = 0; y < 16; y++) {
    // sums of columns -2 .. 21 at t (column k at t + 2(k + 2))
    if (wantV) {
      const lo = i16x8.shr_s(i16x8.add(v128.load(t, 4), r16), 5);
      const hi = i16x8.shr_s(i16x8.add(v128.load(t, 20), r16), 5);
      v128.store(ov, i8x16.narrow_i16x8_u(lo, hi));
    }
    // as halfRowVC: ((((a - b) >> 2) - b + c) >> 2) + c, rounded with (+ 32) >> 6
    const q0 = centre8(t), q1 = centre8(t + 16);
    v128.store(oc, i8x16.narrow_i16x8_u(i16x8.shr_s(i16x8.add(q0, r32), 6), i16x8.shr_s(i16x8.add(q1, r32), 6)));
    t += 48;
    ov += ss;
    oc += ss;
  }
}

/** The centre half samples' unrounded sums (T - T mod 16) / 16 of the eight columns from the sums at `t` (column i - 2 first). */
// @ts-ignore: decorator
@inline function centre8(t: usize): v128 {
  const a = i16x8.add(v128.load(t), v128.load(t, 10));
  const b = i16x8.add(v128.load(t, 2), v128.load(t, 8));
  const c = i16x8.add(v128.load(t, 4), v128.load(t, 6));
  return i16x8.add(i16x8.shr_s(i16x8.add(i16x8.shr_s(i16x8.sub(a, b), 2), i16x8.sub(c, b)), 2), c);
}

// 6-tap filter (1, -5, 20, 20, -5, 1) on 8 lanes of i16
// @ts-ignore: decorator
@inline function tap6(a: v128, b: v128, c: v128, d: v128, e: v128, f: v128): v128 {
  const ad = i16x8.add(a, f);
  const be = i16x8.add(b, e);
  const cd = i16x8.add(c, d);
  // a + f - 5(b + e) + 20(c + d)
  return i16x8.add(i16x8.sub(ad, i16x8.add(be, i16x8.shl(be, 2))), i16x8.add(i16x8.shl(cd, 4), i16x8.shl(cd, 2)));
}

/** Horizontal half samples: out[x] = b at (x + 1/2). */
export function halfRowH(src: usize, out: usize, n: i32): void {
  let x = 0;
  const r16 = i16x8.splat(16);
  for (; x + 8 <= n; x += 8) {
    const p = src + usize(x);
    const s = tap6(
      v128.load_ext<u8>(p - 2), v128.load_ext<u8>(p - 1), v128.load_ext<u8>(p),
      v128.load_ext<u8>(p + 1), v128.load_ext<u8>(p + 2), v128.load_ext<u8>(p + 3),
    );
    const v = i16x8.shr_s(i16x8.add(s, r16), 5);
    v128.store64_lane(out + usize(x), i8x16.narrow_i16x8_u(v, v), 0);
  }
  for (; x < n; x++) {
    const p = src + usize(x);
    const s = i32(load<u8>(p - 2)) - 5 * i32(load<u8>(p - 1)) + 20 * i32(load<u8>(p)) + 20 * i32(load<u8>(p + 1)) - 5 * i32(load<u8>(p + 2)) + i32(load<u8>(p + 3));
    store<u8>(out + usize(x), u8(clip255((s + 16) >> 5)));
  }
}

/** Vertical half samples: out[x] = h at (x, y + 1/2). */
export function halfRowV(src: usize, out: usize, n: i32, s: i32): void {
  let x = 0;
  const r16 = i16x8.splat(16);
  const ss = usize(s);
  for (; x + 8 <= n; x += 8) {
    const p = src + usize(x);
    const v = tap6(
      v128.load_ext<u8>(p - 2 * ss), v128.load_ext<u8>(p - ss), v128.load_ext<u8>(p),
      v128.load_ext<u8>(p + ss), v128.load_ext<u8>(p + 2 * ss), v128.load_ext<u8>(p + 3 * ss),
    );
    const r = i16x8.shr_s(i16x8.add(v, r16), 5);
    v128.store64_lane(out + usize(x), i8x16.narrow_i16x8_u(r, r), 0);
  }
  for (; x < n; x++) {
    const p = src + usize(x);
    const t = i32(load<u8>(p - 2 * ss)) - 5 * i32(load<u8>(p - ss)) + 20 * i32(load<u8>(p)) + 20 * i32(load<u8>(p + ss)) - 5 * i32(load<u8>(p + 2 * ss)) + i32(load<u8>(p + 3 * ss));
    store<u8>(out + usize(x), u8(clip255((t + 16) >> 5)));
  }
}

/**
 * Centre half samples: outC[x] = j at (x + 1/2, y + 1/2), from the unrounded vertical sums of
 * the row, which also give the vertical half samples outV[x] = h at (x, y + 1/2) when outV is not
 * 0. `vtmp`: scratch for the sums (i16 x (n + 16)).
 */
export function halfRowVC(src: usize, outV: usize, outC: usize, n: i32, s: i32, vtmp: usize): void {
  const ss = usize(s);
  // vertical sums of columns -2 .. n + 2 (at vtmp[0 .. n + 4]), eight at a time: the last group
  // may read and sum up to seven columns more, which the padding (or the next row) holds
  for (let x = -2; x < n + 3; x += 8) {
    const p = src + usize(x);
    const v = tap6(
      v128.load_ext<u8>(p - 2 * ss), v128.load_ext<u8>(p - ss), v128.load_ext<u8>(p),
      v128.load_ext<u8>(p + ss), v128.load_ext<u8>(p + 2 * ss), v128.load_ext<u8>(p + 3 * ss),
    );
    v128.store(vtmp + usize((x + 2) * 2), v);
  }
  let i = 0;
  if (outV != 0) {
    const r16 = i16x8.splat(16);
    for (; i + 8 <= n; i += 8) {
      const r = i16x8.shr_s(i16x8.add(v128.load(vtmp + usize((i + 2) * 2)), r16), 5);
      v128.store64_lane(outV + usize(i), i8x16.narrow_i16x8_u(r, r), 0);
    }
    for (; i < n; i++) store<u8>(outV + usize(i), u8(clip255((i32(load<i16>(vtmp + usize((i + 2) * 2))) + 16) >> 5)));
  }
  if (outC == 0) return;
  // horizontal 6-tap over the sums in 16 bits: with a, b, c the sums of the outer, middle and
  // inner pairs, T = a - 5b + 20c overflows 16 bits, but ((((a - b) >> 2) - b + c) >> 2) + c is
  // (T - T mod 16) / 16, and rounding that with (+ 32) >> 6 is exactly (T + 512) >> 10
  i = 0;
  const r32 = i16x8.splat(32);
  for (; i + 8 <= n; i += 8) {
    const q = centre8(vtmp + usize(i * 2)); // column i - 2
    const w = i16x8.shr_s(i16x8.add(q, r32), 6);
    v128.store64_lane(outC + usize(i), i8x16.narrow_i16x8_u(w, w), 0);
  }
  for (; i < n; i++) {
    const t = vtmp + usize(i * 2);
    const a = i32(load<i16>(t)) + i32(load<i16>(t, 10));
    const b = i32(load<i16>(t, 2)) + i32(load<i16>(t, 8));
    const c = i32(load<i16>(t, 4)) + i32(load<i16>(t, 6));
    store<u8>(outC + usize(i), u8(clip255((a - 5 * b + 20 * c + 512) >> 10)));
  }
}

// @ts-ignore: decorator
@inline function avg16(a: usize, b: usize, out: usize): void {
  v128.store(out, i8x16.avgr_u(v128.load(a), v128.load(b)));
}

/**
 * Where the luma prediction of the 16x16 block at (px, py), displaced by the quarter-sample vector
 * (mvx, mvy), comes from: plane pointer a alone (full and half samples), or the rounded average of
 * a and b (quarter samples); rows are YS apart. Returns a | b << 32 (b 0 when a stands alone);
 * inlined, the packing costs nothing. Computes the half-sample tiles it needs.
 */
// @ts-ignore: decorator
@inline function lumaSources(px: i32, py: i32, mvx: i32, mvy: i32): u64 {
  const x = px + (mvx >> 2);
  const y = py + (mvy >> 2);
  const o = usize(y * YS + x);
  const f = (mvy & 3) * 4 + (mvx & 3);
  if (f != 0) ensureHalf(x, y, x + 16, y + 16, load<u8>(PLANES_OF + usize(f)));
  let a: usize = 0;
  let b: usize = 0;
  switch (f) {
    case 0: a = refY + o; break;
    case 1: a = refY + o; b = refH + o; break;
    case 2: a = refH + o; break;
    case 3: a = refH + o; b = refY + o + 1; break;
    case 4: a = refY + o; b = refVh + o; break;
    case 5: a = refH + o; b = refVh + o; break;
    case 6: a = refH + o; b = refC + o; break;
    case 7: a = refH + o; b = refVh + o + 1; break;
    case 8: a = refVh + o; break;
    case 9: a = refVh + o; b = refC + o; break;
    case 10: a = refC + o; break;
    case 11: a = refC + o; b = refVh + o + 1; break;
    case 12: a = refVh + o; b = refY + o + usize(YS); break;
    case 13: a = refVh + o; b = refH + o + usize(YS); break;
    case 14: a = refC + o; b = refH + o + usize(YS); break;
    default: a = refVh + o + 1; b = refH + o + usize(YS); break;
  }
  return u64(a) | (u64(b) << 32);
}

/**
 * Luma prediction of a 16x16 block whose top-left sample is at (px, py), displaced by the quarter
 * sample vector (mvx, mvy), into `out` (stride 16).
 */
export function mcLuma16x16(px: i32, py: i32, mvx: i32, mvy: i32, out: usize): void {
  const ab = lumaSources(px, py, mvx, mvy);
  let a = usize(ab & 0xffffffff);
  let b = usize(ab >> 32);
  const s = usize(YS);
  if (b == 0) {
    for (let i = 0; i < 16; i++) {
      v128.store(out + usize(i * 16), v128.load(a));
      a += s;
    }
  } else {
    for (let i = 0; i < 16; i++) {
      avg16(a, b, out + usize(i * 16));
      a += s;
      b += s;
    }
  }
}

/**
 * The half-sample planes a half-sample diamond around the full-sample point (x, y) reads (picture
 * coordinates of the block's top-left sample): the horizontal plane one sample left of it and at
 * it, the vertical plane one row above and at it. What lumaPlaneAt would compute for those four
 * vectors, in two calls instead of four.
 */
export function ensureHalfDiamond(x: i32, y: i32): void {
  ensureHalf(x - 1, y, x + 16, y + 16, PLANE_H);
  ensureHalf(x, y - 1, x + 16, y + 16, PLANE_V);
}

/**
 * Where that prediction lies in one plane as it is (full and half samples), so that a cost can
 * be read there without mcLuma16x16's copy; 0 for a quarter-sample vector, which averages two
 * planes. Rows are YS apart.
 */
export function lumaPlaneAt(px: i32, py: i32, mvx: i32, mvy: i32): usize {
  if (((mvx | mvy) & 1) != 0) return 0;
  return usize(lumaSources(px, py, mvx, mvy) & 0xffffffff);
}

/** Chroma prediction of both 8x8 blocks for a macroblock at luma (px, py) with luma vector (mvx, mvy). */
export function mcChroma8x8(px: i32, py: i32, mvx: i32, mvy: i32, outU: usize, outV: usize): void {
  const x = (px >> 1) + (mvx >> 3);
  const y = (py >> 1) + (mvy >> 3);
  const fx = mvx & 7;
  const fy = mvy & 7;
  const o = usize(y * CS + x);
  chromaBlockSimd(refU + o, CS, outU, fx, fy);
  chromaBlockSimd(refV + o, CS, outV, fx, fy);
}

/** The v128 chroma interpolation of an 8x8 block (stride of the source: ss). */
export function chromaBlockSimd(src: usize, ss: i32, out: usize, fx: i32, fy: i32): void {
  const s = usize(ss);
  if (fx == 0 && fy == 0) {
    for (let i = 0; i < 8; i++) store<u64>(out + usize(i * 8), load<u64>(src + usize(i) * s));
    return;
  }
  const wa = i16x8.splat(i16((8 - fx) * (8 - fy)));
  const wb = i16x8.splat(i16(fx * (8 - fy)));
  const wc = i16x8.splat(i16((8 - fx) * fy));
  const wd = i16x8.splat(i16(fx * fy));
  const r32 = i16x8.splat(32);
  let top = v128.load_ext<u8>(src);
  let topR = v128.load_ext<u8>(src + 1);
  for (let i = 0; i < 8; i++) {
    const row = src + usize(i + 1) * s;
    const bot = v128.load_ext<u8>(row);
    const botR = v128.load_ext<u8>(row + 1);
    const v = i16x8.add(i16x8.add(i16x8.mul(top, wa), i16x8.mul(topR, wb)), i16x8.add(i16x8.mul(bot, wc), i16x8.mul(botR, wd)));
    const r = i16x8.shr_u(i16x8.add(v, r32), 6);
    v128.store64_lane(out + usize(i * 8), i8x16.narrow_i16x8_u(r, r), 0);
    top = bot;
    topR = botR;
  }
}

/** Scalar reference of the chroma interpolation (8.4.2.2.2). */
export function chromaBlockRef(src: usize, ss: i32, out: usize, fx: i32, fy: i32): void {
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      const p = src + usize(y * ss + x);
      const a = i32(load<u8>(p)), b = i32(load<u8>(p + 1)), c = i32(load<u8>(p + usize(ss))), d = i32(load<u8>(p + usize(ss) + 1));
      store<u8>(out + usize(y * 8 + x), u8(((8 - fx) * (8 - fy) * a + fx * (8 - fy) * b + (8 - fx) * fy * c + fx * fy * d + 32) >> 6));
    }
  }
}

// @ts-ignore: decorator
@inline function tapAt(p: usize, step: usize): i32 {
  return i32(load<u8>(p - 2 * step)) - 5 * i32(load<u8>(p - step)) + 20 * i32(load<u8>(p)) + 20 * i32(load<u8>(p + step)) - 5 * i32(load<u8>(p + 2 * step)) + i32(load<u8>(p + 3 * step));
}

/** Scalar reference of the three half-sample rows (8.4.2.2.1: b, h and j), `n` samples from `src`. */
export function halfRowsRef(src: usize, s: i32, n: i32, outH: usize, outV: usize, outC: usize): void {
  const ss = usize(s);
  for (let x = 0; x < n; x++) {
    const p = src + usize(x);
    store<u8>(outH + usize(x), u8(clip255((tapAt(p, 1) + 16) >> 5)));
    store<u8>(outV + usize(x), u8(clip255((tapAt(p, ss) + 16) >> 5)));
    // j from the unrounded vertical sums of the six columns around x + 1/2
    const j = tapAt(p - 2, ss) - 5 * tapAt(p - 1, ss) + 20 * tapAt(p, ss) + 20 * tapAt(p + 1, ss) - 5 * tapAt(p + 2, ss) + tapAt(p + 3, ss);
    store<u8>(outC + usize(x), u8(clip255((j + 512) >> 10)));
  }
}
