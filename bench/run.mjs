// npm run bench: what mp4forge's pipeline costs around one encoder, h264-mp4-encoder (the backend
// mp4forge shipped first; `npm run bench:peers` compares the encoders themselves), in one run.
//
//   (a) raw     h264-mp4-encoder addFrameYuv on I420 frames converted before the clock starts:
//               the WASM encoder's own limit, the ceiling for (b) on one thread.
//   (b) mp4forge createMp4Writer({ video: { encoder: 'h264-mp4-encoder' } }) → addFrame(RGBA) → finish, faststart MP4 written to a file in
//               os.tmpdir(): RGBA→I420, per-GOP encoder instances, output tap, muxing, file I/O.
//   (c) naive   h264-mp4-encoder as its README shows: addFrameRgba per frame, finalize(),
//               FS.readFile(outputFilename) — the whole MP4 sits in the WASM heap until then.
//   (d) x264    the npm ffmpeg (2018 static build, libx264) -preset ultrafast -threads 1, fed the
//               same RGBA frames through a pipe; wall time from spawn to exit.
//
// (a), (b), (c) use identical encoder settings (h264-mp4-encoder's defaults in mp4forge: qp 26, speed 6, GOP 2 s).
// The same pre-generated frames feed all four. Repetitions rotate the order of the variants, and
// every figure is the median of the repetitions; ratios compare medians from the same run.
//
// Options: --frames N (120)  --reps R (5)  --sizes 640x480,1280x720,1920x1080  --pattern plasma
//          --no-psnr  --no-extras  --out bench (results file name)
//          --breakdown (adds (b'): mp4forge fed I420, to split conversion from encoder/mux overhead)
import { spawn } from 'node:child_process';
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BENCH_DIR, cpuSeconds, FFMPEG, environment, environmentMd, filePsnr, fmtBytes, libraryEntry, loadLibrary, mdTable, median, parseArgs, round,
  TIME, writeResults,
} from './lib/common.mjs';
import { loadPatterns } from './lib/content.mjs';
import { configure, loadHme } from './lib/hme.mjs';

const args = parseArgs();
const FRAMES = Number(args.frames ?? 120);
const REPS = Number(args.reps ?? 5);
const SIZES = String(args.sizes ?? '640x480,1280x720,1920x1080').split(',').map((s) => s.split('x').map(Number));
const PATTERN = String(args.pattern ?? 'plasma');
const PSNR = !args['no-psnr'];
const EXTRAS = !args['no-extras'];
const OUT = String(args.out ?? 'bench');
const BREAKDOWN = Boolean(args.breakdown);
if (!(FRAMES > 0) || !(REPS >= 1)) throw new Error('--frames and --reps must be positive');

// h264-mp4-encoder's settings as mp4forge's defaults give them (qp 26, its speed 6, gop = round(2 s × fps)), passed
// explicitly so the three WASM variants stay identical even if a default changes.
const FPS = 30;
const SETTINGS = { fps: FPS, qp: 26, speed: 6, gop: 2 * FPS };
const X264_ARGS = (w, h, out) => [
  '-hide_banner', '-loglevel', 'error', '-y',
  '-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', `${w}x${h}`, '-r', String(FPS), '-i', '-',
  // Without -pix_fmt, ffmpeg picks yuv444p (High 4:4:4) for RGBA input: 2× the chroma of the
  // others. -g matches the GOP. Rate control stays x264's default (CRF 23); sizes and PSNR are
  // reported beside the speed so the trade is visible.
  '-c:v', 'libx264', '-preset', 'ultrafast', '-threads', '1', '-pix_fmt', 'yuv420p', '-g', String(SETTINGS.gop),
  '-f', 'mp4', out,
];

const VARIANTS = {
  raw: { label: '(a) raw encoder: addFrameYuv on pre-converted I420', run: runRaw },
  mp4forge: { label: '(b) mp4forge: createMp4Writer → addFrame(RGBA) → finish, faststart to a file in os.tmpdir()', run: runMp4forge },
  naive: { label: '(c) naive h264-mp4-encoder: addFrameRgba → finalize → FS.readFile', run: runNaive },
  x264: { label: '(d) native libx264 ultrafast, 1 thread, RGBA piped into ffmpeg', run: runX264 },
};
if (BREAKDOWN) {
  // Diagnostic: mp4forge fed the pre-converted I420 frames (pixelFormat 'yuv420p'), so (b')/(a)
  // is the cost of chunking, the output tap and muxing, and (b)/(b') the cost of RGBA→I420.
  VARIANTS.mp4forgeYuv = {
    label: "(b') mp4forge fed pre-converted I420 (pixelFormat 'yuv420p'), faststart to a file",
    run: (ctx, n, keep) => runMp4forge(ctx, n, keep, 'yuv420p'),
  };
}
const SHORT = { raw: '(a) raw', mp4forge: '(b) mp4forge', naive: '(c) naive', x264: '(d) x264', mp4forgeYuv: "(b') mp4forge I420 in" };
const ORDER = Object.keys(VARIANTS);

const started = performance.now();
const lib = await loadLibrary();
const HME = await loadHme();
const patterns = await loadPatterns();
const tmp = (name) => join(tmpdir(), `mp4forge-bench-${process.pid}-${name}`);

// CPU seconds (cpuSeconds) beside wall time: other work on the machine stretches the latter.

async function runRaw(ctx, n, keep) {
  const c0 = cpuSeconds();
  const t0 = performance.now();
  const e = await HME.createH264MP4Encoder();
  configure(e, ctx);
  e.outputFilename = '/bench-raw.mp4';
  e.initialize();
  for (let i = 0; i < n; i++) e.addFrameYuv(ctx.i420[i]);
  e.finalize();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds() - c0;
  const data = e.FS.readFile(e.outputFilename);
  e.FS.unlink(e.outputFilename);
  e.delete();
  if (keep) writeFileSync(keep, data);
  return { seconds, cpu, bytes: data.length };
}

async function runMp4forge(ctx, n, keep, pixelFormat = 'rgba') {
  const out = keep ?? tmp('b.mp4');
  const c0 = cpuSeconds();
  const t0 = performance.now();
  const w = await lib.createMp4Writer({
    width: ctx.width, height: ctx.height, fps: FPS, output: out, layout: 'faststart',
    video: { encoder: 'h264-mp4-encoder', qp: ctx.qp, speed: ctx.speed, gop: ctx.gop }, pixelFormat,
  });
  const frames = pixelFormat === 'yuv420p' ? ctx.i420 : ctx.rgba;
  for (let i = 0; i < n; i++) await w.addFrame(frames[i]);
  const r = await w.finish();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds() - c0;
  const bytes = statSync(out).size;
  if (bytes !== r.bytes) throw new Error(`mp4forge reported ${r.bytes} bytes, the file has ${bytes}`);
  if (r.frames !== n) throw new Error(`mp4forge wrote ${r.frames} frames, expected ${n}`);
  if (!keep) rmSync(out);
  return { seconds, cpu, bytes };
}

async function runNaive(ctx, n, keep) {
  const c0 = cpuSeconds();
  const t0 = performance.now();
  const e = await HME.createH264MP4Encoder();
  configure(e, ctx);
  e.initialize();
  for (let i = 0; i < n; i++) e.addFrameRgba(ctx.rgba[i]);
  e.finalize();
  const data = e.FS.readFile(e.outputFilename);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds() - c0;
  // The README stops here; unlinking (untimed) keeps repeated runs from piling files into MEMFS.
  e.FS.unlink(e.outputFilename);
  e.delete();
  if (keep) writeFileSync(keep, data);
  return { seconds, cpu, bytes: data.length };
}

async function runX264(ctx, n, keep) {
  const out = keep ?? tmp('d.mp4');
  // /usr/bin/time reports ffmpeg's own CPU time; the bench process's share (writing the pipe) is added.
  const [cmd, argv] = TIME
    ? [TIME, ['-f', 'MP4FORGE_CPU %U %S', FFMPEG, ...X264_ARGS(ctx.width, ctx.height, out)]]
    : [FFMPEG, X264_ARGS(ctx.width, ctx.height, out)];
  const c0 = cpuSeconds();
  const t0 = performance.now();
  const child = spawn(cmd, argv, { stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const closed = once(child, 'close');
  for (let i = 0; i < n; i++) {
    if (!child.stdin.write(ctx.rgba[i])) await once(child.stdin, 'drain');
  }
  child.stdin.end();
  const [code] = await closed;
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`ffmpeg/libx264 failed (${code}): ${err}`);
  const m = /MP4FORGE_CPU ([\d.]+) ([\d.]+)/.exec(err);
  const cpu = m ? cpuSeconds() - c0 + Number(m[1]) + Number(m[2]) : NaN;
  const bytes = statSync(out).size;
  if (!keep) rmSync(out);
  return { seconds, cpu, bytes };
}

function makeFrames(width, height, n) {
  const rgba = [];
  const i420 = [];
  for (let i = 0; i < n; i++) {
    const f = new Uint8Array(width * height * 4);
    patterns.draw(PATTERN, f, width, height, i);
    rgba.push(f);
    const y = new Uint8Array((width * height * 3) / 2);
    lib.toI420(f, 'rgba', width, height, y); // the conversion mp4forge uses, done before (a) is timed
    i420.push(y);
  }
  return { rgba, i420 };
}

const video = [];
for (const [si, [width, height]] of SIZES.entries()) {
  process.stderr.write(`${width}×${height}: generating ${FRAMES} ${PATTERN} frames… `);
  const ctx = { width, height, ...SETTINGS, ...makeFrames(width, height, FRAMES) };
  // Warm-up: V8 tiers the WASM encoder and the JS converter up after a few dozen frames.
  const warm = Math.min(FRAMES, si === 0 ? 48 : 8);
  process.stderr.write(`warm-up (${warm} frames each)… `);
  for (const v of ORDER) await VARIANTS[v].run(ctx, warm, null);
  const runs = Object.fromEntries(ORDER.map((v) => [v, []]));
  const kept = {};
  for (let r = 0; r < REPS; r++) {
    process.stderr.write(`rep ${r + 1}/${REPS} `);
    const order = ORDER.map((_, k) => ORDER[(k + r) % ORDER.length]);
    for (const v of order) {
      const keep = PSNR && r === 0 ? tmp(`${width}x${height}-${v}.mp4`) : null;
      if (keep) kept[v] = keep;
      const res = await VARIANTS[v].run(ctx, FRAMES, keep);
      runs[v].push({ ...res, fps: FRAMES / res.seconds, cpuFps: FRAMES / res.cpu });
    }
  }
  const variants = {};
  for (const v of ORDER) {
    const fps = runs[v].map((x) => x.fps);
    const bytes = [...new Set(runs[v].map((x) => x.bytes))];
    variants[v] = {
      label: VARIANTS[v].label,
      fps: fps.map((x) => round(x, 2)),
      medianFps: round(median(fps), 2),
      // Frames per CPU second (user + system of every thread involved; for x264 ffmpeg's too).
      cpuFps: runs[v].map((x) => round(x.cpuFps, 2)),
      medianCpuFps: round(median(runs[v].map((x) => x.cpuFps)), 2),
      bytes: median(runs[v].map((x) => x.bytes)),
      ...(bytes.length > 1 ? { bytesPerRun: runs[v].map((x) => x.bytes) } : {}),
    };
  }
  if (PSNR) {
    process.stderr.write('PSNR… ');
    for (const v of ORDER) {
      const p = await filePsnr(kept[v], width, height, FRAMES, (i) => ctx.rgba[i]);
      variants[v].rgbPsnrDb = { mean: round(p.meanDb, 2), min: round(p.minDb, 2) };
      rmSync(kept[v]);
    }
  }
  const ratio = (num, den) => ({
    ofMedians: round(variants[num].medianFps / variants[den].medianFps, 3),
    // Paired per repetition (same rep, adjacent in time), then the median.
    medianOfPaired: round(median(runs[num].map((x, k) => x.fps / runs[den][k].fps)), 3),
    cpuOfMedians: round(variants[num].medianCpuFps / variants[den].medianCpuFps, 3),
  });
  video.push({
    width, height, frames: FRAMES,
    variants,
    ratios: {
      mp4forgeVsRaw: ratio('mp4forge', 'raw'), mp4forgeVsNaive: ratio('mp4forge', 'naive'), mp4forgeVsX264: ratio('mp4forge', 'x264'),
      ...(BREAKDOWN ? { mp4forgeYuvVsRaw: ratio('mp4forgeYuv', 'raw'), mp4forgeVsMp4forgeYuv: ratio('mp4forge', 'mp4forgeYuv') } : {}),
    },
  });
  process.stderr.write('done\n');
}

// Colleagues' audio benchmarks run as child processes; each prints JSON on stdout.
const EXTRA_SCRIPTS = [
  { key: 'mp3Parse', script: 'mp3-parse.mjs', label: 'MP3 parse (bench/mp3-parse.mjs)' },
  { key: 'lame', script: 'lame.mjs', label: 'lamejs MP3 encode (bench/lame.mjs)' },
];
const extras = {};
for (const x of EXTRA_SCRIPTS) {
  const path = join(BENCH_DIR, x.script);
  if (!EXTRAS) extras[x.key] = { label: x.label, skipped: 'disabled with --no-extras' };
  else if (!existsSync(path)) {
    process.stderr.write(`notice: bench/${x.script} does not exist yet; skipping ${x.label}\n`);
    extras[x.key] = { label: x.label, skipped: `bench/${x.script} not present` };
  } else {
    process.stderr.write(`${x.label}… `);
    extras[x.key] = { label: x.label, ...(await runJsonChild(path)) };
    process.stderr.write(extras[x.key].error ? `failed: ${extras[x.key].error}\n` : 'done\n');
  }
}

async function runJsonChild(path) {
  const t0 = performance.now();
  // MP4FORGE_MODULE: lame.mjs's switch for the library module; point it at this run's dist snapshot.
  const child = spawn(process.execPath, [path], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: join(BENCH_DIR, '..'),
    env: { ...process.env, MP4FORGE_MODULE: process.env.MP4FORGE_MODULE ?? libraryEntry() },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const timer = setTimeout(() => child.kill('SIGTERM'), 10 * 60 * 1000);
  const [code, signal] = await once(child, 'close');
  clearTimeout(timer);
  const seconds = round((performance.now() - t0) / 1000, 1);
  if (code !== 0) return { error: `exited with ${code ?? signal}: ${err.trim().split('\n').slice(-3).join(' / ')}`, seconds };
  const result = parseJsonOutput(out);
  if (result === undefined) return { error: 'printed no JSON on stdout', seconds };
  return { seconds, result };
}

/** The whole stdout as JSON, else its last line that parses, else the outermost {...} block. */
function parseJsonOutput(text) {
  const tryParse = (s) => {
    try {
      return JSON.parse(s);
    } catch {
      return undefined;
    }
  };
  const whole = tryParse(text.trim());
  if (whole !== undefined) return whole;
  for (const line of text.trim().split('\n').reverse()) {
    const v = tryParse(line.trim());
    if (v !== undefined && typeof v === 'object') return v;
  }
  const a = text.indexOf('{');
  const b = text.lastIndexOf('}');
  return a >= 0 && b > a ? tryParse(text.slice(a, b + 1)) : undefined;
}

const env = environment();
const result = {
  name: 'bench',
  command: `node bench/run.mjs${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
  environment: env,
  settings: {
    ...SETTINGS,
    frames: FRAMES,
    reps: REPS,
    pattern: PATTERN,
    content: patterns.source,
    mp4forgeOutput: 'file in os.tmpdir(), layout faststart',
    x264Args: X264_ARGS('W', 'H', 'out.mp4').join(' '),
    psnr: PSNR
      ? 'RGB PSNR vs the RGBA source, decoded by the npm ffmpeg to full-range RGB24 with the BT.601 matrix; mean of per-frame PSNRs (and the worst frame), first repetition'
      : 'off',
  },
  video,
  extras,
  runtimeSeconds: round((performance.now() - started) / 1000, 1),
};

function fpsTable(fpsKey, ratioKey) {
  const ratios = Object.keys(video[0].ratios);
  return mdTable(
    ['size', ...ORDER.map((v) => SHORT[v]), ...ratios.map(ratioName)],
    video.map((s) => [
      `${s.width}×${s.height}`,
      ...ORDER.map((v) => s.variants[v][fpsKey].toFixed(1)),
      ...ratios.map((k) => s.ratios[k][ratioKey].toFixed(k === 'mp4forgeVsX264' ? 3 : 2)),
    ]),
  );
}

function ratioName(k) {
  return { mp4forgeVsRaw: '(b)/(a)', mp4forgeVsNaive: '(b)/(c)', mp4forgeVsX264: '(b)/(d)', mp4forgeYuvVsRaw: "(b')/(a)", mp4forgeVsMp4forgeYuv: "(b)/(b')" }[
    k
  ];
}

const md = [];
md.push('# mp4forge throughput benchmark', '');
md.push(`Command: \`npm run bench\` (= \`npm run build && ${result.command}\`).`, '');
md.push(environmentMd(env), '');
md.push(
  `Content: ${FRAMES} frames of \`${PATTERN}\` per run (${patterns.source}), generated once per size and fed to every variant. ` +
    `Encoder settings for (a), (b), (c)${BREAKDOWN ? ", (b')" : ''}: qp ${SETTINGS.qp}, speed ${SETTINGS.speed}, GOP ${SETTINGS.gop} (2 s at ${FPS} fps) — h264-mp4-encoder's defaults in mp4forge. ` +
    `${REPS} repetitions per size after a warm-up, variant order rotated each repetition; figures are medians. Single thread for all (mp4forge used without workers).`,
  '',
);
for (const v of ORDER) md.push(`- ${VARIANTS[v].label}`);
md.push(`- x264 command: \`ffmpeg ${result.settings.x264Args}\``, '');
md.push('## Frames per second (median)', '');
md.push(fpsTable('medianFps', 'ofMedians'), '');
md.push('Ratios are of the medians; the JSON also has the median of per-repetition (paired) ratios. The target for (b)/(a) is ≥ 0.9.', '');
md.push('## Frames per CPU second (median)', '');
md.push(
  "The same runs counted in CPU time (user + system, every thread; for (d) ffmpeg's CPU time from `/usr/bin/time` plus the bench process writing the pipe). " +
    "Less sensitive to other work on the machine than wall time; (d) shows the cost of the pipe and of ffmpeg's RGBA→YUV conversion.",
  '',
);
md.push(fpsTable('medianCpuFps', 'cpuOfMedians'), '');
md.push('## Output size and quality (first repetition)', '');
md.push(mdTable(
  ['size', 'variant', 'bytes', 'bytes/frame', ...(PSNR ? ['RGB PSNR mean (dB)', 'worst frame (dB)'] : []), 'fps per run'],
  video.flatMap((s) => ORDER.map((v) => {
    const x = s.variants[v];
    return [
      `${s.width}×${s.height}`,
      v,
      `${x.bytes} (${fmtBytes(x.bytes)})`,
      Math.round(x.bytes / FRAMES),
      ...(PSNR ? [x.rgbPsnrDb.mean, x.rgbPsnrDb.min] : []),
      x.fps.join(', '),
    ];
  })),
), '');
md.push('## Audio (colleagues\' scripts, run as child processes)', '');
for (const x of EXTRA_SCRIPTS) {
  const e = extras[x.key];
  if (e.skipped) md.push(`- ${e.label}: skipped (${e.skipped})`);
  else if (e.error) md.push(`- ${e.label}: failed (${e.error})`);
  else md.push(`- ${e.label}: ${headline(x.key, e.result)} (script ran ${e.seconds} s; full output in the JSON)`);
}
md.push('', `Total runtime: ${result.runtimeSeconds} s.`);

/** The figure each colleague's script is about, if its JSON has the expected field; else its scalars. */
function headline(key, r) {
  if (key === 'mp3Parse' && typeof r?.medianMBps === 'number') {
    return `**${r.medianMBps} MB/s** parse throughput, median of ${r.runs ?? '?'} runs over a ${r.bytes ? `${(r.bytes / 1e6).toFixed(1)} MB` : ''} ${r.durationSeconds ? `${Math.round(r.durationSeconds / 60)}-minute ` : ''}MP3`;
  }
  if (key === 'lame' && r?.realtimeFactor && typeof r.realtimeFactor === 'object') {
    const f = r.realtimeFactor;
    return (
      `lamejs ${r.kbps ?? '?'} kbit/s ${r.channels === 2 ? 'stereo' : `${r.channels ?? '?'}-channel`} ${r.sampleRate ?? '?'} Hz: **${f.encode}× real time** encoding pre-rendered PCM` +
      (f.pipeline !== undefined ? `, ${f.pipeline}× with synthesis (pipeline)` : '') +
      (f.synth !== undefined ? `, synthesis alone ${f.synth}×` : '') +
      ` (median of ${r.reps ?? '?'})`
    );
  }
  return `\`${JSON.stringify(summarise(r))}\``;
}

/** Keeps the scalar fields of a colleague's JSON for the Markdown line (the JSON file keeps everything). */
function summarise(r) {
  if (r === null || typeof r !== 'object') return r;
  if (Array.isArray(r)) return r.map(summarise);
  const out = {};
  for (const [k, v] of Object.entries(r)) {
    if (v === null || typeof v !== 'object') out[k] = v;
    else if (k !== 'environment' && k !== 'env') out[k] = summarise(v);
  }
  return out;
}

const text = md.join('\n');
const files = writeResults(OUT, result, text);
console.log(JSON.stringify(result, null, 2));
console.log(`\n${text}\n`);
console.log(`wrote ${files.json} and ${files.md}`);
