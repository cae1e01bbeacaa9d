// Macroblock decisions: intra modes (Intra16x16, Intra4x4, chroma), P_Skip, and the inter vector
// against intra in P pictures. Costs are distortion (SATD or SAD) + lambda x estimated bits. Each
// decision ends with the chosen mode applied by the coding tools, so the picture holds its
// reconstruction when the next macroblock looks at its neighbours.
import { satd16x16, satdI16, satd8x8, satd4x4, sad16x16, sadBlocks8x8 } from './pixel';
import { predict16x16, predictChroma, loadEdge4x4, predict4x4, mode4x4Available, I16_PLANE, C_DC, C_PLANE } from './intra';
import {
  encodeI16Luma, encodeI4Block, encodeInterLuma, encodeChroma, srcLuma, recLuma, interLumaNoResidual, skipFromReference, chromaPlaneZero,
} from './macroblock';
import { zeroSadInter } from './dct';
import { chromaQp } from './tables';
import { mcLuma16x16, mcChroma8x8 } from './mc';
import { searchStart, searchRefine, startSatd, bestSatd, bestX, bestY, bestCost, vectorInside } from './me';
import { predictMotion, predX, predY as predMvY, skipX, skipY } from './mvpred';
import { seBits } from './bitstream';
import { CW, YS, CS, BW, MBW, srcU, srcV, curU, curV, refY, refU, refV, i4Mode, MB_P_SKIP, MB_P16x16, MB_I16, MB_I4 } from './state';
import { intra4x4, intra4x4Fast, intraInP, earlySkip, decimate } from './config';
import {
  mbX, mbY, qp, predY, predY2, predU, predV, i4Modes, i4Pred, setType, setModes, setMv, setCbp, cbpLuma, cbpChroma, chromaMode, i16Mode,
} from './mb';

/** lambda for SAD/SATD costs: round(0.6 × 2^((qp - 12) / 6)), at least 1 (0.6: the best BD-rate of 0.45..1.25 on testsrc2, mandelbrot, plasma and noise). */
const LAMBDA = memory.data(52 * 4);

export function initLambda(): void {
  for (let q = 0; q < 52; q++) store<i32>(LAMBDA + usize(q * 4), max<i32>(1, i32(Math.round(0.6 * Math.pow(2, f64(q - 12) / 6)))));
}

// @ts-ignore: decorator
@inline function lambdaOf(q: i32): i32 {
  return load<i32>(LAMBDA + usize(q * 4));
}

/** Picks the chroma mode (SATD over both planes) and leaves its prediction in predU/predV. */
function decideChroma(left: bool, top: bool): void {
  const cs = CW >> 1;
  const su = srcU + usize(mbY * 8 * cs + mbX * 8);
  const sv = srcV + usize(mbY * 8 * cs + mbX * 8);
  const ru = curU + usize(mbY * 8 * CS + mbX * 8);
  const rv = curV + usize(mbY * 8 * CS + mbX * 8);
  let best = C_DC;
  let bestCost = 0x7fffffff;
  for (let m = C_DC; m <= C_PLANE; m++) {
    if (!predictChroma(m, ru, CS, predU, left, top)) continue;
    predictChroma(m, rv, CS, predV, left, top);
    const c = satd8x8(su, cs, predU, 8) + satd8x8(sv, cs, predV, 8) + lambdaOf(qp) * (m == C_DC ? 1 : 3);
    if (c < bestCost) {
      bestCost = c;
      best = m;
    }
  }
  predictChroma(best, ru, CS, predU, left, top);
  predictChroma(best, rv, CS, predV, left, top);
  setModes(i16Mode, best);
}

/**
 * Best Intra16x16 mode by SATD; leaves its prediction in predY. Returns its cost. Where Intra4x4
 * competes with it, the SATD takes the DCs through the second transform as the mode codes them
 * (pixel.ts satdI16); plain SATD counts each 4x4 block's DC in full, and on smooth gradients
 * Intra4x4 then won macroblocks that Intra16x16 codes in fewer bits.
 */
function decideI16(left: bool, top: bool): i32 {
  const src = srcLuma();
  const rec = recLuma();
  const lam = lambdaOf(qp);
  const dcTransform = intra4x4 != 0;
  let best = -1;
  let bestCost = 0x7fffffff;
  for (let m = 0; m <= I16_PLANE; m++) {
    if (!predict16x16(m, rec, YS, predY2, left, top)) continue;
    const c = (dcTransform ? satdI16(src, CW, predY2, 16) : satd16x16(src, CW, predY2, 16)) + lam * 4;
    if (c < bestCost) {
      bestCost = c;
      best = m;
      for (let i = 0; i < 256; i += 16) v128.store(predY + usize(i), v128.load(predY2 + usize(i)));
    }
  }
  setModes(best, chromaMode);
  return bestCost;
}

let bestI4Mode: i32 = 2;
let bestI4Cost: i32 = 0;

// @ts-ignore: decorator
@inline function tryI4Mode(m: i32, s: usize, p: usize, left: bool, top: bool, topLeft: bool, pm: i32, lam: i32): void {
  if (!mode4x4Available(m, left, top, topLeft)) return;
  predict4x4(m, p, 16, left, top);
  const c = satd4x4(s, CW, p, 16) + lam * (m == pm ? 1 : 4);
  if (c < bestI4Cost) {
    bestI4Cost = c;
    bestI4Mode = m;
  }
}

/**
 * Intra4x4: for each block in decoding order, the best of the nine modes (SATD + mode bits), then
 * the block is coded so the next one predicts from its reconstruction. Returns the total cost;
 * stops early (returning a cost above `limit`) once it cannot win.
 */
function tryI4(limit: i32): i32 {
  const src = srcLuma();
  const rec = recLuma();
  const lam = lambdaOf(qp);
  let total = lam * 16; // mb_type, sixteen mode flags, and sixteen DC coefficients coded without I16's transform
  let cbp = 0;
  for (let i = 0; i < 16; i++) {
    // decoding order → raster position
    const b = ((i >> 2) >> 1) * 8 + ((i >> 2) & 1) * 2 + ((i & 3) >> 1) * 4 + (i & 1);
    const bx = b & 3, by = b >> 2;
    const gx = mbX * 4 + bx, gy = mbY * 4 + by;
    const left = gx > 0;
    const top = gy > 0;
    const topLeft = left && top;
    // top-right samples: above (or above-right) macroblock on the first row; inside the
    // macroblock only where that block is decoded earlier (not for raster blocks 5 and 13)
    const topRight = by == 0 ? top && (bx < 3 || mbX < MBW - 1) : bx < 3 && b != 5 && b != 13;
    const r = rec + usize(by * 4 * YS + bx * 4);
    const s = src + usize(by * 4 * CW + bx * 4);
    const p = predY + usize(by * 64 + bx * 4);
    loadEdge4x4(r, YS, left, top, topLeft, topRight);
    // predicted mode
    let pm = 2;
    if (left && top) {
      let a = i32(load<i8>(i4Mode + usize(gy * BW + gx - 1)));
      let t = i32(load<i8>(i4Mode + usize((gy - 1) * BW + gx)));
      if (a < 0) a = 2;
      if (t < 0) t = 2;
      pm = min<i32>(a, t);
    }
    // all nine modes, or (fast) V, H, DC and the predicted mode, then the two diagonals nearest the winner
    bestI4Mode = 2;
    bestI4Cost = 0x7fffffff;
    if (!intra4x4Fast) {
      for (let m = 0; m < 9; m++) tryI4Mode(m, s, p, left, top, topLeft, pm, lam);
    } else {
      tryI4Mode(0, s, p, left, top, topLeft, pm, lam);
      tryI4Mode(1, s, p, left, top, topLeft, pm, lam);
      tryI4Mode(2, s, p, left, top, topLeft, pm, lam);
      if (pm > 2) tryI4Mode(pm, s, p, left, top, topLeft, pm, lam);
      const w = bestI4Mode;
      if (w == 0) {
        tryI4Mode(5, s, p, left, top, topLeft, pm, lam);
        tryI4Mode(7, s, p, left, top, topLeft, pm, lam);
      } else if (w == 1) {
        tryI4Mode(6, s, p, left, top, topLeft, pm, lam);
        tryI4Mode(8, s, p, left, top, topLeft, pm, lam);
      } else if (w == 2) {
        tryI4Mode(3, s, p, left, top, topLeft, pm, lam);
        tryI4Mode(4, s, p, left, top, topLeft, pm, lam);
      }
    }
    const bestM = bestI4Mode;
    const bestC = bestI4Cost;
    total += bestC;
    // give up as soon as I4 is not ahead of Intra16x16 pro rata (every four blocks)
    if (total > limit || ((i & 3) == 3 && i < 15 && total > (limit >> 4) * (i + 1))) return 0x7fffffff;
    predict4x4(bestM, p, 16, left, top);
    store<u8>(i4Modes + usize(b), u8(bestM));
    store<u8>(i4Pred + usize(b), u8(pm));
    store<i8>(i4Mode + usize(gy * BW + gx), i8(bestM));
    if (encodeI4Block(b) != 0) cbp |= 1 << (i >> 2);
  }
  setCbp(cbp, cbpChroma);
  return total;
}

/**
 * Decides and codes an intra macroblock. Returns its cost estimate. `i16Cost` >= 0 means the
 * Intra16x16 decision was already taken (mode set, prediction in predY) at that cost.
 */
export function analyseIntra(i16Cost: i32 = -1): i32 {
  const left = mbX > 0;
  const top = mbY > 0;
  const c16 = i16Cost >= 0 ? i16Cost : decideI16(left, top);
  decideChroma(left, top);
  let cost = c16;
  let useI4 = false;
  // In P pictures (i16Cost given), intra macroblocks are rare and mostly noise-like: Intra4x4 pays
  // there only at the slow speeds (measured: -0.6% BD-rate on noise and faster without it)
  const inP = i16Cost >= 0;
  if (intra4x4 == 2 || (intra4x4 == 1 && !inP && c16 > 16 * 16 * 3)) {
    const c4 = tryI4(c16);
    if (c4 < c16) {
      useI4 = true;
      cost = c4;
    }
  }
  if (useI4) {
    setType(MB_I4);
  } else {
    setType(MB_I16);
    // predY holds the I16 prediction only if I4 was not tried (it overwrites predY); recompute
    predict16x16(i16Mode, recLuma(), YS, predY, left, top);
    encodeI16Luma();
  }
  encodeChroma(true, false);
  return cost;
}

function noResidual(): i32 {
  interLumaNoResidual();
  return 0;
}

/**
 * Whether both chroma planes of a still macroblock (skip vector (0, 0)) quantise to nothing,
 * tested against the reference in place: the prediction of a whole-sample (0, 0) vector is the
 * reference itself, so encodeChroma's zero-level test needs no copy of it. (False leaves the
 * answer to encodeChroma, which may still find every level zero after quantising.)
 */
function stillChromaZero(): bool {
  const qpc = chromaQp(qp);
  const cs = CW >> 1;
  const so = usize(mbY * 8 * cs + mbX * 8);
  const co = usize(mbY * 8 * CS + mbX * 8);
  for (let p = 0; p < 2; p++) {
    const sads = sadBlocks8x8((p == 0 ? srcU : srcV) + so, cs, (p == 0 ? refU : refV) + co, CS);
    if (!chromaPlaneZero(sads, qpc)) return false;
  }
  return true;
}

/**
 * Above this cost of the best full-sample vector (SAD + rate, 40 a sample over 16x16), sub-sample
 * refinement is not tried: half a sample cannot turn so poor a prediction into a good one (fresh
 * noise, where intra wins anyway). Measured 2026-12-05 at speed 9: noise 1.083x faster (bench:ab,
 * 720p), and BD-rate 0.00% over qp 22-38 on noise, testsrc2 and plasma (testsrc2 and plasma at qp
 * 26: the same bytes). At 32 a sample testsrc2's bytes changed; the same gate on the start
 * candidates' cost instead, at 32 a sample, lost 0.5% on testsrc2 (DEVELOPERS.md).
 */
const SUB_MAX: i32 = 256 * 40;

/**
 * Decides and codes a macroblock of a P picture: P_Skip, P16x16 or intra. Returns the type.
 */
export function analyseInter(): u8 {
  const px = mbX * 16, py = mbY * 16;
  const src = srcLuma();
  const lam = lambdaOf(qp);
  predictMotion(mbX, mbY);
  // 1. P_Skip when its prediction leaves nothing to code
  if (earlySkip && vectorInside(px, py, skipX, skipY)) {
    // A still macroblock (skip vector (0, 0)) is predicted by the reference itself: its SAD needs
    // no copy of the prediction, and when nothing is left to code the reference is copied into
    // the picture without the chroma coding pass (on still content most macroblocks end there;
    // chroma's tests were 12% of testsrc2's encode). Otherwise the general path below, which
    // accepts every macroblock the still one does.
    const still = skipX == 0 && skipY == 0;
    let sad: i32;
    if (still) {
      sad = sad16x16(src, CW, refY + usize(py * YS + px), YS);
    } else {
      mcLuma16x16(px, py, skipX, skipY, predY);
      sad = sad16x16(src, CW, predY, 16);
    }
    if (sad < lam * 16 + 64) {
      const noLumaResidual = sad <= zeroSadInter(qp);
      if (still && noLumaResidual && stillChromaZero()) {
        setMv(0, 0, predX, predMvY);
        skipFromReference();
        setType(MB_P_SKIP);
        setCbp(0, 0);
        return MB_P_SKIP;
      }
      if (still) mcLuma16x16(px, py, 0, 0, predY);
      setMv(skipX, skipY, predX, predMvY);
      // a residual too small for any coefficient to survive quantisation needs no transform (the
      // whole macroblock's SAD bounds each block's; encodeInterLuma checks the blocks themselves)
      const lumaCbp = noLumaResidual ? noResidual() : encodeInterLuma(decimate);
      if (lumaCbp == 0) {
        mcChroma8x8(px, py, skipX, skipY, predU, predV);
        setCbp(0, 0);
        encodeChroma(false, decimate);
        if (cbpChroma == 0) {
          setType(MB_P_SKIP);
          setCbp(0, 0);
          return MB_P_SKIP;
        }
      }
    }
  }
  // 2. motion search: start candidates; when none of them predicts well and Intra16x16 is
  // clearly better already (noise, a scene cut), the search is not worth running
  const left = mbX > 0;
  const top = mbY > 0;
  let c16 = -1;
  const startCost = searchStart(src, px, py, predX, predMvY, lam, predY2);
  if (intraInP != 0 && startCost > 256 * 32) {
    c16 = decideI16(left, top);
    if (c16 * 5 < startSatd() * 4) {
      analyseIntra(c16);
      return MB_I16;
    }
  }
  searchRefine(SUB_MAX);
  const mx = bestX, my = bestY;
  const interCost = bestCost;
  if (!(intraInP == 0 || (intraInP == 1 && interCost < 16 * 16 * 2 + lam * 8))) {
    // 3. intra, when the inter prediction is poor
    if (c16 < 0) c16 = decideI16(left, top);
    // Intra (its SATD; lam * 16 more for its longer mb_type and modes, from a BD-rate sweep) wins
    // when it beats the search's cost, or the inter vector's SATD. Where the search compared by
    // SAD (speeds 7-10) the two differ: a SATD reads about half a SAD on smooth residuals and twice
    // on noise-like ones. Against the SAD alone, fresh noise (which intra predicts better, as the
    // reference's noise only adds to the residual) went inter; against the SATD alone, plasma lost
    // the intra macroblocks that the SAD had given it (DEVELOPERS, "Intra in P pictures"). The
    // inter SATD (a motion compensation and a SATD more) is computed only where intra is below
    // twice the SAD cost, what a noise-like residual's SATD reads.
    const c = c16 + lam * 16;
    if (c < interCost || (c < interCost * 2 && c < bestSatd())) {
      analyseIntra(c16);
      return MB_I16;
    }
  }
  // 4. P16x16 at the found vector
  mcLuma16x16(px, py, mx, my, predY);
  setMv(mx, my, predX, predMvY);
  const cbp = encodeInterLuma(decimate);
  setCbp(cbp, 0);
  mcChroma8x8(px, py, mx, my, predU, predV);
  encodeChroma(false, decimate);
  if (mx == skipX && my == skipY && cbpLuma == 0 && cbpChroma == 0) {
    setType(MB_P_SKIP);
    return MB_P_SKIP;
  }
  setType(MB_P16x16);
  return MB_P16x16;
}
