// Coding tools for one macroblock: residual → transform → quantisation → levels, and the
// reconstruction a decoder will make from those levels (written into the current picture).
// Decisions (which mode, which vector) are taken in analyse.ts; these functions apply them.
import {
  fdct4x4, dequant4x4, quantLumaDc, dequantLumaDc, quantChromaDc, dequantChromaDc, fdct16x16, fdct8x8, clearDcClamp,
  quantBlocks, idct8x4Add, zeroSadInter, zeroSadChromaDc,
} from './dct';
import { sad4x4Within, sadBlocks8x8 } from './pixel';
import { chromaQp, ZIGZAG } from './tables';
import { CW, YS, CS, BW, CBW, srcY, srcU, srcV, curY, curU, curV, refY, refU, refV, nzY, nzU, nzV } from './state';
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

/** Non-zero counts of the macroblock's 16 luma blocks (raster), from quantBlocks. */
const NZ = memory.data(16);
const ZERO_BLOCK = memory.data(32);

/** Stores NZ into the picture's per-block array. */
function storeNz(): void {
  const b0 = nzY + usize(mbY * 4 * BW + mbX * 4);
  for (let y = 0; y < 4; y++) store<u32>(b0 + usize(y * BW), load<u32>(NZ + usize(y * 4)));
}

/** Adds the dequantised residual of blocks with coefficients (raster `coef`) to the 16x16 at `dst`; `dc` forces DC-only blocks in. */
function reconLuma(coef: usize, dst: usize, withDc: bool): void {
  for (let by = 0; by < 4; by++) {
    for (let bx = 0; bx < 4; bx += 2) {
      const b = by * 4 + bx;
      const l = load<u8>(NZ + usize(b)) != 0 || (withDc && load<i16>(coef + usize(b * 32)) != 0);
      const r = load<u8>(NZ + usize(b + 1)) != 0 || (withDc && load<i16>(coef + usize((b + 1) * 32)) != 0);
      if (!l && !r) continue;
      idct8x4Add(l ? coef + usize(b * 32) : ZERO_BLOCK, r ? coef + usize((b + 1) * 32) : ZERO_BLOCK, dst + usize(by * 4 * YS + bx * 4), YS);
    }
  }
}

/** Intra16x16 luma from the prediction in predY: DC transform, AC levels, reconstruction. */
export function encodeI16Luma(): void {
  const src = srcLuma();
  const dst = recLuma();
  fdct16x16(src, CW, predY, 16, coefTmp);
  for (let b = 0; b < 16; b++) store<i16>(dcTmp + usize(b * 2), load<i16>(coefTmp + usize(b * 32)));
  quantLumaDc(dcTmp, levYDc, qp);
  quantBlocks(coefTmp, levY, 16, qp, true, 1, NZ);
  const ac = load<u64>(NZ) | load<u64>(NZ, 8);
  storeNz();
  setCbp(ac != 0 ? 15 : 0, cbpChroma);
  copyPredLuma(dst);
  dequantLumaDc(levYDc, dqTmp, qp);
  for (let b = 0; b < 16; b++) {
    const c = coefTmp + usize(b * 32);
    if (load<u8>(NZ + usize(b)) != 0) dequant4x4(levY + usize(b * 32), c, qp, 1);
    else zeroBlock(c);
    store<i16>(c, load<i16>(dqTmp + usize(b * 2)));
  }
  reconLuma(coefTmp, dst, true);
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
  fdct4x4(src, CW, pred, 16, coefTmp, coefTmp + 32);
  quantBlocks(coefTmp, lev, 1, qp, true, 0, NZ);
  const n = i32(load<u8>(NZ));
  store<u8>(nzY + usize(blockIndex(b)), u8(n));
  for (let y = 0; y < 4; y++) store<u32>(dst + usize(y * YS), load<u32>(pred + usize(y * 16)));
  if (n != 0) {
    dequant4x4(lev, coefTmp, qp, 0);
    // the pair kernel also adds the zero block's (nothing) to the four samples on the right
    idct8x4Add(coefTmp, ZERO_BLOCK, dst, YS);
  }
  return n;
}

/** Weight of a run of zeros before a ±1 level, for decimation (how much a lone small level costs to code). */
const DECIMATE_RUN = memory.data<u8>([3, 2, 2, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

/**
 * How much a block's levels are worth keeping: 9 (any |level| > 1 from zig-zag position `start`
 * on) or the sum, over its ±1 levels, of DECIMATE_RUN for the run of zeros before each.
 *
 * v128: the "any |level| > 1" test and the non-zero positions in scan order (one swizzle of the
 * 16 flags by ZIGZAG, then a bitmask) replace the scalar walk over all 16 positions, two dependent
 * loads each; what is left loops over the non-zero levels only, usually one to three.
 */
export function decimateScore(lev: usize, start: i32): i32 {
  // The 16 levels narrowed to bytes with saturation: a level keeps its sign and stays non-zero,
  // and one beyond ±127 stays beyond ±1, so one vector answers both questions below.
  let n = i8x16.narrow_i16x8_s(v128.load(lev), v128.load(lev + 16));
  if (start != 0) n = i8x16.replace_lane(n, 0, 0); // zig-zag position 0 is raster 0
  // |l| > 1 as (l + 1) - 2 > 0 in unsigned saturating bytes: -1, 0 and 1 give 0, all else more.
  if (v128.any_true(i8x16.sub_sat_u(i8x16.add(n, i8x16.splat(1)), i8x16.splat(2)))) return 9;
  let m = i8x16.bitmask(i8x16.swizzle(i8x16.ne(n, i8x16.splat(0)), v128.load(ZIGZAG))); // bit i: scan position i
  let score = 0;
  while (m != 0) {
    const i = 31 - clz(m);
    m ^= 1 << i;
    const below = m != 0 ? 31 - clz(m) : start - 1; // the next non-zero level down, or just before the scan
    score += i32(load<u8>(DECIMATE_RUN + usize(i - below - 1)));
  }
  return score;
}

/** decimateScore's scalar reference (checkasm): the scan walked position by position. */
export function decimateScoreRef(lev: usize, start: i32): i32 {
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

/** Inter luma with a residual known to quantise to nothing: the prediction is the reconstruction. */
export function interLumaNoResidual(): void {
  store<u64>(NZ, 0);
  store<u64>(NZ, 0, 8);
  storeNz();
  copyPredLuma(recLuma());
}

/**
 * P_Skip at the vector (0, 0) with nothing to code: the reference's samples become the
 * reconstruction (the prediction of that vector is the reference itself), and every block's
 * coefficient count is zero. What interLumaNoResidual and encodeChroma leave for such a
 * macroblock, without copying the prediction first.
 */
export function skipFromReference(): void {
  store<u64>(NZ, 0);
  store<u64>(NZ, 0, 8);
  storeNz();
  const dst = recLuma();
  const ref = refY + usize(mbY * 16 * YS + mbX * 16);
  for (let y = 0; y < 16; y++) v128.store(dst + usize(y * YS), v128.load(ref + usize(y * YS)));
  const co = usize(mbY * 8 * CS + mbX * 8);
  for (let y = 0; y < 8; y++) {
    const r = usize(y * CS);
    store<u64>(curU + co + r, load<u64>(refU + co + r));
    store<u64>(curV + co + r, load<u64>(refV + co + r));
  }
  for (let p = 0; p < 2; p++) for (let k = 0; k < 4; k++) store<u8>(chromaNzPtr(p, k), 0);
  clearDcClamp(false, true);
}

/** Inter luma from the motion-compensated prediction in predY. Returns the luma cbp. */
export function encodeInterLuma(decimate: bool): i32 {
  const src = srcLuma();
  const dst = recLuma();
  if (sad4x4Within(src, CW, predY, 16, zeroSadInter(qp))) {
    // Every level would be zero (on smooth content, ~60% of the inter macroblocks at qp 26).
    interLumaNoResidual();
    return 0;
  }
  let cbp = 0;
  fdct16x16(src, CW, predY, 16, coefTmp);
  quantBlocks(coefTmp, levY, 16, qp, false, 0, NZ);
  if ((load<u64>(NZ) | load<u64>(NZ, 8)) != 0) {
    let total = 0;
    const scores = memory.data(16);
    for (let q = 0; q < 4; q++) {
      const b = (q >> 1) * 8 + (q & 1) * 2; // top-left block of 8x8 quadrant q
      let sc = 0;
      for (let k = 0; k < 4; k++) {
        const bk = b + (k >> 1) * 4 + (k & 1);
        if (load<u8>(NZ + usize(bk)) != 0) sc += decimate ? decimateScore(levY + usize(bk * 32), 0) : 9;
      }
      store<i32>(scores + usize(q * 4), sc);
      total += sc;
    }
    for (let q = 0; q < 4; q++) {
      const sc = load<i32>(scores + usize(q * 4));
      if (sc != 0 && (!decimate || (total >= 6 && sc >= 4))) {
        cbp |= 1 << q;
        continue;
      }
      const b = (q >> 1) * 8 + (q & 1) * 2;
      for (let k = 0; k < 4; k++) {
        const bk = b + (k >> 1) * 4 + (k & 1);
        if (load<u8>(NZ + usize(bk)) == 0) continue;
        zeroBlock(levY + usize(bk * 32));
        store<u8>(NZ + usize(bk), 0);
      }
    }
  }
  storeNz();
  copyPredLuma(dst);
  if (cbp != 0) {
    for (let b = 0; b < 16; b++) {
      if (load<u8>(NZ + usize(b)) != 0) dequant4x4(levY + usize(b * 32), coefTmp + usize(b * 32), qp, 0);
    }
    reconLuma(coefTmp, dst, false);
  }
  return cbp;
}

/**
 * Whether every level of an inter chroma plane quantises to zero, from sadBlocks8x8's packed SADs
 * of its four blocks (the largest bounds the AC, the sum the DC): then no transform is needed.
 */
// @ts-ignore: decorator
@inline export function chromaPlaneZero(sads: i32, qpc: i32): bool {
  return (sads & 0xffff) <= zeroSadInter(qpc) && sads >>> 16 <= zeroSadChromaDc(qpc);
}

/** Chroma (both planes) from the predictions in predU/predV. Sets cbpChroma; reconstructs. */
export function encodeChroma(intra: bool, decimate: bool): void {
  clearDcClamp(false, true); // a P_Skip trial's chroma is not the macroblock's
  const qpc = chromaQp(qp);
  const cs = CW >> 1;
  let anyDc = 0;
  let anyAc = 0;
  for (let p = 0; p < 2; p++) {
    const src = (p == 0 ? srcU : srcV) + usize(mbY * 8 * cs + mbX * 8);
    const pred = p == 0 ? predU : predV;
    let planeAc = 0;
    let score = 0;
    const sads = intra ? 0 : sadBlocks8x8(src, cs, pred, 8);
    if (!intra && chromaPlaneZero(sads, qpc)) {
      // Every level of this plane would be zero: no transform. Its AC blocks are still coded
      // (empty) when the other plane has AC levels, so the levels are cleared too.
      store<u64>(levCDc + usize(p * 8), 0);
      for (let k = 0; k < 4; k++) zeroBlock(levC + usize((p * 4 + k) * 32));
      store<u32>(NZ, 0);
    } else {
      fdct8x8(src, cs, pred, 8, coefTmp + usize(p * 128));
      for (let k = 0; k < 4; k++) store<i16>(dcTmp + usize((p * 4 + k) * 2), load<i16>(coefTmp + usize((p * 4 + k) * 32)));
      anyDc |= quantChromaDc(dcTmp + usize(p * 8), levCDc + usize(p * 8), qpc, intra);
      quantBlocks(coefTmp + usize(p * 128), levC + usize(p * 128), 4, qpc, intra, 1, NZ);
    }
    for (let k = 0; k < 4; k++) {
      const n = i32(load<u8>(NZ + usize(k)));
      store<u8>(chromaNzPtr(p, k), u8(n));
      planeAc |= n;
      if (n != 0 && decimate) score += decimateScore(levC + usize((p * 4 + k) * 32), 1);
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
    let any = false;
    for (let k = 0; k < 4; k++) {
      const c = coefTmp + usize((p * 4 + k) * 32);
      if (cbpc == 2 && load<u8>(chromaNzPtr(p, k)) != 0) dequant4x4(levC + usize((p * 4 + k) * 32), c, qpc, 1);
      else zeroBlock(c);
      const dc = load<i16>(dqTmp + usize(k * 2));
      store<i16>(c, dc);
      any = any || dc != 0 || (cbpc == 2 && load<u8>(chromaNzPtr(p, k)) != 0);
    }
    if (!any) continue;
    const c0 = coefTmp + usize(p * 128);
    idct8x4Add(c0, c0 + 32, dst, CS);
    idct8x4Add(c0 + 64, c0 + 96, dst + usize(4 * CS), CS);
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
