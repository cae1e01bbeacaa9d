// Rate control: constant QP, or per-picture QP steering each chunk towards `kbps`. The model is
// log2(bits) = log2(complexity) − slope × qp per picture type, with the complexity learnt from the
// pictures just coded and the slope (1/6: bits halve every 6 qp, for most pictures) corrected when a
// picture has to be coded twice (noise halves more slowly). A picture that misses its target by
// more than 2.5× is coded again, at most twice (a scene cut, or the first pictures of a chunk).
// State restarts with every chunk, so chunks stay independent and deterministic.

let constQp: i32 = 26;
let frameBits: f64 = 0; // target bits per frame; 0 = constant QP
let gopLen: i32 = 60;
let pixels: f64 = 0;

// per chunk
let slope: f64 = 1.0 / 6.0;
let cplxI: f64 = 0; // log2 complexity: log2(bits) + slope * qp
let cplxP: f64 = 0;
let haveI = false;
let haveP = false;
let lastQp: i32 = 26;
let debt: f64 = 0; // bits spent minus bits allowed so far in this chunk
let target: f64 = 0; // of the picture being coded
// the previous attempt at this picture (for the slope), or qp -1
let triedQp: i32 = -1;
let triedBits: f64 = 0;

export const MAX_RETRIES: i32 = 2;

/**
 * Constant QP: an IDR picture is coded at qp - 3 (x264 does the same with its default I/P ratio
 * of 1.4). Where the picture stands still, P pictures skip and carry the IDR's quality on for
 * the whole GOP, so finer keyframes pay: BD-rate on testsrc2 at 720p −1.3% (RGB PSNR) and −0.9%
 * (luma), plasma (which moves everywhere) within ±0.2%.
 */
const IDR_QP_OFFSET: i32 = 3;

export function setRate(qp: i32, kbps: f64, fps: f64, gop: i32, width: i32, height: i32): void {
  constQp = qp;
  frameBits = kbps > 0 ? (kbps * 1000) / fps : 0;
  gopLen = gop;
  pixels = f64(width) * f64(height);
}

export function resetRate(): void {
  slope = 1.0 / 6.0;
  haveI = false;
  haveP = false;
  debt = 0;
}

// @ts-ignore: decorator
@inline function clampQp(q: f64): i32 {
  const r = i32(Math.round(q));
  return r < 0 ? 0 : r > 51 ? 51 : r;
}

/** The qp at which a picture of log2 complexity `c` takes `bits`. */
// @ts-ignore: decorator
@inline function qpFor(c: f64, bits: f64): f64 {
  return (c - Math.log2(bits)) / slope;
}

/** Bits an IDR picture may take: a share of the GOP, more for longer GOPs. */
function idrBudget(): f64 {
  return frameBits * min<f64>(f64(gopLen), 2.0 + f64(gopLen) / 10.0);
}

/** What each P picture may take so that the GOP meets its budget. */
function pBudget(): f64 {
  return gopLen > 1 ? (frameBits * f64(gopLen) - idrBudget()) / f64(gopLen - 1) : frameBits;
}

/** QP of the next picture. */
export function pictureQp(idr: bool): i32 {
  triedQp = -1;
  if (frameBits == 0) return idr ? max<i32>(0, constQp - IDR_QP_OFFSET) : constQp;
  if (idr) {
    target = max<f64>(frameBits * 0.5, idrBudget() - debt * 0.5);
    // the chunk's first picture: a guess from the bits per pixel (coded again if far off)
    lastQp = !haveI ? clampQp(26.0 - 6.0 * Math.log2(target / pixels / 0.35)) : clampQp(qpFor(cplxI, target));
    return lastQp;
  }
  // this picture's share, plus a part of what is owed (spread over about a second of frames)
  target = max<f64>(pBudget() * 0.25, pBudget() - debt / 30.0);
  // before any P picture, a P picture is taken to cost what the IDR did at the same qp: safe
  // for busy pictures, and a simple one is corrected by the retry or by the next picture
  let q = clampQp(qpFor(haveP ? cplxP : cplxI, target));
  if (haveP) q = min<i32>(lastQp + 4, max<i32>(lastQp - 4, q));
  lastQp = q;
  return q;
}

/**
 * After a picture is coded: the QP to code it again with, or -1. Learns from the picture either
 * way (and, from a second attempt, the slope); asks for a retry when it missed its target by
 * more than 2.5× and another QP would help.
 */
export function retryQp(idr: bool, qp: i32, bytes: i32): i32 {
  if (frameBits == 0) return -1;
  const bits = max<f64>(8, f64(bytes) * 8);
  if (triedQp >= 0 && triedQp != qp) {
    const s = (Math.log2(triedBits) - Math.log2(bits)) / f64(qp - triedQp);
    if (s > 0) slope = min<f64>(1.0 / 3.0, max<f64>(1.0 / 16.0, s));
  }
  triedQp = qp;
  triedBits = bits;
  const c = Math.log2(bits) + slope * f64(qp);
  if (idr) {
    cplxI = c;
    haveI = true;
  } else {
    cplxP = c;
    haveP = true;
  }
  if (bits > target * 2.5 || bits < target * 0.4) {
    const q = clampQp(qpFor(c, target));
    if (q != qp) {
      lastQp = q;
      return q;
    }
  }
  return -1;
}

/** Records the picture as coded (after any retry). */
export function pictureDone(idr: bool, qp: i32, bytes: i32): void {
  if (frameBits == 0) return;
  const bits = max<f64>(8, f64(bytes) * 8);
  const c = Math.log2(bits) + slope * f64(qp);
  if (idr) {
    cplxI = c;
    haveI = true;
    debt += bits - idrBudget();
  } else {
    // retryQp, which every picture passes first, has set cplxP to the complexity of its last
    // attempt, so this mean is that picture's own complexity, except after a second retry (the
    // last two attempts averaged, in the log domain). The P complexity is not smoothed across
    // pictures: the next picture's qp follows this one's (within ±4, pictureQp).
    cplxP = haveP ? (cplxP + c) * 0.5 : c;
    haveP = true;
    debt += bits - pBudget();
  }
}
