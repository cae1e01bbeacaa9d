// Coding tools for one macroblock: residual → transform → quantisation → levels, and the
// reconstruction a decoder will make from those levels (written into the current picture).
// Decisions (which mode, which vector) are taken in analyse.ts; these functions apply them.
import { subFdct4x4, quant4x4, dequant4x4, idct4x4Add, idctDcAdd, quantLumaDc, dequantLumaDc, quantChromaDc, dequantChromaDc } from './dct';
import { CHROMA_QP, ZIGZAG } from './tables';
import { CW, YS, CS, BW, CBW, srcY, srcU, srcV, curY, curU, curV, nzY, nzU, nzV } from './state';
import { mbX, mbY, qp, predY, predU, predV, levY, levYDc, levC, levCDc, coefTmp, dqTmp, dcTmp, setCbp, cbpLuma, cbpChroma } from './mb';

// @ts-ignore: decorator
@inline function blockIndex(b: i32): i32 {
  return (mbY * 4 + (b >> 2)) * BW + mbX * 4 + (b & 3);
}

// @ts-ignore: decorator
@inline export function srcLuma(): usize {
  return srcY + usize(mbY * 16 * CW + mbX * 16);
}
// @ts-ignore: decorator
@inline export function recLuma(): usize {
  return curY + usize(mbY * 16 * YS + mbX * 16);
}

/** Copies the 16x16 prediction into the picture. */
function copyPredLuma(dst: usize): void {
  for (let y = 0; y < 16; y++) v128.store(dst + usize(y * YS), v128.load(predY + usize(y * 16)));
}

/** Intra16x16 luma from the prediction in predY: DC transform, AC levels, reconstruction. */
export function encodeI16Luma(): void {
  const src = srcLuma();
  const dst = recLuma();
  for (let b = 0; b < 16; b++) {
    const bx = b & 3, by = b >> 2;
    const c = coefTmp + usize(b * 32);
    subFdct4x4(src + usize(by * 4 * CW + bx * 4), CW, predY + usize(by * 64 + bx * 4), 16, c);
    store<i16>(dcTmp + usize(b * 2), load<i16>(c));
  }
  quantLumaDc(dcTmp, levYDc, qp);
  let ac = 0;
  for (let b = 0; b < 16; b++) {
    const n = quant4x4(coefTmp + usize(b * 32), levY + usize(b * 32), qp, true, 1);
    store<u8>(nzY + usize(blockIndex(b)), u8(n));
    ac |= n;
  }
  setCbp(ac != 0 ? 15 : 0, cbpChroma);
  copyPredLuma(dst);
  dequantLumaDc(levYDc, dqTmp, qp);
  for (let b = 0; b < 16; b++) {
    const d = dst + usize((b >> 2) * 4 * YS + (b & 3) * 4);
    const dc = i32(load<i16>(dqTmp + usize(b * 2)));
    if (load<u8>(nzY + usize(blockIndex(b))) != 0) {
      const c = coefTmp + usize(b * 32);
      dequant4x4(levY + usize(b * 32), c, qp, 1);
      store<i16>(c, i16(dc));
      idct4x4Add(c, d, YS);
    } else if (dc != 0) idctDcAdd(dc, d, YS);
  }
}

/**
 * One Intra4x4 block (raster index b) from the prediction at its place in predY: levels,
 * reconstruction into the picture. Returns its non-zero count.
 */
export function encodeI4Block(b: i32): i32 {
  const bx = b & 3, by = b >> 2;
  const src = srcLuma() + usize(by * 4 * CW + bx * 4);
  const pred = predY + usize(by * 64 + bx * 4);
  const dst = recLuma() + usize(by * 4 * YS + bx * 4);
  const lev = levY + usize(b * 32);
  subFdct4x4(src, CW, pred, 16, coefTmp);
  const n = quant4x4(coefTmp, lev, qp, true, 0);
  store<u8>(nzY + usize(blockIndex(b)), u8(n));
  for (let y = 0; y < 4; y++) store<u32>(dst + usize(y * YS), load<u32>(pred + usize(y * 16)));
  if (n != 0) {
    dequant4x4(lev, coefTmp, qp, 0);
    idct4x4Add(coefTmp, dst, YS);
  }
  return n;
}

/** Weight of a run of zeros before a ±1 level, for decimation (how much a lone small level costs to code). */
const DECIMATE_RUN = memory.data<u8>([3, 2, 2, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

/** How much a block's levels are worth keeping: 9 (any |level| > 1) or a small score of its ±1s. */
function decimateScore(lev: usize, start: i32): i32 {
  let i = 15;
  while (i >= start && load<i16>(lev + usize(i32(load<u8>(ZIGZAG + usize(i))) * 2)) == 0) i--;
  let score = 0;
  while (i >= start) {
    const l = i32(load<i16>(lev + usize(i32(load<u8>(ZIGZAG + usize(i))) * 2)));
    if (l > 1 || l < -1) return 9;
    i--;
    let run = 0;
    while (i >= start && load<i16>(lev + usize(i32(load<u8>(ZIGZAG + usize(i))) * 2)) == 0) {
      i--;
      run++;
    }
    score += i32(load<u8>(DECIMATE_RUN + usize(run)));
  }
  return score;
}

function zeroBlock(lev: usize): void {
  v128.store(lev, i8x16.splat(0));
  v128.store(lev + 16, i8x16.splat(0));
}

/** Inter luma from the motion-compensated prediction in predY. Returns the luma cbp. */
export function encodeInterLuma(decimate: bool): i32 {
  const src = srcLuma();
  const dst = recLuma();
  let cbp = 0;
  let total = 0;
  const scores = memory.data(4 * 4);
  for (let q = 0; q < 4; q++) {
    let s = 0;
    for (let k = 0; k < 4; k++) {
      // block k of 8x8 quadrant q, raster index
      const b = ((q >> 1) * 8) + ((q & 1) * 2) + ((k >> 1) * 4) + (k & 1);
      const bx = b & 3, by = b >> 2;
      const c = coefTmp + usize(b * 32);
      subFdct4x4(src + usize(by * 4 * CW + bx * 4), CW, predY + usize(by * 64 + bx * 4), 16, c);
      const n = quant4x4(c, levY + usize(b * 32), qp, false, 0);
      store<u8>(nzY + usize(blockIndex(b)), u8(n));
      if (n != 0) s += decimate ? decimateScore(levY + usize(b * 32), 0) : 9;
    }
    store<i32>(scores + usize(q * 4), s);
    total += s;
  }
  for (let q = 0; q < 4; q++) {
    const s = load<i32>(scores + usize(q * 4));
    const keep = s != 0 && (!decimate || (total >= 6 && s >= 4));
    for (let k = 0; k < 4; k++) {
      const b = ((q >> 1) * 8) + ((q & 1) * 2) + ((k >> 1) * 4) + (k & 1);
      if (!keep) {
        zeroBlock(levY + usize(b * 32));
        store<u8>(nzY + usize(blockIndex(b)), 0);
      }
    }
    if (keep) cbp |= 1 << q;
  }
  copyPredLuma(dst);
  if (cbp != 0) {
    for (let b = 0; b < 16; b++) {
      if (load<u8>(nzY + usize(blockIndex(b))) == 0) continue;
      const c = coefTmp + usize(b * 32);
      dequant4x4(levY + usize(b * 32), c, qp, 0);
      idct4x4Add(c, dst + usize((b >> 2) * 4 * YS + (b & 3) * 4), YS);
    }
  }
  return cbp;
}

/** Chroma (both planes) from the predictions in predU/predV. Sets cbpChroma; reconstructs. */
export function encodeChroma(intra: bool, decimate: bool): void {
  const qpc = i32(load<u8>(CHROMA_QP + usize(qp)));
  const cs = CW >> 1;
  let anyDc = 0;
  let anyAc = 0;
  for (let p = 0; p < 2; p++) {
    const src = (p == 0 ? srcU : srcV) + usize(mbY * 8 * cs + mbX * 8);
    const pred = p == 0 ? predU : predV;
    for (let k = 0; k < 4; k++) {
      const bx = k & 1, by = k >> 1;
      const c = coefTmp + usize((p * 4 + k) * 32);
      subFdct4x4(src + usize(by * 4 * cs + bx * 4), cs, pred + usize(by * 32 + bx * 4), 8, c);
      store<i16>(dcTmp + usize((p * 4 + k) * 2), load<i16>(c));
    }
    anyDc |= quantChromaDc(dcTmp + usize(p * 8), levCDc + usize(p * 8), qpc, intra);
    let planeAc = 0;
    let score = 0;
    for (let k = 0; k < 4; k++) {
      const lev = levC + usize((p * 4 + k) * 32);
      const n = quant4x4(coefTmp + usize((p * 4 + k) * 32), lev, qpc, intra, 1);
      store<u8>(chromaNzPtr(p, k), u8(n));
      planeAc |= n;
      if (n != 0 && decimate) score += decimateScore(lev, 1);
    }
    if (planeAc != 0 && decimate && score < 7) {
      for (let k = 0; k < 4; k++) {
        zeroBlock(levC + usize((p * 4 + k) * 32));
        store<u8>(chromaNzPtr(p, k), 0);
      }
      planeAc = 0;
    }
    anyAc |= planeAc;
  }
  const cbpc = anyAc != 0 ? 2 : anyDc != 0 ? 1 : 0;
  if (cbpc < 2) {
    for (let p = 0; p < 2; p++) for (let k = 0; k < 4; k++) store<u8>(chromaNzPtr(p, k), 0);
  }
  setCbp(cbpLuma, cbpc);
  for (let p = 0; p < 2; p++) {
    const pred = p == 0 ? predU : predV;
    const dst = (p == 0 ? curU : curV) + usize(mbY * 8 * CS + mbX * 8);
    for (let y = 0; y < 8; y++) store<u64>(dst + usize(y * CS), load<u64>(pred + usize(y * 8)));
    if (cbpc == 0) continue;
    dequantChromaDc(levCDc + usize(p * 8), dqTmp, qpc);
    for (let k = 0; k < 4; k++) {
      const d = dst + usize((k >> 1) * 4 * CS + (k & 1) * 4);
      const dc = i32(load<i16>(dqTmp + usize(k * 2)));
      if (cbpc == 2 && load<u8>(chromaNzPtr(p, k)) != 0) {
        const c = coefTmp + usize((p * 4 + k) * 32);
        dequant4x4(levC + usize((p * 4 + k) * 32), c, qpc, 1);
        store<i16>(c, i16(dc));
        idct4x4Add(c, d, CS);
      } else if (dc != 0) idctDcAdd(dc, d, CS);
    }
  }
}

// @ts-ignore: decorator
@inline export function chromaNzPtr(p: i32, k: i32): usize {
  return (p == 0 ? nzU : nzV) + usize((mbY * 2 + (k >> 1)) * CBW + mbX * 2 + (k & 1));
}

/** I_PCM: the source samples themselves. */
export function encodePcm(): void {
  const src = srcLuma();
  const dst = recLuma();
  for (let y = 0; y < 16; y++) v128.store(dst + usize(y * YS), v128.load(src + usize(y * CW)));
  const cs = CW >> 1;
  for (let p = 0; p < 2; p++) {
    const s = (p == 0 ? srcU : srcV) + usize(mbY * 8 * cs + mbX * 8);
    const d = (p == 0 ? curU : curV) + usize(mbY * 8 * CS + mbX * 8);
    for (let y = 0; y < 8; y++) store<u64>(d + usize(y * CS), load<u64>(s + usize(y * cs)));
    for (let k = 0; k < 4; k++) store<u8>(chromaNzPtr(p, k), 16);
  }
  for (let b = 0; b < 16; b++) store<u8>(nzY + usize(blockIndex(b)), 16);
}
