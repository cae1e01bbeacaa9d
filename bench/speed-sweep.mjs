// npm run bench:sweep: what the encoder's `speed` and `qp` settings cost and buy, through
// mp4forge end to end, at 1280×720 — the measurement behind mp4forge's defaults (qp 26, speed 8).
//
// For each pattern, speed 0,2,4,6,8,9,10 × qp 20,26,32 (9 is beyond the brief's list because it
// turned out to sit between 8 and 10): frames per second (median of the
// repetitions), bytes per frame, and RGB PSNR of the decoded output against the RGBA source
// (decoded by the npm ffmpeg to full-range RGB24 with the BT.601 matrix). GOP 2 s, 30 fps.
//
// Options: --frames 60  --reps 3  --patterns plasma,gradient  --speeds 0,2,4,6,8,9,10  --qps 20,26,32
//          --size 1280x720  --out speed-sweep
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { environment, environmentMd, filePsnr, loadLibrary, mdTable, median, parseArgs, round, writeResults } from './lib/common.mjs';
import { loadPatterns } from './lib/content.mjs';

const args = parseArgs();
const FRAMES = Number(args.frames ?? 60);
const REPS = Number(args.reps ?? 3);
const PATTERNS = String(args.patterns ?? 'plasma,gradient').split(',');
const SPEEDS = String(args.speeds ?? '0,2,4,6,8,9,10').split(',').map(Number);
const QPS = String(args.qps ?? '20,26,32').split(',').map(Number);
const [WIDTH, HEIGHT] = String(args.size ?? '1280x720').split('x').map(Number);
const FPS = 30;
const GOP = 2 * FPS;
const DEFAULT = { qp: 26, speed: 8 }; // src/options.ts DEFAULT_QP, DEFAULT_SPEED

const started = performance.now();
const lib = await loadLibrary();
const patterns = await loadPatterns();
const out = join(tmpdir(), `mp4forge-sweep-${process.pid}.mp4`);

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function encode(frames, qp, speed) {
  const c0 = cpuNow();
  const t0 = performance.now();
  const w = await lib.createMp4Writer({ width: WIDTH, height: HEIGHT, fps: FPS, output: out, video: { qp, speed, gop: GOP } });
  for (const f of frames) await w.addFrame(f);
  const r = await w.finish();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuNow() - c0;
  if (r.frames !== frames.length || statSync(out).size !== r.bytes) throw new Error('writer result does not match the file');
  return { fps: frames.length / seconds, cpuFps: frames.length / cpu, bytes: r.bytes };
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
      const cpuFps = [];
      let bytes = 0;
      let psnr = null;
      let sha256 = '';
      for (let r = 0; r < REPS; r++) {
        const res = await encode(frames, qp, speed);
        fps.push(res.fps);
        cpuFps.push(res.cpuFps);
        if (r === 0) {
          bytes = res.bytes;
          // mp4forge output is deterministic (no timestamps), so equal hashes mean equal streams.
          sha256 = createHash('sha256').update(readFileSync(out)).digest('hex');
          psnr = await filePsnr(out, WIDTH, HEIGHT, FRAMES, (i) => frames[i]);
        } else if (res.bytes !== bytes) throw new Error(`output size changed between repetitions (${bytes} → ${res.bytes})`);
      }
      rmSync(out, { force: true });
      const row = {
        pattern, qp, speed,
        fps: round(median(fps), 2), fpsPerRun: fps.map((x) => round(x, 2)),
        // Frames per CPU second (user + system): steadier than wall time when the machine is shared.
        cpuFps: round(median(cpuFps), 2), cpuFpsPerRun: cpuFps.map((x) => round(x, 2)),
        bytes, bytesPerFrame: Math.round(bytes / FRAMES), kbps: round((bytes * 8 * FPS) / FRAMES / 1000, 0),
        rgbPsnrDb: round(psnr.meanDb, 2), worstFramePsnrDb: round(psnr.minDb, 2),
        sha256,
      };
      rows.push(row);
      process.stderr.write(`${row.fps} fps (${row.cpuFps} per CPU s), ${row.bytesPerFrame} B/frame, ${row.rgbPsnrDb} dB\n`);
    }
  }
}

// What the table says about the defaults, computed rather than asserted.
//
// 1. Speeds that give byte-identical files at every qp (minih264 maps several speed levels to the
//    same search settings) are one setting: their timings are pooled, and the spread between
//    them — the same work timed twice — measures this run's timing noise.
// 2. Speeds trade quality at a given qp as well as size, so sizes are compared at equal quality:
//    log(bytes) is interpolated linearly in PSNR between a setting's qp points (extrapolated from
//    the nearest pair outside them) at the PSNR the default (qp 26, speed 8) reaches on that pattern.
// 3. A setting is dominated when another is at least as fast (frames per CPU second at the default
//    qp, within the measured noise, at least 2%) and needs ≥ 3% fewer bytes for the same PSNR.
const at = (pattern, qp, speed) => rows.find((r) => r.pattern === pattern && r.qp === qp && r.speed === speed);
const SIZE_TOL = 0.97;
function bytesAtPsnr(pattern, speed, target) {
  const pts = QPS.map((q) => at(pattern, q, speed)).map((r) => ({ x: r.rgbPsnrDb, y: Math.log(r.bytes) })).sort((a, b) => a.x - b.x);
  let i = pts.findIndex((p) => p.x >= target);
  if (i <= 0) i = i === 0 ? 1 : pts.length - 1;
  const [a, b] = [pts[i - 1], pts[i]];
  return Math.exp(a.y + ((b.y - a.y) * (target - a.x)) / (b.x - a.x));
}
const findings = [];
const analysis = {};
const spreads = [];
const canAnalyse = SPEEDS.includes(DEFAULT.speed) && QPS.includes(DEFAULT.qp) && QPS.length >= 2;
const classesOf = {};
for (const pattern of PATTERNS) {
  const classes = [];
  for (const sp of SPEEDS) {
    const key = QPS.map((q) => at(pattern, q, sp).sha256).join();
    const c = classes.find((x) => x.key === key);
    if (c) c.speeds.push(sp);
    else classes.push({ key, speeds: [sp] });
  }
  classesOf[pattern] = classes.map((c) => c.speeds);
  for (const c of classes.filter((x) => x.speeds.length > 1)) {
    for (const q of QPS) {
      const f = c.speeds.map((sp) => at(pattern, q, sp).cpuFps);
      spreads.push(Math.max(...f) / Math.min(...f) - 1);
    }
  }
}
const noise = spreads.length ? median(spreads) : 0;
const FAST_TOL = 1 - Math.max(0.02, noise);
for (const pattern of canAnalyse ? PATTERNS : []) {
  const d = at(pattern, DEFAULT.qp, DEFAULT.speed);
  const target = d.rgbPsnrDb;
  const per = classesOf[pattern].map((speeds) => {
    const r = at(pattern, DEFAULT.qp, speeds[0]);
    const pooled = speeds.flatMap((sp) => at(pattern, DEFAULT.qp, sp).cpuFpsPerRun);
    return {
      speeds,
      name: speeds.join('='),
      cpuFps: round(median(pooled), 2),
      bytesAtDefaultQp: r.bytes,
      psnrAtDefaultQp: r.rgbPsnrDb,
      bytesAtDefaultPsnr: Math.round(bytesAtPsnr(pattern, speeds[0], target)),
    };
  });
  const ref = per.find((p) => p.speeds.includes(DEFAULT.speed));
  for (const p of per) {
    p.cpuFpsVsDefault = round(p.cpuFps / ref.cpuFps, 3);
    p.sizeAtEqualPsnrVsDefaultPct = round((p.bytesAtDefaultPsnr / ref.bytesAtDefaultPsnr - 1) * 100, 1);
    p.dominatedBy = per.filter((o) => o !== p && o.cpuFps >= p.cpuFps * FAST_TOL && o.bytesAtDefaultPsnr <= p.bytesAtDefaultPsnr * SIZE_TOL).map((o) => o.name);
  }
  const qpTrade = QPS.map((q) => ({ qp: q, psnr: at(pattern, q, DEFAULT.speed).rgbPsnrDb, bytesPerFrame: at(pattern, q, DEFAULT.speed).bytesPerFrame }));
  analysis[pattern] = { defaultPsnrDb: target, settings: per, qpAtDefaultSpeed: qpTrade };
  findings.push(
    `**${pattern}** (the default reaches ${target} dB at ${d.bytesPerFrame} B/frame, ${ref.cpuFps} frames per CPU s): ` +
      per
        .filter((p) => p !== ref)
        .map(
          (p) =>
            `speed ${p.name}: ${p.cpuFpsVsDefault}× the speed, ${p.sizeAtEqualPsnrVsDefaultPct >= 0 ? '+' : ''}${p.sizeAtEqualPsnrVsDefaultPct}% bytes at equal PSNR`,
        )
        .join('; ') +
      `. Not dominated: ${per
        .filter((p) => p.dominatedBy.length === 0)
        .map((p) => p.name)
        .join(', ')}. ` +
      `qp at speed ${DEFAULT.speed}: ${qpTrade.map((t) => `${t.qp} → ${t.psnr} dB, ${t.bytesPerFrame} B/frame`).join('; ')}.`,
  );
}
let verdict = 'Not computed (the sweep must include the default speed and qp and at least two qps).';
if (canAnalyse) {
  const refOf = (p) => analysis[p].settings.find((x) => x.speeds.includes(DEFAULT.speed));
  const dominators = PATTERNS.map((p) => refOf(p).dominatedBy);
  const everywhere = dominators.reduce((acc, d) => acc.filter((x) => d.includes(x)));
  const frontier = PATTERNS.map((p) => analysis[p].settings.filter((x) => x.dominatedBy.length === 0).map((x) => x.name));
  const eff = PATTERNS.map((p, k) => `${frontier[k].join(', ')} on ${p}`).join('; ');
  if (dominators.every((d) => d.length === 0)) {
    verdict =
      `**The data support speed ${DEFAULT.speed} as an efficient choice**: on ${PATTERNS.join(' and ')} no other setting is both as fast and ≥ 3% smaller at equal PSNR (not dominated: ${eff}). ` +
      'Where on that frontier the default should sit is the speed/size trade listed above.';
  } else if (everywhere.length) {
    verdict = `**The data do not support speed ${DEFAULT.speed}**: speed ${everywhere.join(' and ')} is as fast (within the ${round(noise * 100, 1)}% timing noise) and ≥ 3% smaller at equal PSNR on ${PATTERNS.join(' and ')}. Not dominated: ${eff}.`;
  } else {
    verdict = `**Mixed**: speed ${DEFAULT.speed} is dominated on ${PATTERNS.filter((_, k) => dominators[k].length)
      .map((p) => `${p} (by ${dominators[PATTERNS.indexOf(p)].join(', ')})`)
      .join(', ')}, not on every pattern. Not dominated: ${eff}.`;
  }
}

const env = environment();
const result = {
  name: 'speed-sweep',
  command: `node bench/speed-sweep.mjs${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
  environment: env,
  settings: {
    width: WIDTH,
    height: HEIGHT,
    fps: FPS,
    gop: GOP,
    frames: FRAMES,
    reps: REPS,
    content: patterns.source,
    defaults: DEFAULT,
    output: 'mp4forge createMp4Writer, faststart to a file in os.tmpdir()',
    psnr: 'RGB PSNR vs the RGBA source, mean of per-frame PSNRs; ffmpeg -vf scale=in_range=tv:out_range=pc:in_color_matrix=bt601:flags=accurate_rnd+full_chroma_int+bitexact → rgb24',
  },
  rows,
  identicalOutput: classesOf,
  timingNoise: {
    medianSpreadPct: round(noise * 100, 1),
    maxSpreadPct: spreads.length ? round(Math.max(...spreads) * 100, 1) : null,
    asFastTolerancePct: round((1 - FAST_TOL) * 100, 1),
  },
  analysis,
  verdict,
  runtimeSeconds: round((performance.now() - started) / 1000, 1),
};

const md = [
  '# mp4forge speed / qp sweep',
  '',
  `Command: \`npm run bench:sweep\` (= \`npm run build && ${result.command}\`).`,
  '',
  environmentMd(env),
  '',
  `${WIDTH}×${HEIGHT}, ${FRAMES} frames per encode (${patterns.source}), ${FPS} fps, GOP ${GOP}, through createMp4Writer to a file; fps is the median of ${REPS} runs, ` +
    'end to end (RGBA in, MP4 file out); in brackets frames per CPU second (user + system), which other work on the machine disturbs less. PSNR: the output decoded by the npm ffmpeg to full-range RGB24 (BT.601 matrix, accurate rounding, full chroma interpolation), ' +
    'compared with the RGBA source; mean of per-frame PSNRs, and the worst frame.',
  '',
];
for (const pattern of PATTERNS) {
  md.push(`## ${pattern}`, '');
  md.push(mdTable(
    ['speed', ...QPS.flatMap((q) => [`qp ${q} fps (CPU)`, `qp ${q} B/frame`, `qp ${q} PSNR dB`])],
    SPEEDS.map((s) => [s, ...QPS.flatMap((q) => {
      const r = at(pattern, q, s);
      return [`${r.fps.toFixed(1)} (${r.cpuFps.toFixed(1)})`, r.bytesPerFrame, r.rgbPsnrDb.toFixed(2)];
    })]),
  ), '');
}
md.push(`## What this says about the defaults (qp ${DEFAULT.qp}, speed ${DEFAULT.speed})`, '');
const same = PATTERNS.map((p) => `${p}: ${classesOf[p].filter((c) => c.length > 1).map((c) => c.join(', ')).join(' / ') || 'none'}`).join('; ');
md.push(
  `Speeds that produced byte-identical files at every qp (one setting; timings pooled): ${same}. ` +
    `Their timings — the same work timed again — differ by ${round(noise * 100, 1)}% (median; at most ${result.timingNoise.maxSpreadPct ?? 0}%), the timing noise of this run.`,
  '',
);
md.push(
  'Sizes are compared at equal quality: per setting, log(bytes) is interpolated linearly in PSNR between its qp points, at the PSNR the default reaches. ' +
    `A setting is dominated when another is at least as fast (frames per CPU second at the default qp, within ${round((1 - FAST_TOL) * 100, 1)}%: the timing noise, at least 2%) and ≥ 3% smaller at equal PSNR.`,
  '',
);
for (const f of findings) md.push(`- ${f}`);
md.push('', verdict, '', `Total runtime: ${result.runtimeSeconds} s.`);

const text = md.join('\n');
const files = writeResults(String(args.out ?? 'speed-sweep'), result, text);
console.log(JSON.stringify(result, null, 2));
console.log(`\n${text}\n`);
console.log(`wrote ${files.json} and ${files.md}`);
