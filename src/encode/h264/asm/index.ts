// The encoder module's exports. The JS wrapper (../wasm-encoder.ts) calls configure() once,
// writes each I420 frame at inputY/U/V, calls encodeFrame(), and copies the NAL unit from output().
import { alloc, allocate, allocLate, inY, inU, inV, outBuf, W, H } from './state';
import { rgbToI420, FORMAT_RGB24 } from './convert';
import { allocateMb } from './mb';
import { initQuantTables } from './dct';
import { initLambda } from './analyse';
import { initCavlc } from './cavlc';
import { setSpeed } from './config';
import { setHeaderParams, writeSps, writePps, LOG2_MAX_FRAME_NUM } from './headers';
import { setLevelLimits } from './me';
import { bitsBegin, bitsEnd, writeNal } from './bitstream';
import { rbspBuf } from './state';
import { encodePicture, copyReconToInput } from './frame';
import { setRate, resetRate, pictureQp, pictureDone, retryQp, MAX_RETRIES } from './ratecontrol';
import { swapPictures } from './state';

let gop: i32 = 60;
let frameInChunk: i32 = 0;
let chunkStart: i32 = 0;
let frameNum: i32 = 0;

/**
 * Sets the encoder up for pictures of width x height (even, 16..4096). Must be called once, first.
 * `vmv`: the level's vertical vector range in full samples.
 */
export function configure(
  width: i32, height: i32, fpsNum: u32, fpsDen: u32, level: i32, vmv: i32, speed: i32, qp: i32, kbps: f64, gopFrames: i32,
  primaries: i32, transfer: i32, matrix: i32, fullRange: i32,
): void {
  allocate(width, height);
  allocateMb();
  initQuantTables();
  initLambda();
  initCavlc();
  setSpeed(speed);
  setHeaderParams(level, fpsNum, fpsDen, primaries, transfer, matrix, fullRange);
  setLevelLimits(vmv);
  setRate(qp, kbps, f64(fpsNum) / f64(fpsDen), gopFrames, width, height);
  gop = gopFrames;
}

let rgbBuf: usize = 0;
let rgbFormat: i32 = -1;

/**
 * Where the caller writes a packed RGB frame of `format` (0 RGBA, 1 BGRA, 2 RGB24) for
 * encodeRgbFrame(); allocated on first use.
 */
export function rgbInput(format: i32): usize {
  const bytes = W * H * (format == FORMAT_RGB24 ? 3 : 4);
  if (rgbBuf == 0 || (rgbFormat == FORMAT_RGB24) != (format == FORMAT_RGB24)) rgbBuf = allocLate(bytes + 64);
  rgbFormat = format;
  return rgbBuf;
}

/**
 * Rows of packed RGB a strip holds (even, so that every strip covers whole chroma rows). A frame
 * copied in strips and converted strip by strip is read by the conversion from cache, not from
 * memory: 16 rows of 1920-wide RGBA are 120 KiB.
 */
const STRIP_ROWS: i32 = 16;
let stripBuf: usize = 0;

/** Where the caller writes up to stripRows() rows of a packed RGB frame for convertRgbStrip(); allocated on first use. */
export function rgbStrip(): usize {
  if (stripBuf == 0) stripBuf = allocLate(W * 4 * STRIP_ROWS);
  return stripBuf;
}

/** STRIP_ROWS, for the JS side (convertByStrips in ../module.ts), which asks rather than keeping its own copy. */
export function stripRows(): i32 {
  return STRIP_ROWS;
}

/** Converts `rows` rows (even) of `format` at rgbStrip() into the input picture, from row `firstRow` (even). */
export function convertRgbStrip(format: i32, firstRow: i32, rows: i32): void {
  const cOffset = usize((firstRow >> 1) * (W >> 1));
  rgbToI420(stripBuf, format, W, rows, inY + usize(firstRow * W), inU + cOffset, inV + cOffset);
}

/** Converts the frame at rgbInput() to I420 (into inputY/U/V) and encodes it. */
export function encodeRgbFrame(): i32 {
  rgbToI420(rgbBuf, rgbFormat, W, H, inY, inU, inV);
  return encodeFrame();
}

/**
 * The converter's entry (an instance used without configure()): a scratch area of `bytes`, and
 * the RGB → I420 kernel on explicit pointers.
 */
export function scratch(bytes: i32): usize {
  return alloc(bytes);
}

export function convertRgb(src: usize, format: i32, width: i32, height: i32, outY: usize, outU: usize, outV: usize): void {
  rgbToI420(src, format, width, height, outY, outU, outV);
}

export function inputY(): usize {
  return inY;
}
export function inputU(): usize {
  return inU;
}
export function inputV(): usize {
  return inV;
}
export function output(): usize {
  return outBuf;
}

/** Writes the SPS and PPS NAL units (with 4-byte lengths) at output(); returns the SPS's size, then the PPS follows. */
export function parameterSets(): i32 {
  bitsBegin(rbspBuf);
  writeSps();
  const spsLen = bitsEnd();
  const a = writeNal(outBuf, 3, 7, rbspBuf, spsLen);
  bitsBegin(rbspBuf);
  writePps();
  const ppsLen = bitsEnd();
  const b = writeNal(outBuf + usize(a), 3, 8, rbspBuf, ppsLen);
  return (a << 16) | b;
}

/** Starts an independent chunk whose first frame has the absolute index `firstFrame`. */
export function beginChunk(firstFrame: i32): void {
  chunkStart = firstFrame;
  frameInChunk = 0;
  resetRate();
}

/** Encodes the frame at inputY/U/V; returns the bytes written at output() (one NAL unit with its length). */
export function encodeFrame(): i32 {
  const idr = frameInChunk % gop == 0;
  if (idr) frameNum = 0;
  const absolute = chunkStart + frameInChunk;
  // Two IDR pictures in a row need different idr_pic_id (7.4.3). They can only be neighbouring
  // frames (a GOP of 1, or a segment cut right after an IDR), so the parity of the absolute frame
  // index tells them apart — and a render of a range keeps the bytes a whole render gives it.
  const idrPicId = absolute & 1;
  let qp = pictureQp(idr);
  let bytes = encodePicture(idr, frameNum, idrPicId, qp);
  for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
    const retry = retryQp(idr, qp, bytes);
    if (retry < 0) break;
    // rate control missed by far: code the picture again (from the same reference)
    if (!idr) swapPictures();
    qp = retry;
    bytes = encodePicture(idr, frameNum, idrPicId, qp);
  }
  pictureDone(idr, qp, bytes);
  frameNum = (frameNum + 1) & ((1 << LOG2_MAX_FRAME_NUM) - 1);
  frameInChunk++;
  return bytes;
}

/** Puts the last reconstructed picture at inputY/U/V (for the decoder-match tests). */
export function reconstruction(): void {
  copyReconToInput();
}

export function width(): i32 {
  return W;
}
export function height(): i32 {
  return H;
}
