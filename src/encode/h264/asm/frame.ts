// The picture loop: one slice per picture, macroblocks in raster order, each decided and coded
// (analyse.ts), written (cavlc.ts), and re-coded as I_PCM if it would exceed the 3200-bit limit
// of a macroblock (A.3.1: 128 + RawMbBits) or if a DC level had to be clamped (dct.ts: lowest qps
// only). Then the loop filter, edge padding for motion compensation, and the NAL unit.
import { bitsBegin, bitsEnd, bitCount, bitsSave, bitsRestore, putUe, putTrailingBits, writeNal } from './bitstream';
import { writeSliceHeader } from './headers';
import { analyseIntra, analyseInter } from './analyse';
import { encodePcm } from './macroblock';
import { putMacroblock } from './cavlc';
import { deblockPicture } from './deblock';
import { clearDcClamp, dcLevelClamped } from './dct';
import { resetHalfPlanes } from './mc';
import { deblock, subpel } from './config';
import {
  W, H, MBW, MBH, CW, CH, YS, CS, BW, PAD, PADC, srcY, srcU, srcV, inY, inU, inV, curY, curU, curV, refY, refU, refV,
  mbType, mbQp, mvXY, refIdx, i4Mode, rbspBuf, outBuf, ensureOut, swapPictures, MB_P_SKIP, MB_P16x16, MB_I4, MB_PCM,
} from './state';
import { setPosition, setQp, setType, type, mvx, mvy } from './mb';

const MAX_MB_BITS: i32 = 3200;

/** Copies the caller's W x H frame into the coded-size source planes, repeating the last column and row. */
export function loadSource(): void {
  if (CW == W && CH == H) return;
  copyExtend(inY, W, H, srcY, CW, CH);
  copyExtend(inU, W >> 1, H >> 1, srcU, CW >> 1, CH >> 1);
  copyExtend(inV, W >> 1, H >> 1, srcV, CW >> 1, CH >> 1);
}

function copyExtend(src: usize, w: i32, h: i32, dst: usize, dw: i32, dh: i32): void {
  for (let y = 0; y < dh; y++) {
    const s = src + usize(min<i32>(y, h - 1) * w);
    const d = dst + usize(y * dw);
    memory.copy(d, s, w);
    memory.fill(d + usize(w), load<u8>(s + usize(w - 1)), dw - w);
  }
}

/** Records the decided macroblock in the per-block arrays its neighbours and the loop filter read. */
function storeSideInfo(addr: i32, mbx: i32, mby: i32, t: u8, qp: i32): void {
  store<u8>(mbType + usize(addr), t);
  store<u8>(mbQp + usize(addr), u8(t == MB_PCM ? 0 : qp)); // the loop filter uses qP 0 for I_PCM
  const b0 = mby * 4 * BW + mbx * 4;
  const inter = t == MB_P_SKIP || t == MB_P16x16;
  const mv: u32 = inter ? (u32(mvx) & 0xffff) | (u32(mvy) << 16) : 0;
  const ref: u32 = inter ? 0 : 0xffffffff;
  for (let y = 0; y < 4; y++) {
    const b = b0 + y * BW;
    const m = mvXY + usize(b * 4);
    store<u32>(m, mv);
    store<u32>(m, mv, 4);
    store<u32>(m, mv, 8);
    store<u32>(m, mv, 12);
    store<u32>(refIdx + usize(b), ref);
    if (t != MB_I4) store<u32>(i4Mode + usize(b), 0xffffffff);
  }
}

/**
 * Encodes the loaded source as one picture. Returns the bytes written at outBuf (a NAL unit with
 * its 4-byte length).
 */
export function encodePicture(idr: bool, frameNum: i32, idrPicId: i32, qp: i32): i32 {
  loadSource();
  if (!idr) resetHalfPlanes();
  bitsBegin(rbspBuf);
  writeSliceHeader(idr, frameNum, idrPicId, qp, deblock);
  setQp(qp);
  let skipRun = 0;
  let addr = 0;
  for (let mby = 0; mby < MBH; mby++) {
    for (let mbx = 0; mbx < MBW; mbx++) {
      setPosition(mbx, mby, addr);
      clearDcClamp(true, true);
      if (idr) analyseIntra();
      else analyseInter();
      let t = type;
      if (t == MB_P_SKIP) {
        skipRun++;
      } else {
        if (!idr) {
          putUe(u32(skipRun));
          skipRun = 0;
        }
        bitsSave();
        const before = bitCount();
        putMacroblock(!idr);
        if (bitCount() - before > MAX_MB_BITS || dcLevelClamped()) {
          bitsRestore();
          encodePcm();
          setType(MB_PCM);
          t = MB_PCM;
          putMacroblock(!idr);
        }
      }
      storeSideInfo(addr, mbx, mby, t, qp);
      addr++;
    }
  }
  if (skipRun > 0) putUe(u32(skipRun));
  putTrailingBits();
  const len = bitsEnd();
  if (deblock) deblockPicture();
  padPicture();
  swapPictures();
  ensureOut(len + (len >> 1) + 64);
  return writeNal(outBuf, idr ? 3 : 2, idr ? 5 : 1, rbspBuf, len);
}

/** Repeats the edge samples of the current picture into its padding. */
function padPicture(): void {
  padPlane(curY, CW, CH, YS, PAD);
  padPlane(curU, CW >> 1, CH >> 1, CS, PADC);
  padPlane(curV, CW >> 1, CH >> 1, CS, PADC);
}

function padPlane(p: usize, w: i32, h: i32, stride: i32, pad: i32): void {
  for (let y = 0; y < h; y++) {
    const row = p + usize(y * stride);
    memory.fill(row - usize(pad), load<u8>(row), pad);
    memory.fill(row + usize(w), load<u8>(row + usize(w - 1)), pad);
  }
  const first = p - usize(pad);
  const last = p + usize((h - 1) * stride) - usize(pad);
  for (let y = 1; y <= pad; y++) {
    memory.copy(first - usize(y * stride), first, w + 2 * pad);
    memory.copy(last + usize(y * stride), last, w + 2 * pad);
  }
}

/**
 * Copies the last reconstructed picture (cropped to W x H) over the input planes, which are free
 * once a frame is encoded: tests compare it with a decoder's output without any extra memory.
 */
export function copyReconToInput(): void {
  // after swapPictures the reconstruction is the reference
  copyPlane(refY, YS, inY, W, H);
  copyPlane(refU, CS, inU, W >> 1, H >> 1);
  copyPlane(refV, CS, inV, W >> 1, H >> 1);
}

function copyPlane(src: usize, ss: i32, dst: usize, w: i32, h: i32): void {
  for (let y = 0; y < h; y++) memory.copy(dst + usize(y * w), src + usize(y * ss), w);
}
