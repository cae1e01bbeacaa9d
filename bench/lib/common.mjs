// Shared helpers for the benchmarks: oracle binaries, statistics, environment, result files.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, chmodSync, constants, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = join(BENCH_DIR, '..');
export const RESULTS_DIR = join(BENCH_DIR, 'results');
export const CACHE_DIR = join(BENCH_DIR, '.cache');

function binary(pkg) {
  const path = require(pkg).path;
  try {
    accessSync(path, constants.X_OK);
  } catch {
    chmodSync(path, 0o755); // npm 11 skips the installer's postinstall chmod
  }
  return path;
}

export const FFMPEG = binary('@ffmpeg-installer/ffmpeg');
export const FFPROBE = binary('@ffprobe-installer/ffprobe');

/** `/usr/bin/time` when the machine has it: every memory figure of the benches comes through it. */
export const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/**
 * Parses `/usr/bin/time -v` output: peak RSS in MiB, CPU seconds (user + system) and wall seconds,
 * null when absent (no /usr/bin/time).
 */
export function parseTimeV(stderr) {
  const rss = /Maximum resident set size \(kbytes\):\s*(\d+)/.exec(stderr);
  const user = /User time \(seconds\):\s*([\d.]+)/.exec(stderr);
  const sys = /System time \(seconds\):\s*([\d.]+)/.exec(stderr);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\):\s*(?:(\d+):)?(\d+):([\d.]+)/.exec(stderr);
  return {
    peakRssMiB: rss ? Number(rss[1]) / 1024 : null,
    cpu: user && sys ? Number(user[1]) + Number(sys[1]) : null,
    wall: wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : null,
  };
}

/**
 * Runs a Node script in a fresh process (under `/usr/bin/time -v` when present) and resolves with
 * the last line it printed as JSON, its stderr, and the peak RSS `time` saw (MiB, or null).
 * `onStderr` sees stderr as it arrives (progress lines). Rejects, naming `label`, on a non-zero exit.
 */
export async function runNodeChild(script, { label, env, onStderr } = {}) {
  const [cmd, argv] = TIME ? [TIME, ['-v', process.execPath, ...script]] : [process.execPath, script];
  const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env: { ...process.env, ...env } } : {}) });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d) => (stdout += d));
  p.stderr.on('data', (d) => {
    stderr += d;
    onStderr?.(String(d));
  });
  const [code] = await once(p, 'close');
  if (code !== 0) throw new Error(`${label ?? script[0]} failed with ${code}:\n${stderr}`);
  return { json: JSON.parse(stdout.trim().split('\n').pop()), stderr, timePeakRssMiB: parseTimeV(stderr).peakRssMiB };
}

/**
 * The built library, from a private snapshot of dist/: colleagues rebuild dist (tsup cleans it)
 * while benchmarks run, and a chunk vanishing mid-run would fail a lazy import. The snapshot sits
 * in bench/.cache, so bare imports (h264-mp4-encoder, mp4box) still resolve from node_modules.
 * Child processes get the same snapshot through MP4FORGE_BENCH_DIST.
 */
export function libraryEntry() {
  if (process.env.MP4FORGE_BENCH_DIST) return process.env.MP4FORGE_BENCH_DIST;
  const dist = join(ROOT, 'dist');
  if (!existsSync(join(dist, 'index.js'))) throw new Error(`${dist}/index.js is missing; run \`npm run build\` (the npm bench scripts do this first)`);
  const snap = join(CACHE_DIR, `dist-${process.pid}`);
  rmSync(snap, { recursive: true, force: true });
  mkdirSync(snap, { recursive: true });
  for (const f of readdirSync(dist)) if (f.endsWith('.js')) copyFileSync(join(dist, f), join(snap, f));
  process.on('exit', () => rmSync(snap, { recursive: true, force: true }));
  process.env.MP4FORGE_BENCH_DIST = join(snap, 'index.js');
  return process.env.MP4FORGE_BENCH_DIST;
}

export async function loadLibrary() {
  return import(pathToFileURL(libraryEntry()).href);
}

/** Parses `--name value` / `--flag` arguments into an object (values stay strings). */
export function parseArgs(argv = process.argv.slice(2)) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf('=');
    if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out[a.slice(2)] = argv[++i];
    else out[a.slice(2)] = true;
  }
  return out;
}

/**
 * CPU seconds this process has used so far (user + system, every thread): on a shared 2-core
 * machine other work stretches wall time, while the CPU time a single-threaded encode needs barely
 * moves. Differences of two readings time a span.
 */
export function cpuSeconds() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

export function round(x, digits = 2) {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Markdown table from a header row and rows of cells. */
export function mdTable(header, rows) {
  const line = (cells) => `| ${cells.map((c) => String(c)).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A signed percentage with one decimal and a true minus sign (BD-rates); 'n/a' when not finite. */
export function fmtPct(v) {
  return Number.isFinite(v) ? `${v > 0 ? '+' : v < 0 ? '−' : ''}${Math.abs(v).toFixed(1)}%` : 'n/a';
}

export function fmtBytes(n) {
  if (!Number.isFinite(n)) return String(n);
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

function ffmpegVersion() {
  const r = spawnSync(FFMPEG, ['-version']);
  return r.stdout?.toString().split('\n')[0] ?? 'unknown';
}

function gitCommit() {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT });
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT }).stdout?.toString().trim();
  return r.status === 0 ? `${r.stdout.toString().trim()}${dirty ? ' (src has uncommitted changes)' : ''}` : 'unknown';
}

function pkgVersion(name) {
  try {
    return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

/** What the numbers were measured on; every result file carries it. */
export function environment() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    // Other work on the machine skews timings; the 1/5/15-minute load averages when the run ended.
    loadAverage: os.loadavg().map((x) => round(x, 2)),
    h264Mp4Encoder: pkgVersion('h264-mp4-encoder'),
    ffmpeg: ffmpegVersion(),
  };
}

export function environmentMd(env) {
  return (
    `Measured ${env.date} on ${env.cpu} (${env.cores} cores, ${env.memoryGiB} GiB, load average at the end ${env.loadAverage.join(' / ')}), ${env.platform}, Node ${env.node} (V8 ${env.v8}), ` +
    `h264-mp4-encoder ${env.h264Mp4Encoder}, ${env.ffmpeg}; mp4forge commit ${env.commit}.`
  );
}

export function writeResults(name, json, md) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, `${name}.md`), `${md.trimEnd()}\n`);
  return { json: join(RESULTS_DIR, `${name}.json`), md: join(RESULTS_DIR, `${name}.md`) };
}

/**
 * Cuts a byte stream into frames of `size` bytes: `split(chunk)` yields each frame completed by
 * the chunk, always in the same reused buffer (use it before the next call); `partial` says
 * whether bytes of an incomplete frame are pending.
 */
export function frameSplitter(size) {
  const frame = new Uint8Array(size);
  let fill = 0;
  return {
    *split(chunk) {
      let o = 0;
      while (o < chunk.length) {
        const n = Math.min(size - fill, chunk.length - o);
        frame.set(chunk.subarray(o, o + n), fill);
        fill += n;
        o += n;
        if (fill === size) {
          fill = 0;
          yield frame;
        }
      }
    },
    get partial() {
      return fill !== 0;
    },
  };
}

/**
 * Streams an MP4 through the npm ffmpeg to full-range RGB24 (BT.601 matrix, as mp4forge and
 * h264-mp4-encoder convert) and calls `onFrame(rgb, index)` per decoded frame, without holding the
 * whole clip in memory. Resolves with the number of frames decoded.
 */
export function decodeRgbStream(file, width, height, onFrame) {
  return new Promise((resolve, reject) => {
    const child = spawn(FFMPEG, [
      '-hide_banner', '-v', 'error', '-i', file,
      '-vf', 'scale=in_range=tv:out_range=pc:in_color_matrix=bt601:flags=accurate_rnd+full_chroma_int+bitexact',
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    const frames = frameSplitter(width * height * 3);
    let index = 0;
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (chunk) => {
      for (const frame of frames.split(chunk)) onFrame(frame, index++);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`ffmpeg decode of ${file} failed (${code}): ${err}`));
      else if (frames.partial) reject(new Error(`ffmpeg decode of ${file} ended mid-frame`));
      else resolve(index);
    });
  });
}

/** Sum of squared RGB differences between an RGBA (or RGB) source and a decoded RGB24 frame. */
export function squaredError(src, srcChannels, rgb) {
  let se = 0;
  const pixels = rgb.length / 3;
  for (let p = 0, s = 0, d = 0; p < pixels; p++, s += srcChannels, d += 3) {
    const dr = src[s] - rgb[d];
    const dg = src[s + 1] - rgb[d + 1];
    const db = src[s + 2] - rgb[d + 2];
    se += dr * dr + dg * dg + db * db;
  }
  return se;
}

export function psnrFromMse(mse) {
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

/**
 * RGB PSNR of a decoded file against its source frames: the mean of per-frame PSNRs (dB) and the
 * worst frame. `sourceFrame(i)` returns the RGBA source of frame i.
 */
export async function filePsnr(file, width, height, frames, sourceFrame) {
  let sum = 0;
  let min = Infinity;
  const decoded = await decodeRgbStream(file, width, height, (rgb, i) => {
    if (i >= frames) return;
    const p = psnrFromMse(squaredError(sourceFrame(i), 4, rgb) / (width * height * 3));
    sum += p;
    if (p < min) min = p;
  });
  if (decoded !== frames) throw new Error(`${file}: decoded ${decoded} frames, expected ${frames}`);
  return { meanDb: sum / frames, minDb: min };
}

/**
 * Luma PSNR of a decoded file against its RGBA source: the decoded Y plane (yuv420p, taken as the
 * decoder wrote it, no conversion) against the source's exact BT.601 limited-range luma
 * (16 + (65.481 R + 128.553 G + 24.966 B) / 255, unrounded). Unlike RGB PSNR it does not see
 * chroma subsampling or how an encoder's RGB → YUV conversion filters chroma: it compares the
 * encoders themselves. Resolves with the mean of per-frame PSNRs (dB) and the worst frame.
 */
export function fileLumaPsnr(file, width, height, frames, sourceFrame) {
  return new Promise((resolve, reject) => {
    const argv = ['-hide_banner', '-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-'];
    const child = spawn(FFMPEG, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const split = frameSplitter((width * height * 3) / 2);
    const px = width * height;
    let index = 0;
    let sum = 0;
    let min = Infinity;
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (chunk) => {
      for (const yuv of split.split(chunk)) {
        if (index < frames) {
          const src = sourceFrame(index);
          let se = 0;
          for (let p = 0, s = 0; p < px; p++, s += 4) {
            const d = 16 + (65.481 * src[s] + 128.553 * src[s + 1] + 24.966 * src[s + 2]) / 255 - yuv[p];
            se += d * d;
          }
          const psnr = psnrFromMse(se / px);
          sum += psnr;
          if (psnr < min) min = psnr;
        }
        index++;
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`ffmpeg decode of ${file} failed (${code}): ${err}`));
      else if (split.partial || index !== frames) {
        reject(new Error(`${file}: decoded ${index} frames${split.partial ? ' and a partial one' : ''}, expected ${frames}`));
      }
      else resolve({ meanDb: sum / frames, minDb: min });
    });
  });
}
