// Transform and quantisation (ITU-T H.264 8.5): the 4x4 integer transform and its inverse, the
// Hadamard transforms of the luma (Intra16x16) and chroma DC coefficients, and (de)quantisation
// with flat scaling matrices. Coefficient blocks are 16 x i16 in raster order.
import { QUANT_MF, DEQUANT_V, POS_CLASS } from './tables';

/** Per qp (0..51): MF per raster position (i32 x 16) and the dequantisation scale V << (qp / 6). */
let quantMf: usize = 0;
let dequantScale: usize = 0;

export function initQuantTables(): void {
  quantMf = memory.data(52 * 64);
  dequantScale = memory.data(52 * 64);
  for (let qp = 0; qp < 52; qp++) {
    const m = qp % 6;
    for (let i = 0; i < 16; i++) {
      const c = i32(load<u8>(POS_CLASS + usize(i)));
      store<i32>(quantMf + usize(qp * 64 + i * 4), load<i32>(QUANT_MF + usize((m * 3 + c) * 4)));
      store<i32>(dequantScale + usize(qp * 64 + i * 4), load<i32>(DEQUANT_V + usize((m * 3 + c) * 4)) << (qp / 6));
    }
  }
}

/** Largest |level| that CAVLC can code in every context (level_prefix <= 15 in Baseline). */
export const MAX_LEVEL: i32 = 2063;

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
  const mf = quantMf + usize(qp * 64);
  let nz = 0;
  if (start == 1) store<i16>(lev, 0);
  for (let i = start; i < 16; i++) {
    const c = i32(load<i16>(coef + usize(i * 2)));
    let l = (abs<i32>(c) * load<i32>(mf + usize(i * 4)) + bias) >> qbits;
    if (l > MAX_LEVEL) l = MAX_LEVEL;
    if (l != 0) nz++;
    store<i16>(lev + usize(i * 2), i16(c < 0 ? -l : l));
  }
  return nz;
}

/** Dequantises 16 levels (raster) into coefficients (raster), from index `start`. */
export function dequant4x4(lev: usize, coef: usize, qp: i32, start: i32): void {
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
    if (l > MAX_LEVEL) l = MAX_LEVEL;
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
  if (l > MAX_LEVEL) l = MAX_LEVEL;
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
