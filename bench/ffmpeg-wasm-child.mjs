// One ffmpeg.wasm (libx264) encode for bench/peers.mjs, in its own process: `exec` blocks the
// event loop, and the process's CPU time and peak RSS are then the encode's alone.
//
//   node bench/ffmpeg-wasm-child.mjs --width W --height H --ring R --frames N --preset P --qp Q
//        --gop G --fps F --out FILE
//
// R raw RGBA frames arrive on stdin; they are written into MEMFS as one rawvideo file, which
// ffmpeg loops to N frames (the same cycled frames the other encoders get through their pipes).
// Prints one JSON line: the core's load time, the encode (exec) time and CPU, the output bytes.
import { writeFileSync } from 'node:fs';
import { x264Args, loadFfmpegCore } from './lib/ffmpeg-wasm.mjs';
import { cpuSeconds, parseArgs } from './lib/common.mjs';

const args = parseArgs();
const W = Number(args.width);
const H = Number(args.height);
const RING = Number(args.ring);
const N = Number(args.frames);

// The ring, read into one buffer that MEMFS then owns (no second copy).
const ring = new Uint8Array(W * H * 4 * RING);
let fill = 0;
for await (const chunk of process.stdin) {
  if (fill + chunk.length > ring.length) throw new Error(`stdin has more than ${RING} frames of ${W}×${H} RGBA`);
  ring.set(chunk, fill);
  fill += chunk.length;
}
if (fill !== ring.length) throw new Error(`stdin ended after ${fill} of ${ring.length} bytes`);

const l0 = performance.now();
const lc0 = cpuSeconds();
const core = await loadFfmpegCore();
const loadSeconds = (performance.now() - l0) / 1000;
const loadCpu = cpuSeconds() - lc0;
const log = [];
core.setLogger(({ message }) => {
  log.push(message);
  if (log.length > 40) log.shift();
});
core.FS.writeFile('/in.rgba', ring, { canOwn: true });

const argv = x264Args({
  width: W,
  height: H,
  fps: Number(args.fps ?? 30),
  frames: N,
  preset: String(args.preset),
  qp: Number(args.qp),
  threads: 1,
  gop: Number(args.gop ?? 60),
  input: '/in.rgba',
  output: '/out.mp4',
});
const t0 = performance.now();
const c0 = cpuSeconds();
const ret = core.exec(...argv);
const encodeSeconds = (performance.now() - t0) / 1000;
const encodeCpu = cpuSeconds() - c0;
if (ret !== 0) throw new Error(`ffmpeg.wasm exited with ${ret}:\n${log.join('\n')}`);
const out = core.FS.readFile('/out.mp4');
writeFileSync(String(args.out), out);
process.stdout.write(
  `${JSON.stringify({ loadSeconds, loadCpu, encodeSeconds, encodeCpu, bytes: out.length, frames: N, maxRssMiB: Math.round(process.resourceUsage().maxRSS / 102.4) / 10 })}\n`,
);
