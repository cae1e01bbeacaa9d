// npm run bench:memory-workers: peak RSS of renderVideo at 1920×1080 with worker threads, for a
// short and a long render (default 300 and 3,000 frames), each in a fresh child process
// (bench/seed-child.mjs, no audio, faststart to a file). Worker threads live in the process, so
// process.resourceUsage().maxRSS (and /usr/bin/time -v) is main + workers together.
//
// Claims checked: the long/short peak ratio is ≤ 1.10 (memory does not grow with length), and the
// peak is within MAIN_BUDGET + 160 MiB × workers. Runs with 1 worker too (short length), so the
// per-worker cost can be read off: peak(2 workers) − peak(1 worker).
//
// --api writer measures createMp4Writer({ workers }) instead: frames drawn on the main thread and
// handed over one at a time (frame mode), whose window of frames in flight adds to the peak.
//
// Options: --frames 300,3000 --workers 2 --reps 1 --pattern noise --width 1920 --height 1080 --speed N
//          --api render|writer --out memory-workers
import { rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR, TIME, environment, environmentMd, libraryEntry, mdTable, median, parseArgs, round, runNodeChild, writeResults } from './lib/common.mjs';

const args = parseArgs();
const FRAMES = String(args.frames ?? '300,3000').split(',').map(Number);
const WORKERS = Number(args.workers ?? 2);
const REPS = Number(args.reps ?? 1);
const WIDTH = Number(args.width ?? 1920);
const HEIGHT = Number(args.height ?? 1080);
const PATTERN = String(args.pattern ?? 'noise');
const SPEED = args.speed === undefined ? null : Number(args.speed);
const API = String(args.api ?? 'render');
if (API !== 'render' && API !== 'writer') throw new Error(`--api ${API}: expected render or writer`);
const RATIO_LIMIT = 1.1;
const PER_WORKER_MIB = 160;
/** The fixed main-process budget we state: Node + V8 + the muxer/sink, without any encoder. */
const MAIN_BUDGET_MIB = 120;
const started = performance.now();
libraryEntry();
const log = (s) => process.stderr.write(`[memory-workers ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

async function child(frames, workers) {
  const out = join(os.tmpdir(), `mp4forge-memw-${process.pid}-${frames}-${workers}.mp4`);
  const script = [
    join(BENCH_DIR, 'seed-child.mjs'),
    '--frames',
    String(frames),
    '--width',
    String(WIDTH),
    '--height',
    String(HEIGHT),
    '--workers',
    String(workers),
    '--scene',
    PATTERN,
    '--layout',
    'faststart',
    '--out',
    out,
    '--api',
    API,
    ...(SPEED === null ? [] : ['--speed', String(SPEED)]),
  ];
  const loads = [];
  const t = setInterval(() => loads.push(os.loadavg()[0]), 10000);
  try {
    const { json: r, timePeakRssMiB } = await runNodeChild(script, { label: `child (${frames} frames, ${workers} workers)` });
    return {
      frames,
      workers,
      bytes: r.bytes,
      wallSeconds: round(r.wallSeconds, 1),
      fps: round(frames / r.wallSeconds, 2),
      maxRssMiB: round(r.maxRssMiB, 1),
      timeMaxRssMiB: timePeakRssMiB === null ? null : round(timePeakRssMiB, 1),
      sampledPeakRssMiB: round(r.sampledPeakRssMiB, 1),
      rssAlongTheWay: r.along.filter((_, i) => i % 2 === 1).map((s) => s.rssMiB),
      load: loads.length ? round(median(loads), 2) : round(os.loadavg()[0], 2),
    };
  } finally {
    clearInterval(t);
    rmSync(out, { force: true });
  }
}

const runs = [];
const jobs = [];
for (let r = 0; r < REPS; r++) {
  for (const f of FRAMES) jobs.push([f, WORKERS]);
  jobs.push([Math.min(...FRAMES), 1]);
}
for (const [f, w] of jobs) {
  const r = await child(f, w);
  log(`${f} frames, ${w} workers: peak RSS ${r.maxRssMiB} MiB (time -v ${r.timeMaxRssMiB}), ${r.fps} fps, load ${r.load}`);
  runs.push(r);
}

const med = (f, w, k = 'maxRssMiB') => round(median(runs.filter((r) => r.frames === f && r.workers === w).map((r) => r[k])), 1);
const short = Math.min(...FRAMES);
const long = Math.max(...FRAMES);
const shortPeak = med(short, WORKERS);
const longPeak = med(long, WORKERS);
const onePeak = med(short, 1);
const ratio = round(longPeak / shortPeak, 3);
/**
 * createMp4Writer's frame window on top of the budget (writer mode only): (workers − 1) chunks of
 * 60 frames (the 2-second GOP at 30 fps) + 4 frames of I420, as src/pool/chunk-pool.ts frameWindow.
 */
const windowMiB = (workers) => (API === 'writer' ? round((((workers - 1) * 60 + 4) * WIDTH * HEIGHT * 1.5) / 2 ** 20, 1) : 0);
const limit = (workers) => MAIN_BUDGET_MIB + PER_WORKER_MIB * workers + windowMiB(workers);
/** One more worker, less the chunk of frames it adds to the window. */
const perWorker = WORKERS > 1 ? round((shortPeak - onePeak - (windowMiB(WORKERS) - windowMiB(1))) / (WORKERS - 1), 1) : null;
const budget = limit(WORKERS);
const verdict = {
  ratio,
  ratioLimit: RATIO_LIMIT,
  ratioOk: ratio <= RATIO_LIMIT,
  perWorkerMiB: perWorker,
  mainEstimateMiB: perWorker === null ? null : round(onePeak - perWorker, 1),
  budgetMiB: budget,
  budgetRule: `${MAIN_BUDGET_MIB} MiB main + ${PER_WORKER_MIB} MiB × workers${API === 'writer' ? ' + the frame window ((workers − 1) × 60 + 4 I420 frames)' : ''}`,
  budgetOk: Math.max(...runs.map((r) => Math.max(r.maxRssMiB, r.timeMaxRssMiB ?? 0) - limit(r.workers))) <= 0,
};
const env = environment();
const result = {
  name: 'memory-workers',
  command: `node bench/memory-workers.mjs${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
  environment: env,
  settings: {
    width: WIDTH,
    height: HEIGHT,
    fps: 30,
    pattern: PATTERN,
    workers: WORKERS,
    api: API,
    reps: REPS,
    layout: 'faststart, file in os.tmpdir()',
    video: `qp 26, speed ${SPEED ?? 9}, GOP 60 → 60-frame chunks`,
    audio: 'none',
  },
  runs,
  verdict,
  runtimeSeconds: round((performance.now() - started) / 1000, 1),
};
const md = [
  '# mp4forge memory with worker threads',
  '',
  `Command: \`npm run bench:memory-workers\` (= \`npm run build && ${result.command}\`).`,
  '',
  environmentMd(env),
  '',
  `Each row is a fresh Node process running ${
    API === 'writer'
      ? '`createMp4Writer({ workers })`'
      : '`renderVideo`'
  } on ${WIDTH}×${HEIGHT} \`${PATTERN}\` at 30 fps (${
    API === 'writer' ? 'drawn on the main thread and handed over frame by frame' : 'the scene is drawn inside the workers'
  }), video ${result.settings.video}, ` +
    'faststart to a file. Peak RSS is the whole process (main thread and every worker thread share it): `process.resourceUsage().maxRSS` after the render' +
    (TIME ? ', and `/usr/bin/time -v`.' : '.') +
    ` ${REPS > 1 ? `Medians of ${REPS} runs.` : 'One run each (noise at 1080p encodes at a few frames per second on this shared machine).'}`,
  '',
  mdTable(
    [
      'frames',
      'workers',
      'output',
      'fps',
      'load (1-min avg)',
      'peak RSS maxRSS (MiB)',
      ...(TIME ? ['peak RSS time -v (MiB)'] : []),
      'RSS along the way (every 10%)',
    ],
    runs.map((r) => [
      r.frames,
      r.workers,
      `${round(r.bytes / 2 ** 30, 2)} GiB`,
      r.fps,
      r.load,
      r.maxRssMiB,
      ...(TIME ? [r.timeMaxRssMiB] : []),
      r.rssAlongTheWay.join(' → '),
    ]),
  ),
  '',
  mdTable(
    ['claim', 'measured', 'ok'],
    [
      [`peak(${long}) / peak(${short}) ≤ ${RATIO_LIMIT}`, `${longPeak} / ${shortPeak} = **${ratio}**`, verdict.ratioOk ? 'yes' : 'NO'],
      [
        `every peak ≤ ${verdict.budgetRule}`,
        `${WORKERS} workers: ≤ ${budget} MiB; 1 worker: ≤ ${limit(1)} MiB`,
        verdict.budgetOk ? 'yes' : 'NO',
      ],
      [
        `cost of one more worker (peak 2 workers − peak 1 worker${API === 'writer' ? ' − one more chunk of the frame window' : ''})`,
        perWorker === null ? 'n/a' : `${perWorker} MiB`,
        perWorker === null ? '' : perWorker <= PER_WORKER_MIB ? 'yes' : 'NO',
      ],
    ],
  ),
  '',
  `Total runtime: ${result.runtimeSeconds} s.`,
].join('\n');
const files = writeResults(String(args.out ?? 'memory-workers'), result, md);
console.log(JSON.stringify(result, null, 2));
console.log(`\n${md}\n`);
console.log(`wrote ${files.json} and ${files.md}`);
