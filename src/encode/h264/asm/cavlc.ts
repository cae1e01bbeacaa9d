// CAVLC entropy coding of macroblocks (ITU-T H.264 7.3.5 syntax, 9.2 residual blocks).
import { putBits, putUe, putSe } from './bitstream';
import {
  CT_LEN_0, CT_CODE_0, CT_LEN_2, CT_CODE_2, CT_LEN_4, CT_CODE_4, CT_LEN_CDC, CT_CODE_CDC,
  TZ_LEN, TZ_CODE, TZC_LEN, TZC_CODE, RB_LEN, RB_CODE, CBP_TO_CODE_INTRA, CBP_TO_CODE_INTER, ZIGZAG, BLK_RASTER,
} from './tables';
import { BW, CBW, nzY, nzU, nzV, MB_P16x16, MB_I16, MB_I4, MB_PCM, srcY, srcU, srcV, CW } from './state';
import {
  mbX, mbY, type, i16Mode, chromaMode, mvx, mvy, mvpx, mvpy, cbpLuma, cbpChroma, levY, levYDc, levC, levCDc, i4Modes, i4Pred,
} from './mb';
import { alignZero } from './bitstream';

/** Coefficients of the block being written, in scan order, and scratch for its non-zero levels. */
const SCAN = memory.data(64); // i32 x 16
const LEVELS = memory.data(64); // i32 x 16, highest frequency first
const RUNS = memory.data(64); // i32 x 16

/** coeff_token for (totalCoeff, trailingOnes) with context nC (-1: chroma DC). */
function putCoeffToken(nC: i32, total: i32, t1: i32): void {
  const i = usize(total * 4 + t1);
  if (nC < 0) putBits(i32(load<u8>(CT_LEN_CDC + i)), load<u8>(CT_CODE_CDC + i));
  else if (nC < 2) putBits(i32(load<u8>(CT_LEN_0 + i)), load<u8>(CT_CODE_0 + i));
  else if (nC < 4) putBits(i32(load<u8>(CT_LEN_2 + i)), load<u8>(CT_CODE_2 + i));
  else if (nC < 8) putBits(i32(load<u8>(CT_LEN_4 + i)), load<u8>(CT_CODE_4 + i));
  else putBits(6, total == 0 ? 3 : u32(((total - 1) << 2) | t1));
}

/** One level with the current suffixLength (9.2.2.1); returns the next suffixLength. */
function putLevel(level: i32, levelCode: i32, suffixLength: i32): i32 {
  if (suffixLength == 0) {
    if (levelCode < 14) putBits(levelCode + 1, 1);
    else if (levelCode < 30) {
      putBits(15, 1);
      putBits(4, u32(levelCode - 14));
    } else {
      putBits(16, 1);
      putBits(12, u32(levelCode - 30));
    }
  } else if (levelCode < (15 << suffixLength)) {
    putBits((levelCode >> suffixLength) + 1, 1);
    putBits(suffixLength, u32(levelCode & ((1 << suffixLength) - 1)));
  } else {
    putBits(16, 1);
    putBits(12, u32(levelCode - (15 << suffixLength)));
  }
  if (suffixLength == 0) suffixLength = 1;
  if (abs<i32>(level) > (3 << (suffixLength - 1)) && suffixLength < 6) suffixLength++;
  return suffixLength;
}

/**
 * residual_block_cavlc() of the `n` coefficients in SCAN (n: 4, 15 or 16) with context nC.
 * Returns TotalCoeff.
 */
function putResidualBlock(n: i32, nC: i32): i32 {
  // Non-zero levels from the highest frequency down, and the zeros before each.
  let total = 0;
  let last = -1;
  for (let i = n - 1; i >= 0; i--) {
    if (load<i32>(SCAN + usize(i * 4)) != 0) {
      last = i;
      break;
    }
  }
  if (last < 0) {
    putCoeffToken(nC, 0, 0);
    return 0;
  }
  let i = last;
  while (i >= 0) {
    const l = load<i32>(SCAN + usize(i * 4));
    i--;
    let run = 0;
    while (i >= 0 && load<i32>(SCAN + usize(i * 4)) == 0) {
      i--;
      run++;
    }
    store<i32>(LEVELS + usize(total * 4), l);
    store<i32>(RUNS + usize(total * 4), run);
    total++;
  }
  let t1 = 0;
  while (t1 < total && t1 < 3 && abs<i32>(load<i32>(LEVELS + usize(t1 * 4))) == 1) t1++;
  putCoeffToken(nC, total, t1);
  for (let k = 0; k < t1; k++) putBits(1, load<i32>(LEVELS + usize(k * 4)) < 0 ? 1 : 0);
  let suffixLength = total > 10 && t1 < 3 ? 1 : 0;
  for (let k = t1; k < total; k++) {
    const l = load<i32>(LEVELS + usize(k * 4));
    let code = l > 0 ? 2 * l - 2 : -2 * l - 1;
    if (k == t1 && t1 < 3) code -= 2;
    suffixLength = putLevel(l, code, suffixLength);
  }
  const totalZeros = last + 1 - total;
  if (total < n) {
    if (nC < 0) {
      const j = usize((total - 1) * 4 + totalZeros);
      putBits(i32(load<u8>(TZC_LEN + j)), load<u8>(TZC_CODE + j));
    } else {
      const j = usize((total - 1) * 16 + totalZeros);
      putBits(i32(load<u8>(TZ_LEN + j)), load<u8>(TZ_CODE + j));
    }
  }
  let zerosLeft = totalZeros;
  for (let k = 0; k < total - 1 && zerosLeft > 0; k++) {
    const run = load<i32>(RUNS + usize(k * 4));
    const j = usize((min<i32>(zerosLeft, 7) - 1) * 16 + run);
    putBits(i32(load<u8>(RB_LEN + j)), load<u8>(RB_CODE + j));
    zerosLeft -= run;
  }
  return total;
}

/** Loads a 4x4 block's levels (raster i16) into SCAN in zigzag order from position `start`. */
function scan4x4(lev: usize, start: i32): void {
  for (let i = start; i < 16; i++) {
    store<i32>(SCAN + usize((i - start) * 4), i32(load<i16>(lev + usize(i32(load<u8>(ZIGZAG + usize(i))) * 2))));
  }
}

/** nC of a luma 4x4 block at raster index b of the macroblock (9.2.1). */
function lumaNc(b: i32): i32 {
  const bx = mbX * 4 + (b & 3);
  const by = mbY * 4 + (b >> 2);
  const availA = bx > 0;
  const availB = by > 0;
  const nA = availA ? i32(load<u8>(nzY + usize(by * BW + bx - 1))) : 0;
  const nB = availB ? i32(load<u8>(nzY + usize((by - 1) * BW + bx))) : 0;
  return availA && availB ? (nA + nB + 1) >> 1 : nA + nB;
}

function chromaNc(nz: usize, k: i32): i32 {
  const bx = mbX * 2 + (k & 1);
  const by = mbY * 2 + (k >> 1);
  const availA = bx > 0;
  const availB = by > 0;
  const nA = availA ? i32(load<u8>(nz + usize(by * CBW + bx - 1))) : 0;
  const nB = availB ? i32(load<u8>(nz + usize((by - 1) * CBW + bx))) : 0;
  return availA && availB ? (nA + nB + 1) >> 1 : nA + nB;
}

/**
 * macroblock_layer() of the current macroblock (any type but P_Skip). `pSlice` offsets intra
 * mb_type by 5. The levels' non-zero counts were stored in nzY/nzU/nzV by the coding tools.
 */
export function putMacroblock(pSlice: bool): void {
  const t = type;
  const off: u32 = pSlice ? 5 : 0;
  if (t == MB_PCM) {
    putUe(off + 25);
    putPcmSamples();
    return;
  }
  if (t == MB_P16x16) putUe(0);
  else if (t == MB_I4) putUe(off);
  else putUe(off + 1 + u32(i16Mode) + 4 * u32(cbpChroma) + (cbpLuma != 0 ? 12 : 0));
  if (t == MB_I4) {
    for (let i = 0; i < 16; i++) {
      const b = usize(load<u8>(BLK_RASTER + usize(i)));
      const m = i32(load<u8>(i4Modes + b));
      const pm = i32(load<u8>(i4Pred + b));
      if (m == pm) putBits(1, 1);
      else putBits(4, u32(m < pm ? m : m - 1));
    }
  }
  if (t != MB_P16x16) putUe(u32(chromaMode));
  else {
    putSe(mvx - mvpx);
    putSe(mvy - mvpy);
  }
  const cbp = cbpLuma | (cbpChroma << 4);
  if (t != MB_I16) putUe(t == MB_P16x16 ? load<u8>(CBP_TO_CODE_INTER + usize(cbp)) : load<u8>(CBP_TO_CODE_INTRA + usize(cbp)));
  if (cbp == 0 && t != MB_I16) return;
  putSe(0); // mb_qp_delta: QP is constant within a picture
  // luma
  if (t == MB_I16) {
    // Intra16x16DCLevel uses the nC of block 0; its count is not stored in nzY.
    for (let i = 0; i < 16; i++) store<i32>(SCAN + usize(i * 4), i32(load<i16>(levYDc + usize(i32(load<u8>(ZIGZAG + usize(i))) * 2))));
    putResidualBlock(16, lumaNc(0));
  }
  for (let i = 0; i < 16; i++) {
    const b = i32(load<u8>(BLK_RASTER + usize(i)));
    if ((cbpLuma & (1 << (i >> 2))) == 0) continue;
    const nc = lumaNc(b);
    if (t == MB_I16) {
      scan4x4(levY + usize(b * 32), 1);
      putResidualBlock(15, nc);
    } else {
      scan4x4(levY + usize(b * 32), 0);
      putResidualBlock(16, nc);
    }
  }
  // chroma
  if (cbpChroma != 0) {
    for (let p = 0; p < 2; p++) {
      for (let k = 0; k < 4; k++) store<i32>(SCAN + usize(k * 4), i32(load<i16>(levCDc + usize(p * 8 + k * 2))));
      putResidualBlock(4, -1);
    }
  }
  if (cbpChroma == 2) {
    for (let p = 0; p < 2; p++) {
      const nz = p == 0 ? nzU : nzV;
      for (let k = 0; k < 4; k++) {
        scan4x4(levC + usize((p * 4 + k) * 32), 1);
        putResidualBlock(15, chromaNc(nz, k));
      }
    }
  }
}

function putPcmSamples(): void {
  alignZero(); // pcm_alignment_zero_bit
  const s = srcY + usize(mbY * 16 * CW + mbX * 16);
  for (let y = 0; y < 16; y++) {
    for (let x = 0; x < 16; x += 4) putBits(32, bswap<u32>(load<u32>(s + usize(y * CW + x))));
  }
  const cs = CW >> 1;
  for (let p = 0; p < 2; p++) {
    const c = (p == 0 ? srcU : srcV) + usize(mbY * 8 * cs + mbX * 8);
    for (let y = 0; y < 8; y++) {
      putBits(32, bswap<u32>(load<u32>(c + usize(y * cs))));
      putBits(32, bswap<u32>(load<u32>(c + usize(y * cs + 4))));
    }
  }
}
