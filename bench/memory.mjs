// npm run bench:memory: peak RSS of encoding 1280×720 noise for 120 and for 1200 frames, each in
// a fresh child process (bench/memory-child.mjs), for the faststart (to a file) and fragmented
// layouts. Memory is bounded by design, so the 1200-frame peak should be within 15% of the
// 120-frame peak. Peak RSS comes from process.resourceUsage().maxRSS inside the child and, when
// available, from /usr/bin/time -v around it (which also counts the process before Node's own
// accounting starts).
//
// Options: --frames 120,1200  --layouts faststart,fragmented  --width 1280 --height 720 --pattern noise
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { BENCH_DIR, environment, environmentMd, libraryEntry, mdTable, parseArgs, round, writeResults } from './lib/common.mjs';

const args = parseArgs();
const FRAMES = String(args.frames ?? '120,1200').split(',').map(Number);
const LAYOUTS = String(args.layouts ?? 'faststart,fragmented').split(',');
const WIDTH = Number(args.width ?? 1280);
const HEIGHT = Number(args.height ?? 720);
const PATTERN = String(args.pattern ?? 'noise');
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const LIMIT = 1.15;

const started = performance.now();
libraryEntry(); // one dist snapshot for every child (MP4FORGE_BENCH_DIST)

async function child(frames, layout) {
  const script = [join(BENCH_DIR, 'memory-child.mjs'), '--frames', String(frames), '--layout', layout, '--width', String(WIDTH), '--height', String(HEIGHT), '--pattern', PATTERN];
  const [cmd, argv] = TIME ? [TIME, ['-v', process.execPath, ...script]] : [process.execPath, script];
  const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (err += d));
  const [code] = await once(p, 'close');
  if (code !== 0) throw new Error(`memory child (${frames} frames, ${layout}) failed with ${code}:\n${err}`);
  const r = JSON.parse(out.trim().split('\n').pop());
  const m = /Maximum resident set size \(kbytes\):\s*(\d+)/.exec(err);
  r.timeMaxRssMiB = m ? round(Number(m[1]) / 1024, 1) : null;
  return r;
}

const runs = [];
for (const layout of LAYOUTS) {
  for (const frames of FRAMES) {
    process.stderr.write(`${layout}, ${frames} frames… `);
    const r = await child(frames, layout);
    process.stderr.write(`peak RSS ${r.maxRssMiB} MiB (time -v: ${r.timeMaxRssMiB ?? 'n/a'} MiB), ${r.fps} fps\n`);
    runs.push(r);
  }
}

const comparisons = LAYOUTS.map((layout) => {
  const [short, long] = [Math.min(...FRAMES), Math.max(...FRAMES)].map((f) => runs.find((r) => r.layout === layout && r.frames === f));
  const ratio = round(long.maxRssMiB / short.maxRssMiB, 3);
  const timeRatio = long.timeMaxRssMiB && short.timeMaxRssMiB ? round(long.timeMaxRssMiB / short.timeMaxRssMiB, 3) : null;
  return {
    layout, shortFrames: short.frames, longFrames: long.frames,
    shortPeakMiB: short.maxRssMiB, longPeakMiB: long.maxRssMiB, ratio,
    timeShortPeakMiB: short.timeMaxRssMiB, timeLongPeakMiB: long.timeMaxRssMiB, timeRatio,
    withinLimit: ratio <= LIMIT && (timeRatio === null || timeRatio <= LIMIT),
  };
});

const env = environment();
const result = {
  name: 'memory',
  command: `node bench/memory.mjs${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
  environment: env,
  settings: { width: WIDTH, height: HEIGHT, fps: 30, pattern: PATTERN, content: runs[0]?.content, video: 'library defaults (qp 26, speed 8, GOP 60)', output: 'file in os.tmpdir()', limit: `long/short peak RSS ≤ ${LIMIT}`, peakRssSource: TIME ? 'process.resourceUsage().maxRSS in the child, and /usr/bin/time -v' : 'process.resourceUsage().maxRSS in the child' },
  runs,
  comparisons,
  runtimeSeconds: round((performance.now() - started) / 1000, 1),
};

const md = [
  '# mp4forge memory benchmark', '',
  `Command: \`npm run bench:memory\` (= \`npm run build && ${result.command}\`).`, '',
  environmentMd(env), '',
  `Each row is a fresh Node process encoding ${WIDTH}×${HEIGHT} \`${PATTERN}\` at 30 fps (${runs[0]?.content}) with the library's default video settings, ` +
    'drawing every frame into one reused RGBA buffer and writing to a file in os.tmpdir(). ' +
    'Peak RSS is `process.resourceUsage().maxRSS` read in the child after `finish()`' + (TIME ? ', and the maximum RSS reported by `/usr/bin/time -v`.' : '.'), '',
  mdTable(
    ['layout', 'frames', 'output', 'fps', 'peak RSS (maxRSS)', ...(TIME ? ['peak RSS (time -v)'] : []), 'RSS at 10% → 100% of frames (MiB)'],
    runs.map((r) => [r.layout, r.frames, `${round(r.bytes / 2 ** 20, 1)} MiB`, r.fps, `${r.maxRssMiB} MiB`, ...(TIME ? [`${r.timeMaxRssMiB} MiB`] : []), r.rssAlongTheWay.map((s) => s.rssMiB).join(' → ')]),
  ), '',
  mdTable(
    ['layout', `peak ${Math.max(...FRAMES)} / peak ${Math.min(...FRAMES)} frames (maxRSS)`, ...(TIME ? ['same (time -v)'] : []), `within ${Math.round((LIMIT - 1) * 100)}%`],
    comparisons.map((c) => [c.layout, `${c.longPeakMiB} / ${c.shortPeakMiB} = ${c.ratio}`, ...(TIME ? [`${c.timeLongPeakMiB} / ${c.timeShortPeakMiB} = ${c.timeRatio}`] : []), c.withinLimit ? 'yes' : 'NO']),
  ), '',
  `Total runtime: ${result.runtimeSeconds} s.`,
].join('\n');

const files = writeResults(String(args.out ?? 'memory'), result, md);
console.log(JSON.stringify(result, null, 2));
console.log(`\n${md}\n`);
console.log(`wrote ${files.json} and ${files.md}`);
