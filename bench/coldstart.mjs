// npm run bench:coldstart: the serverless cold-start cost. Each run is a fresh process
// (bench/coldstart-child.mjs) that imports the built package, creates a writer (WASM encoder compiled and
// instantiated) and encodes the first frame. Node through `import` (dist/index.js) and
// `require` (dist/index.cjs), Bun and Deno; runs are interleaved and sequential (one at a time), and
// the medians of --reps runs (default 7) are reported with the machine load.
//
// Options: --reps 7  --width 1280 --height 720  --runtimes node-esm,node-cjs,bun,deno  --out coldstart
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { BENCH_DIR, CACHE_DIR, environment, environmentMd, mdTable, median, parseArgs, ROOT, round, writeResults } from './lib/common.mjs';

const args = parseArgs();
const REPS = Number(args.reps ?? 7);
const WIDTH = Number(args.width ?? 1280);
const HEIGHT = Number(args.height ?? 720);
const WANT = String(args.runtimes ?? 'node-esm,node-cjs,bun,deno').split(',');
const OUT = String(args.out ?? 'coldstart');

// A private copy of dist/ (ESM and CJS files) so a rebuild during the run cannot break it; bare
// imports (mp4box, h264-mp4-encoder) still resolve from the checkout's node_modules.
const dist = join(ROOT, 'dist');
if (!existsSync(join(dist, 'index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm run bench:coldstart does)');
const snap = join(CACHE_DIR, `coldstart-${process.pid}`);
mkdirSync(snap, { recursive: true });
for (const f of readdirSync(dist)) if (/\.(c?js)$/.test(f)) copyFileSync(join(dist, f), join(snap, f));
process.on('exit', () => rmSync(snap, { recursive: true, force: true }));

const child = join(BENCH_DIR, 'coldstart-child.mjs');
const BUN = join(ROOT, 'node_modules/.bin/bun');
const DENO = join(ROOT, 'node_modules/.bin/deno');
const version = (bin, a = ['--version']) => spawnSync(bin, a, { encoding: 'utf8' }).stdout?.trim().split('\n')[0] ?? 'not runnable';
const RUNTIMES = {
  'node-esm': { label: `Node ${process.version}, import`, cmd: process.execPath, argv: [child, join(snap, 'index.js'), 'esm'] },
  'node-cjs': { label: `Node ${process.version}, require`, cmd: process.execPath, argv: [child, join(snap, 'index.cjs'), 'cjs'] },
  bun: { label: `Bun ${version(BUN)}, import`, cmd: BUN, argv: [child, join(snap, 'index.js'), 'esm'] },
  deno: { label: `Deno ${(/deno (\S+)/.exec(version(DENO)) ?? [])[1] ?? '?'}, import`, cmd: DENO, argv: ['run', '-A', child, join(snap, 'index.js'), 'esm'] },
};

async function once1(rt) {
  const start = performance.now();
  const p = spawn(rt.cmd, [...rt.argv, String(WIDTH), String(HEIGHT)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let err = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (err += d));
  const [code] = await once(p, 'close');
  const wallMs = performance.now() - start;
  if (code !== 0) throw new Error(`${rt.label} failed (${code}):\n${err}`);
  return { ...JSON.parse(out.trim().split('\n').pop()), wallMs };
}

const runs = Object.fromEntries(WANT.map((k) => [k, []]));
for (let r = 0; r < REPS; r++) {
  for (const k of WANT) {
    const x = await once1(RUNTIMES[k]);
    runs[k].push(x);
    process.stderr.write(
      `${RUNTIMES[k].label} rep ${r + 1}: import ${round(x.importMs, 0)} ms, ready ${round(x.readyMs, 0)} ms, first frame ${round(x.firstFrameMs, 0)} ms, process ${round(x.wallMs, 0)} ms\n`,
    );
  }
}

const FIELDS = ['importMs', 'readyMs', 'firstFrameMs', 'totalMs', 'wallMs'];
const medians = Object.fromEntries(WANT.map((k) => [k, Object.fromEntries(FIELDS.map((f) => [f, round(median(runs[k].map((x) => x[f])), 0)]))]));
const env = environment();
const json = { env, width: WIDTH, height: HEIGHT, reps: REPS, medians, runs };
const md = `# mp4forge cold start

Command: \`npm run bench:coldstart\` (= \`npm run build && node bench/coldstart.mjs\`). ${environmentMd(env)}

Each run is a fresh process: \`import\`/\`require\` of the built package →
\`createMp4Writer({ width: ${WIDTH}, height: ${HEIGHT}, fps: 30, output: { buffer: true } })\` resolved (the WASM encoder compiled and
instantiated) → the first ${WIDTH}×${HEIGHT} frame encoded (\`addFrame\` resolved; the frame is drawn
before the clock starts). Medians of ${REPS} runs per runtime, runs interleaved one at a time;
"process" is spawn to exit as seen by the parent (runtime start-up included).

${mdTable(
  ['runtime', 'import (ms)', '→ encoder ready (ms)', '→ first frame (ms)', 'import to first frame (ms)', 'process, spawn to exit (ms)'],
  WANT.map((k) => [RUNTIMES[k].label, ...FIELDS.map((f) => medians[k][f])]),
)}
`;
const files = writeResults(OUT, json, md);
console.log(md);
console.log(`wrote ${files.json} and ${files.md}`);
