// One encode in a fresh process, for bench/memory.mjs: draws each frame into one reused RGBA
// buffer, writes it through createMp4Writer, and prints JSON with the peak RSS at the end.
// Usage: node bench/memory-child.mjs --frames 1200 --layout faststart [--width 1280 --height 720 --pattern noise]
import { rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLibrary, parseArgs } from './lib/common.mjs';
import { loadPatterns } from './lib/content.mjs';
import { trackWasmMemories } from './lib/wasm-memory.mjs';

// The WASM encoder's linear memory is outside V8's heap and ArrayBuffer accounting: captured (both
// encoders') so that its size can be reported.
const wasmBytes = trackWasmMemories();

const args = parseArgs();
const frames = Number(args.frames ?? 120);
const layout = String(args.layout ?? 'faststart');
const width = Number(args.width ?? 1280);
const height = Number(args.height ?? 720);
const pattern = String(args.pattern ?? 'noise');
const fps = 30;

const lib = await loadLibrary();
const patterns = await loadPatterns();
const out = join(tmpdir(), `mp4forge-memory-${process.pid}.mp4`);
const rgba = new Uint8Array(width * height * 4);
// RSS at ~10 points along the way: a leak shows as growth here even when the peak is similar.
const every = Math.max(1, Math.round(frames / 10));
const samples = [];
// Maxima of each memoryUsage() field, sampled after every frame and every 20 ms (which also
// covers finish(), where the faststart layout moves the media data): they say what the peak is made of.
const peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
const sample = () => {
  const m = process.memoryUsage();
  for (const k of Object.keys(peak)) if (m[k] > peak[k]) peak[k] = m[k];
};
const timer = setInterval(sample, 20);
const t0 = performance.now();
try {
  const w = await lib.createMp4Writer({ width, height, fps, output: out, layout });
  for (let i = 0; i < frames; i++) {
    patterns.draw(pattern, rgba, width, height, i);
    await w.addFrame(rgba);
    sample();
    if ((i + 1) % every === 0) samples.push({ frame: i + 1, rssMiB: round(process.memoryUsage.rss() / 2 ** 20) });
  }
  const r = await w.finish();
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  sample();
  const bytes = statSync(out).size;
  if (bytes !== r.bytes || r.frames !== frames) throw new Error(`writer reported ${r.frames} frames / ${r.bytes} bytes; file has ${bytes} bytes`);
  const mu = process.memoryUsage();
  console.log(
    JSON.stringify({
      width,
      height,
      frames,
      layout,
      pattern,
      content: patterns.source,
      output: 'file in os.tmpdir()',
      bytes,
      seconds: round(seconds),
      fps: round(frames / seconds),
      // resourceUsage().maxRSS is in KiB on Linux (getrusage ru_maxrss).
      maxRssMiB: round(process.resourceUsage().maxRSS / 1024),
      wasmMemoryMiB: round(wasmBytes() / 2 ** 20),
      sampledPeaksMiB: Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, round(v / 2 ** 20)])),
      atEnd: {
        rssMiB: round(mu.rss / 2 ** 20),
        heapUsedMiB: round(mu.heapUsed / 2 ** 20),
        externalMiB: round(mu.external / 2 ** 20),
        arrayBuffersMiB: round(mu.arrayBuffers / 2 ** 20),
      },
      rssAlongTheWay: samples,
    }),
  );
} finally {
  clearInterval(timer);
  rmSync(out, { force: true });
}

function round(x) {
  return Math.round(x * 10) / 10;
}
