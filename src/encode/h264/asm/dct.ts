// Transform and quantisation (ITU-T H.264 8.5): the 4x4 integer transform and its inverse, the
// Hadamard transforms of the luma (Intra16x16) and chroma DC coefficients, and (de)quantisation
// with flat scaling matrices. Coefficient blocks are 16 x i16 in raster order.
import { QUANT_MF, DEQUANT_V, POS_CLASS } from './tables';

/** Per qp (0..51): MF per raster position (i32 x 16) and the dequantisation scale V << (qp / 6). */
let quantMf: usize = 0;
let dequantScale: usize = 0;
/** Per qp: zeroSadInter's and zeroSadChromaDc's bounds (i32 each). */
let zeroSad: usize = 0;
let zeroSadDc: usize = 0;

export function initQuantTables(): void {
  quantMf = memory.data(52 * 64);
  dequantScale = memory.data(52 * 64);
  zeroSad = memory.data(52 * 4);
  zeroSadDc = memory.data(52 * 4);
  for (let qp = 0; qp < 52; qp++) {
    const m = qp % 6;
    // The 4x4 transform's basis rows are (1 1 1 1), (2 1 -1 -2), (1 -1 -1 1), (1 -2 2 -1): a
    // coefficient at row u, column v is at most wu * wv * SAD, with w 1 for even and 2 for odd.
    let reach = 0;
    for (let i = 0; i < 16; i++) {
      const c = i32(load<u8>(POS_CLASS + usize(i)));
      const mf = load<i32>(QUANT_MF + usize((m * 3 + c) * 4));
      store<i32>(quantMf + usize(qp * 64 + i * 4), mf);
      store<i32>(dequantScale + usize(qp * 64 + i * 4), load<i32>(DEQUANT_V + usize((m * 3 + c) * 4)) << (qp / 6));
      reach = max<i32>(reach, mf * (((i >> 2) & 1) + 1) * ((i & 1) + 1));
    }
    // A level is zero when |coef| * MF + bias < 2^qbits (quant4x4's dead zone, inter bias 1/6).
    const qbits = 15 + qp / 6;
    store<i32>(zeroSad + usize(qp * 4), ((1 << qbits) - (1 << qbits) / 6 - 1) / reach);
    // Chroma DC (quantChromaDc, inter): each Hadamard output is at most the sum of the four blocks'
    // DC coefficients, each at most its block's SAD.
    const dcBits = qbits + 1;
    store<i32>(zeroSadDc + usize(qp * 4), ((1 << dcBits) - (2 << (dcBits - 1)) / 6 - 1) / load<i32>(quantMf + usize(qp * 64)));
  }
}

/**
 * The largest SAD of a 4x4 inter residual whose 16 levels are all zero whatever its shape: every
 * coefficient is then below the dead zone. The bound is tight: one more, all in a corner sample,
 * puts 4 x the SAD into coefficient (1,1) and leaves a level there (test/h264-kernels). Lets
 * encodeInterLuma and encodeChroma skip the transform.
 */
// @ts-ignore: decorator
@inline export function zeroSadInter(qp: i32): i32 {
  return load<i32>(zeroSad + usize(qp * 4));
}

/**
 * The largest SAD of an 8x8 inter chroma residual (the sum over its four 4x4 blocks) whose DC
 * levels are all zero; with each block within zeroSadInter, its AC levels are zero too.
 */
// @ts-ignore: decorator
@inline export function zeroSadChromaDc(qp: i32): i32 {
  return load<i32>(zeroSadDc + usize(qp * 4));
}

/**
 * Inter levels: the dead zone (1/6 of a step) decides which coefficients are zero, and the ones
 * it lets through are rounded with 20/64 of a step. One offset for both leaves inter blocks with
 * about twice the error of rounding to nearest (for a uniform residual, 0.19 against 0.08 of a
 * step squared); a larger offset only for the zero/non-zero decision keeps the bits that decision
 * saves. 20/64 is the best of 11 (a single offset), 16, 20, 26 and 32 in BD-rate on testsrc2 and
 * plasma at 720p, qp 22–38 (luma and RGB PSNR). Intra levels keep one offset, 1/3.
 */
const ROUND_INTER: i32 = 20;

// @ts-ignore: decorator
@inline function roundingOf(qbits: i32, intra: bool): i32 {
  return intra ? (1 << qbits) / 3 : (ROUND_INTER << qbits) >> 6;
}

/** Largest |level| that CAVLC can code in every context (level_prefix <= 15 in Baseline). */
export const MAX_LEVEL: i32 = 2063;

// A DC level clamped to MAX_LEVEL: the reconstruction then differs from what the residual asked
// for, by up to 31 levels of luma at qp 3 (a flat residual of more than ~80). Only the DC levels
// can get there, at the lowest qps: an Intra16x16 DC sums sixteen blocks (up to 6,528 at qp 0),
// a chroma DC four (3,264), while a 4x4 block's level stays under 1,632 for 8-bit samples. The
// frame loop sends such a macroblock as I_PCM (exact) instead.
let lumaDcClamped = false;
let chromaDcClamped = false;

/** True when the last Intra16x16 DC or chroma DC quantisation since they were cleared clamped a level. */
export function dcLevelClamped(): bool {
  return lumaDcClamped || chromaDcClamped;
}

/**
 * Clears the clamp flags: both at each macroblock's start (frame.ts; its Intra16x16 luma is coded
 * at most once), the chroma one again before each chroma coding (a P_Skip trial codes chroma too).
 */
export function clearDcClamp(luma: bool, chroma: bool): void {
  if (luma) lumaDcClamped = false;
  if (chroma) chromaDcClamped = false;
}

/** Residual (src - pred) of a 4x4 block and its forward core transform into `out`. */
export function subFdct4x4(src: usize, ss: i32, pred: usize, ps: i32, out: usize): void {
  for (let y = 0; y < 4; y++) {
    const s = src + usize(y * ss);
    const p = pred + usize(y * ps);
    const x0 = i32(load<u8>(s)) - i32(load<u8>(p));
    const x1 = i32(load<u8>(s, 1)) - i32(load<u8>(p, 1));
    const x2 = i32(load<u8>(s, 2)) - i32(load<u8>(p, 2));
    const x3 = i32(load<u8>(s, 3)) - i32(load<u8>(p, 3));
    const s03 = x0 + x3, d03 = x0 - x3, s12 = x1 + x2, d12 = x1 - x2;
    const o = out + usize(y * 8);
    store<i16>(o, i16(s03 + s12));
    store<i16>(o, i16(2 * d03 + d12), 2);
    store<i16>(o, i16(s03 - s12), 4);
    store<i16>(o, i16(d03 - 2 * d12), 6);
  }
  for (let x = 0; x < 4; x++) {
    const o = out + usize(x * 2);
    const x0 = i32(load<i16>(o)), x1 = i32(load<i16>(o, 8)), x2 = i32(load<i16>(o, 16)), x3 = i32(load<i16>(o, 24));
    const s03 = x0 + x3, d03 = x0 - x3, s12 = x1 + x2, d12 = x1 - x2;
    store<i16>(o, i16(s03 + s12));
    store<i16>(o, i16(2 * d03 + d12), 8);
    store<i16>(o, i16(s03 - s12), 16);
    store<i16>(o, i16(d03 - 2 * d12), 24);
  }
}

/**
 * Quantises 16 coefficients (raster) into levels (raster), from index `start` (1 leaves the DC to
 * a DC transform; its level is set to 0). `intra` picks the dead zone (1/3 or 1/6 of a step).
 * Returns the number of non-zero levels.
 */
export function quant4x4(coef: usize, lev: usize, qp: i32, intra: bool, start: i32): i32 {
  const qbits = 15 + qp / 6;
  const bias = intra ? (1 << qbits) / 3 : (1 << qbits) / 6;
  const round = roundingOf(qbits, intra);
  const mf = quantMf + usize(qp * 64);
  let nz = 0;
  if (start == 1) store<i16>(lev, 0);
  for (let i = start; i < 16; i++) {
    const c = i32(load<i16>(coef + usize(i * 2)));
    const a = abs<i32>(c) * load<i32>(mf + usize(i * 4));
    let l = (a + bias) >> qbits;
    if (l != 0) l = (a + round) >> qbits;
    if (l > MAX_LEVEL) l = MAX_LEVEL;
    if (l != 0) nz++;
    store<i16>(lev + usize(i * 2), i16(c < 0 ? -l : l));
  }
  return nz;
}

/** Dequantises 16 levels into coefficients (the v128 form of dequant4x4Ref); index 0 too when start is 0. */
export function dequant4x4(lev: usize, coef: usize, qp: i32, start: i32): void {
  const sc = dequantScale + usize(qp * 64);
  const s0 = i16x8.narrow_i32x4_s(v128.load(sc), v128.load(sc, 16));
  const s1 = i16x8.narrow_i32x4_s(v128.load(sc, 32), v128.load(sc, 48));
  const c0 = load<i16>(coef);
  v128.store(coef, i16x8.mul(v128.load(lev), s0));
  v128.store(coef, i16x8.mul(v128.load(lev, 16), s1), 16);
  if (start == 1) store<i16>(coef, c0);
}

/** Dequantises 16 levels (raster) into coefficients (raster), from index `start`. */
export function dequant4x4Ref(lev: usize, coef: usize, qp: i32, start: i32): void {
  const sc = dequantScale + usize(qp * 64);
  for (let i = start; i < 16; i++) {
    store<i16>(coef + usize(i * 2), i16(i32(load<i16>(lev + usize(i * 2))) * load<i32>(sc + usize(i * 4))));
  }
}

/** Inverse transform of dequantised coefficients (raster), added to the 4x4 block at `dst`, clipped. */
export function idct4x4Add(coef: usize, dst: usize, ds: i32): void {
  const t = memory.data(64); // i32 x 16
  for (let y = 0; y < 4; y++) {
    const c = coef + usize(y * 8);
    const d0 = i32(load<i16>(c)), d1 = i32(load<i16>(c, 2)), d2 = i32(load<i16>(c, 4)), d3 = i32(load<i16>(c, 6));
    const e0 = d0 + d2, e1 = d0 - d2, e2 = (d1 >> 1) - d3, e3 = d1 + (d3 >> 1);
    const o = t + usize(y * 16);
    store<i32>(o, e0 + e3);
    store<i32>(o, e1 + e2, 4);
    store<i32>(o, e1 - e2, 8);
    store<i32>(o, e0 - e3, 12);
  }
  for (let x = 0; x < 4; x++) {
    const c = t + usize(x * 4);
    const d0 = load<i32>(c), d1 = load<i32>(c, 16), d2 = load<i32>(c, 32), d3 = load<i32>(c, 48);
    const e0 = d0 + d2, e1 = d0 - d2, e2 = (d1 >> 1) - d3, e3 = d1 + (d3 >> 1);
    addClip(dst + usize(x), (e0 + e3 + 32) >> 6);
    addClip(dst + usize(ds + x), (e1 + e2 + 32) >> 6);
    addClip(dst + usize(2 * ds + x), (e1 - e2 + 32) >> 6);
    addClip(dst + usize(3 * ds + x), (e0 - e3 + 32) >> 6);
  }
}

// @ts-ignore: decorator
@inline function addClip(p: usize, r: i32): void {
  const v = i32(load<u8>(p)) + r;
  store<u8>(p, u8(v < 0 ? 0 : v > 255 ? 255 : v));
}

/** Adds a DC-only residual (dequantised DC `dc`) to the 4x4 block at `dst`. */
export function idctDcAdd(dc: i32, dst: usize, ds: i32): void {
  const r = (dc + 32) >> 6;
  for (let y = 0; y < 4; y++) {
    for (let x = 0; x < 4; x++) addClip(dst + usize(y * ds + x), r);
  }
}

/**
 * Intra16x16 DC: forward 4x4 Hadamard of the 16 DC coefficients (raster over the blocks, i16),
 * halved, then quantised with twice the step (qbits + 1). Levels go to `lev` (raster); returns
 * the non-zero count.
 */
export function quantLumaDc(dc: usize, lev: usize, qp: i32): i32 {
  const t = memory.data(64);
  hadamard4x4(dc, t);
  const qbits = 16 + qp / 6;
  const mf = load<i32>(quantMf + usize(qp * 64));
  const bias = (2 << (qbits - 1)) / 3; // intra dead zone at the doubled step
  let nz = 0;
  for (let i = 0; i < 16; i++) {
    const c = load<i32>(t + usize(i * 4)) >> 1;
    let l = (abs<i32>(c) * mf + bias) >> qbits;
    if (l > MAX_LEVEL) {
      l = MAX_LEVEL;
      lumaDcClamped = true;
    }
    if (l != 0) nz++;
    store<i16>(lev + usize(i * 2), i16(c < 0 ? -l : l));
  }
  return nz;
}

/** Intra16x16 DC reconstruction (8.5.10): inverse Hadamard of the levels and scaling, into `out` (i16 raster). */
export function dequantLumaDc(lev: usize, out: usize, qp: i32): void {
  const t = memory.data(64);
  hadamard4x4(lev, t);
  const scale = 16 * load<i32>(dequantScale + usize((qp % 6) * 64)); // LevelScale4x4(qp % 6, 0, 0)
  const q6 = qp / 6;
  for (let i = 0; i < 16; i++) {
    const f = load<i32>(t + usize(i * 4));
    const d = q6 >= 6 ? (f * scale) << (q6 - 6) : (f * scale + (1 << (5 - q6))) >> (6 - q6);
    store<i16>(out + usize(i * 2), i16(d));
  }
}

/** 4x4 Hadamard of i16 raster input into i32 raster output (the same matrix both ways). */
function hadamard4x4(src: usize, t: usize): void {
  for (let y = 0; y < 4; y++) {
    const s = src + usize(y * 8);
    const x0 = i32(load<i16>(s)), x1 = i32(load<i16>(s, 2)), x2 = i32(load<i16>(s, 4)), x3 = i32(load<i16>(s, 6));
    const s01 = x0 + x1, d01 = x0 - x1, s23 = x2 + x3, d23 = x2 - x3;
    const o = t + usize(y * 16);
    store<i32>(o, s01 + s23);
    store<i32>(o, s01 - s23, 4);
    store<i32>(o, d01 - d23, 8);
    store<i32>(o, d01 + d23, 12);
  }
  for (let x = 0; x < 4; x++) {
    const o = t + usize(x * 4);
    const x0 = load<i32>(o), x1 = load<i32>(o, 16), x2 = load<i32>(o, 32), x3 = load<i32>(o, 48);
    const s01 = x0 + x1, d01 = x0 - x1, s23 = x2 + x3, d23 = x2 - x3;
    store<i32>(o, s01 + s23);
    store<i32>(o, s01 - s23, 16);
    store<i32>(o, d01 - d23, 32);
    store<i32>(o, d01 + d23, 48);
  }
}

/** Chroma DC: 2x2 Hadamard of the four DC coefficients (i16 x 4) and quantisation; returns non-zero count. */
export function quantChromaDc(dc: usize, lev: usize, qp: i32, intra: bool): i32 {
  const a = i32(load<i16>(dc)), b = i32(load<i16>(dc, 2)), c = i32(load<i16>(dc, 4)), d = i32(load<i16>(dc, 6));
  const qbits = 16 + qp / 6;
  const mf = load<i32>(quantMf + usize(qp * 64));
  const bias = intra ? (2 << (qbits - 1)) / 3 : (2 << (qbits - 1)) / 6;
  let nz = 0;
  nz += quantOne(lev, a + b + c + d, mf, bias, qbits);
  nz += quantOne(lev + 2, a - b + c - d, mf, bias, qbits);
  nz += quantOne(lev + 4, a + b - c - d, mf, bias, qbits);
  nz += quantOne(lev + 6, a - b - c + d, mf, bias, qbits);
  return nz;
}

// @ts-ignore: decorator
@inline function quantOne(p: usize, c: i32, mf: i32, bias: i32, qbits: i32): i32 {
  let l = (abs<i32>(c) * mf + bias) >> qbits;
  if (l > MAX_LEVEL) {
    l = MAX_LEVEL;
    chromaDcClamped = true;
  }
  store<i16>(p, i16(c < 0 ? -l : l));
  return l != 0 ? 1 : 0;
}

/** Chroma DC reconstruction (8.5.11): 2x2 inverse Hadamard and scaling, into `out` (i16 x 4). */
export function dequantChromaDc(lev: usize, out: usize, qp: i32): void {
  const a = i32(load<i16>(lev)), b = i32(load<i16>(lev, 2)), c = i32(load<i16>(lev, 4)), d = i32(load<i16>(lev, 6));
  const scale = 16 * load<i32>(dequantScale + usize((qp % 6) * 64));
  const q6 = qp / 6;
  store<i16>(out, i16((((a + b + c + d) * scale) << q6) >> 5));
  store<i16>(out, i16((((a - b + c - d) * scale) << q6) >> 5), 2);
  store<i16>(out, i16((((a + b - c - d) * scale) << q6) >> 5), 4);
  store<i16>(out, i16((((a - b - c + d) * scale) << q6) >> 5), 6);
}

// ---- v128 kernels (scalar references above: subFdct4x4, quant4x4) ----

/** Transposes the two 4x4 blocks held side by side in rows r0..r3 (i16 lanes 0-3 and 4-7). */
// @ts-ignore: decorator
@inline function transposePair(r0: v128, r1: v128, r2: v128, r3: v128, out: usize): void {
  const t0 = v128.shuffle<i16>(r0, r1, 0, 8, 1, 9, 4, 12, 5, 13);
  const t1 = v128.shuffle<i16>(r0, r1, 2, 10, 3, 11, 6, 14, 7, 15);
  const t2 = v128.shuffle<i16>(r2, r3, 0, 8, 1, 9, 4, 12, 5, 13);
  const t3 = v128.shuffle<i16>(r2, r3, 2, 10, 3, 11, 6, 14, 7, 15);
  v128.store(out, v128.shuffle<i32>(t0, t2, 0, 4, 2, 6));
  v128.store(out, v128.shuffle<i32>(t0, t2, 1, 5, 3, 7), 16);
  v128.store(out, v128.shuffle<i32>(t1, t3, 0, 4, 2, 6), 32);
  v128.store(out, v128.shuffle<i32>(t1, t3, 1, 5, 3, 7), 48);
}

const FDCT_TMP = memory.data(64);

/**
 * Residual and forward transform of two horizontally adjacent 4x4 blocks (8x4 samples): the
 * coefficients of the left block go to `outL`, the right one's to `outR` (raster, i16 x 16 each).
 */
// @ts-ignore: decorator
@inline function fdct8x4(src: usize, ss: i32, pred: usize, ps: i32, outL: usize, outR: usize): void {
  const s = usize(ss), p = usize(ps);
  const x0 = i16x8.sub(v128.load_ext<u8>(src), v128.load_ext<u8>(pred));
  const x1 = i16x8.sub(v128.load_ext<u8>(src + s), v128.load_ext<u8>(pred + p));
  const x2 = i16x8.sub(v128.load_ext<u8>(src + 2 * s), v128.load_ext<u8>(pred + 2 * p));
  const x3 = i16x8.sub(v128.load_ext<u8>(src + 3 * s), v128.load_ext<u8>(pred + 3 * p));
  // vertical 1-D transform across the rows (each lane is a column)
  const s03 = i16x8.add(x0, x3), d03 = i16x8.sub(x0, x3), s12 = i16x8.add(x1, x2), d12 = i16x8.sub(x1, x2);
  const y0 = i16x8.add(s03, s12);
  const y1 = i16x8.add(i16x8.shl(d03, 1), d12);
  const y2 = i16x8.sub(s03, s12);
  const y3 = i16x8.sub(d03, i16x8.shl(d12, 1));
  // transpose: each vector now holds one column of the intermediate, for both blocks
  transposePair(y0, y1, y2, y3, FDCT_TMP);
  const c0 = v128.load(FDCT_TMP), c1 = v128.load(FDCT_TMP, 16), c2 = v128.load(FDCT_TMP, 32), c3 = v128.load(FDCT_TMP, 48);
  // horizontal transform (across the column vectors): results are the coefficient columns
  const a03 = i16x8.add(c0, c3), b03 = i16x8.sub(c0, c3), a12 = i16x8.add(c1, c2), b12 = i16x8.sub(c1, c2);
  const z0 = i16x8.add(a03, a12);
  const z1 = i16x8.add(i16x8.shl(b03, 1), b12);
  const z2 = i16x8.sub(a03, a12);
  const z3 = i16x8.sub(b03, i16x8.shl(b12, 1));
  // z_k lanes: [Z[0][k] Z[1][k] Z[2][k] Z[3][k] | right block]; transpose back to raster rows
  transposePair(z0, z1, z2, z3, FDCT_TMP);
  // FDCT_TMP now holds rows 0..3, each [left row | right row]
  for (let r = 0; r < 4; r++) {
    const v = v128.load(FDCT_TMP + usize(r * 16));
    v128.store64_lane(outL + usize(r * 8), v, 0);
    v128.store64_lane(outR + usize(r * 8), v, 1);
  }
}

/** Residual + transform of a 16x16 luma block into 16 coefficient blocks (raster block order). */
export function fdct16x16(src: usize, ss: i32, pred: usize, ps: i32, out: usize): void {
  for (let by = 0; by < 4; by++) {
    for (let bx = 0; bx < 4; bx += 2) {
      const b = by * 4 + bx;
      fdct8x4(src + usize(by * 4 * ss + bx * 4), ss, pred + usize(by * 4 * ps + bx * 4), ps, out + usize(b * 32), out + usize((b + 1) * 32));
    }
  }
}

/**
 * Residual + transform of one 4x4 block. The kernel works on 8x4 samples, so it reads (and
 * transforms, into `scratch`) the four columns to the right as well; callers' buffers allow that.
 */
export function fdct4x4(src: usize, ss: i32, pred: usize, ps: i32, out: usize, scratch: usize): void {
  fdct8x4(src, ss, pred, ps, out, scratch);
}

/** Residual + transform of an 8x8 chroma block into 4 coefficient blocks. */
export function fdct8x8(src: usize, ss: i32, pred: usize, ps: i32, out: usize): void {
  fdct8x4(src, ss, pred, ps, out, out + 32);
  fdct8x4(src + usize(4 * ss), ss, pred + usize(4 * ps), ps, out + 64, out + 96);
}

/**
 * Quantises `count` consecutive coefficient blocks (i16 x 16 each) into levels, from index
 * `start` of each block; writes each block's non-zero count to `nz` (u8 per block).
 * The v128 form of quant4x4.
 */
export function quantBlocks(coef: usize, lev: usize, count: i32, qp: i32, intra: bool, start: i32, nz: usize): void {
  const qbits = 15 + qp / 6;
  // A level is zero when (|c| * MF + bias) >> qbits is: when |c| * MF < 2^qbits - bias. One
  // compare against that bound replaces an add, a shift by a variable count and a compare.
  const live = i32x4.splat((1 << qbits) - (intra ? (1 << qbits) / 3 : (1 << qbits) / 6) - 1);
  const round = i32x4.splat(roundingOf(qbits, intra));
  const mf = quantMf + usize(qp * 64);
  // MF as i16 lanes (all values < 32768): positions 0-7 and 8-15
  const m0 = i16x8.narrow_i32x4_s(v128.load(mf), v128.load(mf, 16));
  const m1 = i16x8.narrow_i32x4_s(v128.load(mf, 32), v128.load(mf, 48));
  const maxL = i32x4.splat(MAX_LEVEL);
  const zero = i16x8.splat(0);
  for (let k = 0; k < count; k++) {
    const c = coef + usize(k * 32);
    const l = lev + usize(k * 32);
    const lo = quant8(v128.load(c), m0, live, round, qbits, maxL);
    const hi = quant8(v128.load(c, 16), m1, live, round, qbits, maxL);
    v128.store(l, lo);
    v128.store(l, hi, 16);
    if (start == 1) store<i16>(l, 0);
    const n = popcnt<i32>(i16x8.bitmask(i16x8.ne(v128.load(l), zero)) | (i16x8.bitmask(i16x8.ne(hi, zero)) << 8));
    store<u8>(nz + usize(k), u8(n));
  }
}

// @ts-ignore: decorator
@inline function quant8(c: v128, m: v128, live: v128, round: v128, qbits: i32, maxL: v128): v128 {
  const a = i16x8.abs(c);
  // products below 2^30 (|c| <= 32768, MF < 32768): a signed compare is exact
  const al = i32x4.extmul_low_i16x8_u(a, m), ah = i32x4.extmul_high_i16x8_u(a, m);
  // the dead zone decides which levels are zero (products above `live`); the others are rounded with `round`
  const zl = i32x4.gt_s(al, live);
  const zh = i32x4.gt_s(ah, live);
  const pl = v128.and(i32x4.min_s(i32x4.shr_u(i32x4.add(al, round), qbits), maxL), zl);
  const ph = v128.and(i32x4.min_s(i32x4.shr_u(i32x4.add(ah, round), qbits), maxL), zh);
  const l = i16x8.narrow_i32x4_s(pl, ph);
  const sign = i16x8.shr_s(c, 15);
  return i16x8.sub(v128.xor(l, sign), sign);
}

const IDCT_TMP = memory.data(64);

// @ts-ignore: decorator
@inline function idct1d(d0: v128, d1: v128, d2: v128, d3: v128, out: usize): void {
  const e0 = i16x8.add(d0, d2);
  const e1 = i16x8.sub(d0, d2);
  const e2 = i16x8.sub(i16x8.shr_s(d1, 1), d3);
  const e3 = i16x8.add(d1, i16x8.shr_s(d3, 1));
  v128.store(out, i16x8.add(e0, e3));
  v128.store(out, i16x8.add(e1, e2), 16);
  v128.store(out, i16x8.sub(e1, e2), 32);
  v128.store(out, i16x8.sub(e0, e3), 48);
}

/**
 * The v128 form of idct4x4Add for two horizontally adjacent blocks (`coefL`, `coefR`, raster i16
 * x 16): rows first, then columns, as 8.5.12.2 orders them; the result is added to the 8x4 samples
 * at `dst` and clipped. Intermediate values stay in 16 bits, as conforming streams guarantee.
 */
export function idct8x4Add(coefL: usize, coefR: usize, dst: usize, ds: i32): void {
  // rows [left | right]
  const r0 = v128.shuffle<i64>(v128.load(coefL), v128.load(coefR), 0, 2);
  const r1 = v128.shuffle<i64>(v128.load(coefL), v128.load(coefR), 1, 3);
  const r2 = v128.shuffle<i64>(v128.load(coefL, 16), v128.load(coefR, 16), 0, 2);
  const r3 = v128.shuffle<i64>(v128.load(coefL, 16), v128.load(coefR, 16), 1, 3);
  transposePair(r0, r1, r2, r3, IDCT_TMP);
  // horizontal transform: the vectors are the columns
  idct1d(v128.load(IDCT_TMP), v128.load(IDCT_TMP, 16), v128.load(IDCT_TMP, 32), v128.load(IDCT_TMP, 48), IDCT_TMP);
  transposePair(v128.load(IDCT_TMP), v128.load(IDCT_TMP, 16), v128.load(IDCT_TMP, 32), v128.load(IDCT_TMP, 48), IDCT_TMP);
  // vertical transform: the vectors are the rows
  idct1d(v128.load(IDCT_TMP), v128.load(IDCT_TMP, 16), v128.load(IDCT_TMP, 32), v128.load(IDCT_TMP, 48), IDCT_TMP);
  const r32 = i16x8.splat(32);
  const s = usize(ds);
  for (let y = 0; y < 4; y++) {
    const res = i16x8.shr_s(i16x8.add(v128.load(IDCT_TMP + usize(y * 16)), r32), 6);
    const p = dst + usize(y) * s;
    const v = i16x8.add(v128.load_ext<u8>(p), res);
    v128.store64_lane(p, i8x16.narrow_i16x8_u(v, v), 0);
  }
}
