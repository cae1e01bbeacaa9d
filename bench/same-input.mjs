// npm run bench:same-input: is a BD-rate gap against x264 the encoder's, or the RGB → YUV
// conversion's? The same testsrc2 frames (1280×720, 60 frames, GOP 60) go through
//   - mp4forge's own encoder at its defaults (RGBA in: its own conversion, chroma the 2×2 mean);
//   - native libx264 `ultrafast` with trellis 0 (what ffmpeg.wasm's x264 writes; the npm ffmpeg's
//     build would use trellis 1), one thread, fed the same RGBA (swscale converts it), and fed the
//     I420 mp4forge's conversion makes (so both encoders code the same pictures);
// at qp 22/26/30/34/38. BD-rate of ours against each x264 run, on luma and RGB PSNR (the peers
// bench's metrics, against the RGBA source). With the same input the difference left is the
// encoders'; what changes between the two x264 runs is the conversion's.
//
// Options: --width W (1280) --height H (720) --frames N (60) --content testsrc2|plasma (testsrc2)
//          --out same-input
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bdRateDetailed } from './lib/bd-rate.mjs';
import {
  environment, environmentMd, FFMPEG, fileLumaPsnr, filePsnr, fmtPct as pct, loadLibrary, mdTable, parseArgs, round, writeResults,
} from './lib/common.mjs';
import { loadPatterns, testsrc2Frames } from './lib/content.mjs';
import os from 'node:os';

const args = parseArgs();
const W = Number(args.width ?? 1280);
const H = Number(args.height ?? 720);
const N = Number(args.frames ?? 60);
const CONTENT = String(args.content ?? 'testsrc2');
const QPS = [22, 26, 30, 34, 38];
const lib = await loadLibrary();
const work = mkdtempSync(join(os.tmpdir(), 'mp4forge-same-input-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

let ring;
if (CONTENT === 'testsrc2') ring = testsrc2Frames(W, H, N).map((b) => new Uint8Array(b));
else {
  const patterns = await loadPatterns();
  ring = Array.from({ length: N }, (_, i) => {
    const f = new Uint8Array(W * H * 4);
    patterns.draw(CONTENT, f, W, H, i);
    return f;
  });
}
const rgba = Buffer.concat(ring.map((f) => Buffer.from(f)));
const i420 = Buffer.concat(
  ring.map((f) => {
    const o = new Uint8Array((W * H * 3) / 2);
    lib.toI420(f, 'rgba', W, H, o);
    return Buffer.from(o);
  }),
);

const RUNS = {
  own: "mp4forge, video.encoder 'wasm', default speed, RGBA in",
  x264Rgba: 'x264 ultrafast, trellis 0, RGBA in (swscale converts)',
  x264SameI420: "x264 ultrafast, trellis 0, mp4forge's I420 in",
};
const points = Object.fromEntries(Object.keys(RUNS).map((k) => [k, []]));
for (const qp of QPS) {
  process.stdout.write(`qp ${qp} `);
  const files = Object.fromEntries(Object.keys(RUNS).map((k) => [k, join(work, `${k}-${qp}.mp4`)]));
  const w = await lib.createMp4Writer({ width: W, height: H, fps: 30, video: { encoder: 'wasm', qp }, output: files.own });
  for (const f of ring) await w.addFrame(f);
  await w.finish();
  for (const [k, input, fmt] of [['x264Rgba', rgba, 'rgba'], ['x264SameI420', i420, 'yuv420p']]) {
    const argv = ['-y', '-v', 'error', '-f', 'rawvideo', '-pix_fmt', fmt, '-s', `${W}x${H}`, '-r', '30', '-i', '-', '-c:v', 'libx264', '-preset', 'ultrafast'];
    argv.push('-x264-params', 'trellis=0', '-qp', String(qp), '-g', '60', '-sc_threshold', '0', '-threads', '1', '-pix_fmt', 'yuv420p', files[k]);
    const r = spawnSync(FFMPEG, argv, { input, maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`ffmpeg (${k}, qp ${qp}) failed: ${r.stderr}`);
  }
  for (const k of Object.keys(RUNS)) {
    const source = (i) => ring[i];
    const y = await fileLumaPsnr(files[k], W, H, N, source);
    const p = await filePsnr(files[k], W, H, N, source);
    points[k].push({ qp, bytes: statSync(files[k]).size, yPsnrDb: round(y.meanDb, 3), rgbPsnrDb: round(p.meanDb, 3) });
    rmSync(files[k], { force: true });
  }
}
process.stdout.write('\n');

const curve = (k, key) => points[k].map((p) => ({ rate: p.bytes, psnr: p[key] }));
const bd = (ref, key) => round(bdRateDetailed(curve(ref, key), curve('own', key))?.percent ?? NaN, 2);
const bdRate = {
  vsX264Rgba: { luma: bd('x264Rgba', 'yPsnrDb'), rgb: bd('x264Rgba', 'rgbPsnrDb') },
  vsX264SameI420: { luma: bd('x264SameI420', 'yPsnrDb'), rgb: bd('x264SameI420', 'rgbPsnrDb') },
};
const env = environment();
const result = {
  name: 'same-input',
  command: `node bench/same-input.mjs${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
  environment: env,
  settings: { width: W, height: H, frames: N, content: CONTENT, qps: QPS },
  runs: RUNS,
  points,
  bdRate,
};
const md = [
  '# mp4forge against x264 on the same input',
  '',
  `Command: \`npm run bench:same-input\` (= \`npm run build && ${result.command}\`).`,
  '',
  environmentMd(env),
  '',
  `${W}×${H} ${CONTENT}, ${N} frames, GOP 60, qp ${QPS.join('/')}. PSNR against the RGBA source: luma against its BT.601 limited-range Y (floating point), RGB after the npm ffmpeg's decode to full-range RGB24.`,
  '',
  ...Object.entries(RUNS).map(([k, v]) => `- **${k}**: ${v}`),
  '',
  mdTable(
    ['run', ...QPS.map((q) => `qp ${q}: bytes, luma dB, RGB dB`)],
    Object.keys(RUNS).map((k) => [k, ...points[k].map((p) => `${p.bytes}, ${p.yPsnrDb.toFixed(2)}, ${p.rgbPsnrDb.toFixed(2)}`)]),
  ),
  '',
  mdTable(
    ['BD-rate of mp4forge against', 'luma PSNR', 'RGB PSNR'],
    [
      ['x264, RGBA in (each tool converts)', pct(bdRate.vsX264Rgba.luma), pct(bdRate.vsX264Rgba.rgb)],
      ["x264, mp4forge's I420 in (the same pictures)", pct(bdRate.vsX264SameI420.luma), pct(bdRate.vsX264SameI420.rgb)],
    ],
  ),
  '',
  'BD-rate < 0: mp4forge needs fewer bytes at equal PSNR.',
];
const files = writeResults(String(args.out ?? 'same-input'), result, md.join('\n'));
console.log(md.slice(-6).join('\n'));
console.log(`wrote ${files.json} and ${files.md}`);
