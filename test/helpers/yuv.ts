// Test/bench-only YUV helpers: the inverse conversion, a reproduction of h264-mp4-encoder's own
// RGBA conversion, and a thin driver for the real WASM encoder. None of this ships in src/.

/** The subset of h264-mp4-encoder's instance API the tests drive directly. */
export interface RawHmeEncoder {
  outputFilename: string;
  width: number;
  height: number;
  frameRate: number;
  speed: number;
  quantizationParameter: number;
  groupOfPictures: number;
  initialize(): void;
  addFrameYuv(buffer: Uint8Array): void;
  addFrameRgba(buffer: Uint8Array | Uint8ClampedArray): void;
  finalize(): void;
  delete(): void;
  FS: { readFile(path: string): Uint8Array; unlink(path: string): void };
}

/**
 * I420 (BT.601 limited range) → packed RGB (full range), the textbook inverse with rounding and
 * clamping. Chroma upsampling:
 * - `nearest`: each chroma sample replicated over its 2×2 block — neutral between a box-averaging
 *   downsampler and one that takes the top-left pixel;
 * - `bilinear`: interpolated assuming centre-sited samples (the siting of a 2×2 box average).
 */
export function i420ToRgb(yuv: Uint8Array, width: number, height: number, channels: 3 | 4 = 3, upsample: 'nearest' | 'bilinear' = 'nearest'): Uint8Array {
  if (yuv.length !== (width * height * 3) / 2) throw new Error(`i420ToRgb: ${yuv.length} bytes, expected ${(width * height * 3) / 2}`);
  const out = new Uint8Array(width * height * channels);
  const ySize = width * height;
  const cw = width >> 1;
  const ch = height >> 1;
  const uBase = ySize;
  const vBase = ySize + (ySize >> 2);
  // Inverse of the BT.601 limited-range matrix: 255/219 for luma, 255/224 scaled chroma terms.
  const ky = 255 / 219;
  const kcr = (255 / 224) * 1.402;
  const kcb = (255 / 224) * 1.772;
  const kgCb = (kcb * 0.114) / 0.587;
  const kgCr = (kcr * 0.299) / 0.587;
  const chroma = (base: number, x: number, y: number): number => {
    if (upsample === 'nearest') return yuv[base + (y >> 1) * cw + (x >> 1)];
    // Pixel x sits at chroma coordinate x/2 − 1/4: ¾ of its own sample, ¼ of the neighbour.
    const cx = x >> 1;
    const cy = y >> 1;
    const nx = Math.min(cw - 1, Math.max(0, x & 1 ? cx + 1 : cx - 1));
    const ny = Math.min(ch - 1, Math.max(0, y & 1 ? cy + 1 : cy - 1));
    const at = (i: number, j: number) => yuv[base + j * cw + i];
    return 0.5625 * at(cx, cy) + 0.1875 * (at(nx, cy) + at(cx, ny)) + 0.0625 * at(nx, ny);
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const l = ky * (yuv[y * width + x] - 16);
      const cb = chroma(uBase, x, y) - 128;
      const cr = chroma(vBase, x, y) - 128;
      const o = (y * width + x) * channels;
      out[o] = clamp(l + kcr * cr);
      out[o + 1] = clamp(l - kgCb * cb - kgCr * cr);
      out[o + 2] = clamp(l + kcb * cb);
      if (channels === 4) out[o + 3] = 255;
    }
  }
  return out;
}

function clamp(v: number): number {
  const r = Math.round(v);
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

/**
 * h264-mp4-encoder's `addFrameRgba` conversion, reproduced: 8-bit 66/129/25 matrix with
 * truncating shifts, chroma from the top-left pixel of each 2×2 block. Verified bit-exact against
 * the encoder in test/convert.test.ts.
 */
export function naiveI420(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Uint8Array {
  const out = new Uint8Array((width * height * 3) / 2);
  const ySize = width * height;
  const cw = width >> 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 4;
      const r = rgba[s];
      const g = rgba[s + 1];
      const b = rgba[s + 2];
      out[y * width + x] = ((66 * r + 129 * g + 25 * b) >> 8) + 16;
      if ((x & 1) === 0 && (y & 1) === 0) {
        const c = (y >> 1) * cw + (x >> 1);
        out[ySize + c] = ((-38 * r - 74 * g + 112 * b) >> 8) + 128;
        out[ySize + (ySize >> 2) + c] = ((112 * r - 94 * g - 18 * b) >> 8) + 128;
      }
    }
  }
  return out;
}

/** PSNR in dB between two byte arrays of equal length (Infinity when identical). */
export function bytePsnr(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`bytePsnr: lengths ${a.length} and ${b.length} differ`);
  let se = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    se += d * d;
  }
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255 * a.length) / se);
}

interface HmeModule {
  createH264MP4Encoder(): Promise<RawHmeEncoder>;
}
let hme: Promise<HmeModule> | undefined;

/**
 * Imports h264-mp4-encoder directly (independent of src/encode) and removes the process-wide
 * `uncaughtException`/`unhandledRejection` listeners its Node build installs at import.
 */
export function loadHme(): Promise<HmeModule> {
  hme ??= (async () => {
    const uncaught = new Set(process.listeners('uncaughtException'));
    const rejection = new Set(process.listeners('unhandledRejection'));
    try {
      const mod = (await import('h264-mp4-encoder')) as unknown as HmeModule & { default?: HmeModule };
      const api = typeof mod.createH264MP4Encoder === 'function' ? mod : mod.default;
      if (!api) throw new Error('h264-mp4-encoder exported no createH264MP4Encoder');
      return api;
    } finally {
      for (const l of process.listeners('uncaughtException')) if (!uncaught.has(l)) process.removeListener('uncaughtException', l);
      for (const l of process.listeners('unhandledRejection')) if (!rejection.has(l)) process.removeListener('unhandledRejection', l);
    }
  })();
  return hme;
}

export interface HmeParams {
  width: number;
  height: number;
  frames: number;
  qp: number;
  speed?: number;
  gop?: number;
}

/**
 * Encodes `frames` frames with a fresh encoder instance, calling `add(encoder, i)` to feed frame i
 * (through addFrameRgba or addFrameYuv), and returns the MP4 the encoder wrote to its in-memory FS.
 * Parameters must be valid (even sizes, qp 10..51): a bad one aborts the WASM module for good.
 */
export async function encodeWithHme(p: HmeParams, add: (encoder: RawHmeEncoder, index: number) => void): Promise<Uint8Array> {
  if (p.width % 2 || p.height % 2 || p.qp < 10 || p.qp > 51) throw new Error(`encodeWithHme: invalid params ${JSON.stringify(p)}`);
  const api = await loadHme();
  const enc = await api.createH264MP4Encoder();
  try {
    enc.width = p.width;
    enc.height = p.height;
    enc.frameRate = 30;
    enc.quantizationParameter = p.qp;
    enc.speed = p.speed ?? 5;
    enc.groupOfPictures = p.gop ?? 30;
    enc.initialize();
    for (let i = 0; i < p.frames; i++) add(enc, i);
    enc.finalize();
    const mp4 = enc.FS.readFile(enc.outputFilename).slice();
    enc.FS.unlink(enc.outputFilename);
    return mp4;
  } finally {
    enc.delete();
  }
}

/** The payload of the first top-level `mdat` box (the coded samples, without any timestamps). */
export function mdatPayload(mp4: Uint8Array): Uint8Array {
  const dv = new DataView(mp4.buffer, mp4.byteOffset, mp4.byteLength);
  for (let o = 0; o + 8 <= mp4.length; ) {
    let size = dv.getUint32(o);
    let header = 8;
    if (size === 1) {
      size = Number(dv.getBigUint64(o + 8));
      header = 16;
    } else if (size === 0) size = mp4.length - o;
    const type = String.fromCharCode(mp4[o + 4], mp4[o + 5], mp4[o + 6], mp4[o + 7]);
    if (type === 'mdat') return mp4.subarray(o + header, o + size);
    if (size < header) break;
    o += size;
  }
  throw new Error('no mdat box found');
}
