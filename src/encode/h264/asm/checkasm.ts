// Test build entry (build/h264-checkasm.wasm, not shipped): every v128 kernel next to its scalar
// reference, so test/h264-kernels.test.ts can run both on the same random input ("checkasm").
import { alloc } from './state';

export { sad16x16, sad16x16Ref, satd4x4, satd4x4Ref, satd8x8, satd16x16, satdRef, satdI16, satdI16Ref, ssd16x16, ssdRef, sad4x4Within, sad4x4WithinRef, sadBlocks8x8, sadBlocks8x8Ref } from './pixel';
export { chromaBlockRef } from './mc';
export { decimateScore, decimateScoreRef } from './macroblock';

/** A scratch area of `bytes` for the test to fill. */
export function scratch(bytes: i32): usize {
  return alloc(bytes);
}

import { loadEdge4x4, predict4x4, predict4x4Ref, mode4x4Available } from './intra';

/** Predicts mode `m` of the 4x4 block at `rec` both ways into outA / outB (stride 16); false if unavailable. */
export function predict4x4Both(rec: usize, rs: i32, m: i32, left: bool, top: bool, topLeft: bool, topRight: bool, outA: usize, outB: usize): bool {
  if (!mode4x4Available(m, left, top, topLeft)) return false;
  loadEdge4x4(rec, rs, left, top, topLeft, topRight);
  predict4x4(m, outA, 16, left, top);
  predict4x4Ref(m, outB, 16, left, top);
  return true;
}
export { rgbToI420 } from './convert';

import {
  subFdct4x4, fdct16x16, fdct8x8, quant4x4, quantBlocks, quantChromaDc, dequant4x4, dequant4x4Ref, idct4x4Add, idct8x4Add, initQuantTables,
  zeroSadInter, zeroSadChromaDc,
} from './dct';
import { chromaBlockSimd } from './mc';

export function init(): void {
  initQuantTables();
}

/** The bounds under which the encoder skips the inter transform (dct.ts). */
export function zeroSadLuma(qp: i32): i32 {
  return zeroSadInter(qp);
}
export function zeroSadDc(qp: i32): i32 {
  return zeroSadChromaDc(qp);
}

/** Non-zero levels of an inter 16x16 luma residual, transformed and quantised as encodeInterLuma does. */
export function interLumaLevels(src: usize, ss: i32, pred: usize, ps: i32, qp: i32, coef: usize, lev: usize, nz: usize): i32 {
  fdct16x16(src, ss, pred, ps, coef);
  quantBlocks(coef, lev, 16, qp, false, 0, nz);
  let n = 0;
  for (let b = 0; b < 16; b++) n += i32(load<u8>(nz + usize(b)));
  return n;
}

/** Non-zero levels (DC and AC) of an inter 8x8 chroma residual, as encodeChroma codes one plane. */
export function interChromaLevels(src: usize, ss: i32, pred: usize, ps: i32, qp: i32, coef: usize, lev: usize, nz: usize): i32 {
  fdct8x8(src, ss, pred, ps, coef);
  const dc = lev + 256;
  for (let k = 0; k < 4; k++) store<i16>(dc + usize(k * 2), load<i16>(coef + usize(k * 32)));
  let n = quantChromaDc(dc, dc + 8, qp, false);
  quantBlocks(coef, lev, 4, qp, false, 1, nz);
  for (let k = 0; k < 4; k++) n += i32(load<u8>(nz + usize(k)));
  return n;
}

/** fdct16x16 vs 16 x subFdct4x4: returns the index of the first differing coefficient, or -1. */
export function checkFdct(src: usize, ss: i32, pred: usize, ps: i32, outA: usize, outB: usize): i32 {
  fdct16x16(src, ss, pred, ps, outA);
  for (let b = 0; b < 16; b++) subFdct4x4(src + usize((b >> 2) * 4 * ss + (b & 3) * 4), ss, pred + usize((b >> 2) * 4 * ps + (b & 3) * 4), ps, outB + usize(b * 32));
  for (let i = 0; i < 256; i++) if (load<i16>(outA + usize(i * 2)) != load<i16>(outB + usize(i * 2))) return i;
  return -1;
}

/** quantBlocks vs quant4x4 on 16 blocks of coefficients at `coef`. */
export function checkQuant(coef: usize, qp: i32, intra: bool, start: i32, outA: usize, outB: usize, nz: usize): i32 {
  quantBlocks(coef, outA, 16, qp, intra, start, nz);
  for (let b = 0; b < 16; b++) {
    const n = quant4x4(coef + usize(b * 32), outB + usize(b * 32), qp, intra, start);
    if (n != i32(load<u8>(nz + usize(b)))) return 1000 + b;
  }
  for (let i = 0; i < 256; i++) if (load<i16>(outA + usize(i * 2)) != load<i16>(outB + usize(i * 2))) return i;
  return -1;
}

/** dequant4x4 vs dequant4x4Ref. */
export function checkDequant(lev: usize, qp: i32, start: i32, outA: usize, outB: usize): i32 {
  for (let i = 0; i < 16; i++) {
    store<i16>(outA + usize(i * 2), i16(1000 + i));
    store<i16>(outB + usize(i * 2), i16(1000 + i));
  }
  dequant4x4(lev, outA, qp, start);
  dequant4x4Ref(lev, outB, qp, start);
  for (let i = 0; i < 16; i++) if (load<i16>(outA + usize(i * 2)) != load<i16>(outB + usize(i * 2))) return i;
  return -1;
}

/** idct8x4Add vs two idct4x4Add on copies of the 8x4 prediction at `dstA` / `dstB` (stride ds). */
export function checkIdct(coefL: usize, coefR: usize, dstA: usize, dstB: usize, ds: i32): i32 {
  idct8x4Add(coefL, coefR, dstA, ds);
  idct4x4Add(coefL, dstB, ds);
  idct4x4Add(coefR, dstB + 4, ds);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 8; x++) if (load<u8>(dstA + usize(y * ds + x)) != load<u8>(dstB + usize(y * ds + x))) return y * 8 + x;
  return -1;
}

export { chromaBlockSimd };

import { halfRowH, halfRowV, halfRowVC, halfRowsRef, halfTile16 } from './mc';

/**
 * The v128 half-sample rows vs halfRowsRef; `tmp` is i16 scratch. `combined`: the vertical and
 * centre rows from one halfRowVC call (else halfRowV, then halfRowVC for the centre alone).
 * Returns the first bad x (+ 10000 per plane: h, v, j), or -1.
 */
export function checkHalfRows(src: usize, s: i32, n: i32, out: usize, tmp: usize, combined: bool): i32 {
  const o = usize(n + 64);
  memory.fill(out, 0xa5, 6 * o);
  halfRowH(src, out, n);
  if (combined) halfRowVC(src, out + o, out + 2 * o, n, s, tmp);
  else {
    halfRowV(src, out + o, n, s);
    halfRowVC(src, 0, out + 2 * o, n, s, tmp);
  }
  halfRowsRef(src, s, n, out + 3 * o, out + 4 * o, out + 5 * o);
  for (let k: usize = 0; k < 3; k++) {
    for (let x = 0; x < n; x++) if (load<u8>(out + k * o + usize(x)) != load<u8>(out + (k + 3) * o + usize(x))) return i32(k) * 10000 + x;
    // nothing written past the row
    if (load<u8>(out + k * o + usize(n)) != 0xa5) return i32(k) * 10000 + n;
  }
  return -1;
}

/**
 * halfTile16 (the planes in `planes`: 1 h, 2 v, 4 j) vs halfRowsRef row by row, for the 16x16
 * tile at `src`, whose rows are 32 bytes apart (as the outputs' are). `out`: four areas of 16
 * rows of 32 bytes (the three planes, then the reference's rows). Returns the first bad sample as
 * plane * 10000 + y * 100 + x (x 16: written past the tile), or -1.
 */
export function checkHalfTile(src: usize, planes: u8, out: usize): i32 {
  const ps: usize = 16 * 32;
  memory.fill(out, 0xa5, 3 * ps);
  halfTile16(src, out, out + ps, out + 2 * ps, 32, planes);
  const ref = out + 3 * ps;
  for (let y = 0; y < 16; y++) {
    halfRowsRef(src + usize(y * 32), 32, 16, ref, ref + 32, ref + 64);
    for (let k = 0; k < 3; k++) {
      const row = out + usize(k) * ps + usize(y * 32);
      const want = (i32(planes) & (1 << k)) != 0;
      for (let x = 0; x < 17; x++) {
        const got = load<u8>(row + usize(x));
        const exp = want && x < 16 ? load<u8>(ref + usize(k * 32 + x)) : 0xa5;
        if (got != exp) return k * 10000 + y * 100 + x;
      }
    }
  }
  return -1;
}

import { predict16x16, predictChroma, predictBlockRef } from './intra';

/** predict16x16 / predictChroma vs predictBlockRef for `mode`; returns the first bad sample, -1, or -2 if unavailable. */
export function checkPredictBlock(chroma: bool, mode: i32, rec: usize, rs: i32, left: bool, top: bool, outA: usize, outB: usize): i32 {
  const okA = chroma ? predictChroma(mode, rec, rs, outA, left, top) : predict16x16(mode, rec, rs, outA, left, top);
  const okB = predictBlockRef(chroma, mode, rec, rs, outB, left, top);
  if (okA != okB) return 9999;
  if (!okA) return -2;
  const n = chroma ? 64 : 256;
  for (let i = 0; i < n; i++) if (load<u8>(outA + usize(i)) != load<u8>(outB + usize(i))) return i;
  return -1;
}

import { BS, lumaEdgeRef, chromaEdgeRef } from './deblock';
import { lumaEdgeSimd, chromaEdgesSimd } from './deblock-simd';

/**
 * Filters the same edge of two copies of a picture area (at `a` and `b`, stride `s`) with the
 * v128 filter and the scalar reference. `vertical`: a vertical edge; `chroma`: the U edge at q0
 * and a V edge at q0 + 8 rows * s... (vOff bytes further). Returns bytes that differ over `area`.
 */
export function checkDeblock(a: usize, b: usize, area: i32, q0off: i32, s: i32, vertical: bool, chroma: bool, vOff: i32, qp: i32, bs: u32): i32 {
  store<u32>(BS, bs);
  const step = vertical ? 1 : s;
  const along = vertical ? s : 1;
  if (chroma) {
    chromaEdgesSimd(a + usize(q0off), a + usize(q0off + vOff), step, along, qp, bs);
    chromaEdgeRef(b + usize(q0off), step, along, qp);
    chromaEdgeRef(b + usize(q0off + vOff), step, along, qp);
  } else {
    lumaEdgeSimd(a + usize(q0off), step, along, qp, bs);
    lumaEdgeRef(b + usize(q0off), step, along, qp);
  }
  let d = 0;
  for (let i = 0; i < area; i++) if (load<u8>(a + usize(i)) != load<u8>(b + usize(i))) d++;
  return d;
}
