// The encoder's configuration and memory: picture geometry, the frame buffers, and the per-block
// side information of the current picture. Everything is allocated once by `allocate`; nothing is
// allocated while frames are encoded.

/** Luma padding around reference pictures; motion vectors keep blocks inside it (see me.ts). */
export const PAD: i32 = 32;
export const PADC: i32 = 16;

// Geometry
export let W: i32 = 0; // picture size as given
export let H: i32 = 0;
export let MBW: i32 = 0; // in macroblocks
export let MBH: i32 = 0;
export let CW: i32 = 0; // coded size (multiple of 16)
export let CH: i32 = 0;
export let YS: i32 = 0; // stride of padded luma planes
export let CS: i32 = 0; // stride of padded chroma planes
export let BW: i32 = 0; // width in 4x4 luma blocks (= stride of per-block arrays)
export let CBW: i32 = 0; // width in 4x4 chroma blocks

// Source picture: tight planes of the coded size (edges replicated past W and H).
export let srcY: usize = 0;
export let srcU: usize = 0;
export let srcV: usize = 0;
/** Where the caller writes a W x H I420 frame (the source planes themselves when W, H are multiples of 16). */
export let inY: usize = 0;
export let inU: usize = 0;
export let inV: usize = 0;

// Reconstructed pictures (padded). `cur*` is being encoded, `ref*` is the reference.
export let curY: usize = 0;
export let curU: usize = 0;
export let curV: usize = 0;
export let refY: usize = 0;
export let refU: usize = 0;
export let refV: usize = 0;
/** Half-sample planes of the reference: horizontal (x+1/2, y), vertical (x, y+1/2), centre. */
export let refH: usize = 0;
export let refVh: usize = 0;
export let refC: usize = 0;

// Per macroblock
export let mbType: usize = 0; // u8, see MB_* below
export let mbQp: usize = 0; // u8, QP_Y
// Per 4x4 luma block (stride BW)
export let nzY: usize = 0; // u8: total_coeff of the block (CAVLC nC; deblocking bS 2)
export let mvXY: usize = 0; // i16 pairs: motion vector in quarter samples
export let refIdx: usize = 0; // i8: 0, or -1 for intra
export let i4Mode: usize = 0; // i8: Intra4x4PredMode, or -1 (counts as DC for prediction)
// Per 4x4 chroma block (stride CBW), U then V
export let nzU: usize = 0;
export let nzV: usize = 0;

/** Which 16x16 tiles of the half-sample planes hold the current reference's values (u8 per tile). */
export let halfTiles: usize = 0;
export let halfTilesW: i32 = 0;
export let halfTilesH: i32 = 0;

/** One row of i16 scratch, as wide as a padded luma row (half-sample filtering). */
export let rowTmp: usize = 0;

/** RBSP scratch for one slice, and the output (NAL units with 4-byte lengths). */
export let rbspBuf: usize = 0;
export let rbspCap: i32 = 0;
export let outBuf: usize = 0;
export let outCap: i32 = 0;

export const MB_P_SKIP: u8 = 0;
export const MB_P16x16: u8 = 1;
export const MB_I16: u8 = 2;
export const MB_I4: u8 = 3;
export const MB_PCM: u8 = 4;

let heapTop: usize = 0;

function align64(n: usize): usize {
  return (n + 63) & ~63;
}

/** Bump allocation from the WASM heap; grows memory as needed. */
export function alloc(bytes: i32): usize {
  if (heapTop == 0) heapTop = align64(__heap_base);
  const p = heapTop;
  heapTop = align64(heapTop + usize(bytes) + 64); // 64 bytes of slack for vector loads past the end
  const need = i32((heapTop + 0xffff) >> 16) - memory.size();
  if (need > 0 && memory.grow(need) < 0) unreachable();
  return p;
}

/** Makes sure the output buffer (the last allocation) holds `bytes`. */
export function ensureOut(bytes: i32): void {
  if (bytes <= outCap) return;
  const end = outBuf + usize(bytes) + 64;
  const need = i32((end + 0xffff) >> 16) - memory.size();
  if (need > 0 && memory.grow(need) < 0) unreachable();
  outCap = bytes;
  heapTop = align64(end);
}

/**
 * Allocates after the frame is set up: the output buffer (always the last allocation) moves up
 * to make room; its contents are transient between frames.
 */
export function allocLate(bytes: i32): usize {
  const p = outBuf;
  const cap = outCap;
  heapTop = align64(p + usize(bytes) + 64);
  outBuf = alloc(0);
  outCap = 0;
  ensureOut(cap);
  return p;
}

function plane(width: i32, height: i32, pad: i32): usize {
  const stride = width + 2 * pad;
  const base = alloc(stride * (height + 2 * pad));
  return base + usize(pad * stride + pad);
}

export function allocate(width: i32, height: i32): void {
  W = width;
  H = height;
  MBW = (width + 15) >> 4;
  MBH = (height + 15) >> 4;
  CW = MBW * 16;
  CH = MBH * 16;
  YS = CW + 2 * PAD;
  CS = (CW >> 1) + 2 * PADC;
  BW = MBW * 4;
  CBW = MBW * 2;
  srcY = alloc(CW * CH);
  srcU = alloc((CW >> 1) * (CH >> 1));
  srcV = alloc((CW >> 1) * (CH >> 1));
  if (CW == W && CH == H) {
    inY = srcY;
    inU = srcU;
    inV = srcV;
  } else {
    inY = alloc(W * H);
    inU = alloc((W >> 1) * (H >> 1));
    inV = alloc((W >> 1) * (H >> 1));
  }
  curY = plane(CW, CH, PAD);
  curU = plane(CW >> 1, CH >> 1, PADC);
  curV = plane(CW >> 1, CH >> 1, PADC);
  refY = plane(CW, CH, PAD);
  refU = plane(CW >> 1, CH >> 1, PADC);
  refV = plane(CW >> 1, CH >> 1, PADC);
  refH = plane(CW, CH, PAD);
  refVh = plane(CW, CH, PAD);
  refC = plane(CW, CH, PAD);
  const mbs = MBW * MBH;
  mbType = alloc(mbs);
  mbQp = alloc(mbs);
  const blocks = mbs * 16;
  nzY = alloc(blocks);
  mvXY = alloc(blocks * 4);
  refIdx = alloc(blocks);
  i4Mode = alloc(blocks);
  nzU = alloc(mbs * 4);
  nzV = alloc(mbs * 4);
  rowTmp = alloc((YS + 32) * 2);
  halfTilesW = (CW + 2 * PAD) >> 4;
  halfTilesH = (CH + 2 * PAD) >> 4;
  halfTiles = alloc(halfTilesW * halfTilesH);
  // At most 3200 bits per macroblock (I_PCM fallback, see frame.ts) plus skip runs and headers.
  rbspCap = mbs * 416 + 65536;
  rbspBuf = alloc(rbspCap);
  outBuf = alloc(0);
  outCap = 0;
  ensureOut(rbspCap + (rbspCap >> 3));
}

/** Swaps the current and reference pictures (after a picture is reconstructed). */
export function swapPictures(): void {
  let t = curY;
  curY = refY;
  refY = t;
  t = curU;
  curU = refU;
  refU = t;
  t = curV;
  curV = refV;
  refV = t;
}
