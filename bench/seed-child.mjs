// The render of bench/seed.mjs, alone in a fresh process so its peak RSS (main thread + every
// worker thread: they share the process) is the job's and nothing else's. Prints one JSON line.
// Usage: node bench/seed-child.mjs --out FILE --audio MP3 [--frames 10000 --width 1920 --height 1080
//        --fps 30 --workers auto --layout faststart --scene noise --speed N --api render|writer]
// --api writer: the frames are drawn on the main thread and handed to createMp4Writer({ workers })
// one at a time (frame mode: converted here, encoded in the workers) instead of renderVideo's
// workers drawing them.
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
const api = String(args.api ?? 'render');
const scene = String(args.scene ?? 'noise');
const common = {
  width, height, fps, workers, layout, video,
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
};
let result;
if (api === 'writer') {
  const writer = await lib.createMp4Writer(common);
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < frames; i++) {
    lib.drawPattern(scene, rgba, width, height, i);
    await writer.addFrame(rgba);
  }
  result = await writer.finish();
} else result = await lib.renderVideo({ ...common, frames, scene });
const t1 = performance.now();
clearInterval(timer);
console.log(JSON.stringify({
  frames: result.frames, bytes: result.bytes, durationSeconds: result.durationSeconds, audio: result.audio ?? null,
  api, width, height, fps, layout, workers, resolvedWorkers: workers === 'auto' ? (await import('node:os')).availableParallelism() : workers,
  wallSeconds: (t1 - t0) / 1000,
  // From the start until the last frame was muxed; the rest is finish(): the faststart move.
  framesSeconds: (lastFrameAt - t0) / 1000,
  finishSeconds: (t1 - lastFrameAt) / 1000,
  // resourceUsage().maxRSS: KiB on Linux, for the whole process (worker threads included).
  maxRssMiB: process.resourceUsage().maxRSS / 1024,
  sampledPeakRssMiB: peakSampled / 2 ** 20,
  along,
}));
