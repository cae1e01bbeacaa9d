// The in-loop deblocking filter (ITU-T H.264 8.7) over the whole reconstructed picture, one
// macroblock at a time in raster order: luma vertical edges left to right, then horizontal edges
// top to bottom, then the same for both chroma planes. Intra prediction of the picture has used
// the unfiltered samples, so this runs once the last macroblock is reconstructed.
import { ALPHA, BETA, TC0, chromaQp } from './tables';
import { lumaEdgeSimd, chromaEdgesSimd } from './deblock-simd';
import { MBW, MBH, BW, YS, CS, curY, curU, curV, mbType, mbQp, nzY, mvXY, MB_I16, MB_P_SKIP } from './state';

// @ts-ignore: decorator
@inline function clip255(v: i32): u8 {
  return u8(v < 0 ? 0 : v > 255 ? 255 : v);
}

// @ts-ignore: decorator
@inline function clip3(lo: i32, hi: i32, v: i32): i32 {
  return v < lo ? lo : v > hi ? hi : v;
}

/** bS of the four 4-sample segments of an edge, packed one byte each. */
export const BS = memory.data(4);

// @ts-ignore: decorator
@inline function isIntra(mb: i32): bool {
  return load<u8>(mbType + usize(mb)) >= MB_I16;
}

// @ts-ignore: decorator
@inline function mbQpOf(mb: i32): i32 {
  return i32(load<u8>(mbQp + usize(mb)));
}

/** bS between inter 4x4 blocks p and q (per-block indices), neither macroblock intra. */
// @ts-ignore: decorator
@inline function interBs(p: i32, q: i32): u8 {
  if (load<u8>(nzY + usize(p)) != 0 || load<u8>(nzY + usize(q)) != 0) return 2;
  const mp = load<u32>(mvXY + usize(p * 4));
  const mq = load<u32>(mvXY + usize(q * 4));
  if (mp == mq) return 0;
  const dx = i32(i16(mp & 0xffff)) - i32(i16(mq & 0xffff));
  const dy = i32(i16(mp >> 16)) - i32(i16(mq >> 16));
  return abs<i32>(dx) >= 4 || abs<i32>(dy) >= 4 ? 1 : 0;
}

export function deblockPicture(): void {
  for (let mby = 0; mby < MBH; mby++) {
    for (let mbx = 0; mbx < MBW; mbx++) deblockMb(mbx, mby);
  }
}

function deblockMb(mbx: i32, mby: i32): void {
  const mb = mby * MBW + mbx;
  const intra = isIntra(mb);
  const qp = mbQpOf(mb);
  const qpc = chromaQp(qp);
  const y0 = curY + usize((mby * 16) * YS + mbx * 16);
  const u0 = curU + usize((mby * 8) * CS + mbx * 8);
  const v0 = curV + usize((mby * 8) * CS + mbx * 8);
  const bx0 = mbx * 4;
  const by0 = mby * 4;
  // An inter macroblock has one vector (16x16), so its internal edges have bS 0 unless a block has
  // coefficients: with none at all, only the macroblock edges can need filtering.
  const b0 = nzY + usize(by0 * BW + bx0);
  const internal = intra || (load<u32>(b0) | load<u32>(b0 + usize(BW)) | load<u32>(b0 + usize(2 * BW)) | load<u32>(b0 + usize(3 * BW))) != 0;
  // A P_Skip macroblock next to another with the same vector: no coefficients on either side and
  // one vector, so bS is 0 along the whole edge (on still content, most edges of the picture)
  const skip = load<u8>(mbType + usize(mb)) == MB_P_SKIP;
  const skipMv = load<u32>(mvXY + usize((by0 * BW + bx0) * 4));
  // vertical edges (left to right), then horizontal edges (top to bottom)
  for (let dir = 0; dir < 2; dir++) {
    const vertical = dir == 0;
    // across an edge: one block (per-block arrays) and one sample (planes); along it: the next row or column
    const across = vertical ? 1 : BW;
    const along = vertical ? BW : 1;
    const ys = vertical ? 1 : YS;
    const cs = vertical ? 1 : CS;
    for (let e = 0; e < 4; e++) {
      let qpav = qp;
      let qpcav = qpc;
      if (e > 0 && !internal) break;
      const q0 = by0 * BW + bx0 + e * across; // first q block of the edge
      if (e == 0) {
        if (vertical ? mbx == 0 : mby == 0) continue;
        const other = vertical ? mb - 1 : mb - MBW;
        if (skip && load<u8>(mbType + usize(other)) == MB_P_SKIP && load<u32>(mvXY + usize((q0 - across) * 4)) == skipMv) continue;
        if (intra || isIntra(other)) store<u32>(BS, 0x04040404);
        else for (let k = 0; k < 4; k++) store<u8>(BS + usize(k), interBs(q0 + k * along - across, q0 + k * along));
        const qo = mbQpOf(other);
        qpav = (qp + qo + 1) >> 1;
        qpcav = (qpc + chromaQp(qo) + 1) >> 1;
      } else if (intra) store<u32>(BS, 0x03030303);
      else for (let k = 0; k < 4; k++) store<u8>(BS + usize(k), interBs(q0 + k * along - across, q0 + k * along));
      const bs = load<u32>(BS);
      if (bs == 0) continue;
      lumaEdgeSimd(y0 + usize(e * 4 * ys), ys, vertical ? YS : 1, qpav, bs);
      if ((e & 1) == 0) chromaEdgesSimd(u0 + usize(e * 2 * cs), v0 + usize(e * 2 * cs), cs, vertical ? CS : 1, qpcav, bs);
    }
  }
}

/**
 * Filters one 16-sample luma edge. `q0` points at the first q sample of the edge, `step` crosses
 * the edge (1 for a vertical edge), `along` moves along it. bS per 4 samples is in BS.
 */
export function lumaEdgeRef(q0p: usize, step: i32, along: i32, qpav: i32): void {
  const alpha = i32(load<u8>(ALPHA + usize(qpav)));
  const beta = i32(load<u8>(BETA + usize(qpav)));
  if (alpha == 0 || beta == 0) return;
  const st = usize(step);
  for (let k = 0; k < 4; k++) {
    const bs = i32(load<u8>(BS + usize(k)));
    if (bs == 0) continue;
    const tc0 = i32(load<u8>(TC0 + usize(qpav * 4 + (bs < 4 ? bs : 0))));
    for (let i = 0; i < 4; i++) {
      const q = q0p + usize((k * 4 + i) * along);
      const p0 = i32(load<u8>(q - st));
      const q0 = i32(load<u8>(q));
      const p1 = i32(load<u8>(q - 2 * st));
      const q1 = i32(load<u8>(q + st));
      if (abs<i32>(p0 - q0) >= alpha || abs<i32>(p1 - p0) >= beta || abs<i32>(q1 - q0) >= beta) continue;
      const p2 = i32(load<u8>(q - 3 * st));
      const q2 = i32(load<u8>(q + 2 * st));
      const ap = abs<i32>(p2 - p0) < beta;
      const aq = abs<i32>(q2 - q0) < beta;
      if (bs < 4) {
        const tc = tc0 + (ap ? 1 : 0) + (aq ? 1 : 0);
        const delta = clip3(-tc, tc, (((q0 - p0) << 2) + (p1 - q1) + 4) >> 3);
        store<u8>(q - st, clip255(p0 + delta));
        store<u8>(q, clip255(q0 - delta));
        if (ap) store<u8>(q - 2 * st, u8(p1 + clip3(-tc0, tc0, (p2 + ((p0 + q0 + 1) >> 1) - (p1 << 1)) >> 1)));
        if (aq) store<u8>(q + st, u8(q1 + clip3(-tc0, tc0, (q2 + ((p0 + q0 + 1) >> 1) - (q1 << 1)) >> 1)));
      } else {
        const strong = abs<i32>(p0 - q0) < ((alpha >> 2) + 2);
        if (ap && strong) {
          const p3 = i32(load<u8>(q - 4 * st));
          store<u8>(q - st, u8((p2 + 2 * p1 + 2 * p0 + 2 * q0 + q1 + 4) >> 3));
          store<u8>(q - 2 * st, u8((p2 + p1 + p0 + q0 + 2) >> 2));
          store<u8>(q - 3 * st, u8((2 * p3 + 3 * p2 + p1 + p0 + q0 + 4) >> 3));
        } else store<u8>(q - st, u8((2 * p1 + p0 + q1 + 2) >> 2));
        if (aq && strong) {
          const q3 = i32(load<u8>(q + 3 * st));
          store<u8>(q, u8((p1 + 2 * p0 + 2 * q0 + 2 * q1 + q2 + 4) >> 3));
          store<u8>(q + st, u8((p0 + q0 + q1 + q2 + 2) >> 2));
          store<u8>(q + 2 * st, u8((2 * q3 + 3 * q2 + q1 + q0 + p0 + 4) >> 3));
        } else store<u8>(q, u8((2 * q1 + q0 + p1 + 2) >> 2));
      }
    }
  }
}

/** Filters one 8-sample chroma edge; chroma sample pair k uses the bS of luma segment k. */
export function chromaEdgeRef(q0p: usize, step: i32, along: i32, qpav: i32): void {
  const alpha = i32(load<u8>(ALPHA + usize(qpav)));
  const beta = i32(load<u8>(BETA + usize(qpav)));
  if (alpha == 0 || beta == 0) return;
  const st = usize(step);
  for (let k = 0; k < 4; k++) {
    const bs = i32(load<u8>(BS + usize(k)));
    if (bs == 0) continue;
    const tc = i32(load<u8>(TC0 + usize(qpav * 4 + (bs < 4 ? bs : 0)))) + 1;
    for (let i = 0; i < 2; i++) {
      const q = q0p + usize((k * 2 + i) * along);
      const p0 = i32(load<u8>(q - st));
      const q0 = i32(load<u8>(q));
      const p1 = i32(load<u8>(q - 2 * st));
      const q1 = i32(load<u8>(q + st));
      if (abs<i32>(p0 - q0) >= alpha || abs<i32>(p1 - p0) >= beta || abs<i32>(q1 - q0) >= beta) continue;
      if (bs < 4) {
        const delta = clip3(-tc, tc, (((q0 - p0) << 2) + (p1 - q1) + 4) >> 3);
        store<u8>(q - st, clip255(p0 + delta));
        store<u8>(q, clip255(q0 - delta));
      } else {
        store<u8>(q - st, u8((2 * p1 + p0 + q1 + 2) >> 2));
        store<u8>(q, u8((2 * q1 + q0 + p1 + 2) >> 2));
      }
    }
  }
}
