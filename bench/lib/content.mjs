// Frame content for the benchmarks. The library's own pattern generators are used when they are
// available (exported from dist, or bundled from src/generate/patterns.ts into bench/.cache), so
// the benchmarks encode what users of `patterns` encode; otherwise the bench-local generators
// below stand in. Every result file records which source drew its frames.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CACHE_DIR, FFMPEG, ROOT, loadLibrary } from './common.mjs';

const NAMES = ['plasma', 'gradient', 'noise'];

/** Checks that `draw(name, rgba, w, h, i)` fills a frame, and that frames move over time. */
function works(draw) {
  try {
    const w = 64;
    const h = 48;
    const a = new Uint8Array(w * h * 4);
    const b = new Uint8Array(w * h * 4);
    for (const name of NAMES) {
      draw(name, a, w, h, 0);
      draw(name, b, w, h, 5);
      if (!a.some((v) => v !== 0) || a.every((v, k) => v === b[k])) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves the pattern source once: `{ source, draw(name, rgba, width, height, frameIndex) }`.
 * `prefer` = 'library' (default) or 'local' (force the bench's own generators).
 */
export async function loadPatterns(prefer = process.env.MP4FORGE_BENCH_PATTERNS ?? 'library') {
  if (prefer !== 'local') {
    try {
      const lib = await loadLibrary();
      if (typeof lib.drawPattern === 'function' && works(lib.drawPattern)) return { source: 'mp4forge drawPattern (dist)', draw: lib.drawPattern };
    } catch {
      // not built or not exported yet
    }
    const src = join(ROOT, 'src', 'generate', 'patterns.ts');
    if (existsSync(src)) {
      try {
        mkdirSync(CACHE_DIR, { recursive: true });
        const out = join(CACHE_DIR, `patterns-${process.pid}.mjs`);
        process.on('exit', () => rmSync(out, { force: true }));
        const esbuild = await import('esbuild');
        await esbuild.build({ entryPoints: [src], bundle: true, format: 'esm', platform: 'node', outfile: out, logLevel: 'silent' });
        const mod = await import(pathToFileURL(out).href);
        if (typeof mod.drawPattern === 'function' && works(mod.drawPattern))
          return { source: 'src/generate/patterns.ts drawPattern (esbuild bundle in bench/.cache)', draw: mod.drawPattern };
      } catch {
        // the colleague's module is mid-edit or has another shape; fall through
      }
    }
  }
  return { source: 'bench/lib/content.mjs (bench-local generators)', draw: drawLocal };
}

export function drawLocal(name, rgba, width, height, i) {
  if (name === 'plasma') plasma(rgba, width, height, i);
  else if (name === 'gradient') gradient(rgba, width, height, i);
  else if (name === 'noise') noise(rgba, width, height, i);
  else throw new Error(`unknown pattern ${name}; expected ${NAMES.join(', ')}`);
}

// Plasma: three moving sine fields summed and mapped through a cyclic palette. The separable
// terms are tabulated per row/column and the radial term per pixel once per size, so a 1080p
// frame costs a table lookup and four additions per pixel.
const SIN_STEPS = 4096;
const SIN = Float32Array.from({ length: SIN_STEPS }, (_, k) => Math.sin((2 * Math.PI * k) / SIN_STEPS));
const PALETTE = (() => {
  const p = new Uint8Array(256 * 3);
  for (let k = 0; k < 256; k++) {
    const t = (2 * Math.PI * k) / 256;
    p[k * 3] = Math.round(127.5 + 127.5 * Math.sin(t));
    p[k * 3 + 1] = Math.round(127.5 + 127.5 * Math.sin(t + (2 * Math.PI) / 3));
    p[k * 3 + 2] = Math.round(127.5 + 127.5 * Math.sin(t + (4 * Math.PI) / 3));
  }
  return p;
})();
let radial = null;

function plasma(rgba, width, height, i) {
  const t = i / 30;
  const sx = 10 / width; // ~1.6 periods across the frame, whatever its size
  if (!radial || radial.w !== width || radial.h !== height) {
    const d = new Float32Array(width * height);
    const cx = width / 2;
    const cy = height / 2;
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) d[y * width + x] = Math.hypot(x - cx, y - cy) * sx;
    radial = { w: width, h: height, d };
  }
  const col = new Float32Array(width);
  const row = new Float32Array(height);
  for (let x = 0; x < width; x++) col[x] = Math.sin(x * sx + t * 1.3);
  for (let y = 0; y < height; y++) row[y] = Math.sin(y * sx * 1.4 - t * 0.9);
  const phase = t * 1.7 * (SIN_STEPS / (2 * Math.PI));
  const k = SIN_STEPS / (2 * Math.PI);
  const d = radial.d;
  for (let y = 0, p = 0, o = 0; y < height; y++) {
    const r = row[y];
    for (let x = 0; x < width; x++, p++, o += 4) {
      const s = SIN[((d[p] * k - phase) | 0) & (SIN_STEPS - 1)];
      const v = col[x] + r + s; // −3..3
      const c = ((v + 3) * (256 / 6) + i * 2) & 255;
      rgba[o] = PALETTE[c * 3];
      rgba[o + 1] = PALETTE[c * 3 + 1];
      rgba[o + 2] = PALETTE[c * 3 + 2];
      rgba[o + 3] = 255;
    }
  }
}

// Gradient: a horizontal hue ramp and a vertical brightness ramp, scrolling 2 px per frame.
function gradient(rgba, width, height, i) {
  for (let y = 0, o = 0; y < height; y++) {
    const v = 0.35 + (0.65 * y) / Math.max(1, height - 1);
    for (let x = 0; x < width; x++, o += 4) {
      const c = ((((x + 2 * i) * 256) / width) | 0) & 255;
      rgba[o] = PALETTE[c * 3] * v;
      rgba[o + 1] = PALETTE[c * 3 + 1] * v;
      rgba[o + 2] = PALETTE[c * 3 + 2] * v;
      rgba[o + 3] = 255;
    }
  }
}

// Noise: xorshift32 over 32-bit words, seeded by the frame index (alpha is noise too; it is ignored).
function noise(rgba, width, height, i) {
  const words = new Uint32Array(rgba.buffer, rgba.byteOffset, (width * height * 4) >> 2);
  let s = (Math.imul(i + 1, 0x9e3779b1) ^ 0x2545f491) >>> 0 || 1;
  for (let k = 0; k < words.length; k++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    words[k] = s;
  }
}

/**
 * `count` RGBA frames of ffmpeg's `testsrc2` (lavfi, from the npm ffmpeg) at `fps`: moving
 * coloured shapes, a gradient and a frame counter on a smooth background. One Buffer per frame.
 */
export function testsrc2Frames(width, height, count, fps = 30) {
  const size = width * height * 4;
  const argv = ['-hide_banner', '-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`];
  const r = spawnSync(FFMPEG, [...argv, '-frames:v', String(count), '-f', 'rawvideo', '-pix_fmt', 'rgba', '-'], { maxBuffer: size * count + 1024 });
  if (r.status !== 0 || r.stdout.length !== size * count) {
    throw new Error(`ffmpeg testsrc2 gave ${r.stdout?.length} of ${size * count} bytes (${r.status}): ${r.stderr}`);
  }
  return Array.from({ length: count }, (_, i) => r.stdout.subarray(i * size, (i + 1) * size));
}
