// node bench/pool-schedule.mjs: a model of the worker pool's frame mode (src/pool/chunk-pool.ts), in
// simulated time, no encoding: how much of `workers`× the schedule itself allows, for a window of
// frames in flight, the main thread's cost per frame and the encode's. It is what chose frameWindow
// (`(workers − 1) × chunk + 4`) over the window before it (`workers × chunk`), and what says how
// far from 2× a short run can get (DEVELOPERS.md, "The frame path: copies per frame").
//
// The model: the main thread prepares frame i (cost `main` ms), waits until at most `window` frames
// are between submit and take, and submits it; a frame that starts a chunk opens it on the worker
// with the fewest frames not yet coded (ChunkPool.submit). Each worker codes its frames in order,
// each taking `encode` ms × (1 ± jitter/2) from a fixed pseudo-random sequence. Frames are taken in
// frame order as soon as they and all before them are coded. Speed-up = one worker's time for
// the frames (frames × encode) / the pool's. The main thread is not charged against the workers'
// cores: the real pool also shares two cores between three threads, which the bench measures.
//
// --slow F makes the last worker's encode F times as long: the worker that shares its core with
// the main thread more (on 2 cores, measured 15–25% slower per frame). Its table also tries the
// other rule for a new chunk, the worker that will be free first instead of the one with the
// fewest frames to code. Speed-up is then against the fast worker alone, whose ceiling is 1 + 1/F.
//
// Options: --frames 480 --chunk 60 --main 2 --encode 7 --jitter 0.3 --slow 1.2

import { parseArgs } from './lib/common.mjs';

const args = parseArgs();
const FRAMES = Number(args.frames ?? 480);
const CHUNK = Number(args.chunk ?? 60);
const MAIN = Number(args.main ?? 2);
const ENCODE = Number(args.encode ?? 7);
const JITTER = Number(args.jitter ?? 0.3);
const SLOW = args.slow === undefined ? null : Number(args.slow);

/** The pool's time for `frames` frames, in ms. */
function simulate({ workers, chunk, window, frames, main, encode, jitter, slow = 1, rule = 'fewest' }) {
  let seed = 1;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const coded = new Array(frames).fill(Infinity);
  const worker = new Array(frames);
  const free = new Array(workers).fill(0);
  let chunkWorker = 0;
  let takenUpTo = 0; // frames [0, takenUpTo) coded: their time is the running maximum
  let takenAt = 0;
  let t = 0;
  for (let i = 0; i < frames; i++) {
    t += main;
    if (i >= window) {
      // frame i − window must be taken: it and every frame before it coded
      while (takenUpTo <= i - window) takenAt = Math.max(takenAt, coded[takenUpTo++]);
      t = Math.max(t, takenAt);
    }
    if (i % chunk === 0) {
      let best = Infinity;
      for (let w = 0; w < workers; w++) {
        let n = 0;
        if (rule === 'fewest') for (let j = 0; j < i; j++) n += worker[j] === w && coded[j] > t ? 1 : 0;
        else n = Math.max(free[w], t); // 'free first'
        if (n < best) [best, chunkWorker] = [n, w];
      }
    }
    worker[i] = chunkWorker;
    const start = Math.max(t, free[chunkWorker]);
    const factor = chunkWorker === workers - 1 ? slow : 1;
    free[chunkWorker] = coded[i] = start + encode * factor * (1 + jitter * (random() - 0.5));
  }
  return Math.max(...coded);
}

const rows = [];
for (const workers of [2, 3, 4]) {
  const run = (window, main = MAIN) => (FRAMES * ENCODE) / simulate({ workers, chunk: CHUNK, window, frames: FRAMES, main, encode: ENCODE, jitter: JITTER });
  rows.push({
    workers,
    'workers × chunk': run(workers * CHUNK).toFixed(3),
    '(workers − 1) × chunk + 4': run((workers - 1) * CHUNK + 4).toFixed(3),
    '(workers − 1) × chunk + 1': run((workers - 1) * CHUNK + 1).toFixed(3),
    'main 0.1 ms, + 4': run((workers - 1) * CHUNK + 4, 0.1).toFixed(3),
    'main 1 ms, + 4': run((workers - 1) * CHUNK + 4, 1).toFixed(3),
  });
}
const spread = `± ${(JITTER * 50).toFixed(0)}%`;
console.log(`speed-up over one worker: ${FRAMES} frames, chunks of ${CHUNK}, main thread ${MAIN} ms a frame, encode ${ENCODE} ms ${spread}, by window`);
console.table(rows);

if (SLOW !== null) {
  const slowRows = [];
  for (const workers of [2, 3, 4]) {
    const window = (workers - 1) * CHUNK + 4;
    const opts = { workers, chunk: CHUNK, window, frames: FRAMES, main: MAIN, encode: ENCODE, jitter: JITTER, slow: SLOW };
    const run = (rule) => ((FRAMES * ENCODE) / simulate({ ...opts, rule })).toFixed(3);
    slowRows.push({ workers, ceiling: (workers - 1 + 1 / SLOW).toFixed(3), 'fewest frames to code': run('fewest'), 'free first': run('free') });
  }
  console.log(`with the last worker ${SLOW}× as slow, window (workers − 1) × chunk + 4, by the rule for a new chunk`);
  console.table(slowRows);
}
