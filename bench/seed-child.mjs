// The render of bench/seed.mjs, alone in a fresh process so its peak RSS (main thread + every
// worker thread: they share the process) is the job's and nothing else's. Prints one JSON line.
// Usage: node bench/seed-child.mjs --out FILE --audio MP3 [--frames 10000 --width 1920 --height 1080
//        --fps 30 --workers auto --layout faststart --scene noise --speed N]
import { loadLibrary, parseArgs } from './lib/common.mjs';

const args = parseArgs();
const frames = Number(args.frames ?? 10000);
const width = Number(args.width ?? 1920);
const height = Number(args.height ?? 1080);
const fps = Number(args.fps ?? 30);
const workers = args.workers === undefined || args.workers === 'auto' ? 'auto' : Number(args.workers);
const layout = String(args.layout ?? 'faststart');
const video = args.speed === undefined ? {} : { speed: Number(args.speed) };
const lib = await loadLibrary();

const t0 = performance.now();
let lastFrameAt = 0;
let peakSampled = 0;
const along = [];
const every = Math.max(1, Math.round(frames / 20));
let nextMark = every;
const sample = () => {
  const rss = process.memoryUsage.rss();
  if (rss > peakSampled) peakSampled = rss;
  return rss;
};
const timer = setInterval(sample, 250);
const result = await lib.renderVideo({
  width, height, fps, frames, workers, layout, video,
  scene: String(args.scene ?? 'noise'),
  audio: args.audio ? String(args.audio) : undefined,
  output: String(args.out),
  onProgress: (p) => {
    if (p.frames >= nextMark) {
      along.push({ frame: p.frames, seconds: Math.round((performance.now() - t0) / 100) / 10, rssMiB: Math.round(sample() / 2 ** 20), bytes: p.bytes });
      while (nextMark <= p.frames) nextMark += every;
      if (process.env.SEED_VERBOSE) process.stderr.write(`${p.frames} frames, ${p.fps.toFixed(2)} fps, rss ${Math.round(sample() / 2 ** 20)} MiB\n`);
    }
    if (p.frames === frames) lastFrameAt = performance.now();
  },
});
const t1 = performance.now();
clearInterval(timer);
console.log(JSON.stringify({
  frames: result.frames, bytes: result.bytes, durationSeconds: result.durationSeconds, audio: result.audio ?? null,
  width, height, fps, layout, workers, resolvedWorkers: workers === 'auto' ? (await import('node:os')).availableParallelism() : workers,
  wallSeconds: (t1 - t0) / 1000,
  // From the start until the last frame was muxed; the rest is finish(): the faststart move.
  framesSeconds: (lastFrameAt - t0) / 1000,
  finishSeconds: (t1 - lastFrameAt) / 1000,
  // resourceUsage().maxRSS: KiB on Linux, for the whole process (worker threads included).
  maxRssMiB: process.resourceUsage().maxRSS / 1024,
  sampledPeakRssMiB: peakSampled / 2 ** 20,
  along,
}));
