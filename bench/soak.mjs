// npm run soak: continuous 1280×720 rendering for --minutes (default 30) in one process, with RSS
// and the other memoryUsage() fields sampled every --interval seconds (default 5). Memory is bounded
// by design, so RSS must stay flat once warmed up.
//
// Verdict (stated in the output): FLAT when the highest RSS sample of the last third of the run is
// within 5% of the highest RSS sample of the first third (the first third includes start-up, so a
// leak has to outgrow the warm-up peak to fail). The least-squares RSS slope over the second half is
// reported too (MiB per minute), for a leak too slow to cross 5% in a short run.
//
// Modes:
//   --mode rotate (default): back-to-back writers of --frames-per-file frames (300 = 10 s of video),
//     cycling faststart and progressive files on disk (deleted after each) and fragmented output
//     into a discarding Sink: the per-frame path and the per-writer lifecycle (WASM encoder
//     instances, files, spools) both run for the whole soak.
//   --mode single: one fragmented writer into a discarding Sink for the whole run (nothing in it may
//     grow with length: fragments are flushed as they are cut).
//
// Options: --minutes 30  --interval 5  --mode rotate|single  --frames-per-file 300
//          --width 1280 --height 720 --pattern plasma  --out soak
import { rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { environment, environmentMd, fmtBytes, loadLibrary, mdTable, parseArgs, round, writeResults } from './lib/common.mjs';
import { loadPatterns } from './lib/content.mjs';
import { trackWasmMemories } from './lib/wasm-memory.mjs';

// The WASM encoders' linear memories, outside V8's heap: captured so that their total is reported.
const wasmBytes = trackWasmMemories();

const args = parseArgs();
const MINUTES = Number(args.minutes ?? 30);
const INTERVAL = Number(args.interval ?? 5);
const MODE = String(args.mode ?? 'rotate');
const FRAMES_PER_FILE = Number(args['frames-per-file'] ?? 300);
const WIDTH = Number(args.width ?? 1280);
const HEIGHT = Number(args.height ?? 720);
const PATTERN = String(args.pattern ?? 'plasma');
const OUT = String(args.out ?? 'soak');
const FLAT_LIMIT = 1.05;
if (!['rotate', 'single'].includes(MODE)) throw new Error(`--mode must be rotate or single, got ${MODE}`);

const lib = await loadLibrary();
const patterns = await loadPatterns();
const rgba = new Uint8Array(WIDTH * HEIGHT * 4);
const endAt = performance.now() + MINUTES * 60_000;
const t0 = performance.now();

const samples = [];
function sample() {
  lastSample = performance.now();
  const m = process.memoryUsage();
  samples.push({
    t: round((performance.now() - t0) / 1000, 1),
    frames: totalFrames,
    rss: m.rss,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    wasm: wasmBytes(),
  });
}
let totalFrames = 0;
let files = 0;
let outputBytes = 0;
// Sampled from the render loop as well as from a timer: with a sink that never waits (the
// discarding one), addFrame() resolves through microtasks only and a timer alone would starve.
const timer = setInterval(sample, INTERVAL * 1000);
let lastSample = performance.now();
function maybeSample() {
  if (performance.now() - lastSample >= INTERVAL * 1000) sample();
}

/** Counts and drops bytes: output kept nowhere, so only mp4forge's own memory is measured. */
function discardSink() {
  return { write: async (b) => void (outputBytes += b.length), close: async () => {}, abort: async () => {} };
}

const opts = { width: WIDTH, height: HEIGHT, fps: 30 };
sample();
if (MODE === 'single') {
  const w = await lib.createMp4Writer({ ...opts, output: discardSink(), layout: 'fragmented' });
  while (performance.now() < endAt) {
    patterns.draw(PATTERN, rgba, WIDTH, HEIGHT, totalFrames);
    await w.addFrame(rgba);
    totalFrames++;
    maybeSample();
  }
  await w.finish();
  files = 1;
} else {
  const layouts = ['faststart', 'progressive', 'fragmented'];
  while (performance.now() < endAt) {
    const layout = layouts[files % layouts.length];
    const path = join(tmpdir(), `mp4forge-soak-${process.pid}.mp4`);
    const output = layout === 'fragmented' ? discardSink() : path;
    const w = await lib.createMp4Writer({ ...opts, output, layout });
    for (let i = 0; i < FRAMES_PER_FILE && performance.now() < endAt; i++) {
      patterns.draw(PATTERN, rgba, WIDTH, HEIGHT, totalFrames);
      await w.addFrame(rgba);
      totalFrames++;
      maybeSample();
    }
    const r = await w.finish();
    if (output === path) {
      if (statSync(path).size !== r.bytes) throw new Error(`${layout}: file size ${statSync(path).size} ≠ reported ${r.bytes}`);
      outputBytes += r.bytes;
      rmSync(path, { force: true });
    }
    files++;
  }
}
clearInterval(timer);
sample();
const seconds = (performance.now() - t0) / 1000;

// --- verdict ---------------------------------------------------------------------------------------
const third = Math.max(1, Math.floor(samples.length / 3));
const first = samples.slice(0, third);
const last = samples.slice(samples.length - third);
const maxOf = (xs, k) => Math.max(...xs.map((s) => s[k]));
const firstMax = maxOf(first, 'rss');
const lastMax = maxOf(last, 'rss');
const ratio = lastMax / firstMax;
const half = samples.slice(Math.floor(samples.length / 2));
function slopePerMinute(xs, k) {
  const n = xs.length;
  if (n < 2) return 0;
  const mt = xs.reduce((a, s) => a + s.t, 0) / n;
  const mv = xs.reduce((a, s) => a + s[k], 0) / n;
  let num = 0;
  let den = 0;
  for (const s of xs) {
    num += (s.t - mt) * (s[k] - mv);
    den += (s.t - mt) ** 2;
  }
  return den ? (num / den) * 60 : 0;
}
const slope = slopePerMinute(half, 'rss');
const flat = ratio <= FLAT_LIMIT;
const env = environment();
const json = {
  bench: 'soak',
  env,
  config: { minutes: MINUTES, intervalSeconds: INTERVAL, mode: MODE, framesPerFile: FRAMES_PER_FILE, width: WIDTH, height: HEIGHT, pattern: PATTERN, fps: 30 },
  result: {
    seconds: round(seconds, 1),
    frames: totalFrames,
    encodeFps: round(totalFrames / seconds, 2),
    files,
    outputBytes,
    rssFirstThirdMax: firstMax,
    rssLastThirdMax: lastMax,
    rssRatio: round(ratio, 4),
    rssSlopeSecondHalfMiBPerMin: round(slope / 2 ** 20, 3),
    rssMin: Math.min(...samples.map((s) => s.rss)),
    rssMax: maxOf(samples, 'rss'),
    heapUsedMax: maxOf(samples, 'heapUsed'),
    wasmMax: maxOf(samples, 'wasm'),
    criterion: `FLAT when max RSS of the last third ≤ ${FLAT_LIMIT} × max RSS of the first third`,
    verdict: flat ? 'FLAT' : 'GROWING',
  },
  samples,
};

const pick = (n) => {
  // About a dozen evenly spaced samples for the table; the JSON has them all.
  const step = Math.max(1, Math.floor(samples.length / n));
  const out = samples.filter((_, i) => i % step === 0);
  if (out[out.length - 1] !== samples[samples.length - 1]) out.push(samples[samples.length - 1]);
  return out;
};
const md = [
  `# Soak: ${round(seconds / 60, 1)} minutes of ${WIDTH}×${HEIGHT} ${PATTERN} rendering (${MODE})`,
  '',
  `Command: \`npm run soak${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\`. ${environmentMd(env)}`,
  '',
  `${totalFrames} frames in ${files} ${MODE === 'rotate' ? `writers (${FRAMES_PER_FILE} frames each, faststart/progressive files and fragmented into a discarding sink, in turn)` : 'fragmented writer into a discarding sink'}, ` +
    `${round(totalFrames / seconds, 1)} frames/s, ${fmtBytes(outputBytes)} written. RSS sampled every ${INTERVAL} s (${samples.length} samples).`,
  '',
  `**Verdict: ${json.result.verdict}.** Criterion: ${json.result.criterion}. First third max ${fmtBytes(firstMax)}, last third max ${fmtBytes(lastMax)} ` +
    `(×${round(ratio, 3)}); RSS slope over the second half ${round(slope / 2 ** 20, 3)} MiB/min; WASM memory max ${fmtBytes(json.result.wasmMax)}.`,
  '',
  mdTable(
    ['t (s)', 'frames', 'RSS', 'heap used', 'external', 'array buffers', 'WASM memory'],
    pick(12).map((s) => [s.t, s.frames, fmtBytes(s.rss), fmtBytes(s.heapUsed), fmtBytes(s.external), fmtBytes(s.arrayBuffers), fmtBytes(s.wasm)]),
  ),
].join('\n');
const paths = writeResults(OUT, json, md);
console.log(JSON.stringify(json.result, null, 2));
console.log(`\n${md}\n\nwrote ${paths.json} and ${paths.md}`);
process.exitCode = flat ? 0 : 1;
