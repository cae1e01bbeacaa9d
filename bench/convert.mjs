#!/usr/bin/env node
// Pixel-path benchmark: toI420 (JS) and the own encoder's WASM SIMD conversion (the same bytes;
// the module from dist/h264.wasm, called directly), the pattern generators (ms/frame), h264-mp4-encoder's own
// RGBA→YUV conversion (estimated inside the encoder), and the quality of both conversion paths
// after a real encode + ffmpeg decode.
//
//   npm run bench:convert    (= npm run build && node bench/convert.mjs)
//   MP4FORGE_MODULE=/tmp/mp4forge.mjs node bench/convert.mjs     # any ESM build exporting
//                                                                # toI420, patterns, drawPattern
// Options (env): BENCH_SIZES="640x480,1280x720,1920x1080"  BENCH_FRAMES=20  BENCH_PSNR_FRAMES=10
//
// The encoder's conversion is estimated as time(addFrameRgba(rgba)) − time(addFrameYuv(yuv)) where
// yuv is the encoder's own conversion of the same rgba reproduced in JS — bit-identical input to
// the codec (test/convert.test.ts checks the bitstreams match), so both calls do the same coding
// work and the difference is the conversion plus the larger copy into WASM memory (median of the
// per-frame differences, two encoders run in lockstep at speed 10, qp 30).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

const modulePath = process.env.MP4FORGE_MODULE
  ? pathToFileURL(resolve(process.cwd(), process.env.MP4FORGE_MODULE)).href
  : new URL('../dist/index.js', import.meta.url).href;
const lib = await import(modulePath);
const { toI420, patterns } = lib;
if (typeof toI420 !== 'function' || typeof patterns !== 'object') {
  throw new Error(`${modulePath} does not export toI420 and patterns; build first or set MP4FORGE_MODULE`);
}

const SIZES = (process.env.BENCH_SIZES ?? '640x480,1280x720,1920x1080').split(',').map((s) => s.split('x').map(Number));
const FRAMES = Number(process.env.BENCH_FRAMES ?? 20);
const PSNR_FRAMES = Number(process.env.BENCH_PSNR_FRAMES ?? 10);
const PATTERNS = ['noise', 'gradient', 'plasma', 'bars', 'solid'];

// h264-mp4-encoder's Node build adds process-wide uncaughtException/unhandledRejection handlers
// at import; they are not ours to keep.
const before = { u: new Set(process.listeners('uncaughtException')), r: new Set(process.listeners('unhandledRejection')) };
const hmeModule = await import('h264-mp4-encoder');
for (const l of process.listeners('uncaughtException')) if (!before.u.has(l)) process.removeListener('uncaughtException', l);
for (const l of process.listeners('unhandledRejection')) if (!before.r.has(l)) process.removeListener('unhandledRejection', l);
const HME = hmeModule.createH264MP4Encoder ? hmeModule : hmeModule.default;

const ffmpegPath = require('@ffmpeg-installer/ffmpeg').path;

// The own encoder's module, for its RGB → I420 kernel (exports scratch(bytes) and convertRgb).
const wasm = (await WebAssembly.instantiate(readFileSync(new URL('../dist/h264.wasm', import.meta.url)), { env: { abort() {} } })).instance.exports;

/** Best-of-`rounds` mean ms per call of `fn(i)` over `n` calls, after a warm-up. */
function timeIt(fn, n, rounds = 5) {
  for (let i = 0; i < Math.min(n, 10); i++) fn(i);
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) fn(i);
    best = Math.min(best, (performance.now() - t) / n);
  }
  return best;
}

/** The encoder's addFrameRgba conversion, reproduced (66/129/25, truncation, top-left chroma). */
function naiveI420(rgba, w, h, out) {
  const ySize = w * h;
  const cw = w >> 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * 4;
      const r = rgba[s];
      const g = rgba[s + 1];
      const b = rgba[s + 2];
      out[y * w + x] = ((66 * r + 129 * g + 25 * b) >> 8) + 16;
      if ((x & 1) === 0 && (y & 1) === 0) {
        const c = (y >> 1) * cw + (x >> 1);
        out[ySize + c] = ((-38 * r - 74 * g + 112 * b) >> 8) + 128;
        out[ySize + (ySize >> 2) + c] = ((112 * r - 94 * g - 18 * b) >> 8) + 128;
      }
    }
  }
  return out;
}

let fileCounter = 0;
async function newEncoder(w, h, qp, speed) {
  const enc = await HME.createH264MP4Encoder();
  enc.outputFilename = `bench-convert-${process.pid}-${fileCounter++}.mp4`;
  enc.width = w;
  enc.height = h;
  enc.frameRate = 30;
  enc.quantizationParameter = qp;
  enc.speed = speed;
  enc.groupOfPictures = 30;
  enc.initialize();
  return enc;
}

function finish(enc) {
  enc.finalize();
  const mp4 = enc.FS.readFile(enc.outputFilename).slice();
  enc.FS.unlink(enc.outputFilename);
  enc.delete();
  return mp4;
}

/**
 * Two encoders in lockstep, fed the same frames: one through addFrameRgba, one through
 * addFrameYuv with the bit-identical conversion. Interleaving per frame exposes both to the same
 * machine load; the per-frame differences are summarised by their median.
 */
async function encoderConversion(w, h, rgbaFrames, yuvFrames, passes = 2) {
  const rgbaTimes = [];
  const yuvTimes = [];
  const diffs = [];
  for (let pass = 0; pass < passes; pass++) {
    const a = await newEncoder(w, h, 30, 10);
    const b = await newEncoder(w, h, 30, 10);
    for (let i = 0; i < rgbaFrames.length; i++) {
      let t = performance.now();
      a.addFrameRgba(rgbaFrames[i]);
      const tr = performance.now() - t;
      t = performance.now();
      b.addFrameYuv(yuvFrames[i]);
      const ty = performance.now() - t;
      rgbaTimes.push(tr);
      yuvTimes.push(ty);
      diffs.push(tr - ty);
    }
    finish(a);
    finish(b);
  }
  return { rgbaMs: median(rgbaTimes), yuvMs: median(yuvTimes), conversionMs: median(diffs) };
}

function median(xs) {
  const s = [...xs].sort((p, q) => p - q);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function run(bin, args) {
  return new Promise((res, rej) => {
    const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    let err = '';
    p.stdout.on('data', (d) => out.push(d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', rej);
    p.on('close', (code) => (code === 0 ? res(Buffer.concat(out)) : rej(new Error(`ffmpeg failed: ${err}`))));
  });
}

function rgbPsnr(rgba, rgb) {
  let se = 0;
  const n = rgb.length / 3;
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) {
      const d = rgba[p * 4 + c] - rgb[p * 3 + c];
      se += d * d;
    }
  }
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255 * n * 3) / se);
}

async function decodePsnr(mp4, w, h, src, dir, name) {
  const file = join(dir, name);
  writeFileSync(file, mp4);
  const raw = await run(ffmpegPath, [
    '-hide_banner', '-v', 'error', '-i', file,
    '-vf', 'scale=in_range=tv:out_range=pc:in_color_matrix=bt601:flags=accurate_rnd+full_chroma_int+bitexact',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-',
  ]);
  const size = w * h * 3;
  let sum = 0;
  for (let i = 0; i < src.length; i++) sum += rgbPsnr(src[i], raw.subarray(i * size, (i + 1) * size));
  return sum / src.length;
}

const results = { module: modulePath, node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, frames: FRAMES, sizes: [] };
const dir = mkdtempSync(join(os.tmpdir(), 'mp4forge-bench-convert-'));
try {
  for (const [w, h] of SIZES) {
    const row = { size: `${w}x${h}` };
    const frames = Array.from({ length: FRAMES }, (_, i) => {
      const px = new Uint8Array(w * h * 4);
      patterns.plasma(px, w, h, i);
      return px;
    });
    const yuv = new Uint8Array((w * h * 3) / 2);

    row.toI420_rgba_ms = timeIt((i) => toI420(frames[i % FRAMES], 'rgba', w, h, yuv), FRAMES);
    // WASM: the frame already in the module's memory (as when it is drawn there), then converted
    {
      const src = wasm.scratch(w * h * 4 + (w * h * 3) / 2 + 64);
      const dst = src + w * h * 4;
      new Uint8Array(wasm.memory.buffer).set(frames[0], src);
      row.wasm_rgba_ms = timeIt(() => wasm.convertRgb(src, 0, w, h, dst, dst + w * h, dst + (w * h * 5) / 4), FRAMES);
      toI420(frames[0], 'rgba', w, h, yuv);
      if (Buffer.compare(new Uint8Array(wasm.memory.buffer, dst, yuv.length), yuv) !== 0) throw new Error('the WASM conversion differs from toI420');
    }
    const scratch = new Uint8Array(w * h * 4);
    row.patterns_ms = {};
    for (const name of PATTERNS) row.patterns_ms[name] = timeIt((i) => patterns[name](scratch, w, h, i), FRAMES);

    const naiveFrames = frames.map((f) => naiveI420(f, w, h, new Uint8Array((w * h * 3) / 2)));
    const conv = await encoderConversion(w, h, frames, naiveFrames);
    row.encoder_addFrameRgba_ms = conv.rgbaMs;
    row.encoder_addFrameYuv_ms = conv.yuvMs;
    row.encoder_conversion_ms = conv.conversionMs;

    // Quality after encode (qp 20, speed 5) + ffmpeg decode, plasma.
    const psnrFrames = frames.slice(0, PSNR_FRAMES);
    let enc = await newEncoder(w, h, 20, 5);
    for (const f of psnrFrames) enc.addFrameRgba(f);
    const theirs = finish(enc);
    enc = await newEncoder(w, h, 20, 5);
    for (const f of psnrFrames) {
      toI420(f, 'rgba', w, h, yuv);
      enc.addFrameYuv(yuv);
    }
    const ours = finish(enc);
    row.psnr_plasma_qp20_ours_db = await decodePsnr(ours, w, h, psnrFrames, dir, `ours-${w}.mp4`);
    row.psnr_plasma_qp20_encoder_db = await decodePsnr(theirs, w, h, psnrFrames, dir, `theirs-${w}.mp4`);
    results.sizes.push(row);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const round = (v) => (typeof v === 'number' ? Math.round(v * 100) / 100 : v);
console.log(JSON.stringify(results, (_k, v) => round(v), 2));

const fmt = (v) => (typeof v === 'number' ? v.toFixed(2) : String(v));
const cols = ['size', 'toI420', 'wasm', ...PATTERNS, 'enc conv', 'PSNR ours', 'PSNR enc'];
const rows = results.sizes.map((r) => [
  r.size,
  fmt(r.toI420_rgba_ms),
  fmt(r.wasm_rgba_ms),
  ...PATTERNS.map((p) => fmt(r.patterns_ms[p])),
  fmt(r.encoder_conversion_ms),
  fmt(r.psnr_plasma_qp20_ours_db),
  fmt(r.psnr_plasma_qp20_encoder_db),
]);
const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
console.log('\nms/frame (PSNR in dB, plasma, qp 20, after ffmpeg decode)');
console.log(line(cols));
for (const r of rows) console.log(line(r));
