// npm run bench:sweep: what the encoder's `speed` buys, and which speed should be the default —
// chosen by rate–distortion per CPU second, through mp4forge end to end at 1280×720.
//
// For each content (testsrc2 from the npm ffmpeg, plasma from drawPattern), every speed 0..10 ×
// qp 22,26,30,34,38, one encode per point through createMp4Writer (video.encoder named, 'wasm'
// unless --encoder says otherwise) to a file, plus REPS − 1 more at the default qp for timing:
// - frames per CPU second (this process's user + system time around createMp4Writer … finish;
//   steadier than wall time on a shared machine) and per wall second;
// - bytes, RGB PSNR (decoded by the npm ffmpeg to full-range RGB24, BT.601) and luma PSNR (the
//   decoded Y plane against the source's exact BT.601 luma) against the RGBA source;
// - BD-rate of each speed against the reference speed (6; Bjøntegaard, bench/lib/bd-rate.mjs) over
//   the qp sweep, on RGB and on luma PSNR.
// Speeds whose files are byte-identical at every qp are one setting (their timings are pooled, and
// their spread — the same work timed twice — is this run's timing noise).
//
// The constraint: a default must compress at least as well as h264-mp4-encoder (issue 13: BD-rate
// ≤ 0% over the qp sweep, on RGB and on luma PSNR, on every content). So each content is also
// swept once with video.encoder 'h264-mp4-encoder' at the same qps, and only the speeds within that
// bound are candidates (--no-hme drops the constraint).
//
// The choice: a speed's efficiency is its throughput relative to the reference divided by its
// bytes at equal quality relative to the reference, (frames per CPU s ÷ ref) ÷ (1 + BD-rate):
// frames per CPU second per byte at equal RGB PSNR. It weighs 1% of speed against 1% of size; the
// report also lists the settings no other beats on both (the frontier), for other weightings. The
// recommended default maximises the geometric mean of the efficiency over the contents. The
// build's own default speed is found by encoding without `speed` and matching the bytes.
//
// Options: --frames 60  --reps 3  --contents testsrc2,plasma  --speeds 0,1,…,10  --qps 22,26,30,34,38
//          --qp 26 (the default qp: timing reps, and the speed figures)  --ref-speed 6
//          --size 1280x720  --encoder wasm  --quick (640×360, speeds 0,2,4,6,8,10, 30 frames, 1 rep)
//          --no-hme  --out speed-sweep
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bdRate } from './lib/bd-rate.mjs';
import { cpuSeconds, environment, environmentMd, fileLumaPsnr, filePsnr, loadLibrary, mdTable, median, parseArgs, round, writeResults } from './lib/common.mjs';
import { loadPatterns, testsrc2Frames } from './lib/content.mjs';

const args = parseArgs();
const QUICK = Boolean(args.quick);
const FRAMES = Number(args.frames ?? (QUICK ? 30 : 60));
const REPS = Number(args.reps ?? (QUICK ? 1 : 3));
const CONTENTS = String(args.contents ?? args.patterns ?? 'testsrc2,plasma').split(',');
const SPEEDS = String(args.speeds ?? (QUICK ? '0,2,4,6,8,10' : '0,1,2,3,4,5,6,7,8,9,10'))
  .split(',')
  .map(Number)
  .sort((a, b) => a - b);
const QPS = String(args.qps ?? '22,26,30,34,38')
  .split(',')
  .map(Number);
const QP = Number(args.qp ?? 26);
const REF = Number(args['ref-speed'] ?? 6);
const [WIDTH, HEIGHT] = String(args.size ?? (QUICK ? '640x360' : '1280x720'))
  .split('x')
  .map(Number);
const ENCODER = String(args.encoder ?? 'wasm');
const HME = !args['no-hme'];
const FPS = 30;
const GOP = 2 * FPS;
if (!SPEEDS.includes(REF) || !QPS.includes(QP) || QPS.length < 2)
  throw new Error('--speeds must include --ref-speed, --qps must include --qp and have at least two values');

const started = performance.now();
const lib = await loadLibrary();
const patterns = await loadPatterns();
const out = join(tmpdir(), `mp4forge-sweep-${process.pid}.mp4`);
process.on('exit', () => rmSync(out, { force: true }));

const sha = () => createHash('sha256').update(readFileSync(out)).digest('hex');

async function encode(frames, video) {
  const c0 = cpuSeconds();
  const t0 = performance.now();
  const w = await lib.createMp4Writer({ width: WIDTH, height: HEIGHT, fps: FPS, output: out, video: { encoder: ENCODER, gop: GOP, ...video } });
  for (const f of frames) await w.addFrame(f);
  const r = await w.finish();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds() - c0;
  if (r.frames !== frames.length || statSync(out).size !== r.bytes) throw new Error('writer result does not match the file');
  return { fps: frames.length / seconds, cpuFps: frames.length / cpu, bytes: r.bytes, videoEncoder: r.videoEncoder };
}

function framesOf(content) {
  if (content === 'testsrc2') return testsrc2Frames(WIDTH, HEIGHT, FRAMES, FPS);
  return Array.from({ length: FRAMES }, (_, i) => {
    const f = new Uint8Array(WIDTH * HEIGHT * 4);
    patterns.draw(content, f, WIDTH, HEIGHT, i);
    return f;
  });
}

const rows = [];
const hmeRows = [];
const buildDefault = {};
let videoEncoder = null;
for (const content of CONTENTS) {
  process.stderr.write(`${content}: ${FRAMES} frames… `);
  const frames = framesOf(content);
  // Warm-up, so that the first point is not timed on baseline-tier WASM; it also finds the build's
  // default speed (no `speed` given) by its bytes.
  const warm = await encode(frames, { qp: QP });
  videoEncoder = warm.videoEncoder;
  buildDefault[content] = { sha256: sha(), speeds: [] };
  process.stderr.write(`(${ENCODER} → videoEncoder '${videoEncoder}')\n`);
  for (const speed of SPEEDS) {
    process.stderr.write(`  speed ${speed}: `);
    for (const qp of QPS) {
      const fps = [];
      const cpuFps = [];
      let first = null;
      for (let r = 0; r < (qp === QP ? REPS : 1); r++) {
        const res = await encode(frames, { qp, speed });
        fps.push(res.fps);
        cpuFps.push(res.cpuFps);
        if (r === 0) {
          const source = (i) => frames[i];
          first = {
            bytes: res.bytes,
            sha256: sha(),
            rgb: await filePsnr(out, WIDTH, HEIGHT, FRAMES, source),
            y: await fileLumaPsnr(out, WIDTH, HEIGHT, FRAMES, source),
          };
        } else if (res.bytes !== first.bytes) throw new Error(`output size changed between repetitions (${first.bytes} → ${res.bytes})`);
      }
      if (qp === QP && first.sha256 === buildDefault[content].sha256) buildDefault[content].speeds.push(speed);
      rows.push({
        content,
        speed,
        qp,
        fps: round(median(fps), 2),
        cpuFps: round(median(cpuFps), 2),
        cpuFpsPerRun: cpuFps.map((x) => round(x, 2)),
        bytes: first.bytes,
        kbps: round((first.bytes * 8 * FPS) / FRAMES / 1000, 1),
        rgbPsnrDb: round(first.rgb.meanDb, 3),
        worstFrameRgbPsnrDb: round(first.rgb.minDb, 2),
        yPsnrDb: round(first.y.meanDb, 3),
        sha256: first.sha256,
      });
      process.stderr.write('.');
    }
    const r = rows.at(-QPS.length + QPS.indexOf(QP));
    process.stderr.write(` qp ${QP}: ${r.cpuFps} frames per CPU s, ${r.kbps} kbit/s, ${r.rgbPsnrDb} dB\n`);
  }
  if (HME) {
    // The bound every candidate default must meet: h264-mp4-encoder's curve (one encode per qp).
    process.stderr.write('  h264-mp4-encoder: ');
    for (const qp of QPS) {
      const res = await encode(frames, { encoder: 'h264-mp4-encoder', qp });
      const source = (i) => frames[i];
      hmeRows.push({
        content,
        qp,
        cpuFps: round(res.cpuFps, 2),
        bytes: res.bytes,
        kbps: round((res.bytes * 8 * FPS) / FRAMES / 1000, 1),
        rgbPsnrDb: round((await filePsnr(out, WIDTH, HEIGHT, FRAMES, source)).meanDb, 3),
        yPsnrDb: round((await fileLumaPsnr(out, WIDTH, HEIGHT, FRAMES, source)).meanDb, 3),
      });
      process.stderr.write('.');
    }
    process.stderr.write('\n');
  }
}
rmSync(out, { force: true });

// ---------------------------------------------------------------------------------------------
// Analysis

const at = (content, speed, qp) => rows.find((r) => r.content === content && r.speed === speed && r.qp === qp);
const curve = (content, speed, key) => QPS.map((q) => at(content, speed, q)).map((r) => ({ rate: r.bytes, psnr: r[key] }));
const hmeCurve = (content, key) => hmeRows.filter((r) => r.content === content).map((r) => ({ rate: r.bytes, psnr: r[key] }));
const SIZE_TOL = -3; // % BD-rate that counts as smaller
const classesOf = {};
const spreads = [];
for (const content of CONTENTS) {
  const classes = [];
  for (const sp of SPEEDS) {
    const key = QPS.map((q) => at(content, sp, q).sha256).join();
    const c = classes.find((x) => x.key === key);
    if (c) c.speeds.push(sp);
    else classes.push({ key, speeds: [sp] });
  }
  classesOf[content] = classes.map((c) => c.speeds);
  for (const c of classes.filter((x) => x.speeds.length > 1)) {
    const f = c.speeds.map((sp) => median(at(content, sp, QP).cpuFpsPerRun));
    spreads.push(Math.max(...f) / Math.min(...f) - 1);
  }
}
const noise = spreads.length ? median(spreads) : 0;
const FAST_TOL = 1 - Math.max(0.02, noise);

const analysis = {};
for (const content of CONTENTS) {
  const settings = classesOf[content].map((speeds) => ({
    speeds,
    name: speeds.join('='),
    cpuFps: round(median(speeds.flatMap((sp) => at(content, sp, QP).cpuFpsPerRun)), 2),
    bdRateVsRef: round(bdRate(curve(content, REF, 'rgbPsnrDb'), curve(content, speeds[0], 'rgbPsnrDb')), 2),
    bdRateLumaVsRef: round(bdRate(curve(content, REF, 'yPsnrDb'), curve(content, speeds[0], 'yPsnrDb')), 2),
    ...(HME
      ? {
          bdRateVsHme: round(bdRate(hmeCurve(content, 'rgbPsnrDb'), curve(content, speeds[0], 'rgbPsnrDb')), 2),
          bdRateLumaVsHme: round(bdRate(hmeCurve(content, 'yPsnrDb'), curve(content, speeds[0], 'yPsnrDb')), 2),
        }
      : {}),
  }));
  const ref = settings.find((s) => s.speeds.includes(REF));
  for (const s of settings) {
    s.speedVsRef = round(s.cpuFps / ref.cpuFps, 3);
    s.efficiency = Number.isFinite(s.bdRateVsRef) ? round(s.speedVsRef / (1 + s.bdRateVsRef / 100), 3) : null;
    s.efficiencyLuma = Number.isFinite(s.bdRateLumaVsRef) ? round(s.speedVsRef / (1 + s.bdRateLumaVsRef / 100), 3) : null;
    // Dominated: another setting at least as fast (within the timing noise) and ≥ 3% smaller at equal PSNR.
    s.dominatedBy = settings
      .filter(
        (o) =>
          o !== s &&
          o.cpuFps >= s.cpuFps * FAST_TOL &&
          (bdRate(curve(content, s.speeds[0], 'rgbPsnrDb'), curve(content, o.speeds[0], 'rgbPsnrDb')) ?? 0) <= SIZE_TOL,
      )
      .map((o) => o.name);
  }
  analysis[content] = { settings };
}
// Geometric mean of the efficiency over the contents, per speed.
const geomean = (xs) => (xs.every((e) => Number.isFinite(e) && e > 0) ? round(Math.exp(xs.reduce((a, e) => a + Math.log(e), 0) / xs.length), 3) : null);
const score = SPEEDS.map((sp) => {
  const of = (key) => CONTENTS.map((c) => analysis[c].settings.find((s) => s.speeds.includes(sp))[key]);
  // Within the bound: BD-rate ≤ 0 against h264-mp4-encoder on RGB and luma PSNR, every content.
  const withinHme = !HME || [of('bdRateVsHme'), of('bdRateLumaVsHme')].every((xs) => xs.every((x) => Number.isFinite(x) && x <= 0));
  return {
    speed: sp,
    efficiency: geomean(of('efficiency')),
    efficiencyLuma: geomean(of('efficiencyLuma')),
    perContent: of('efficiency'),
    ...(HME ? { bdRateVsHme: of('bdRateVsHme'), bdRateLumaVsHme: of('bdRateLumaVsHme') } : {}),
    withinHme,
  };
});
const scored = score.filter((s) => s.efficiency !== null && s.withinHme);
const best = scored.length ? scored.reduce((a, b) => (b.efficiency > a.efficiency ? b : a)) : null;
// Speeds within the timing noise of the best are ties: the recommendation is the slowest of them
// (better compression at no measurable cost).
const ties = best ? scored.filter((s) => s.efficiency >= best.efficiency * FAST_TOL).map((s) => s.speed) : [];
// The build's default: the swept speeds whose bytes equal an encode without `speed`, on every
// content (several when they are one byte-identical setting).
const defaults = SPEEDS.filter((sp) => CONTENTS.every((c) => buildDefault[c].speeds.includes(sp)));
const current = defaults.length ? defaults.join('=') : null;
const currentScore = defaults.length ? score.find((s) => s.speed === defaults[0]).efficiency : null;
let verdict = 'Not computed.';
if (best) {
  verdict =
    `**Recommended default: speed ${ties[0]}**${HME ? ", the most efficient of the speeds that compress at least as well as h264-mp4-encoder on every content" : ''} (efficiency ${score.find((s) => s.speed === ties[0]).efficiency} against speed ${REF} = 1` +
    `${ties.length > 1 ? `; speeds ${ties.join(', ')} tie within the ${round((1 - FAST_TOL) * 100, 1)}% timing noise, and the slowest of them compresses best` : ''}). ` +
    (current === null
      ? "The build's default speed was not identified (no swept speed gives its bytes on every content)."
      : `The build's default is speed ${current} (efficiency ${currentScore})${defaults.some((d) => ties.includes(d)) ? ': keep it.' : `: speed ${ties[0]} gives ${round((score.find((s) => s.speed === ties[0]).efficiency / currentScore - 1) * 100, 1)}% more frames per CPU second per byte at equal quality.`}`);
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
    qps: QPS,
    qp: QP,
    speeds: SPEEDS,
    refSpeed: REF,
    encoder: ENCODER,
    videoEncoder,
    contents: CONTENTS,
    patterns: patterns.source,
    output: 'mp4forge createMp4Writer, faststart to a file in os.tmpdir()',
    psnr: 'RGB: ffmpeg -vf scale=in_range=tv:out_range=pc:in_color_matrix=bt601:flags=accurate_rnd+full_chroma_int+bitexact → rgb24 vs the RGBA source; luma: decoded Y vs exact BT.601 luma of the source; means of per-frame PSNRs',
  },
  rows,
  hmeRows,
  identicalOutput: classesOf,
  buildDefaultSpeed: { speed: current, matches: buildDefault },
  timingNoise: {
    medianSpreadPct: round(noise * 100, 1),
    maxSpreadPct: spreads.length ? round(Math.max(...spreads) * 100, 1) : null,
    asFastTolerancePct: round((1 - FAST_TOL) * 100, 1),
  },
  analysis,
  score,
  recommended: best ? ties[0] : null,
  verdict,
  runtimeSeconds: round((performance.now() - started) / 1000, 1),
};

const md = [
  '# mp4forge speed sweep: the default speed by rate–distortion per CPU second',
  '',
  `Command: \`npm run bench:sweep\` (= \`npm run build && ${result.command}\`).`,
  '',
  environmentMd(env),
  '',
  `${WIDTH}×${HEIGHT}, ${FRAMES} frames per encode, ${FPS} fps, GOP ${GOP}, video.encoder '${ENCODER}' (the writer reported '${videoEncoder}'), through createMp4Writer to a file. ` +
    `Contents: ${CONTENTS.map((c) => (c === 'testsrc2' ? 'testsrc2 (npm ffmpeg lavfi)' : `${c} (${patterns.source})`)).join(', ')}. ` +
    `One encode per point, ${REPS} at qp ${QP} (timing: median frames per CPU second of this process, user + system, around createMp4Writer … finish). ` +
    "PSNR: RGB (decoded by the npm ffmpeg to full-range RGB24, BT.601) and luma (decoded Y against the source's exact BT.601 luma), means of per-frame values.",
  '',
  `BD-rate: Bjøntegaard (cubic fit of log-rate over PSNR, integrated over the common PSNR range) of each speed against speed ${REF} over qp ${QPS.join(', ')}; < 0 = fewer bytes at equal quality. ` +
    `Efficiency: (frames per CPU s ÷ speed ${REF}'s) ÷ (1 + BD-rate): frames per CPU second per byte at equal RGB PSNR, relative to speed ${REF}; it weighs 1% of speed against 1% of size. ` +
    `A setting is dominated when another is at least as fast (within ${round((1 - FAST_TOL) * 100, 1)}%: the timing noise, at least 2%) and ≥ 3% smaller at equal RGB PSNR.`,
  '',
];
for (const content of CONTENTS) {
  md.push(`## ${content}`, '');
  const a = analysis[content];
  md.push(
    mdTable(
      [
        'speed',
        `qp ${QP}: frames per CPU s (fps)`,
        ...QPS.map((q) => `qp ${q}: kbit/s, RGB dB, Y dB`),
        `BD-rate vs ${REF}: RGB; luma`,
        ...(HME ? ['BD-rate vs h264-mp4-encoder: RGB; luma'] : []),
        'efficiency',
        'dominated by',
      ],
      SPEEDS.map((sp) => {
        const s = a.settings.find((x) => x.speeds.includes(sp));
        const d = at(content, sp, QP);
        return [
          sp,
          `${d.cpuFps.toFixed(1)} (${d.fps.toFixed(1)})`,
          ...QPS.map((q) => {
            const r = at(content, sp, q);
            return `${r.kbps}, ${r.rgbPsnrDb.toFixed(2)}, ${r.yPsnrDb.toFixed(2)}`;
          }),
          `${s.bdRateVsRef ?? 'n/a'}%; ${s.bdRateLumaVsRef ?? 'n/a'}%`,
          ...(HME ? [`${s.bdRateVsHme ?? 'n/a'}%; ${s.bdRateLumaVsHme ?? 'n/a'}%`] : []),
          s.efficiency ?? 'n/a',
          s.dominatedBy.join(', ') || '—',
        ];
      }),
    ),
    '',
  );
}
md.push('## The default', '');
const same = CONTENTS.map(
  (c) =>
    `${c}: ${
      classesOf[c]
        .filter((x) => x.length > 1)
        .map((x) => x.join(', '))
        .join(' / ') || 'none'
    }`,
).join('; ');
md.push(
  `Byte-identical at every qp (one setting; timings pooled): ${same}. Their timings differ by ${round(noise * 100, 1)}% (median; at most ${result.timingNoise.maxSpreadPct ?? 0}%): the timing noise of this run.`,
  '',
);
md.push(
  mdTable(
    [
      'speed',
      ...CONTENTS.map((c) => `efficiency, ${c}`),
      'geometric mean',
      'the same on luma PSNR',
      ...(HME ? ['BD-rate ≤ 0 vs h264-mp4-encoder everywhere'] : []),
    ],
    score.map((s) => [
      defaults.includes(s.speed) ? `${s.speed} (the build's default)` : s.speed,
      ...s.perContent.map((e) => e ?? 'n/a'),
      s.efficiency === best?.efficiency ? `**${s.efficiency}**` : (s.efficiency ?? 'n/a'),
      s.efficiencyLuma ?? 'n/a',
      ...(HME ? [s.withinHme ? 'yes' : 'no'] : []),
    ]),
  ),
  '',
);
md.push(verdict, '', `Total runtime: ${result.runtimeSeconds} s.`);

const text = md.join('\n');
const files = writeResults(String(args.out ?? 'speed-sweep'), result, text);
console.log(`\n${text}\n`);
console.log(`wrote ${files.json} and ${files.md}`);
