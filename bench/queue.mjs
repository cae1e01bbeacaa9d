// npm run bench:queue: mp4forge/queue against renderVideo on one machine. A private redis-server;
// for each worker count W (default 1 and 2): renderVideo with W worker threads (bench/seed-child.mjs,
// a fresh process), then the same video through the queue with W worker processes
// (`mp4forge queue worker`, started before the clock) and one submit, timed from submitRender to
// its result. No audio in either, faststart, the same pattern drawn by the same code.
//
// Reported: throughput (fps) and its scaling from 1 to 2 workers (the claim: ≥ 1.8× on 2 cores),
// the queue's overhead against renderVideo with the same number of workers, and the per-segment
// figures the README's cost model rests on: render time per segment, the gap between a worker
// finishing one job and starting the next (queue pickup), the delay from submit to the first
// segment, and the stitch (seconds and copy MB/s).
//
// The stitch's copy bandwidth is measured apart, on a file large enough for it to show: 1280×720
// random noise (which does not compress, GOP 30) rendered as 4 segments, stitched 3 times per layout.
//
// Options: --width 1280 --height 720 --frames 600 --segments 10 --pattern plasma --workers 1,2 --reps 1
//          --stitch-frames 120 (0: skip the stitch measurement) --out queue
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_DIR, ROOT, environment, environmentMd, libraryEntry, mdTable, median, parseArgs, round, runNodeChild, writeResults } from './lib/common.mjs';
import { startRedis } from './lib/redis.mjs';

const args = parseArgs();
const WIDTH = Number(args.width ?? 1280);
const HEIGHT = Number(args.height ?? 720);
const FRAMES = Number(args.frames ?? 600);
const SEGMENTS = Number(args.segments ?? 10); // 10 chunks of 60 frames: one each, 5 per worker with 2
const PATTERN = String(args.pattern ?? 'plasma');
const WORKERS = String(args.workers ?? '1,2').split(',').map(Number);
const REPS = Number(args.reps ?? 1);
const OUT = String(args.out ?? 'queue');
const STITCH_FRAMES = Number(args['stitch-frames'] ?? 120);
const CLI = join(ROOT, 'dist', 'cli.js');
const log = (s) => process.stderr.write(`[queue ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
libraryEntry(); // renderVideo children run from a snapshot of dist (see common.mjs)

const uptime = () => os.loadavg().map((x) => round(x, 2));
const work = mkdtempSync(join(os.tmpdir(), 'mp4forge-bench-queue-'));
const store = join(work, 'store');
mkdirSync(store);
const redis = await startRedis();
const queueLib = await import(pathToFileURL(join(ROOT, 'dist', 'queue.js')).href);

function startWorker() {
  const child = spawn(process.execPath, [CLI, 'queue', 'worker', '--redis', redis.url, '--store', store, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  let buf = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push({ at: performance.now(), ...JSON.parse(buf.slice(0, nl)) });
      buf = buf.slice(nl + 1);
    }
  });
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((r) => child.once('exit', (code) => r(code)));
  const ready = (async () => {
    const deadline = performance.now() + 30_000;
    while (!lines.some((l) => l.event === 'ready')) {
      if (child.exitCode !== null || performance.now() > deadline) throw new Error(`worker did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return { child, lines, exited, ready };
}

async function renderVideoRun(workers, rep) {
  const out = join(work, `rv-${workers}-${rep}.mp4`);
  const loadBefore = uptime();
  const script = [
    join(BENCH_DIR, 'seed-child.mjs'), '--frames', String(FRAMES), '--width', String(WIDTH), '--height', String(HEIGHT),
    '--workers', String(workers), '--scene', PATTERN, '--layout', 'faststart', '--out', out,
  ];
  const { json } = await runNodeChild(script, { label: `renderVideo (${workers} workers)` });
  rmSync(out, { force: true });
  return {
    kind: 'renderVideo', workers, rep, wallSeconds: round(json.wallSeconds, 3), fps: round(FRAMES / json.wallSeconds, 2), bytes: json.bytes,
    loadBefore, loadAfter: uptime(),
  };
}

async function queueRun(workers, rep) {
  const procs = Array.from({ length: workers }, startWorker);
  await Promise.all(procs.map((p) => p.ready));
  // A distinct output per run: a new job id, so nothing is answered from an earlier run's record.
  const out = join(work, `q-${workers}-${rep}.mp4`);
  const loadBefore = uptime();
  const t0 = performance.now();
  const handle = await queueLib.submitRender(
    { width: WIDTH, height: HEIGHT, fps: 30, frames: FRAMES, pattern: PATTERN, layout: 'faststart', output: out },
    { connection: redis.url, segments: SEGMENTS },
  );
  const result = await handle.result();
  const wall = (performance.now() - t0) / 1000;
  const loadAfter = uptime();
  for (const p of procs) p.child.kill('SIGTERM');
  const codes = await Promise.all(procs.map((p) => p.exited));
  if (codes.some((c) => c !== 0)) throw new Error(`a worker exited with ${codes}`);
  const bytes = statSync(out).size;
  rmSync(out, { force: true });

  const events = procs.flatMap((p) => p.lines);
  const segs = events.filter((e) => e.event === 'done' && e.kind === 'segment' && e.id === handle.id);
  const stitch = events.find((e) => e.event === 'done' && e.kind === 'stitch' && e.id === handle.id);
  const firstStart = Math.min(...events.filter((e) => e.event === 'start' && e.id === handle.id).map((e) => e.at));
  // Queue pickup: in each worker, from reporting one job done to starting its next.
  const gaps = [];
  for (const p of procs) {
    const mine = p.lines.filter((e) => (e.event === 'start' || e.event === 'done') && e.id === handle.id);
    for (let i = 1; i < mine.length; i++) if (mine[i - 1].event === 'done' && mine[i].event === 'start') gaps.push(mine[i].at - mine[i - 1].at);
  }
  return {
    kind: 'queue', workers, rep, wallSeconds: round(wall, 3), fps: round(FRAMES / wall, 2), bytes, resultBytes: result.bytes,
    segments: segs.length,
    segmentSeconds: segs.map((s) => s.elapsedSeconds),
    segmentFrames: segs.map((s) => s.frames),
    partBytes: segs.reduce((n, s) => n + s.bytes, 0),
    submitToFirstStartMs: round(firstStart - t0, 1),
    pickupGapMs: round(median(gaps), 1),
    pickupGapsMs: gaps.map((g) => round(g, 1)),
    stitchSeconds: stitch.elapsedSeconds,
    stitchMBps: round(stitch.bytes / 1e6 / stitch.elapsedSeconds, 1),
    loadBefore, loadAfter,
  };
}

/** Stitch copy bandwidth: MB of output per second of stitchSegments, parts on the local disk. */
async function stitchBandwidth() {
  const lib = await import(pathToFileURL(join(ROOT, 'dist', 'index.js')).href);
  const parts = [];
  for (let k = 1; k <= 4; k++) {
    const part = join(work, `noise-${k}.m4s`);
    await lib.renderSegment({
      width: 1280, height: 720, fps: 30, frames: STITCH_FRAMES, pattern: 'noise', video: { speed: 10, gop: 30 }, segment: { k, n: 4 }, output: part,
    });
    parts.push(part);
  }
  const out = {};
  for (const layout of ['faststart', 'fragmented']) {
    const secs = [];
    let bytes = 0;
    for (let i = 0; i < 3; i++) {
      const file = join(work, `stitched-${layout}.mp4`);
      const t = performance.now();
      const r = await lib.stitchSegments(parts, { output: file, layout });
      secs.push((performance.now() - t) / 1000);
      bytes = r.bytes;
      rmSync(file, { force: true });
    }
    out[layout] = { bytes, seconds: round(median(secs), 3), MBps: round(bytes / 1e6 / median(secs), 1) };
  }
  for (const p of parts) rmSync(p, { force: true });
  return out;
}

const runs = [];
let stitch = null;
try {
  if (STITCH_FRAMES > 0) {
    const loadBefore = uptime();
    stitch = { ...(await stitchBandwidth()), loadBefore, loadAfter: uptime() };
    const { faststart, fragmented } = stitch;
    log(
      `stitch of 4 noise segments (${round(faststart.bytes / 1e6, 1)} MB): faststart ${faststart.MBps} MB/s, fragmented ${fragmented.MBps} MB/s ` +
        `(load ${loadBefore[0]} → ${stitch.loadAfter[0]})`,
    );
  }
  for (let rep = 0; rep < REPS; rep++) {
    for (const w of WORKERS) {
      const rv = await renderVideoRun(w, rep);
      log(`renderVideo, ${w} worker thread(s): ${rv.wallSeconds} s, ${rv.fps} fps (load ${rv.loadBefore[0]} → ${rv.loadAfter[0]})`);
      runs.push(rv);
      const q = await queueRun(w, rep);
      log(
        `queue, ${w} worker process(es), ${SEGMENTS} segments: ${q.wallSeconds} s, ${q.fps} fps; stitch ${q.stitchSeconds} s (${q.stitchMBps} MB/s), ` +
          `pickup gap ${q.pickupGapMs} ms (load ${q.loadBefore[0]} → ${q.loadAfter[0]})`,
      );
      runs.push(q);
    }
  }
} finally {
  await redis.stop();
  rmSync(work, { recursive: true, force: true });
}

const med = (kind, w, key) => round(median(runs.filter((r) => r.kind === kind && r.workers === w).map((r) => r[key])), 3);
const rows = WORKERS.map((w) => {
  const rv = med('renderVideo', w, 'wallSeconds');
  const q = med('queue', w, 'wallSeconds');
  return {
    workers: w, renderVideoSeconds: rv, renderVideoFps: round(FRAMES / rv, 2), queueSeconds: q, queueFps: round(FRAMES / q, 2), overhead: round(q / rv, 3),
  };
});
const one = rows.find((r) => r.workers === 1);
const two = rows.find((r) => r.workers === 2);
const scaling = one && two ? round(two.queueFps / one.queueFps, 2) : null;
const queueRuns = runs.filter((r) => r.kind === 'queue');
const perSegment = {
  renderSecondsPerFrame: round(median(queueRuns.flatMap((r) => r.segmentSeconds.map((s, i) => s / r.segmentFrames[i]))), 4),
  pickupGapMs: round(median(queueRuns.flatMap((r) => r.pickupGapsMs)), 1),
  submitToFirstStartMs: round(median(queueRuns.map((r) => r.submitToFirstStartMs)), 1),
  stitchSeconds: round(median(queueRuns.map((r) => r.stitchSeconds)), 3),
  stitchMBps: round(median(queueRuns.map((r) => r.stitchMBps)), 1),
  outputMB: round(median(queueRuns.map((r) => r.bytes)) / 1e6, 2),
  // What the queue costs per segment beyond the frames themselves, from the 1-worker runs (one
  // process does everything in turn): (queue wall − renderVideo wall − stitch) / segments.
  overheadPerSegmentSeconds: one
    ? round((one.queueSeconds - one.renderVideoSeconds - median(queueRuns.filter((r) => r.workers === 1).map((r) => r.stitchSeconds))) / SEGMENTS, 3)
    : null,
};
const env = environment();
const command = `node bench/queue.mjs${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
const result = {
  name: 'queue', command, environment: env,
  settings: { width: WIDTH, height: HEIGHT, frames: FRAMES, segments: SEGMENTS, pattern: PATTERN, reps: REPS },
  rows, scaling, scalingClaim: 1.8, scalingOk: scaling === null ? null : scaling >= 1.8, perSegment, stitch, runs,
};
const settingsMd =
  `${WIDTH}×${HEIGHT} \`${PATTERN}\`, ${FRAMES} frames at 30 fps, faststart, no audio; the queue splits it into ${SEGMENTS} segments. ` +
  `Median of ${REPS} run(s). Load average (1 min) before → after each run: ` +
  `${runs.map((r) => `${r.kind} ${r.workers}w ${r.loadBefore[0]}→${r.loadAfter[0]}`).join(', ')}.`;
const claim = scaling === null ? 'not measured' : scaling >= 1.8 ? 'holds' : 'does not hold in this run';
const scalingMd = `Queue throughput with 2 worker processes / 1: **${scaling ?? 'n/a'}×** (claim ≥ 1.8×: ${claim}).`;
const perSegmentMd =
  `Per segment and per render (medians over the queue runs): render ${perSegment.renderSecondsPerFrame} s per frame; ` +
  `queue pickup (one job done → the next started, same worker) ${perSegment.pickupGapMs} ms; ` +
  `submit → first segment started ${perSegment.submitToFirstStartMs} ms; ` +
  `stitch ${perSegment.stitchSeconds} s for ${perSegment.outputMB} MB (${perSegment.stitchMBps} MB/s); ` +
  `overhead per segment beyond its frames, 1 worker: ${perSegment.overheadPerSegmentSeconds} s.`;
const stitchMd = stitch
  ? '\n' +
    `Stitch copy bandwidth (stitchSegments of 4 segments of 1280×720 noise, ${STITCH_FRAMES} frames, ${round(stitch.faststart.bytes / 1e6, 1)} MB, ` +
    'parts and output on the local disk, median of 3): ' +
    `faststart **${stitch.faststart.MBps} MB/s** (${stitch.faststart.seconds} s; the moov is moved to the front at the end, so the file is written twice), ` +
    `fragmented **${stitch.fragmented.MBps} MB/s** (${stitch.fragmented.seconds} s). Load ${stitch.loadBefore[0]} → ${stitch.loadAfter[0]}.\n`
  : '';
const md = `# Queue bench (\`npm run bench:queue\`)

${environmentMd(env)}

${settingsMd}

${mdTable(
  ['workers', 'renderVideo (threads): s', 'fps', 'queue (processes): s', 'fps', 'queue / renderVideo'],
  rows.map((r) => [r.workers, r.renderVideoSeconds, r.renderVideoFps, r.queueSeconds, r.queueFps, `${r.overhead}×`]),
)}

${scalingMd}

${perSegmentMd}
${stitchMd}`;
const files = writeResults(OUT, result, md);
log(`wrote ${files.md}`);
process.stdout.write(md);
