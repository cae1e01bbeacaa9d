// Rate control: constant QP, or per-picture QP steering each chunk towards `kbps`. The model is
// bits ≈ complexity × 2^(-qp/6) per picture type, learned from the pictures just coded. A picture
// whose size misses its target by more than 2.5× is coded again once with the corrected model
// (a scene cut, or the first pictures of a chunk). State restarts with every chunk, so chunks
// stay independent and deterministic.

let constQp: i32 = 26;
let frameBits: f64 = 0; // target bits per frame; 0 = constant QP
let gopLen: i32 = 60;
let pixels: f64 = 0;

// per chunk
let cplxI: f64 = 0; // complexity: bits * 2^(qp/6)
let cplxP: f64 = 0;
let lastQp: i32 = 26;
let debt: f64 = 0; // bits spent minus bits allowed so far in this chunk
let target: f64 = 0; // of the picture being coded

export function setRate(qp: i32, kbps: f64, fps: f64, gop: i32, width: i32, height: i32): void {
  constQp = qp;
  frameBits = kbps > 0 ? (kbps * 1000) / fps : 0;
  gopLen = gop;
  pixels = f64(width) * f64(height);
}

export function resetRate(): void {
  cplxI = 0;
  cplxP = 0;
  debt = 0;
}

// @ts-ignore: decorator
@inline function clampQp(q: f64): i32 {
  const r = i32(Math.round(q));
  return r < 0 ? 0 : r > 51 ? 51 : r;
}

// @ts-ignore: decorator
@inline function qpFor(cplx: f64, bits: f64): f64 {
  return 6.0 * Math.log2(cplx / bits);
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
  if (frameBits == 0) return constQp;
  if (idr) {
    target = max<f64>(frameBits * 0.5, idrBudget() - debt * 0.5);
    // the chunk's first picture: a guess from the bits per pixel (coded again if far off)
    lastQp = cplxI == 0 ? clampQp(26.0 - 6.0 * Math.log2(target / pixels / 0.35)) : clampQp(qpFor(cplxI, target));
    return lastQp;
  }
  // this picture's share, plus a part of what is owed (spread over about a second of frames)
  target = max<f64>(pBudget() * 0.25, pBudget() - debt / 30.0);
  const known = cplxP > 0;
  let q = clampQp(qpFor(known ? cplxP : cplxI * 0.5, target));
  // steady steps once the model has seen P pictures
  if (known) q = min<i32>(lastQp + 4, max<i32>(lastQp - 4, q));
  lastQp = q;
  return q;
}

/**
 * After a picture is coded: the QP to code it again with, or -1. Learns from the picture either
 * way; asks for a retry when it missed its target by more than 2.5× and another QP would help.
 */
export function retryQp(idr: bool, qp: i32, bytes: i32): i32 {
  if (frameBits == 0) return -1;
  const bits = f64(bytes) * 8;
  const c = bits * Math.pow(2, f64(qp) / 6.0);
  if (idr) cplxI = c;
  else cplxP = c;
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
  const bits = f64(bytes) * 8;
  const c = bits * Math.pow(2, f64(qp) / 6.0);
  if (idr) {
    cplxI = c;
    debt += bits - idrBudget();
  } else {
    cplxP = cplxP == 0 ? c : cplxP * 0.5 + c * 0.5;
    debt += bits - pBudget();
  }
}
