// CAVLC entropy coding of macroblocks (ITU-T H.264 7.3.5 syntax, 9.2 residual blocks).
import { putBits, putUe, putSe, pendingAcc, pendingCount, writerPtr, setWriter } from './bitstream';
import {
  CT_LEN_0, CT_CODE_0, CT_LEN_2, CT_CODE_2, CT_LEN_4, CT_CODE_4, CT_LEN_CDC, CT_CODE_CDC,
  TZ_LEN, TZ_CODE, TZC_LEN, TZC_CODE, RB_LEN, RB_CODE, CBP_TO_CODE_INTRA, CBP_TO_CODE_INTER, ZIGZAG, BLK_RASTER,
} from './tables';
import { BW, CBW, nzY, nzU, nzV, MB_P16x16, MB_I16, MB_I4, MB_PCM, srcY, srcU, srcV, CW } from './state';
import {
  mbX, mbY, type, i16Mode, chromaMode, mvx, mvy, mvpx, mvpy, cbpLuma, cbpChroma, levY, levYDc, levC, levCDc, i4Modes, i4Pred,
} from './mb';
import { alignZero } from './bitstream';

/**
 * Coefficients of the block being written, in reverse scan order (i16 x 16: position p holds
 * scan index 15 - p), their non-zero mask (bit p for position p), and each one's levelCode before
 * the first level's adjustment (CODES: 2|l| - 2, or 2|l| - 1 when negative; 9.2.2.1), worked out
 * for all sixteen at once when the block is loaded. Reversed because CAVLC codes from the highest
 * frequency down: the next coefficient is the mask's lowest bit (ctz), and taking it off is
 * m & (m - 1), where the highest bit needed 31 - clz and a variable shift (x86 shifts only by cl,
 * so V8 moved registers around each one).
 */
const SCAN = memory.data(32);
const CODES = memory.data(32);
let scanMask: i32 = 0;

// @ts-ignore: decorator
@inline function scanAt(i: i32): i32 {
  return i32(load<i16>(SCAN + usize(i << 1)));
}

// @ts-ignore: decorator
@inline function codeAt(i: i32): i32 {
  return i32(load<i16>(CODES + usize(i << 1)));
}

/** Stores a block's coefficients in reverse scan order (a: positions 0-7, b: 8-15), levelCodes, mask. */
// @ts-ignore: decorator
@inline function setScan(a: v128, b: v128): void {
  v128.store(SCAN, a);
  v128.store(SCAN, b, 16);
  const two = i16x8.splat(2);
  v128.store(CODES, i16x8.add(i16x8.sub(i16x8.shl(i16x8.abs(a), 1), two), i16x8.shr_u(a, 15)));
  v128.store(CODES, i16x8.add(i16x8.sub(i16x8.shl(i16x8.abs(b), 1), two), i16x8.shr_u(b, 15)), 16);
  const zero = i16x8.splat(0);
  scanMask = i16x8.bitmask(i16x8.ne(a, zero)) | (i16x8.bitmask(i16x8.ne(b, zero)) << 8);
}

/** coeff_token code words of the four nC classes (0-1, 2-3, 4-7, 8+), u32 each: length << 16 | code, index class * 68 + totalCoeff * 4 + trailingOnes. */
const COEFF_TOKEN = memory.data(4 * 68 * 4);

/**
 * Level codes at suffixLength 1-6 short of an escape (level_prefix < 15), u32 each: length << 16 |
 * the bits (9.2.2.1: level_prefix = levelCode >> s zeros, a one, then the low s bits of levelCode
 * as the suffix; escapes are levelVlc's). suffixLength s has 15 << s of them, after the 15 << t
 * of each t below it: they start at (15 << s) - 30. The level loop, most of noise's encode, looks
 * its codes up instead of working them out: 1.02x on 720p noise (npm run bench:ab), the same
 * bytes, and 1.01-1.02x more with the entries in this form rather than u16 repacked at each level.
 */
const LEVEL_VLC = memory.data(4 * 15 * ((1 << 7) - 2));

/**
 * A level's code (length << 16 | bits) at the suffixLength whose threshold `thr` is 3 << s (s
 * from 1 to 6): looked up, or an escape (level_prefix 15 and a 12-bit suffix).
 */
// @ts-ignore: decorator
@inline function levelVlc(c: i32, thr: i32): u32 {
  const lim = thr * 5; // 15 << s: the first escape
  if (c < lim) return load<u32>(LEVEL_VLC + usize((lim - 30 + c) << 2));
  return (28 << 16) | 0x1000 | u32(c - lim); // c - lim < 4096: levels stop at MAX_LEVEL (dct.ts)
}

export function initCavlc(): void {
  for (let sl = 1; sl <= 6; sl++) {
    const base = (15 << sl) - 30;
    for (let c = 0; c < 15 << sl; c++) {
      const len = (c >> sl) + 1 + sl;
      const bits = (1 << sl) | (c & ((1 << sl) - 1));
      store<u32>(LEVEL_VLC + usize((base + c) << 2), (u32(len) << 16) | u32(bits));
    }
  }
  for (let i = 0; i < 68; i++) {
    const u = usize(i);
    store<u32>(COEFF_TOKEN + u * 4, (u32(load<u8>(CT_LEN_0 + u)) << 16) | u32(load<u8>(CT_CODE_0 + u)));
    store<u32>(COEFF_TOKEN + (68 + u) * 4, (u32(load<u8>(CT_LEN_2 + u)) << 16) | u32(load<u8>(CT_CODE_2 + u)));
    store<u32>(COEFF_TOKEN + (136 + u) * 4, (u32(load<u8>(CT_LEN_4 + u)) << 16) | u32(load<u8>(CT_CODE_4 + u)));
    // nC >= 8: six bits, (totalCoeff - 1) << 2 | trailingOnes, and 000011 for none
    const tc = i >> 2, t1 = i & 3;
    store<u32>(COEFF_TOKEN + (204 + u) * 4, (6 << 16) | u32(tc == 0 ? 3 : ((tc - 1) << 2) | t1));
  }
}

/** Stores the low 32 bits of `w` at p, as the bit writer does (bitstream.ts: bitsEnd puts them in stream order). */
// @ts-ignore: decorator
@inline function storeWord(p: usize, w: u64): void {
  store<u32>(p, u32(w));
}

/**
 * residual_block_cavlc() of the `n` coefficients in SCAN (n: 4, 15 or 16, at positions 16 - n
 * to 15; scanMask has their non-zero bits) with context nC (-1: chroma DC). Returns TotalCoeff.
 *
 * The writer's state lives in locals for the block: the pending bits `a` (the newest in the low
 * `k`, k < 32 between writes) and the pointer `p`. Each write appends its code, then stores the
 * 32 oldest pending bits at p and moves p on only if there were 32 (`k >> 5`), with no branch on
 * whether a word is full (measured 1.02x on noise with the level loop below; DEVELOPERS.md,
 * "CAVLC"). A store that does not move p is overwritten by a later one (see setWriter).
 */
function putResidualBlock(n: i32, nC: i32): i32 {
  const mask = scanMask; // bit p: scan index 15 - p
  let a = pendingAcc();
  let k = pendingCount();
  let p = writerPtr();
  let f: i32;
  const total = popcnt<i32>(mask);
  // trailing ones: up to three ±1 levels from the highest frequency down, and their signs
  let t1 = 0;
  let signs: u32 = 0;
  let m = mask;
  while (t1 < 3 && m != 0) {
    const l = scanAt(ctz<i32>(m));
    if (l != 1 && l != -1) break;
    signs = (signs << 1) | (l < 0 ? 1 : 0);
    t1++;
    m &= m - 1;
  }
  // coeff_token, then the signs
  let len: i32;
  let code: u32;
  if (nC < 0) {
    const j = usize(total * 4 + t1);
    len = i32(load<u8>(CT_LEN_CDC + j));
    code = load<u8>(CT_CODE_CDC + j);
  } else {
    const cls = nC < 2 ? 0 : nC < 4 ? 1 : nC < 8 ? 2 : 3;
    const w = load<u32>(COEFF_TOKEN + usize((cls * 68 + total * 4 + t1) << 2));
    len = i32(w >> 16);
    code = w & 0xffff;
  }
  a = (a << u64(len + t1)) | u64((code << t1) | signs);
  k += len + t1;
  f = k >> 5;
  k &= 31;
  storeWord(p, a >> u64(k));
  p += usize(f << 2);
  if (total == 0) {
    setWriter(a, k, p);
    return 0;
  }
  // levels, highest frequency first; `m` holds the ones left after the trailing ones.
  // levelCode = 2|l| - 2 (positive) or 2|l| - 1 (negative); the first level after fewer than
  // three trailing ones cannot be ±1, so its code is 2 less. The first level is the only one
  // that can meet suffixLength 0. `thr` is 3 << suffixLength: |level| > 3 << (suffixLength - 1),
  // which raises suffixLength after it (up to 6, thr 192), is levelCode >= thr.
  if (m != 0) {
    let r = codeAt(ctz<i32>(m));
    m &= m - 1;
    const c = r - (t1 < 3 ? 2 : 0);
    let w: u32;
    if (total <= 10 || t1 == 3) {
      // suffixLength 0
      if (c < 14) w = (u32(c + 1) << 16) | 1;
      else if (c < 30) w = (19 << 16) | 0x10 | u32(c - 14); // prefix 14, 4-bit suffix
      else w = (28 << 16) | 0x1000 | u32(c - 30); // prefix 15, 12-bit suffix
    } else w = levelVlc(c, 6);
    let thr = 6; // suffixLength 1 after the first level, whichever it had
    while (true) {
      const wl = i32(w >> 16);
      thr += thr & -(i32(r >= thr) & i32(thr < 192));
      a = (a << u64(wl)) | u64(w & 0xffff);
      k += wl;
      f = k >> 5;
      k &= 31;
      storeWord(p, a >> u64(k));
      p += usize(f << 2);
      if (m == 0) break;
      r = codeAt(ctz<i32>(m));
      m &= m - 1;
      w = levelVlc(r, thr);
    }
  }
  const top = ctz<i32>(mask); // the highest-frequency level's position: scan index 15 - top
  const totalZeros = 16 - top - total;
  if (total < n) {
    let j: usize;
    if (nC < 0) {
      j = usize((total - 1) * 4 + totalZeros);
      len = i32(load<u8>(TZC_LEN + j));
      code = load<u8>(TZC_CODE + j);
    } else {
      j = usize((total - 1) * 16 + totalZeros);
      len = i32(load<u8>(TZ_LEN + j));
      code = load<u8>(TZ_CODE + j);
    }
    a = (a << u64(len)) | u64(code);
    k += len;
    f = k >> 5;
    k &= 31;
    storeWord(p, a >> u64(k));
    p += usize(f << 2);
  }
  // run_before of each level but the lowest-frequency one, while zeros remain
  let zerosLeft = totalZeros;
  m = mask & (mask - 1);
  let i = top;
  while (zerosLeft > 0 && m != 0) {
    const next = ctz<i32>(m);
    m &= m - 1;
    const run = next - i - 1;
    const j = usize((min<i32>(zerosLeft, 7) - 1) * 16 + run);
    len = i32(load<u8>(RB_LEN + j));
    a = (a << u64(len)) | u64(load<u8>(RB_CODE + j));
    k += len;
    f = k >> 5;
    k &= 31;
    storeWord(p, a >> u64(k));
    p += usize(f << 2);
    zerosLeft -= run;
    i = next;
  }
  setWriter(a, k, p);
  return total;
}

/**
 * Loads a 4x4 block's levels (raster i16) into SCAN in reverse zigzag order, from scan position
 * `start` (0 or 1). With 1, scan index s goes to position 16 - s, and position 0 gets the DC
 * level, which the quantiser leaves 0 in a block coded from 1 (dct.ts quantBlocks).
 */
// @ts-ignore: decorator
@inline function scan4x4(lev: usize, start: i32): void {
  const lo = v128.load(lev);
  const hi = v128.load(lev, 16);
  // zigzag: 0 1 4 8 5 2 3 6 9 12 13 10 7 11 14 15 (raster positions in scan order)
  if (start == 1) {
    setScan(
      v128.shuffle<i16>(lo, hi, 0, 15, 14, 11, 7, 10, 13, 12),
      v128.shuffle<i16>(lo, hi, 9, 6, 3, 2, 5, 8, 4, 1),
    );
  } else {
    setScan(v128.shuffle<i16>(lo, hi, 15, 14, 11, 7, 10, 13, 12, 9), v128.shuffle<i16>(lo, hi, 6, 3, 2, 5, 8, 4, 1, 0));
  }
}

/** Loads 4 i16 values (scan indices 0-3) into SCAN, reversed: positions 15 down to 12. */
function scanChromaDc(src: usize): void {
  const v = v128.load64_zero(src);
  setScan(i16x8.splat(0), v128.shuffle<i16>(v, v, 4, 4, 4, 4, 3, 2, 1, 0));
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
    scan4x4(levYDc, 0);
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
      scanChromaDc(levCDc + usize(p * 8));
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
