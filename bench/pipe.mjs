#!/usr/bin/env node
// npm run bench:pipe: raw RGBA frames handed to mp4forge through a pipe, as another program
// (Python, Rust, a renderer) hands them over. The same frames every time: 1280×720 testsrc2 (the npm
// ffmpeg's lavfi), a ring of 30 frames written over and over by a python3 producer (node when there
// is no python3) to the frame count.
//
// Variants, each the consumer of `producer | consumer`:
//   cli          mp4forge encode (stdin read by readRawFrames: a pipe on a thread of its own)
//   cli-1mib     the same, the producer first enlarging the pipe to 1 MiB (Linux F_SETPIPE_SZ;
//                python3 only: Node has no fcntl)
//   api-stream   a Node script: `for await (chunk of process.stdin)`, chunks cut into frames on the
//                encoding thread → createMp4Writer: the usual Node idiom, and mp4forge before
//                readRawFrames
//   api-raw      a Node script: readRawFrames(0, size) → createMp4Writer (what the CLI does)
// Wall time and CPU (user + system) of the consumer process alone, from /usr/bin/time (Node's start
// included, the same for all); medians of --reps runs, variants rotated.
//
// Options: --frames N (240)  --reps R (3)  --size WxH (1280x720)  --out pipe
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  BENCH_DIR, CACHE_DIR, TIME, environment, environmentMd, libraryEntry, mdTable, median, parseArgs, parseTimeV, round, writeResults,
} from './lib/common.mjs';
import { testsrc2Frames } from './lib/content.mjs';

const args = parseArgs();
const FRAMES = Number(args.frames ?? 240);
const REPS = Number(args.reps ?? 3);
const [W, H] = String(args.size ?? '1280x720').split('x').map(Number);
const RING = 30;
if (!TIME) throw new Error('bench:pipe needs /usr/bin/time (GNU time) to measure the consumer alone');

const entry = libraryEntry();
const cli = join(entry, '..', 'cli.js');
if (!existsSync(cli)) throw new Error(`${cli} is missing: npm run build`);
const hasPython = spawnSync('python3', ['-c', 'import fcntl'], { stdio: 'ignore' }).status === 0;

mkdirSync(CACHE_DIR, { recursive: true });
const ringFile = join(CACHE_DIR, `pipe-testsrc2-${W}x${H}-${RING}.rgba`);
if (!existsSync(ringFile)) writeFileSync(ringFile, Buffer.concat(testsrc2Frames(W, H, RING)));
const frameSize = W * H * 4;

/** The producer: the ring, looped to FRAMES frames, on stdout; `pipeBytes` enlarges the pipe first. */
function producer(pipeBytes) {
  if (hasPython) {
    const code = [
      'import fcntl, sys',
      `if ${pipeBytes ?? 0}: fcntl.fcntl(1, 1031, ${pipeBytes ?? 0})`,
      `ring = open(sys.argv[1], 'rb').read(); size = ${frameSize}`,
      `for i in range(${FRAMES}): sys.stdout.buffer.write(ring[(i % ${RING}) * size:(i % ${RING} + 1) * size])`,
    ].join('\n');
    return ['python3', ['-c', code, ringFile]];
  }
  const code = [
    `const ring = require('fs').readFileSync(${JSON.stringify(ringFile)}); const size = ${frameSize};`,
    `(async () => { for (let i = 0; i < ${FRAMES}; i++) if (!process.stdout.write(ring.subarray((i % ${RING}) * size, (i % ${RING} + 1) * size)))`,
    "  await new Promise((r) => process.stdout.once('drain', r)); })();",
  ].join('\n');
  return [process.execPath, ['-e', code]];
}

/** A Node consumer using the API: frames from stdin by `reader` ('stream' or 'raw') into a file. */
function apiConsumer(reader, out) {
  const code = `
const lib = await import(${JSON.stringify(pathToFileURL(entry).href)});
const { frameSplitter } = await import(${JSON.stringify(pathToFileURL(join(BENCH_DIR, 'lib', 'common.mjs')).href)});
const size = ${frameSize};
async function* streamFrames() {
  const frames = frameSplitter(size);
  for await (const chunk of process.stdin) yield* frames.split(chunk);
}
const w = await lib.createMp4Writer({ width: ${W}, height: ${H}, fps: 30, output: ${JSON.stringify(out)} });
for await (const f of ${reader === 'raw' ? 'lib.readRawFrames(0, size)' : 'streamFrames()'}) await w.addFrame(f);
const r = await w.finish();
if (r.frames !== ${FRAMES}) throw new Error('wrote ' + r.frames + ' frames');`;
  return [process.execPath, ['--input-type=module', '-e', code]];
}

const cliConsumer = (out) => [process.execPath, [cli, 'encode', '--width', `${W}`, '--height', `${H}`, '--out', out]];
const VARIANTS = {
  cli: { label: 'mp4forge encode (readRawFrames: the pipe on a thread of its own)', consumer: cliConsumer },
  'cli-1mib': { label: 'the same, the producer enlarging its pipe to 1 MiB (F_SETPIPE_SZ)', pipeBytes: 1 << 20, python: true, consumer: cliConsumer },
  'api-stream': { label: 'API, `for await (chunk of process.stdin)` cut into frames on the encoding thread', consumer: (out) => apiConsumer('stream', out) },
  'api-raw': { label: 'API, readRawFrames(0, size)', consumer: (out) => apiConsumer('raw', out) },
};
const names = Object.keys(VARIANTS).filter((k) => !VARIANTS[k].python || hasPython);

/** Single-quoted for sh. */
const sq = (x) => `'${String(x).replaceAll("'", "'\\''")}'`;

/**
 * One run: `producer | consumer` in sh, so that the two share a real pipe, as in a shell pipeline
 * (Node's spawn would join them with a socket pair), the consumer under /usr/bin/time -v.
 */
async function run(name) {
  const out = join(CACHE_DIR, `pipe-${name}.mp4`);
  const [pc, pa] = producer(VARIANTS[name].pipeBytes);
  const [cc, ca] = VARIANTS[name].consumer(out);
  const script = `${[pc, ...pa].map(sq).join(' ')} | ${[TIME, '-v', cc, ...ca].map(sq).join(' ')} > /dev/null`;
  const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const [code] = await new Promise((resolve) => child.on('close', (...a) => resolve(a)));
  if (code !== 0) throw new Error(`${name} failed (${code}):\n${stderr}`);
  const t = parseTimeV(stderr);
  return { wall: round(t.wall, 2), cpu: round(t.cpu, 2) };
}

const results = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < REPS; r++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + r) % names.length];
    const m = await run(name);
    results[name].push(m);
    process.stderr.write(`${name}: ${m.wall} s wall, ${m.cpu} s CPU\n`);
  }
}
const rows = names.map((n) => {
  const wall = median(results[n].map((m) => m.wall));
  const cpu = median(results[n].map((m) => m.cpu));
  return { variant: n, label: VARIANTS[n].label, wallSeconds: wall, cpuSeconds: cpu, fps: round(FRAMES / wall, 1), cpuFps: round(FRAMES / cpu, 1) };
});
const env = environment();
const md = [
  '# bench:pipe',
  '',
  environmentMd(env),
  '',
  `${FRAMES} frames of ${W}×${H} testsrc2 RGBA (a ring of ${RING}) from a ${hasPython ? 'python3' : 'node'} producer through a pipe; default qp and speed; ` +
    `wall and CPU of the consumer process (/usr/bin/time), medians of ${REPS}.`,
  '',
  mdTable(
    ['variant', 'fps (wall)', 'frames per CPU s', 'wall s', 'CPU s'],
    rows.map((r) => [`**${r.variant}**: ${r.label}`, r.fps, r.cpuFps, r.wallSeconds, r.cpuSeconds]),
  ),
].join('\n');
writeResults(String(args.out ?? 'pipe'), { env, frames: FRAMES, size: `${W}x${H}`, producer: hasPython ? 'python3' : 'node', rows }, md);
console.log(md);
