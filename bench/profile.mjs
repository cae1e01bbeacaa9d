#!/usr/bin/env node
// npm run bench:profile: where the own encoder spends its time, by function, at one speed.
//
// Each content runs in a child process under `perf record -e cpu-clock` with `node
// --perf-basic-prof`, which names the WASM functions in perf's report when the module carries a
// name section. `npm run bench:profile` builds such a module first (MP4FORGE_WASM_NAMES=1 npm run
// build: the same code, plus names), then the shipped one again (after a failure, `npm run build`
// does that). V8's own --cpu-prof is no use here: it misattributes time inside WASM.
//
// The child feeds the encoder I420 frames made before the clock (testsrc2 from the npm ffmpeg's
// lavfi, plasma and noise drawn by mp4forge), through createMp4Writer into memory, so the shares
// are the encoder's own; each function's share is of the samples in the encoder's functions.
//
// Options: --width W (1280) --height H (720) --speed S (the default) --contents testsrc2,plasma,noise
//          --frames N (testsrc2 600, plasma 300, noise 100) --top K (14) --out profile
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { environment, environmentMd, loadLibrary, mdTable, parseArgs, round, writeResults } from './lib/common.mjs';
import { testsrc2Frames } from './lib/content.mjs';

const args = parseArgs();
const W = Number(args.width ?? 1280);
const H = Number(args.height ?? 720);
const SPEED = args.speed !== undefined ? Number(args.speed) : undefined;
const ENCODER_SYMBOL = 'src/encode/h264/asm/';

if (args.child) {
  // One content, encoded under perf: prints ms per frame and the bytes as JSON on stdout.
  const lib = await loadLibrary();
  const content = String(args.child);
  const n = Number(args.frames);
  const ring = 60;
  const frames = [];
  const rgba = content === 'testsrc2' ? testsrc2Frames(W, H, ring) : null;
  for (let i = 0; i < ring; i++) {
    const src = rgba ? rgba[i] : new Uint8Array(W * H * 4);
    if (!rgba) lib.drawPattern(content, src, W, H, i);
    const yuv = new Uint8Array((W * H * 3) / 2);
    lib.toI420(src, 'rgba', W, H, yuv);
    frames.push(yuv);
  }
  const video = { encoder: 'wasm', ...(SPEED !== undefined ? { speed: SPEED } : {}) };
  const w = await lib.createMp4Writer({ width: W, height: H, fps: 30, pixelFormat: 'yuv420p', video, output: { buffer: true } });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await w.addFrame(frames[i % ring]);
  const r = await w.finish();
  process.stdout.write(`${JSON.stringify({ msPerFrame: (performance.now() - t0) / n, bytes: r.bytes })}\n`);
  process.exit(0);
}

const perf = spawnSync('perf', ['--version'], { encoding: 'utf8' });
if (perf.status !== 0) throw new Error('perf is not installed (Debian: apt install linux-perf); bench:profile samples with `perf record -e cpu-clock`');

const CONTENTS = String(args.contents ?? 'testsrc2,plasma,noise').split(',');
const TOP = Number(args.top ?? 14);
const work = mkdtempSync(join(os.tmpdir(), 'mp4forge-profile-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
await loadLibrary(); // the dist snapshot, shared with the children through MP4FORGE_BENCH_DIST
const self = fileURLToPath(import.meta.url);

const rows = {};
for (const content of CONTENTS) {
  const frames = Number(args.frames ?? { testsrc2: 600, plasma: 300, noise: 100 }[content] ?? 300);
  const data = join(work, `${content}.data`);
  const childArgs = ['--perf-basic-prof', self, '--child', content, '--frames', String(frames), '--width', String(W), '--height', String(H)];
  if (SPEED !== undefined) childArgs.push('--speed', String(SPEED));
  process.stdout.write(`${content}: ${frames} frames under perf… `);
  const mapsBefore = new Set(readdirSync('/tmp'));
  // cwd: the V8 logs --perf-basic-prof leaves (isolate-*.log) go to the temporary directory
  const rec = spawnSync('perf', ['record', '-q', '-e', 'cpu-clock', '-F', '2000', '-o', data, process.execPath, ...childArgs], {
    cwd: work,
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (rec.status !== 0) throw new Error(`perf record (${content}) failed with ${rec.status}: ${rec.stderr}`);
  const run = JSON.parse(rec.stdout.trim().split('\n').pop());
  const rep = spawnSync('perf', ['report', '-i', data, '--sort', 'symbol', '--stdio'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (rep.status !== 0) throw new Error(`perf report (${content}) failed: ${rep.stderr}`);
  // the child's perf map (/tmp/perf-PID.map, written by --perf-basic-prof) is no use after the report
  for (const f of readdirSync('/tmp')) if (/^perf-\d+\.map$/.test(f) && !mapsBefore.has(f)) rmSync(join('/tmp', f), { force: true });
  const shares = new Map();
  let total = 0;
  for (const line of rep.stdout.split('\n')) {
    const m = /^\s*([\d.]+)%\s+\[\.\]\s+(\S+)/.exec(line);
    if (!m || !m[2].includes(ENCODER_SYMBOL)) continue;
    // JS:src/encode/h264/asm/mc/computeTile-48-turbofan → mc/computeTile
    const name = m[2].slice(m[2].indexOf(ENCODER_SYMBOL) + ENCODER_SYMBOL.length).replace(/-\d+-\w+$/, '');
    shares.set(name, (shares.get(name) ?? 0) + Number(m[1]));
    total += Number(m[1]);
  }
  if (total === 0) {
    throw new Error(
      'no sample names an encoder function: the module has no name section. Run `npm run bench:profile`, which builds one (MP4FORGE_WASM_NAMES=1 npm run build)',
    );
  }
  const top = [...shares].sort((a, b) => b[1] - a[1]).map(([name, p]) => ({ name, percent: round((100 * p) / total, 1) }));
  rows[content] = { frames, msPerFrame: round(run.msPerFrame, 2), bytes: run.bytes, encoderSamplesPercent: round(total, 1), functions: top };
  process.stdout.write(`${round(run.msPerFrame, 2)} ms a frame (under perf); the encoder ${round(total, 1)}% of the samples\n`);
}

const env = environment();
const extra = process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : '';
const md = [
  '# Where the own encoder spends its time',
  '',
  `Command: \`npm run bench:profile\` (= \`MP4FORGE_WASM_NAMES=1 npm run build && node bench/profile.mjs${extra} && npm run build\`).`,
  '',
  environmentMd(env),
  '',
  `${W}×${H}, speed ${SPEED ?? 'default'}, qp default, I420 frames in memory (a ring of 60) → createMp4Writer → memory. ` +
    '`perf record -e cpu-clock -F 2000` on `node --perf-basic-prof`, the module built with its name section; each share is of the samples in the encoder\'s functions (inlined callees count in their caller).',
  '',
  mdTable(
    ['content', 'frames', 'ms a frame (under perf)', 'encoder share of all samples', `top ${TOP} functions (share of the encoder's samples)`],
    CONTENTS.map((c) => [
      c,
      rows[c].frames,
      rows[c].msPerFrame,
      `${rows[c].encoderSamplesPercent}%`,
      rows[c].functions.slice(0, TOP).map((f) => `${f.name} ${f.percent}%`).join(', '),
    ]),
  ),
].join('\n');
const json = { command: 'npm run bench:profile', environment: env, settings: { width: W, height: H, speed: SPEED ?? 'default' }, rows };
const out = writeResults(String(args.out ?? 'profile'), json, md);
console.log(`\n${md}\n\nwrote ${out.json} and ${out.md}`);
