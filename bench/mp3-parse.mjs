// MP3 frame-parser throughput: a ~60-minute 128 kbit/s stereo MP3 (made once by the npm ffmpeg and
// cached in bench/.cache) parsed 5 times in 1 MiB chunks. Prints JSON and a line of text.
//
//   npm run build && node bench/mp3-parse.mjs
//   MP4FORGE_MODULE=/tmp/mp3p.mjs node bench/mp3-parse.mjs      # against a temp bundle
//   MP3_BENCH_MINUTES=10 node bench/mp3-parse.mjs               # shorter source
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CACHE_DIR } from './lib/common.mjs';

const require = createRequire(import.meta.url);
const modulePath = process.env.MP4FORGE_MODULE ?? '../dist/index.js';
const moduleUrl = modulePath.startsWith('.') ? new URL(modulePath, import.meta.url).href : pathToFileURL(modulePath).href;
const { Mp3FrameParser } = await import(moduleUrl);

const minutes = Number(process.env.MP3_BENCH_MINUTES ?? 60);
const runs = 5;
const chunkSize = 1 << 20;
// Cached beside the other benches' inputs (bench/.cache), not left in the system's temporary directory.
mkdirSync(CACHE_DIR, { recursive: true });
const file = join(CACHE_DIR, `mp3-parse-${minutes}min-128k-stereo.mp3`);

if (!existsSync(file)) {
  const ffmpeg = require('@ffmpeg-installer/ffmpeg').path;
  const tmp = `${file}.part.mp3`;
  const t0 = performance.now();
  // Two tones with a slow sweep and a little noise: cheap to generate, not silence.
  const src = `aevalsrc=exprs='0.3*sin(2*PI*(300+50*sin(t/7))*t)+0.02*(random(0)-0.5)|0.3*sin(2*PI*440*t)':s=44100:d=${minutes * 60}`;
  const r = spawnSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', src, '-c:a', 'libmp3lame', '-b:a', '128k', tmp], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`ffmpeg failed (${r.status})`);
  renameSync(tmp, file);
  console.error(`generated ${file} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

const bytes = new Uint8Array(readFileSync(file));
const mb = bytes.length / 1e6;

function parseOnce() {
  const parser = new Mp3FrameParser();
  let frames = 0;
  for (let i = 0; i < bytes.length; i += chunkSize) frames += parser.push(bytes.subarray(i, i + chunkSize)).length;
  frames += parser.end().length;
  return { frames, parser };
}

parseOnce(); // warm-up (JIT)
const times = [];
let last;
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  last = parseOnce();
  times.push(performance.now() - t0);
}
const sorted = [...times].sort((a, b) => a - b);
const median = sorted[Math.floor(runs / 2)];
const result = {
  bench: 'mp3-parse',
  file,
  bytes: bytes.length,
  durationSeconds: last.parser.stats.totalSamples / last.parser.format.sampleRate,
  frames: last.frames,
  chunkBytes: chunkSize,
  runs,
  msPerRun: times.map((t) => Number(t.toFixed(2))),
  medianMs: Number(median.toFixed(2)),
  medianMBps: Number((mb / (median / 1000)).toFixed(1)),
  node: process.version,
  fileSizeCheck: statSync(file).size === bytes.length,
};
console.log(JSON.stringify(result));
console.log(
  `mp3-parse: ${result.medianMBps} MB/s median over ${runs} runs (${mb.toFixed(1)} MB, ${result.frames} frames, ${(result.durationSeconds / 60).toFixed(1)} min, 1 MiB chunks)`,
);
