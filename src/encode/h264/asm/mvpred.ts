// Motion vector prediction (ITU-T H.264 8.4.1.3) for 16x16 partitions with one reference
// picture, and the P_Skip vector (8.4.1.1). Neighbours come from the per-4x4-block arrays of
// the current picture; intra neighbours have refIdx -1.
import { MBW, BW, mvXY, refIdx } from './state';

export let predX: i32 = 0;
export let predY: i32 = 0;
export let skipX: i32 = 0;
export let skipY: i32 = 0;
/** Neighbour vectors A, B, C (after the D substitution) as packed i16 pairs, for search candidates. */
export const NEIGHBOUR_MVS = memory.data(12);

// @ts-ignore: decorator
@inline function mvAt(b: i32): u32 {
  return load<u32>(mvXY + usize(b * 4));
}
// @ts-ignore: decorator
@inline function refAt(b: i32): i32 {
  return i32(load<i8>(refIdx + usize(b)));
}

// @ts-ignore: decorator
@inline function median(a: i32, b: i32, c: i32): i32 {
  return max<i32>(min<i32>(a, b), min<i32>(max<i32>(a, b), c));
}

/** Computes predX/predY (16x16 mvp) and skipX/skipY for the macroblock at (mbx, mby). */
export function predictMotion(mbx: i32, mby: i32): void {
  const bx = mbx * 4;
  const by = mby * 4;
  const availA = mbx > 0;
  const availB = mby > 0;
  let availC = mby > 0 && mbx < MBW - 1;
  let blkC = (by - 1) * BW + bx + 4;
  if (!availC) {
    availC = mbx > 0 && mby > 0; // D
    blkC = (by - 1) * BW + bx - 1;
  }
  const blkA = by * BW + bx - 1;
  const blkB = (by - 1) * BW + bx;
  let refA = -1, refB = -1, refC = -1;
  let mA: u32 = 0, mB: u32 = 0, mC: u32 = 0;
  if (availA) {
    refA = refAt(blkA);
    if (refA >= 0) mA = mvAt(blkA);
  }
  if (availB) {
    refB = refAt(blkB);
    if (refB >= 0) mB = mvAt(blkB);
  }
  if (availC) {
    refC = refAt(blkC);
    if (refC >= 0) mC = mvAt(blkC);
  }
  if (!availB && !availC && availA) {
    refB = refA;
    refC = refA;
    mB = mA;
    mC = mA;
  }
  const ax = i32(i16(mA & 0xffff)), ay = i32(i16(mA >> 16));
  const bxv = i32(i16(mB & 0xffff)), byv = i32(i16(mB >> 16));
  const cx = i32(i16(mC & 0xffff)), cy = i32(i16(mC >> 16));
  const matches = (refA == 0 ? 1 : 0) + (refB == 0 ? 1 : 0) + (refC == 0 ? 1 : 0);
  if (matches == 1) {
    if (refA == 0) {
      predX = ax;
      predY = ay;
    } else if (refB == 0) {
      predX = bxv;
      predY = byv;
    } else {
      predX = cx;
      predY = cy;
    }
  } else {
    predX = median(ax, bxv, cx);
    predY = median(ay, byv, cy);
  }
  store<u32>(NEIGHBOUR_MVS, mA);
  store<u32>(NEIGHBOUR_MVS, mB, 4);
  store<u32>(NEIGHBOUR_MVS, mC, 8);
  // P_Skip: zero when A or B is missing, or either is a zero vector on reference 0.
  if (!availA || !availB || (refA == 0 && mA == 0) || (refB == 0 && mB == 0)) {
    skipX = 0;
    skipY = 0;
  } else {
    skipX = predX;
    skipY = predY;
  }
}
