// Motion estimation for 16x16 partitions: candidate start points (predicted vector, zero,
// neighbours, skip vector), an integer pattern search on SAD + lambda * mvd bits, then half- and
// quarter-sample refinement on SATD (or SAD). Vectors are kept where the block stays inside the
// reference padding (PAD - 8 samples out), and within the level's vertical range.
import { sad16x16, satd16x16 } from './pixel';
import { mcLuma16x16, lumaPlaneAt, ensureHalfDiamond } from './mc';
import { seBits } from './bitstream';
import { CW, CH, YS, refY, refH, refVh } from './state';
import { searchMethod, searchRange, subpel, subpelSatd, subpelDiamond, crossMin } from './config';
import { NEIGHBOUR_MVS, skipX, skipY } from './mvpred';

/** Largest vertical vector component (full samples) allowed by the level (Table A-1 MaxVmvR). */
let maxVmv: i32 = 512;

export function setLevelLimits(vmv: i32): void {
  maxVmv = vmv;
}

const OUT: i32 = 24; // how far (samples) a block may reach past the picture edge
const BIG: i32 = 0x3fffffff;

let src: usize = 0;
let px: i32 = 0;
let py: i32 = 0;
let pmx: i32 = 0; // predicted vector, quarter samples
let pmy: i32 = 0;
let lambda: i32 = 1;
let minX: i32 = 0;
let maxX: i32 = 0;
let minY: i32 = 0;
let maxY: i32 = 0;
let tmp: usize = 0;

/** Result of the last search: vector (quarter samples) and its cost. */
export let bestX: i32 = 0;
export let bestY: i32 = 0;
export let bestCost: i32 = 0;

// @ts-ignore: decorator
@inline function mvBits(mx: i32, my: i32): i32 {
  return seBits(mx - pmx) + seBits(my - pmy);
}

/** SAD + rate of the full-sample vector (mx, my); BIG when out of bounds. */
function intCost(mx: i32, my: i32): i32 {
  if (mx < minX || mx > maxX || my < minY || my > maxY) return BIG;
  return sad16x16(src, CW, refY + usize((py + my) * YS + px + mx), YS) + lambda * mvBits(mx << 2, my << 2);
}

/** Whether the quarter-sample vector (mx, my) stays inside the bounds set by setBounds(). */
// @ts-ignore: decorator
@inline function subInside(mx: i32, my: i32): bool {
  return (mx >> 2) >= minX - 1 && (mx >> 2) <= maxX && (my >> 2) >= minY - 1 && (my >> 2) <= maxY;
}

/** Distortion (SATD, or SAD) + rate of the quarter-sample vector (mx, my). */
function subCost(mx: i32, my: i32, satd: bool = subpelSatd): i32 {
  if (!subInside(mx, my)) return BIG;
  // full and half samples are read in their plane; quarter samples are averaged into `tmp` first
  let p = lumaPlaneAt(px, py, mx, my);
  let ps = YS;
  if (p == 0) {
    mcLuma16x16(px, py, mx, my, tmp);
    p = tmp;
    ps = 16;
  }
  const d = satd ? satd16x16(src, CW, p, ps) : sad16x16(src, CW, p, ps);
  return d + lambda * mvBits(mx, my);
}

let ix: i32 = 0;
let iy: i32 = 0;
let icost: i32 = 0;

// @ts-ignore: decorator
@inline function tryInt(mx: i32, my: i32): bool {
  const c = intCost(mx, my);
  if (c < icost) {
    icost = c;
    ix = mx;
    iy = my;
    return true;
  }
  return false;
}

/** The full-sample start points tried so far for this block (packed x | y << 16), and how many. */
const TRIED = memory.data(6 * 4);
let tried: i32 = 0;

/**
 * Tries a start candidate (a quarter-sample vector, rounded to full samples) unless an earlier one
 * rounded to the same point: on smooth motion the neighbours mostly agree, and a point tried again
 * cannot win (its cost is not below the best).
 */
function tryCandidate(packed: u32): void {
  const mx = (i32(i16(packed & 0xffff)) + 2) >> 2;
  const my = (i32(i16(packed >> 16)) + 2) >> 2;
  const key = u32(mx & 0xffff) | (u32(my) << 16);
  for (let k = 0; k < tried; k++) if (load<u32>(TRIED + usize(k * 4)) == key) return;
  store<u32>(TRIED + usize(tried * 4), key);
  tried++;
  tryInt(mx, my);
}

/** The vectors a block at (x, y) may use: it reaches at most OUT samples past the picture (the
 * reference planes are padded for that, and no further) and stays in the level's vertical range. */
function setBounds(x: i32, y: i32): void {
  minX = max<i32>(-OUT - x, -2040);
  maxX = min<i32>(CW - 16 + OUT - x, 2040);
  minY = max<i32>(-OUT - y, -maxVmv + 1);
  maxY = min<i32>(CH - 16 + OUT - y, maxVmv - 1);
}

/**
 * Whether the quarter-sample vector (mvx, mvy) is one the search could choose for the block at
 * (x, y). A P_Skip vector is inferred from the neighbours and may point anywhere; one outside
 * these bounds would make motion compensation read past the reference's padding (samples the
 * decoder takes from the picture's edge instead), so such a macroblock is not skipped.
 */
export function vectorInside(x: i32, y: i32, mvx: i32, mvy: i32): bool {
  setBounds(x, y);
  return subInside(mvx, mvy);
}

/**
 * Starts the search for the 16x16 block at (x, y) (its source at `s`, stride CW) with predicted
 * vector (mvpX, mvpY): evaluates the start candidates. Returns the best one's SAD + rate.
 * `scratch` is a 16x16 buffer for interpolated candidates.
 */
export function searchStart(s: usize, x: i32, y: i32, mvpX: i32, mvpY: i32, lam: i32, scratch: usize): i32 {
  src = s;
  px = x;
  py = y;
  pmx = mvpX;
  pmy = mvpY;
  lambda = lam;
  tmp = scratch;
  setBounds(x, y);
  // start points
  icost = BIG;
  ix = 0;
  iy = 0;
  tried = 0;
  tryCandidate(u32(mvpX & 0xffff) | (u32(mvpY) << 16));
  tryCandidate(0);
  tryCandidate(load<u32>(NEIGHBOUR_MVS));
  tryCandidate(load<u32>(NEIGHBOUR_MVS, 4));
  tryCandidate(load<u32>(NEIGHBOUR_MVS, 8));
  tryCandidate(u32(skipX & 0xffff) | (u32(skipY) << 16));
  return icost;
}

/**
 * SATD + rate of the best start candidate (for comparing it with intra, a SATD, before searching
 * on), at every speed: where the search compares by SAD (speeds 8-10 then, 7-10 now) this was a SAD until
 * 2026-12-05, which reads about half a SATD on a noise-like residual, so intra never won here on
 * fresh noise and every such macroblock went through the search first (DEVELOPERS.md, "Intra in
 * P pictures").
 */
export function startSatd(): i32 {
  return subCost(ix << 2, iy << 2, true);
}

/**
 * SATD + rate of the search's result (bestX, bestY): what an intra cost (SATD) is compared with
 * where the search itself compared by SAD. Uses the scratch buffer.
 */
export function bestSatd(): i32 {
  return subpelSatd && subpel > 0 ? bestCost : subCost(bestX, bestY, true);
}

/**
 * Continues from the start candidates: pattern search, then sub-sample refinement, which is
 * skipped where the best full-sample vector's cost is above `subMax` (see analyse.ts SUB_MAX).
 */
export function searchRefine(subMax: i32): void {
  const cx = ix, cy = iy;
  if (searchMethod == 2 && icost > crossMin) {
    // a sparse cross at growing distances, for fast motion the predictors missed (config.ts crossMin)
    for (let d = 4; d <= searchRange; d <<= 1) {
      tryInt(cx + d, cy);
      tryInt(cx - d, cy);
      tryInt(cx, cy + d);
      tryInt(cx, cy - d);
    }
  }
  if (searchMethod >= 1) hexagon(cx, cy);
  diamond(cx, cy);
  // sub-sample refinement
  let bx = ix << 2;
  let by = iy << 2;
  // compared by SAD, the full-sample point's cost is the integer search's (its interpolation is a copy)
  let bc = subpel > 0 && subpelSatd ? subCost(bx, by) : icost;
  if (subpel == 1 && subpelDiamond && !subpelSatd && icost <= subMax && halfDiamond(bc)) {
    bx = hx;
    by = hy;
    bc = hcost;
  } else if (subpel >= 1 && icost <= subMax) {
    for (let step = 2; step >= (subpel >= 2 ? 1 : 2); step >>= 1) {
      const ox = bx, oy = by;
      for (let dy = -step; dy <= step; dy += step) {
        for (let dx = -step; dx <= step; dx += step) {
          if (dx == 0 && dy == 0) continue;
          // the four nearest only (a diagonal step rarely wins)
          if (subpelDiamond && dx != 0 && dy != 0) continue;
          const c = subCost(ox + dx, oy + dy);
          if (c < bc) {
            bc = c;
            bx = ox + dx;
            by = oy + dy;
          }
        }
      }
    }
  }
  bestX = bx;
  bestY = by;
  bestCost = bc;
}

let hx: i32 = 0;
let hy: i32 = 0;
let hcost: i32 = 0;

/**
 * The half-sample diamond around the best full-sample point (speeds 8-9: half samples only, the four
 * nearest, by SAD), read in the half-sample planes directly: the same candidates in the same order
 * (above, left, right, below), the same costs and the same decision as the general loop, whose
 * lumaPlaneAt finds each candidate's plane and checks its tiles one candidate at a time. Returns
 * false, deciding nothing, where a candidate is outside the bounds (the general loop handles it).
 * The result is in hx, hy, hcost; `bc` is the full-sample point's cost.
 */
function halfDiamond(bc: i32): bool {
  const bx = ix << 2, by = iy << 2;
  if (!subInside(bx, by - 2) || !subInside(bx - 2, by) || !subInside(bx + 2, by) || !subInside(bx, by + 2)) return false;
  const x = px + ix, y = py + iy;
  ensureHalfDiamond(x, y);
  const o = usize(y * YS + x);
  const s = usize(YS);
  hx = bx;
  hy = by;
  hcost = bc;
  tryHalf(refVh + o - s, bx, by - 2);
  tryHalf(refH + o - 1, bx - 2, by);
  tryHalf(refH + o, bx + 2, by);
  tryHalf(refVh + o, bx, by + 2);
  return true;
}

/** The half-sample candidate (mx, my), whose prediction is at `p` (rows YS apart), against the best so far (hcost). */
// @ts-ignore: decorator
@inline function tryHalf(p: usize, mx: i32, my: i32): void {
  const c = sad16x16(src, CW, p, YS) + lambda * mvBits(mx, my);
  if (c < hcost) {
    hcost = c;
    hx = mx;
    hy = my;
  }
}

/** The hexagon's six points, clockwise from the left: (-2, 0) (-1, -2) (1, -2) (2, 0) (1, 2) (-1, 2). */
const HEX = memory.data<i8>([-2, 0, -1, -2, 1, -2, 2, 0, 1, 2, -1, 2]);

// @ts-ignore: decorator
@inline function tryHex(ox: i32, oy: i32, k: i32): bool {
  return tryInt(ox + i32(load<i8>(HEX + usize(k * 2))), oy + i32(load<i8>(HEX + usize(k * 2 + 1))));
}

function hexagon(cx: i32, cy: i32): void {
  const range = searchRange;
  let ox = ix, oy = iy;
  let dir = -1;
  for (let k = 0; k < 6; k++) if (tryHex(ox, oy, k)) dir = k;
  // after a move towards point `dir`, only it and its two neighbours are new points: the other
  // three were inside or on the previous hexagon
  for (let it = 1; it < range && dir >= 0; it++) {
    if (abs<i32>(ix - cx) > range || abs<i32>(iy - cy) > range) break;
    ox = ix;
    oy = iy;
    const d = dir;
    dir = -1;
    if (tryHex(ox, oy, d == 0 ? 5 : d - 1)) dir = d == 0 ? 5 : d - 1;
    if (tryHex(ox, oy, d)) dir = d;
    if (tryHex(ox, oy, d == 5 ? 0 : d + 1)) dir = d == 5 ? 0 : d + 1;
  }
}

function diamond(cx: i32, cy: i32): void {
  const range = searchRange;
  // the neighbour the last step came from (0 left, 1 right, 2 up, 3 down; -1 none) lost to the
  // new centre already: it is not tried again
  let back = -1;
  for (let it = 0; it < range; it++) {
    const ox = ix, oy = iy;
    if (back != 0) tryInt(ox - 1, oy);
    if (back != 1) tryInt(ox + 1, oy);
    if (back != 2) tryInt(ox, oy - 1);
    if (back != 3) tryInt(ox, oy + 1);
    if (ix == ox && iy == oy) break;
    if (abs<i32>(ix - cx) > range || abs<i32>(iy - cy) > range) break;
    back = ix < ox ? 1 : ix > ox ? 0 : iy < oy ? 3 : 2;
  }
}
