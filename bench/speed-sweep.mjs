// npm run bench:sweep: what the encoder's `speed` and `qp` settings cost and buy, through
// mp4forge end to end, at 1280×720 — the measurement behind mp4forge's defaults (qp 26, speed 8).
//
// For each pattern, speed 0,2,4,6,8,10 × qp 20,26,32: frames per second (median of the
// repetitions), bytes per frame, and RGB PSNR of the decoded output against the RGBA source
// (decoded by the npm ffmpeg to full-range RGB24 with the BT.601 matrix). GOP 2 s, 30 fps.
//
// Options: --frames 60  --reps 3  --patterns plasma,gradient  --speeds 0,2,4,6,8,10  --qps 20,26,32
//          --size 1280x720  --out speed-sweep
import { rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { environment, environmentMd, filePsnr, loadLibrary, mdTable, median, parseArgs, round, writeResults } from './lib/common.mjs';
import { loadPatterns } from './lib/content.mjs';

const args = parseArgs();
const FRAMES = Number(args.frames ?? 60);
const REPS = Number(args.reps ?? 3);
const PATTERNS = String(args.patterns ?? 'plasma,gradient').split(',');
const SPEEDS = String(args.speeds ?? '0,2,4,6,8,10').split(',').map(Number);
const QPS = String(args.qps ?? '20,26,32').split(',').map(Number);
const [WIDTH, HEIGHT] = String(args.size ?? '1280x720').split('x').map(Number);
const FPS = 30;
const GOP = 2 * FPS;
const DEFAULT = { qp: 26, speed: 8 }; // src/options.ts DEFAULT_QP, DEFAULT_SPEED

const started = performance.now();
const lib = await loadLibrary();
const patterns = await loadPatterns();
const out = join(tmpdir(), `mp4forge-sweep-${process.pid}.mp4`);

async function encode(frames, qp, speed) {
  const t0 = performance.now();
  const w = await lib.createMp4Writer({ width: WIDTH, height: HEIGHT, fps: FPS, output: out, video: { qp, speed, gop: GOP } });
  for (const f of frames) await w.addFrame(f);
  const r = await w.finish();
  const seconds = (performance.now() - t0) / 1000;
  if (r.frames !== frames.length || statSync(out).size !== r.bytes) throw new Error('writer result does not match the file');
  return { fps: frames.length / seconds, bytes: r.bytes };
}

const rows = [];
for (const pattern of PATTERNS) {
  process.stderr.write(`${pattern}: generating ${FRAMES} frames… `);
  const frames = [];
  for (let i = 0; i < FRAMES; i++) {
    const f = new Uint8Array(WIDTH * HEIGHT * 4);
    patterns.draw(pattern, f, WIDTH, HEIGHT, i);
    frames.push(f);
  }
  // Warm-up so the first configuration is not timed on baseline-tier WASM.
  await encode(frames.slice(0, Math.min(FRAMES, 48)), DEFAULT.qp, DEFAULT.speed);
  process.stderr.write('\n');
  for (const qp of QPS) {
    for (const speed of SPEEDS) {
      process.stderr.write(`  qp ${qp} speed ${speed}: `);
      const fps = [];
      let bytes = 0;
      let psnr = null;
      for (let r = 0; r < REPS; r++) {
        const res = await encode(frames, qp, speed);
        fps.push(res.fps);
        if (r === 0) {
          bytes = res.bytes;
          psnr = await filePsnr(out, WIDTH, HEIGHT, FRAMES, (i) => frames[i]);
        } else if (res.bytes !== bytes) throw new Error(`output size changed between repetitions (${bytes} → ${res.bytes})`);
      }
      rmSync(out, { force: true });
      const row = {
        pattern, qp, speed,
        fps: round(median(fps), 2), fpsPerRun: fps.map((x) => round(x, 2)),
        bytes, bytesPerFrame: Math.round(bytes / FRAMES), kbps: round((bytes * 8 * FPS) / FRAMES / 1000, 0),
        rgbPsnrDb: round(psnr.meanDb, 2), worstFramePsnrDb: round(psnr.minDb, 2),
      };
      rows.push(row);
      process.stderr.write(`${row.fps} fps, ${row.bytesPerFrame} B/frame, ${row.rgbPsnrDb} dB\n`);
    }
  }
}

// What the table says about the defaults, computed rather than asserted.
const at = (pattern, qp, speed) => rows.find((r) => r.pattern === pattern && r.qp === qp && r.speed === speed);
const findings = [];
const analysis = {};
for (const pattern of PATTERNS) {
  const d = at(pattern, DEFAULT.qp, DEFAULT.speed);
  if (!d) continue;
  const a = (analysis[pattern] = {});
  const cmp = (o) => ({ speed: o.speed, fpsRatio: round(d.fps / o.fps, 2), bytesChangePct: round((d.bytes / o.bytes - 1) * 100, 1), psnrChangeDb: round(d.rgbPsnrDb - o.rgbPsnrDb, 2) });
  a.defaultVsEachSpeedAtDefaultQp = SPEEDS.filter((s) => s !== DEFAULT.speed).map((s) => cmp(at(pattern, DEFAULT.qp, s)));
  const bestBytes = Math.min(...SPEEDS.map((s) => at(pattern, DEFAULT.qp, s).bytes));
  const fastest = SPEEDS.map((s) => at(pattern, DEFAULT.qp, s)).sort((x, y) => y.fps - x.fps)[0];
  a.fastestSpeed = fastest.speed;
  a.defaultBytesOverSmallestPct = round((d.bytes / bestBytes - 1) * 100, 1);
  a.psnrByQpAtDefaultSpeed = Object.fromEntries(QPS.map((q) => [q, at(pattern, q, DEFAULT.speed).rgbPsnrDb]));
  a.bytesPerFrameByQpAtDefaultSpeed = Object.fromEntries(QPS.map((q) => [q, at(pattern, q, DEFAULT.speed).bytesPerFrame]));
  const lines = a.defaultVsEachSpeedAtDefaultQp.map((c) =>
    `speed ${DEFAULT.speed} vs ${c.speed}: ${c.fpsRatio}× the fps, ${c.bytesChangePct >= 0 ? '+' : ''}${c.bytesChangePct}% bytes, ${c.psnrChangeDb >= 0 ? '+' : ''}${c.psnrChangeDb} dB`);
  findings.push(`**${pattern}** at qp ${DEFAULT.qp}: ${lines.join('; ')}. ` +
    `At speed ${DEFAULT.speed}: ${QPS.map((q) => `qp ${q} → ${a.psnrByQpAtDefaultSpeed[q]} dB, ${a.bytesPerFrameByQpAtDefaultSpeed[q]} B/frame`).join('; ')}.`);
}

const env = environment();
const result = {
  name: 'speed-sweep',
  command: `node bench/speed-sweep.mjs${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
  environment: env,
  settings: { width: WIDTH, height: HEIGHT, fps: FPS, gop: GOP, frames: FRAMES, reps: REPS, content: patterns.source, defaults: DEFAULT, output: 'mp4forge createMp4Writer, faststart to a file in os.tmpdir()', psnr: 'RGB PSNR vs the RGBA source, mean of per-frame PSNRs; ffmpeg -vf scale=in_range=tv:out_range=pc:in_color_matrix=bt601:flags=accurate_rnd+full_chroma_int+bitexact → rgb24' },
  rows,
  analysis,
  runtimeSeconds: round((performance.now() - started) / 1000, 1),
};

const md = [
  '# mp4forge speed / qp sweep', '',
  `Command: \`npm run bench:sweep\` (= \`npm run build && ${result.command}\`).`, '',
  environmentMd(env), '',
  `${WIDTH}×${HEIGHT}, ${FRAMES} frames per encode (${patterns.source}), ${FPS} fps, GOP ${GOP}, through createMp4Writer to a file; fps is the median of ${REPS} runs, ` +
    'end to end (RGBA in, MP4 file out). PSNR: the output decoded by the npm ffmpeg to full-range RGB24 (BT.601 matrix, accurate rounding, full chroma interpolation), ' +
    'compared with the RGBA source; mean of per-frame PSNRs, and the worst frame.', '',
];
for (const pattern of PATTERNS) {
  md.push(`## ${pattern}`, '');
  md.push(mdTable(
    ['speed', ...QPS.flatMap((q) => [`qp ${q} fps`, `qp ${q} B/frame`, `qp ${q} PSNR dB`])],
    SPEEDS.map((s) => [s, ...QPS.flatMap((q) => {
      const r = at(pattern, q, s);
      return [r.fps.toFixed(1), r.bytesPerFrame, r.rgbPsnrDb.toFixed(2)];
    })]),
  ), '');
}
md.push('## What this says about the defaults (qp 26, speed 8)', '');
for (const f of findings) md.push(`- ${f}`);
md.push('', '<!-- conclusion -->', '', `Total runtime: ${result.runtimeSeconds} s.`);

const text = md.join('\n');
const files = writeResults(String(args.out ?? 'speed-sweep'), result, text);
console.log(JSON.stringify(result, null, 2));
console.log(`\n${text}\n`);
console.log(`wrote ${files.json} and ${files.md}`);
