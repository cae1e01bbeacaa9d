// npm run bench:memory: peak RSS of encoding 1280×720 noise for 120 and for 1200 frames, each in
// a fresh child process (bench/memory-child.mjs), for the faststart (to a file) and fragmented
// layouts. Memory is bounded by design, so the 1200-frame peak should be within 15% of the
// 120-frame peak. Peak RSS comes from process.resourceUsage().maxRSS inside the child and, when
// available, from /usr/bin/time -v around it (which also counts the process before Node's own
// accounting starts).
//
// Peak RSS is a maximum, so it depends on when V8 happens to collect garbage: each configuration
// runs --reps times (3) and the medians are compared. Children run two at a time (--parallel 2);
// a process's RSS does not depend on what else runs, only its speed does.
//
// Options: --frames 120,1200  --layouts faststart,fragmented  --reps 3  --parallel 2
//          --width 1280 --height 720 --pattern noise  --out memory
import { join } from 'node:path';
import { BENCH_DIR, TIME, environment, environmentMd, libraryEntry, mdTable, median, parseArgs, round, runNodeChild, writeResults } from './lib/common.mjs';

const args = parseArgs();
const FRAMES = String(args.frames ?? '120,1200').split(',').map(Number);
const LAYOUTS = String(args.layouts ?? 'faststart,fragmented').split(',');
const WIDTH = Number(args.width ?? 1280);
const HEIGHT = Number(args.height ?? 720);
const PATTERN = String(args.pattern ?? 'noise');
const LIMIT = 1.15;
const REPS = Number(args.reps ?? 3);
const PARALLEL = Number(args.parallel ?? 2);

const started = performance.now();
libraryEntry(); // one dist snapshot for every child (MP4FORGE_BENCH_DIST)

async function child(frames, layout) {
  const script = [
    join(BENCH_DIR, 'memory-child.mjs'), '--frames', String(frames), '--layout', layout, '--width', String(WIDTH), '--height', String(HEIGHT),
    '--pattern', PATTERN,
  ];
  const { json: r, timePeakRssMiB } = await runNodeChild(script, { label: `memory child (${frames} frames, ${layout})` });
  r.timeMaxRssMiB = timePeakRssMiB === null ? null : round(timePeakRssMiB, 1);
  return r;
}

// Long runs first so the short ones fill in beside them; every configuration interleaved.
const jobs = [];
for (let r = 0; r < REPS; r++) for (const frames of [...FRAMES].sort((a, b) => b - a)) for (const layout of LAYOUTS) jobs.push({ frames, layout, rep: r });
const runs = [];
let next = 0;
async function worker() {
  while (next < jobs.length) {
    const j = jobs[next++];
    const r = await child(j.frames, j.layout);
    r.rep = j.rep;
    process.stderr.write(
      `${j.layout}, ${j.frames} frames, rep ${j.rep + 1}: peak RSS ${r.maxRssMiB} MiB (time -v: ${r.timeMaxRssMiB ?? 'n/a'} MiB), ${r.fps} fps\n`,
    );
    runs.push(r);
  }
}
await Promise.all(Array.from({ length: Math.max(1, PARALLEL) }, worker));
runs.sort((a, b) => LAYOUTS.indexOf(a.layout) - LAYOUTS.indexOf(b.layout) || a.frames - b.frames || a.rep - b.rep);

const configs = [];
for (const layout of LAYOUTS) {
  for (const frames of FRAMES) {
    const rs = runs.filter((r) => r.layout === layout && r.frames === frames);
    configs.push({
      layout, frames,
      peakRssMiB: rs.map((r) => r.maxRssMiB), medianPeakRssMiB: round(median(rs.map((r) => r.maxRssMiB)), 1),
      timePeakRssMiB: rs.map((r) => r.timeMaxRssMiB), medianTimePeakRssMiB: TIME ? round(median(rs.map((r) => r.timeMaxRssMiB)), 1) : null,
      medianFps: round(median(rs.map((r) => r.fps)), 1), bytes: rs[0].bytes,
    });
  }
}

const comparisons = LAYOUTS.map((layout) => {
  const [short, long] = [Math.min(...FRAMES), Math.max(...FRAMES)].map((f) => configs.find((c) => c.layout === layout && c.frames === f));
  const ratio = round(long.medianPeakRssMiB / short.medianPeakRssMiB, 3);
  const timeRatio = TIME ? round(long.medianTimePeakRssMiB / short.medianTimePeakRssMiB, 3) : null;
  return {
    layout, shortFrames: short.frames, longFrames: long.frames,
    shortPeakMiB: short.medianPeakRssMiB, longPeakMiB: long.medianPeakRssMiB, ratio,
    timeShortPeakMiB: short.medianTimePeakRssMiB, timeLongPeakMiB: long.medianTimePeakRssMiB, timeRatio,
    // The least favourable pairing of single runs, for honesty about the spread.
    worstRatio: round(Math.max(...long.peakRssMiB) / Math.min(...short.peakRssMiB), 3),
    withinLimit: ratio <= LIMIT && (timeRatio === null || timeRatio <= LIMIT),
  };
});

const env = environment();
const result = {
  name: 'memory',
  command: `node bench/memory.mjs${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
  environment: env,
  settings: {
    reps: REPS,
    parallel: PARALLEL,
    width: WIDTH,
    height: HEIGHT,
    fps: 30,
    pattern: PATTERN,
    content: runs[0]?.content,
    video: 'library defaults (qp 26, speed 9, GOP 60)',
    output: 'file in os.tmpdir()',
    limit: `long/short peak RSS ≤ ${LIMIT}`,
    peakRssSource: TIME ? 'process.resourceUsage().maxRSS in the child, and /usr/bin/time -v' : 'process.resourceUsage().maxRSS in the child',
  },
  configs,
  comparisons,
  runs,
  runtimeSeconds: round((performance.now() - started) / 1000, 1),
};

const md = [
  '# mp4forge memory benchmark',
  '',
  `Command: \`npm run bench:memory\` (= \`npm run build && ${result.command}\`).`,
  '',
  environmentMd(env),
  '',
  `Each row is a fresh Node process encoding ${WIDTH}×${HEIGHT} \`${PATTERN}\` at 30 fps (${runs[0]?.content}) with the library's default video settings, ` +
    'drawing every frame into one reused RGBA buffer and writing to a file in os.tmpdir(). ' +
    'Peak RSS is `process.resourceUsage().maxRSS` read in the child after `finish()`' +
    (TIME ? ', and the maximum RSS reported by `/usr/bin/time -v`.' : '.'),
  '',
  `Each configuration ran ${REPS} times (${PARALLEL} children at a time); the figures are medians, the individual peaks follow in brackets.`,
  '',
  mdTable(
    ['layout', 'frames', 'output', 'fps', 'peak RSS, maxRSS (MiB)', ...(TIME ? ['peak RSS, time -v (MiB)'] : [])],
    configs.map((c) => [
      c.layout,
      c.frames,
      `${round(c.bytes / 2 ** 20, 1)} MiB`,
      c.medianFps,
      `${c.medianPeakRssMiB} (${c.peakRssMiB.join(', ')})`,
      ...(TIME ? [`${c.medianTimePeakRssMiB} (${c.timePeakRssMiB.join(', ')})`] : []),
    ]),
  ),
  '',
  mdTable(
    [
      'layout',
      `median peak ${Math.max(...FRAMES)} / ${Math.min(...FRAMES)} frames (maxRSS)`,
      ...(TIME ? ['same (time -v)'] : []),
      'worst single-run pairing',
      `within ${Math.round((LIMIT - 1) * 100)}%`,
    ],
    comparisons.map((c) => [
      c.layout,
      `${c.longPeakMiB} / ${c.shortPeakMiB} = **${c.ratio}**`,
      ...(TIME ? [`${c.timeLongPeakMiB} / ${c.timeShortPeakMiB} = ${c.timeRatio}`] : []),
      c.worstRatio,
      c.withinLimit ? 'yes' : 'NO',
    ]),
  ),
  '',
  "What the peak is made of (maxima of `process.memoryUsage()` sampled after every frame and every 20 ms, and the size of the WASM encoder's linear memory, which V8 does not count in those; medians over the runs, MiB):",
  '',
  mdTable(
    ['layout', 'frames', 'rss', 'heapUsed', 'heapTotal', 'external', 'arrayBuffers', 'WASM memory at the end'],
    configs.map((c) => {
      const rs = runs.filter((r) => r.layout === c.layout && r.frames === c.frames);
      const m = (k) => round(median(rs.map((r) => r.sampledPeaksMiB[k])), 1);
      return [c.layout, c.frames, m('rss'), m('heapUsed'), m('heapTotal'), m('external'), m('arrayBuffers'), round(median(rs.map((r) => r.wasmMemoryMiB)), 1)];
    }),
  ),
  '',
  'RSS along the way (first run of each configuration, MiB at every 10% of the frames):',
  '',
  mdTable(
    ['layout', 'frames', 'RSS at 10% → 100%'],
    configs.map((c) => {
      const r = runs.find((x) => x.layout === c.layout && x.frames === c.frames);
      return [c.layout, c.frames, r.rssAlongTheWay.map((s) => s.rssMiB).join(' → ')];
    }),
  ),
  '',
  `Total runtime: ${result.runtimeSeconds} s.`,
].join('\n');

const files = writeResults(String(args.out ?? 'memory'), result, md);
console.log(JSON.stringify(result, null, 2));
console.log(`\n${md}\n`);
console.log(`wrote ${files.json} and ${files.md}`);
