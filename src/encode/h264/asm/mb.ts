// The macroblock being encoded: its decisions and quantised levels, shared by the coding tools
// (macroblock.ts), the decisions (analyse.ts) and the entropy coder (cavlc.ts).
import { alloc } from './state';

export let mbX: i32 = 0;
export let mbY: i32 = 0;
export let mbAddr: i32 = 0;
export let type: u8 = 0; // MB_* in state.ts
export let qp: i32 = 26;
export let i16Mode: i32 = 0;
export let chromaMode: i32 = 0;
export let mvx: i32 = 0;
export let mvy: i32 = 0;
/** Motion vector prediction of the 16x16 partition (mvd = mv - mvp). */
export let mvpx: i32 = 0;
export let mvpy: i32 = 0;
export let cbpLuma: i32 = 0; // bit per 8x8
export let cbpChroma: i32 = 0; // 0, 1 (DC only) or 2 (DC and AC)

export function setPosition(x: i32, y: i32, addr: i32): void {
  mbX = x;
  mbY = y;
  mbAddr = addr;
}
export function setType(t: u8): void {
  type = t;
}
export function setQp(q: i32): void {
  qp = q;
}
export function setModes(luma: i32, chroma: i32): void {
  i16Mode = luma;
  chromaMode = chroma;
}
export function setMv(x: i32, y: i32, px: i32, py: i32): void {
  mvx = x;
  mvy = y;
  mvpx = px;
  mvpy = py;
}
export function setCbp(luma: i32, chroma: i32): void {
  cbpLuma = luma;
  cbpChroma = chroma;
}

// Buffers, allocated by allocateMb (fixed size, independent of the picture size).
/** Source samples of the macroblock are read in place; predictions go here (stride 16 / 8). */
export let predY: usize = 0;
export let predU: usize = 0;
export let predV: usize = 0;
/** A second luma prediction, for comparing candidates without recomputing them. */
export let predY2: usize = 0;
/** Levels: 16 luma blocks x 16 i16 (raster order inside a block, blocks in raster order). */
export let levY: usize = 0;
/** Intra16x16 DC levels (i16 x 16, raster over the blocks). */
export let levYDc: usize = 0;
/** Chroma AC levels: 2 planes x 4 blocks x 16 i16; chroma DC levels: 2 x 4 i16. */
export let levC: usize = 0;
export let levCDc: usize = 0;
/** Intra 4x4 modes of the macroblock (raster), and whether each equals its predicted mode (u8 x 16 each). */
export let i4Modes: usize = 0;
export let i4Pred: usize = 0;
/** Scratch for coefficients (i16 x 16 x 16) and dequantised values. */
export let coefTmp: usize = 0;
export let dqTmp: usize = 0;
export let dcTmp: usize = 0;

export function allocateMb(): void {
  predY = alloc(256);
  predY2 = alloc(256);
  predU = alloc(64);
  predV = alloc(64);
  levY = alloc(512);
  levYDc = alloc(32);
  levC = alloc(256);
  levCDc = alloc(16);
  i4Modes = alloc(16);
  i4Pred = alloc(16);
  coefTmp = alloc(512);
  dqTmp = alloc(64);
  dcTmp = alloc(64);
}
